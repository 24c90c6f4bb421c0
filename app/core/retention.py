"""How long a case weighs, for whom, and when it is forgotten: the policy's retention, as pure functions."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.core.case import Case, Decision
from app.core.policy import Policy
from app.core.stages import Stage

# A case is over (and its retention can start) only in these stages; a resolved case may be reopened,
# and then it weighs again until it ends again.
ENDED = frozenset({Stage.RESOLVED, Stage.CLOSED})


def ended_at(case: Case) -> datetime | None:
    """When the case reached the stage it is over in; None while it is open."""
    if case.stage not in ENDED:
        return None
    return next((e.at for e in reversed(case.history) if e.target is case.stage), case.opened_at)


def lifted_at(case: Case, decision: Decision) -> datetime | None:
    return next((e.at for e in case.history if e.kind == "lifted" and e.detail == decision.id), None)


def _given(case: Case) -> list[Decision]:
    return [d for d in case.decisions if d.approved_at is not None]


def action_retention(policy: Policy, action_id: str) -> timedelta:
    """The action's retention; an action since removed from the policy weighs as long as the longest one."""
    if policy.has_action(action_id):
        return policy.action(action_id).retention
    return max(action.retention for action in policy.actions.actions)


def sanction_weighs_until(case: Case, decision: Decision, policy: Policy) -> datetime | None:
    """When a given sanction stops weighing: its retention from the day it was given, and never before it
    is lifted (None while it is not). An urgent ban weighs as its case does, not on its own."""
    lifted = lifted_at(case, decision)
    if lifted is None:
        return None
    if decision.urgent:
        return lifted
    assert decision.approved_at is not None
    return max(decision.approved_at + action_retention(policy, decision.action), lifted)


def weighs_until(case: Case, policy: Policy) -> datetime | None:
    """When the whole case stops weighing and is forgotten; None while it is open or a sanction holds."""
    end = ended_at(case)
    if end is None or case.forgotten_at is not None:
        return case.forgotten_at if end is not None else None
    if any(lock.unlocked_at is None for lock in case.locks):
        return None  # a thread it locked is still locked: the unlock needs the case
    times = [end]
    given = _given(case)
    for decision in given:
        until = sanction_weighs_until(case, decision, policy)
        if until is None:
            return None
        times.append(until)
    if not any(not d.urgent for d in given):
        times.append(end + policy.process.retention.resolved)
    return max(times)


def sanctioned(case: Case, login: str) -> bool:
    """True if a sanction (not an urgent ban) was given to `login` in this case."""
    return any(d.subject == login and not d.urgent for d in _given(case))


def weighs_for(case: Case, login: str, policy: Policy, now: datetime) -> bool:
    """Whether the case may still appear on `login`'s context card at `now`.

    Open cases always do. A person merely named, whom the case gave no sanction, weighs only for the
    shorter `named` period after it ended; everyone else for as long as the case weighs."""
    if case.forgotten_at is not None:
        return False
    end = ended_at(case)
    if end is None:
        return True
    until = weighs_until(case, policy)
    if until is not None and now >= until:
        return False
    named_only = login != case.reporter and not sanctioned(case, login)
    if named_only and now >= end + policy.process.retention.named:
        return False
    return True


def due_to_forget(case: Case, policy: Policy, now: datetime) -> bool:
    until = weighs_until(case, policy)
    return case.forgotten_at is None and until is not None and now >= until


def outcome_words(case: Case) -> str:
    """The outcome a tombstone keeps: the actions given, by id, with no one's name."""
    given = [d.action for d in _given(case) if not d.urgent]
    if given:
        return "sanction: " + ", ".join(given)
    polls = [e.kind for e in case.history if e.kind in ("poll-no-action", "poll-no-decision")]
    if "poll-no-action" in polls:
        return "no action (decided by poll)"
    return "resolved in mediation"


def tombstone(case: Case, now: datetime) -> Case:
    """What is left of a case once forgotten: its code, channel, dates and outcome, no people and no text.

    The stage history keeps only its times and stages (the transparency report's timings need them); who
    acted and every note are gone, and so are the summary, the thread and the parties."""
    history = tuple(e.model_copy(update={"actor": "", "detail": ""}) for e in case.history if e.target is not None)
    decisions = tuple(d.model_copy(update={"subject": "", "approved_by": (), "totals": {}})
                      for d in case.decisions if d.approved_at is not None)
    return Case(code=case.code, stage=case.stage, channel=case.channel, venue=case.venue, opened_at=case.opened_at,
                acknowledge_by=case.acknowledge_by, acknowledged_at=case.acknowledged_at, polls=case.polls,
                decisions=decisions, history=history, forgotten_at=now, outcome=outcome_words(case))
