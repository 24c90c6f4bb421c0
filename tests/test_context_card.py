"""The context card: a person's earlier cases, built by the core itself; outcomes, sanctions, standing."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from app.core.case import Entry
from app.core.context_card import Contributions, context_card, standing
from app.core.decide import decide, open_case
from app.core.events import (
    MEDIATOR,
    SC,
    Actor,
    Commented,
    HelpRequested,
    PollClosed,
    PollOpened,
    SCReviewed,
    Tick,
)
from app.core.stages import Stage
from app.render import render
from app.wiring.policy_files import load_policy

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
MED = Actor("mediator-1", frozenset({MEDIATOR}))
SC1, SC2 = Actor("sc-1", frozenset({SC})), Actor("sc-2", frozenset({SC}))
SUMMARY = """/conduct summary
## What happened
Insults in review threads.
## Course of mediation
Both parties were contacted.
## Why mediation did not resolve it
The insults went on.
## Action points
- warning: personal-attack
- temporary-ban: harassment, personal-attack
"""


@pytest.fixture(scope="module")
def policy():
    return load_policy(Path(__file__).resolve().parent.parent / "policy")


class Walk:
    """Drives one case through the core, the way the adapters would."""

    def __init__(self, policy, code, reporter, about, at):
        self.policy, self.now, self.n = policy, at, 0
        request = HelpRequested(f"{code}-0", "form", reporter, None, about)
        self.case = open_case(code, request, policy, at).case

    def send(self, event, **later):
        self.now += timedelta(**(later or {"minutes": 1}))
        self.case = decide(self.case, event, self.policy, self.now).case
        return self

    def say(self, body, actor=MED, **later):
        self.n += 1
        return self.send(Commented(f"{self.case.code}-c{self.n}", actor, body, comment_id=self.n), **later)

    def sanctioned(self, action, subject=None):
        self.say("/conduct assign @mediator-1").say(SUMMARY)
        self.say("/conduct escalate" + (f" @{subject}" if subject else ""))
        poll = f"{self.case.code}/1"
        self.send(PollOpened(f"{self.case.code}-po", poll, "soon"))
        self.send(PollClosed(f"{self.case.code}-pc", poll, action), days=3)
        return self.approved(f"{self.case.code}-r")

    def approved(self, review: str):
        """The policy's two SC approvals of the newest decision."""
        for index, actor in enumerate((SC1, SC2)):
            self.send(SCReviewed(f"{review}-{index}", actor, self.case.decisions[-1].id, True))
        return self


def test_a_case_resolved_in_mediation_is_listed_with_its_outcome_and_no_sanction(policy):
    walk = Walk(policy, "C-2026-001", "reporter-1", ("participant-1",), T0)
    walk.say("/conduct assign @mediator-1").say("/conduct resolve talked it through")
    card = context_card("participant-1", [walk.case], None, walk.now + timedelta(days=1), policy=policy)
    (prior,) = card.cases
    assert (prior.code, prior.role, prior.stage) == ("C-2026-001", "party", Stage.RESOLVED)
    assert prior.outcome == "resolved in mediation"
    assert card.active == ()


def test_an_approved_sanction_is_in_force_until_it_ends_and_is_lifted(policy):
    walk = Walk(policy, "C-2026-002", "reporter-1", ("participant-1",), T0).sanctioned("temporary-ban")
    decision = walk.case.decisions[-1]
    during = context_card("participant-1", [walk.case], None, walk.now + timedelta(days=1), policy=policy)
    (sanction,) = during.active
    assert (sanction.case, sanction.decision, sanction.action) == ("C-2026-002", decision.id, "temporary-ban")
    assert sanction.until == decision.ends_at and not sanction.review
    assert during.cases[0].role == "subject"
    assert "temporary-ban for this person (in force)" in during.cases[0].outcome
    # Once its end has passed it is not in force, whether or not the lift has been recorded yet...
    assert context_card("participant-1", [walk.case], None, decision.ends_at, policy=policy).active == ()
    # ...and after the timer lifts it, the history says so and the case closes.
    walk.send(Tick("t-end"), days=29)
    assert any(e.kind == "lifted" and e.detail == decision.id for e in walk.case.history)
    after = context_card("participant-1", [walk.case], None, walk.now, policy=policy)
    assert after.active == () and "(ended)" in after.cases[0].outcome and after.cases[0].stage is Stage.CLOSED


def test_a_lift_in_the_history_ends_a_sanction_before_its_date(policy):
    walk = Walk(policy, "C-2026-003", "reporter-1", ("participant-1",), T0).sanctioned("temporary-ban")
    decision = walk.case.decisions[-1]
    lifted = walk.case.with_entry(Entry(at=walk.now, actor="system", kind="lifted", detail=decision.id))
    assert context_card("participant-1", [walk.case], None, walk.now, policy=policy).active != ()
    assert context_card("participant-1", [lifted], None, walk.now, policy=policy).active == ()


def test_a_sanction_with_a_review_date_stays_in_force_past_it(policy):
    walk = Walk(policy, "C-2026-004", "reporter-1", ("participant-1",), T0).sanctioned("long-ban")
    decision = walk.case.decisions[-1]
    assert decision.reviewed_not_ended
    walk.send(Tick("t-review"), weeks=53)
    assert any(e.kind == "review-opened" for e in walk.case.history)
    (sanction,) = context_card("participant-1", [walk.case], None, walk.now, policy=policy).active
    assert sanction.review and sanction.review_due and sanction.until == decision.ends_at


def test_someone_who_reported_a_case_is_not_shown_the_other_partys_sanction(policy):
    walk = Walk(policy, "C-2026-005", "reporter-1", ("participant-1",), T0).sanctioned("warning")
    card = context_card("reporter-1", [walk.case], None, walk.now, policy=policy)
    assert card.active == ()
    (prior,) = card.cases
    assert prior.role == "reporter" and prior.outcome == "warning for another party (in force)"


