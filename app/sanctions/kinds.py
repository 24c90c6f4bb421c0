"""What a decision means on GitHub: its kind, whether lifting restores teams, and interaction-limit expiry."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.core.case import Decision
from app.core.decide import URGENT_BAN
from app.core.policy import Policy

# GitHub's interaction-limit expiries, shortest first.
EXPIRIES: tuple[tuple[str, timedelta], ...] = (
    ("one_day", timedelta(days=1)),
    ("three_days", timedelta(days=3)),
    ("one_week", timedelta(weeks=1)),
    ("one_month", timedelta(days=30)),
    ("six_months", timedelta(days=180)),
)


@dataclass(frozen=True)
class Plan:
    action_id: str
    kind: str
    title: str
    restore: bool
    ends: bool  # False: the decision is reviewed on its date instead of ending


def plan_for(decision: Decision, policy: Policy) -> Plan:
    """The kind of a decision. An urgent ban is a temporary org block whose teams come back when it ends."""
    if decision.action == URGENT_BAN:
        return Plan(URGENT_BAN, "org_block", "An urgent temporary ban", restore=True, ends=True)
    action = policy.action(decision.action)
    return Plan(action.id, action.kind, action.title, restore=action.restore, ends=action.ends)


def interaction_expiry(duration: timedelta) -> tuple[str, timedelta]:
    """GitHub's expiry closest to, and not longer than, `duration` (at least a day: GitHub has nothing
    shorter, and the lift removes the limit at the decision's end anyway)."""
    fitting = [pair for pair in EXPIRIES if pair[1] <= duration]
    return fitting[-1] if fitting else EXPIRIES[0]
