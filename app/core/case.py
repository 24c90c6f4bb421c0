"""A case's state: its code name, stage, people, summary, pending decision, and audit history."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, model_serializer

from app.core.stages import Stage
from app.core.summary import Summary

_CODE = re.compile(r"^C-(\d{4})-(\d{3,})$")


def code_name(year: int, sequence: int) -> str:
    """A case's code name, so that no title or log line needs a person's name: C-2026-014."""
    if sequence < 1:
        raise ValueError("case numbers start at 1")
    return f"C-{year:04d}-{sequence:03d}"


def is_code_name(text: str) -> bool:
    return bool(_CODE.match(text))


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Entry(Frozen):
    """One line of the audit history: every stage change and every mediator act is one of these."""

    at: datetime
    actor: str
    kind: str
    source: Stage | None = None
    target: Stage | None = None
    detail: str = ""


class Decision(Frozen):
    """A sanction waiting for, or carrying, the SC's approval."""

    id: str
    action: str
    subject: str
    duration: timedelta
    urgent: bool = False
    poll: str | None = None
    totals: dict[str, int] = {}
    requested_at: datetime
    approved_by: tuple[str, ...] = ()  # the SC members whose approval counts, so far
    shorten_to: timedelta | None = None  # the shortest duration a counting approver asked for
    approved_at: datetime | None = None
    ends_at: datetime | None = None  # set on approval: when it ends, or when it is reviewed
    reviewed_not_ended: bool = False


class Lock(Frozen):
    """A public thread a mediator locked for a time out; the sweep unlocks it at `until`."""

    thread: str  # owner/repo#number
    until: datetime
    unlocked_at: datetime | None = None


class Case(Frozen):
    code: str
    stage: Stage = Stage.INTAKE
    held_from: Stage | None = None
    hold_reason: str | None = None
    channel: str
    opened_at: datetime
    acknowledge_by: datetime
    acknowledged_at: datetime | None = None
    reporter: str | None = None
    thread: str | None = None
    venue: str | None = None  # a signal's venue: an issue comment, a review comment, a review, a discussion
    parties: tuple[str, ...] = ()
    mediators: tuple[str, ...] = ()
    recused: tuple[str, ...] = ()
    subject: str | None = None  # the one person an escalation is about
    summary: Summary | None = None
    polls: int = 0
    decisions: tuple[Decision, ...] = ()
    history: tuple[Entry, ...] = ()
    # The ids of the latest events already applied, so a redelivered event is recognised, not re-decided.
    applied: tuple[str, ...] = ()
    locks: tuple[Lock, ...] = ()
    # One line per subject on their standing, written when the poll opens, shown to voters and the SC.
    standing: dict[str, str] = {}
    # Set when the case's retention ended and it was forgotten: only code, dates and `outcome` remain.
    forgotten_at: datetime | None = None
    outcome: str | None = None
    # How many of the oldest audit-only entries of each kind were folded out of `history` to keep the state
    # under GitHub's comment limit (app/core/history_bound.py). Left out of the state while empty, so a case
    # that never needed folding is written exactly as before.
    folded: dict[str, int] = {}

    @model_serializer(mode="wrap")
    def _without_empty_folded(self, handler):
        data = handler(self)
        if not self.folded:
            data.pop("folded", None)
        return data

    def with_entry(self, entry: Entry, **changes) -> Case:
        return self.model_copy(update={**changes, "history": (*self.history, entry)})

    @property
    def entries_made(self) -> int:
        """How many entries the history has ever had: it only grows, folded or not (tick keys count on it)."""
        return len(self.history) + sum(self.folded.values())

    def mark_applied(self, event_id: str, keep: int = 100) -> Case:
        return self.model_copy(update={"applied": (*self.applied, event_id)[-keep:]})

    @property
    def current_poll(self) -> str | None:
        return f"{self.code}/{self.polls}" if self.polls else None

    def decision(self, decision_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.id == decision_id), None)

    @property
    def pending_decisions(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.approved_at is None)