def test_an_urgent_ban_replaced_by_the_polls_sanction_is_no_longer_in_force(policy):
    walk = Walk(policy, "C-2026-006", "reporter-1", ("participant-1",), T0)
    walk.say("/conduct assign @mediator-1").say("/conduct urgent-ban @participant-1 7d threats")
    walk.approved("r-u")
    urgent = context_card("participant-1", [walk.case], None, walk.now, policy=policy).active
    assert [s.action for s in urgent] == ["urgent-ban"]
    walk.say(SUMMARY).say("/conduct escalate")
    walk.send(PollOpened("po", "C-2026-006/1", "soon"))
    walk.send(PollClosed("pc", "C-2026-006/1", "warning"), days=2)
    walk.approved("r-w")
    active = context_card("participant-1", [walk.case], None, walk.now + timedelta(minutes=1), policy=policy).active
    assert [s.action for s in active] == ["warning"]


def test_only_the_persons_cases_are_listed_newest_first_and_the_current_one_is_left_out(policy):
    old = Walk(policy, "C-2025-009", "reporter-2", ("participant-1",), T0 - timedelta(days=300))
    other = Walk(policy, "C-2026-010", "reporter-3", ("participant-7",), T0)
    newer = Walk(policy, "C-2026-011", "participant-1", ("participant-2",), T0 + timedelta(days=10))
    current = Walk(policy, "C-2026-012", "reporter-4", ("participant-1",), T0 + timedelta(days=20))
    untaken = Walk(policy, "C-2026-013", "reporter-5", ("participant-1",), T0 + timedelta(days=15))
    for walk in (old, other, newer, current):
        walk.say("/conduct assign @mediator-1")
    cases = [old.case, other.case, current.case, newer.case, untaken.case]
    card = context_card("participant-1", cases, None, T0 + timedelta(days=21), exclude="C-2026-012", policy=policy)
    # A report no mediator has taken yet is left out: being named in one says nothing of a person.
    assert [(c.code, c.role) for c in card.cases] == [("C-2026-011", "reporter"), ("C-2025-009", "party")]
    assert [c.outcome for c in card.cases] == ["open (mediation)", "open (mediation)"]


def test_a_poll_that_chose_no_action_is_the_outcome(policy):
    walk = Walk(policy, "C-2026-013", "reporter-1", ("participant-1",), T0)
    walk.say("/conduct assign @mediator-1").say(SUMMARY).say("/conduct escalate")
    walk.send(PollOpened("po", "C-2026-013/1", "soon"))
    walk.send(PollClosed("pc", "C-2026-013/1", "no-action"), days=3)
    assert context_card("participant-1", [walk.case], None, walk.now, policy=policy).cases[0].outcome == (
        "open (mediation); last poll: no action")
    walk.say("/conduct resolve")
    assert context_card("participant-1", [walk.case], None, walk.now, policy=policy).cases[0].outcome == (
        "resolved in mediation after a poll chose no action")


@pytest.mark.parametrize("contributions, expected", [
    (None, "contribution history not available"),
    (Contributions(None), "first-time contributor"),
    (Contributions(T0 - timedelta(days=10), 0, 0), "first-time contributor"),
    (Contributions(T0 - timedelta(days=89), 1, 0), "newcomer (< 90 days)"),
    (Contributions(T0 - timedelta(days=90), 0, 1), "long-standing contributor (since 2025)"),
    (Contributions(datetime(2019, 3, 1, tzinfo=UTC), 40, 300), "long-standing contributor (since 2019)"),
])
def test_standing_in_plain_words(contributions, expected):
    assert standing(contributions, T0) == expected


def test_the_rendered_card_names_people_without_pinging_them(policy):
    walk = Walk(policy, "C-2026-014", "reporter-1", ("participant-1",), T0).sanctioned("temporary-ban")
    card = context_card("participant-1", [walk.case], Contributions(T0 - timedelta(days=30), 2, 5),
                        walk.now + timedelta(days=1), policy=policy)
    text = render("context-card.md.j2", card.context())
    assert "C-2026-014" in text and "temporary-ban" in text and "newcomer (< 90 days)" in text
    assert "2 merged pull requests and 5 issues or pull requests opened or commented on" in text
    assert f"ends {card.active[0].until:%Y-%m-%d %H:%M} UTC" in text
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert "participant-1" in html and "participant-1" not in outside_code
    assert not re.search(r"(?<![\w`])@\w", html)
    assert "<table>" in html and html.count("<tr>") == 2
    card = context_card("newcomer-1", [], Contributions(None), T0, policy=policy)
    empty = render("context-card.md.j2", card.context())
    assert "first-time contributor" in empty and "none" in empty and "No earlier cases" in empty


def test_a_card_on_someone_named_in_a_thousand_cases_stays_one_comment_github_takes(policy):
    cases = []
    for n in range(1, 1001):
        walk = Walk(policy, f"C-2026-{n:04d}", "reporter-1", ("participant-1",), T0 + timedelta(minutes=n))
        cases.append(walk.say("/conduct assign @mediator-1").say("/conduct resolve talked it through").case)
    card = context_card("participant-1", cases, None, T0 + timedelta(days=2), policy=policy)
    body = render("context-card.md.j2", card.context())
    assert len(card.cases) == 1000  # every case still weighs: the card knows them all
    assert len(body) < 65_536 // 2
    assert "C-2026-1000" in body and "C-2026-0001" not in body  # the newest are listed
    assert "The 900 earlier cases that still weigh are not listed: the newest 100 are." in body
