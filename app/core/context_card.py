"""A person's context for the mediators: prior cases, their outcomes, sanctions in force, and standing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.case import Case, Decision
from app.core.policy import Policy
from app.core.retention import weighs_for
from app.core.stages import Stage

NEWCOMER = timedelta(days=90)
# The stages in which a case is over: what happened in it is its outcome.
_FINISHED = frozenset({Stage.RESOLVED, Stage.CLOSED})


@dataclass(frozen=True)
class Contributions:
    """What the GitHub adapter found about a person in the watched repositories; few fields on purpose."""

    first_at: datetime | None  # their first merged pull request or comment there, if any
    merged_prs: int = 0
    comments: int = 0

    @property
    def any(self) -> bool:
        return self.first_at is not None and self.merged_prs + self.comments > 0


@dataclass(frozen=True)
class Sanction:
    """A sanction on the person that is in force now."""

    case: str
    decision: str
    action: str
    until: datetime | None  # when it ends, or when it is (or was) due for review
    review: bool  # True: it does not end by itself; it is reviewed on `until`
    review_due: bool = False  # a review date that has passed: the mediators owe a review


@dataclass(frozen=True)
class PriorCase:
    code: str
    role: str  # "subject", "reporter" or "party"
    stage: Stage
    opened_at: datetime
    outcome: str


@dataclass(frozen=True)
class Card:
    login: str
    standing: str
    contributions: Contributions | None
    cases: tuple[PriorCase, ...]
    active: tuple[Sanction, ...]
    now: datetime

    def context(self) -> dict:
        """The template context for context-card.md.j2: the newest CARD_ROWS cases and sanctions, and how many
        more there are (a card is one comment, and GitHub refuses one over 65,536 characters)."""
        return {"login": self.login, "standing": self.standing, "contributions": self.contributions,
                "cases": self.cases[:CARD_ROWS], "more_cases": max(0, len(self.cases) - CARD_ROWS),
                "active": self.active[:CARD_ROWS], "more_active": max(0, len(self.active) - CARD_ROWS),
                "now": self.now}


# Rows a card lists of each kind; a row is at most about 150 characters, so a card stays far under GitHub's limit.
CARD_ROWS = 100


def standing(contributions: Contributions | None, now: datetime) -> str:
    """Plain words for how long someone has taken part, so a newcomer is met as a newcomer."""
    if contributions is None:
        return "contribution history not available"
    if not contributions.any:
        return "first-time contributor"
    if now - contributions.first_at < NEWCOMER:
        return "newcomer (< 90 days)"
    return f"long-standing contributor (since {contributions.first_at.year})"


def _lifted(case: Case, decision: Decision) -> bool:
    return any(e.kind == "lifted" and e.detail == decision.id for e in case.history)


def _in_force(case: Case, decision: Decision, now: datetime) -> bool:
    """Approved, not lifted, and either not yet at its end or one that is reviewed rather than ending.

    A sanction with a review date does not end when the date passes (decide.py opens a review instead),
    so it stays in force until it is lifted. An urgent ban that a poll's sanction replaced was given an
    end of "now" at that moment, so it counts as ended.
    """
    if decision.approved_at is None or decision.ends_at is None or _lifted(case, decision):
        return False
    return decision.ends_at > now or decision.reviewed_not_ended


def _untaken(case: Case) -> bool:
    """A report no mediator has taken yet is nobody's record: it names people, it says nothing of them."""
    return case.stage is Stage.INTAKE or (case.stage is Stage.HOLD and case.held_from is Stage.INTAKE)


def _role(case: Case, login: str) -> str | None:
    if case.subject == login or any(d.subject == login for d in case.decisions):
        return "subject"
    if case.reporter == login:
        return "reporter"
    if login in case.parties:
        return "party"
    return None


def _outcome(case: Case, login: str, now: datetime) -> str:
    """One line on how the case ended or where it stands, from the person's side."""
    approved = [d for d in case.decisions if d.approved_at is not None]
    if approved:
        parts = []
        for decision in approved:
            whom = "this person" if decision.subject == login else "another party"
            state = "in force" if _in_force(case, decision, now) else "ended"
            parts.append(f"{decision.action} for {whom} ({state})")
        return "; ".join(parts)
    if case.pending_decisions:
        return "a sanction is waiting for the SC"
    polls = [e.kind for e in case.history if e.kind in ("poll-no-action", "poll-no-decision")]
    if case.stage in _FINISHED:
        after_poll = " after a poll chose no action" if "poll-no-action" in polls else ""
        return "resolved in mediation" + after_poll
    if polls:
        return f"open ({case.stage.value}); last poll: {polls[-1].removeprefix('poll-').replace('-', ' ')}"
    return f"open ({case.stage.value})"


def context_card(login: str, cases: list[Case], contributions: Contributions | None, now: datetime,
                 policy: Policy, exclude: str | None = None) -> Card:
    """The card for one person: every case they were a party to or the subject of that still weighs under
    the policy's retention (newest first, except the case `exclude`, usually the one the card is for), their
    sanctions in force, and their standing. A case past its retention is not shown, forgotten or not yet."""
    prior: list[PriorCase] = []
    active: list[Sanction] = []
    for case in sorted(cases, key=lambda c: c.opened_at, reverse=True):
        if case.code == exclude or not weighs_for(case, login, policy, now) or _untaken(case):
            continue
        role = _role(case, login)
        if role is None:
            continue
        prior.append(PriorCase(case.code, role, case.stage, case.opened_at, _outcome(case, login, now)))
        active.extend(
            Sanction(case.code, d.id, d.action, d.ends_at, d.reviewed_not_ended,
                     review_due=d.reviewed_not_ended and d.ends_at is not None and d.ends_at <= now)
            for d in case.decisions if d.subject == login and _in_force(case, d, now)
        )
    return Card(login, standing(contributions, now), contributions, tuple(prior), tuple(active), now)


def standing_line(card: Card) -> str:
    """The card in one line, for the people who decide (voters, the SC): no case codes, no dates finer
    than the year, only what still weighs."""
    prior = [f"{c.outcome} ({c.opened_at.year})" for c in card.cases if c.role in ("subject", "party")]
    within = "; ".join(prior) if prior else "none"
    return f"{card.standing}; earlier cases within retention: {within}"
