"""The private form's submissions: stored durably with their case code reserved, opened later by the worker.

The page answers as soon as the submission is in the store, so nothing GitHub answers (a rate limit, an
outage) reaches the reporter, and the worker opens the case with the same retries as any delivery. The
same submission sent again (a reload, a double click, a retry after a timeout) has the same key, so it
is stored once and opens one case."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from app.core.decide import open_case
from app.core.events import HelpRequested
from app.core.policy import Policy
from app.service.intake import allocate_code
from app.service.once import remember

EVENT = "conduct_form"  # never a GitHub event name, and the webhook endpoint accepts only those
_CODE = re.compile(r"^C-(\d{4})-(\d{3,6})$")


@dataclass(frozen=True)
class Receipt:
    """What the page tells the reporter: the case's code name and when a mediator answers by."""

    code: str
    acknowledge_by: datetime
    new: bool  # False when this was a resubmission of one already stored


def submit(store, policy: Policy, key: str, reporter: str, report: str, about: tuple[str, ...],
           thread: str | None, now: datetime) -> Receipt:
    """Store the submission under `key` (the same for a resubmission) and reserve its case code."""
    source = f"form:{key}"
    code = allocate_code(store, source, now.year)
    # The first submission's time is the case's: a resubmission must not move the promised answer.
    at = datetime.fromisoformat(remember(store, f"submitted:{source}", now.isoformat()))
    remember(store, f"submitted-by:{source}", reporter.lower())
    payload = json.dumps({"source": source, "reporter": reporter, "report": report, "about": list(about),
                          "thread": thread, "at": at.isoformat()}).encode()
    new = store.record_delivery(source, EVENT, payload, at)
    due = open_case(code, HelpRequested(source, "form", reporter, thread, about), policy, at).case.acknowledge_by
    return Receipt(code, due, new)


def submitted_by(store, code: str) -> str | None:
    """Who sent the private form that reserved `code` (lower case), or None if no form did: the inbox
    greets them before the worker has opened the case, and nobody else."""
    match = _CODE.match(code)
    source = store.effect_result(f"case-number:{match.group(1)}:{int(match.group(2))}") if match else None
    return store.effect_result(f"submitted-by:{source}") if source and source.startswith("form:") else None


def read(payload: bytes) -> dict:
    """A stored submission, as `submit` wrote it (the worker's side)."""
    data = json.loads(payload)
    data["about"] = tuple(data.get("about") or ())
    data["at"] = datetime.fromisoformat(data["at"])
    return data
