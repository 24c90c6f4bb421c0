"""A case's next deadline, for the mediators' queue: the soonest of what the desk has promised or must do."""
from __future__ import annotations

from datetime import datetime

from app.core.case import Case
from app.core.policy import Policy
from app.core.stages import Stage

FINISHED = ("lifted", "review-opened")


def next_deadline(case: Case, policy: Policy, poll_deadline: datetime | None = None) -> tuple[datetime, str] | None:
    """(when, what) of the soonest deadline still ahead of the case, or None if it has none."""
    found: list[tuple[datetime, str]] = []
    if case.acknowledged_at is None and case.stage is not Stage.HOLD:
        found.append((case.acknowledge_by, "acknowledge"))
    if case.stage is Stage.POLLING and poll_deadline is not None:
        found.append((poll_deadline, "poll closes"))
    for decision in case.pending_decisions:
        found.append((decision.requested_at + policy.process.approval.review_expires_after, "SC review expires"))
    done = {e.detail for e in case.history if e.kind in FINISHED}
    for decision in case.decisions:
        if decision.approved_at is not None and decision.ends_at is not None and decision.id not in done:
            found.append((decision.ends_at, "review due" if decision.reviewed_not_ended else "sanction ends"))
    return min(found, default=None)
