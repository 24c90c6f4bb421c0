"""The decision function, told as the stories of cases: each test walks a case and checks what it decided."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core import effects as fx
from app.core.decide import decide, open_case
from app.core.events import (
    MEDIATOR,
    SC,
    SYSTEM_ACTOR,
    Actor,
    Commented,
    HelpRequested,
    LabelChanged,
    PollClosed,
    PollOpened,
    ReviewExpired,
    SCReviewed,
    Tick,
)
from app.core.stages import IllegalStep, Stage
from app.render import render
from app.wiring.policy_files import load_policy

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
MED = Actor("mediator-1", frozenset({MEDIATOR}))
MED2 = Actor("mediator-2", frozenset({MEDIATOR}))
SC1, SC2 = Actor("sc-1", frozenset({SC})), Actor("sc-2", frozenset({SC}))
STRANGER = Actor("contributor-9")
SUMMARY = """/conduct summary
## What happened
Repeated insults in review threads.
## Course of mediation
Both parties were contacted; one declined to talk.
## Why mediation did not resolve it
The insults continued after two requests.
## Action points
- warning: personal-attack
- temporary-ban: harassment, personal-attack
"""


@pytest.fixture(scope="module")
def policy():
    return load_policy(Path(__file__).resolve().parent.parent / "policy")


class Story:
    """Drives one case through the core and keeps the last effects, like a mediator watching the issue."""

    def __init__(self, policy, channel="form", about=("participant-1",), thread=None):
        self.policy, self.now, self.n = policy, T0, 0
        outcome = open_case("C-2026-007", HelpRequested("d-0", channel, "reporter-1", thread, about), policy, T0)
        self.case, self.effects = outcome.case, outcome.effects

    def send(self, event, **later):
        self.now += timedelta(**(later or {"minutes": 1}))
        outcome = decide(self.case, event, self.policy, self.now)
        self.case, self.effects = outcome.case, outcome.effects
        return self

    def say(self, actor, body, **later):
        self.n += 1
        return self.send(Commented(f"c-{self.n}", actor, body, comment_id=self.n), **later)

    def posts(self, where="case"):
        return [render(e.template, e.context) for e in self.effects if isinstance(e, fx.Post) and e.where == where]

    def of(self, kind):
        return [e for e in self.effects if isinstance(e, kind)]

    def escalated(self):
        self.say(MED, "/conduct assign @mediator-1").say(MED, SUMMARY).say(MED, "/conduct escalate")
        return self.send(PollOpened("p-open", "C-2026-007/1", "2026-05-07 10:00 UTC"))


def test_a_new_case_is_acknowledged_with_its_code_name_and_deadline(policy):
    story = Story(policy)
    assert story.case.stage is Stage.INTAKE
    assert story.case.acknowledge_by == T0 + timedelta(hours=24)
    (ack,) = story.posts("reporter")
    assert "C-2026-007" in ack and "2026-05-05 10:00 UTC" in ack
    (note,) = story.posts("case")
    assert "C-2026-007" in note
    assert [e.mention_mediators for e in story.of(fx.Post) if e.where == "case"] == [True]


def test_assigning_takes_the_case_into_mediation_and_records_who(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    assert story.case.stage is Stage.MEDIATION
    assert story.case.mediators == ("mediator-1",)
    assert story.case.acknowledged_at is not None
    entry = story.case.history[-1]
    assert (entry.actor, entry.source, entry.target) == ("mediator-1", Stage.INTAKE, Stage.MEDIATION)
    assert [e.stage for e in story.of(fx.SetStage)] == [Stage.MEDIATION]


def test_only_listed_mediators_can_be_assigned(policy):
    story = Story(policy).say(MED, "/conduct assign @contributor-9")
    assert story.case.stage is Stage.INTAKE
    assert "only mediators can be assigned" in story.posts()[0]


def test_someone_without_the_role_gets_a_polite_refusal_and_nothing_changes(policy):
    story = Story(policy)
    before = story.case
    story.say(STRANGER, "/conduct resolve")
    assert story.case == before
    (reply,) = story.posts()
    assert "@contributor-9" in reply and "is for the mediator" in reply and "/conduct commands" in reply


def test_commands_lists_only_what_the_commenter_may_use(policy):
    story = Story(policy).say(STRANGER, "/conduct commands")
    listing = story.posts()[0]
    assert "/conduct commands" in listing and "/conduct escalate" not in listing
    story.say(MED, "/conduct commands")
    assert "/conduct escalate" in story.posts()[0] and "/conduct sc" not in story.posts()[0]


def test_malformed_and_unknown_commands_are_answered(policy):
    story = Story(policy).say(MED, "/conduct hold\n/conduct frobnicate")
    replies = story.posts()
    assert len(replies) == 2
    assert "hold" in replies[0] and "reason" in replies[0]
    assert "frobnicate" in replies[1]
    assert story.case.stage is Stage.INTAKE


def test_commands_in_code_blocks_and_quotes_do_nothing(policy):
    story = Story(policy).say(MED, "```\n/conduct assign @mediator-1\n```\n> /conduct assign @mediator-1")
    assert story.case.stage is Stage.INTAKE and story.effects == ()


def test_an_edit_runs_only_the_new_commands(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    body = "/conduct assign @mediator-1\n/conduct note talked to both"
    story.send(Commented("c-edit", MED, body, comment_id=1, previous_body="/conduct assign @mediator-1"))
    assert story.of(fx.Assign) == []
    assert story.case.history[-1].kind == "note" and story.case.history[-1].detail == "talked to both"


def test_hold_needs_a_reason_and_unhold_returns(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1").say(MED, "/conduct hold waiting on reporter")
    assert story.case.stage is Stage.HOLD and story.case.hold_reason == "waiting on reporter"
    story.say(MED, "/conduct unhold")
    assert story.case.stage is Stage.MEDIATION and story.case.hold_reason is None


def test_a_recused_mediator_can_no_longer_act(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1").say(MED, "/conduct recuse")
    assert "mediator-1" in story.case.recused and "mediator-1" not in story.case.mediators
    story.say(MED, "/conduct resolve")
    assert story.case.stage is Stage.MEDIATION and "recused" in story.posts()[0]
    story.say(MED2, "/conduct assign @mediator-1")
    assert "recused" in story.posts()[0]


def test_escalation_needs_a_summary(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1").say(MED, "/conduct escalate")
    assert story.case.stage is Stage.MEDIATION
    assert "needs a summary" in story.posts()[0]
    assert story.of(fx.Dispatch) == []


@pytest.mark.parametrize("broken, reason", [
    (SUMMARY.replace("## Course of mediation\nBoth parties were contacted; one declined to talk.\n", ""),
     "'Course of mediation' is missing"),
    (SUMMARY.replace("- warning: personal-attack", "- scolding: personal-attack"),
     "'scolding' is not an action"),
    (SUMMARY.replace("- warning: personal-attack", "- warning: rudeness"),
     "'rudeness' (for warning) is not a criterion"),
    (SUMMARY.replace("- temporary-ban: harassment, personal-attack", "- long-ban: trolling"),
     "does not allow 'long-ban' for 'trolling'"),
    (SUMMARY.replace("- warning: personal-attack", "- warning"), "names no criterion"),
    (SUMMARY.replace("- warning: personal-attack", "- no-action: trolling"), "no-action is always on the ballot"),
])
def test_a_summary_that_misses_a_part_or_names_an_unknown_id_is_refused(policy, broken, reason):
    story = Story(policy).say(MED, "/conduct assign @mediator-1").say(MED, broken)
    assert story.case.summary is None
    assert reason in story.posts()[0]
    story.say(MED, "/conduct escalate")
    assert story.case.stage is Stage.MEDIATION


def test_escalation_with_a_summary_dispatches_the_poll(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1").say(MED, SUMMARY).say(MED, "/conduct escalate")
    assert story.case.stage is Stage.ESCALATED
    assert story.case.subject == "participant-1"
    (dispatch,) = story.of(fx.Dispatch)
    assert (dispatch.workflow, dispatch.inputs) == ("poll-open.yml", {"case": "C-2026-007"})
    assert story.case.summary.options() == ("no-action", "warning", "temporary-ban")


def test_escalation_about_one_of_several_parties_must_name_them(policy):
    story = Story(policy, about=("participant-1", "participant-2"))
    story.say(MED, "/conduct assign @mediator-1").say(MED, SUMMARY).say(MED, "/conduct escalate")
    assert story.case.stage is Stage.MEDIATION and "escalate @login" in story.posts()[0]
    story.say(MED, "/conduct escalate @participant-2")
    assert story.case.subject == "participant-2" and story.case.stage is Stage.ESCALATED


def test_a_sanction_goes_to_the_sc_and_nothing_is_applied_before_approval(policy):
    story = Story(policy).escalated()
    assert story.case.stage is Stage.POLLING and story.case.current_poll == "C-2026-007/1"
    story.send(PollClosed("p-close", "C-2026-007/1", "temporary-ban", {"no-action": 2, "temporary-ban": 5}))
    assert story.case.stage is Stage.AWAITING_APPROVAL
    assert story.of(fx.ApplySanction) == []
    (dispatch,) = story.of(fx.Dispatch)
    decision = story.case.decisions[-1]
    assert dispatch.inputs == {"case": "C-2026-007", "decision": decision.id, "urgent": "false"}
    assert decision.duration == timedelta(weeks=4) and decision.subject == "participant-1"


def test_sc_approval_with_a_shorter_duration_is_recorded_and_a_longer_one_refused(policy):
    story = Story(policy).escalated()
    story.send(PollClosed("p-close", "C-2026-007/1", "temporary-ban"))
    decision = story.case.decisions[-1].id
    with pytest.raises(Exception, match="never lengthen"):
        story.send(SCReviewed("r-0", SC1, decision, True, shorten_to=timedelta(weeks=8)))
    story.send(SCReviewed("r-1", SC1, decision, True, shorten_to=timedelta(weeks=2)))
    assert story.case.stage is Stage.AWAITING_APPROVAL and "1 of 2" in story.posts()[0]
    # The second approver asks for nothing shorter: the shortest asked for by a counted approver applies.
    story.send(SCReviewed("r-2", SC2, decision, True, shorten_to=timedelta(weeks=3)))
    approved = story.case.decision(decision)
    assert story.case.stage is Stage.ACTION
    assert approved.duration == timedelta(weeks=2) and approved.ends_at == story.now + timedelta(weeks=2)
    assert "shortened to 2w" in story.case.history[-1].detail
    assert [e.decision for e in story.of(fx.ApplySanction)] == [decision]


def test_the_sanction_is_lifted_when_it_ends_and_the_case_closes_with_a_path_back_note(policy):
    story = Story(policy).escalated()
    story.send(PollClosed("p-close", "C-2026-007/1", "temporary-ban"))
    decision = story.case.decisions[-1].id
    story.send(SCReviewed("r-1", SC1, decision, True)).send(SCReviewed("r-2", SC2, decision, True))
    story.send(Tick("t-1"), days=27)
    assert story.of(fx.LiftSanction) == [] and story.case.stage is Stage.ACTION
    story.send(Tick("t-2"), days=2)
    assert [e.decision for e in story.of(fx.LiftSanction)] == [decision]
    (back,) = story.posts("party")
    assert "welcome back" in back and "Mediators" not in back and "please send" not in back
    assert [(n.login, n.news) for n in story.of(fx.Notify)] == [("participant-1", "lifted"),
                                                                ("reporter-1", "closed")]
    assert story.case.stage is Stage.CLOSED
    (ended,) = story.posts("reporter")
    assert "has ended" in ended and "participant-1" not in ended
    with pytest.raises(IllegalStep):
        decide(story.case, PollOpened("again", "x", "y"), policy, story.now)


def test_sc_rejection_returns_the_case_to_mediation_with_the_reason(policy):
    story = Story(policy).escalated()
    story.send(PollClosed("p-close", "C-2026-007/1", "warning"))
    decision = story.case.decisions[-1].id
    story.send(SCReviewed("r-1", SC1, decision, False, comment="mediation is not finished"))
    assert story.case.stage is Stage.MEDIATION
    assert "mediation is not finished" in story.posts()[0]
    assert story.of(fx.ApplySanction) == [] and story.case.decisions == ()


def test_a_review_that_never_comes_expires_back_to_mediation(policy):
    story = Story(policy).escalated()
    story.send(PollClosed("p-close", "C-2026-007/1", "warning"))
    story.send(ReviewExpired("x-1", story.case.decisions[-1].id), days=30)
    assert story.case.stage is Stage.MEDIATION and story.of(fx.ApplySanction) == []


def test_an_unreviewed_request_is_reminded_once_then_expires_on_the_clock(policy):
    story = Story(policy).escalated()
    story.send(PollClosed("p-close", "C-2026-007/1", "warning"))
    story.send(Tick("t-1"), days=22)
    assert story.effects == ()
    story.send(Tick("t-2"), days=1)
    assert "has not yet reviewed" in story.posts()[0]
    story.send(Tick("t-3"), days=1)
    assert story.effects == ()
    story.send(Tick("t-4"), days=6)
    assert story.case.stage is Stage.MEDIATION and "expired" in story.posts()[0]
    assert story.of(fx.ApplySanction) == [] and story.case.decisions == ()


@pytest.mark.parametrize("outcome", ["no-action", "no-decision"])
def test_no_action_or_no_quorum_returns_to_mediation(policy, outcome):
    story = Story(policy).escalated().send(PollClosed("p", "C-2026-007/1", outcome))
    assert story.case.stage is Stage.MEDIATION and story.case.decisions == ()
    assert outcome in story.posts()[0]


def test_the_fallback_sc_command_needs_the_policy_quorum(policy):
    story = Story(policy).escalated().send(PollClosed("p", "C-2026-007/1", "warning"))
    story.say(SC1, "/conduct sc approve")
    assert story.case.stage is Stage.AWAITING_APPROVAL and "1 of 2" in story.posts()[0]
    story.say(SC1, "/conduct sc approve")
    assert "already approved" in story.posts()[0]
    story.say(MED, "/conduct sc approve")
    assert story.case.stage is Stage.AWAITING_APPROVAL
    story.say(SC2, "/conduct sc approve")
    assert story.case.stage is Stage.ACTION and len(story.of(fx.ApplySanction)) == 1
    assert story.case.decisions[-1].approved_by == ("sc-1", "sc-2")


def test_an_urgent_ban_is_capped_by_the_policy_and_needs_the_sc(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    story.say(MED, "/conduct urgent-ban @participant-1 30d threats in a thread")
    assert "at most 2w" in story.posts()[0] and story.case.decisions == ()
    story.say(MED, "/conduct urgent-ban @participant-1 7d threats in a thread")
    (dispatch,) = story.of(fx.Dispatch)
    assert dispatch.inputs["urgent"] == "true" and story.of(fx.ApplySanction) == []
    assert story.case.stage is Stage.MEDIATION
    decision = story.case.decisions[-1].id
    story.send(SCReviewed("r-u", SC1, decision, True))
    assert story.of(fx.ApplySanction) == [] and "1 of 2" in story.posts()[0]
    story.send(SCReviewed("r-u2", SC2, decision, True))
    assert story.case.stage is Stage.MEDIATION and len(story.of(fx.ApplySanction)) == 1
    story.send(Tick("t-u"), days=7)
    assert [e.decision for e in story.of(fx.LiftSanction)] == [decision]


def test_a_stage_label_by_a_mediator_is_adopted_and_by_anyone_else_reverted(policy):
    story = Story(policy).send(LabelChanged("l-1", STRANGER, "stage: resolved"))
    assert story.case.stage is Stage.INTAKE and story.of(fx.SetStage)[0].stage is Stage.INTAKE
    assert "only mediators" in story.posts()[0]
    story.send(LabelChanged("l-2", MED, "stage: mediation"))
    assert story.case.stage is Stage.MEDIATION and story.case.history[-1].detail == "label"
    story.send(LabelChanged("l-3", MED, "stage: action"))
    assert story.case.stage is Stage.MEDIATION and "cannot go from mediation to action" in story.posts()[0]


def test_a_late_acknowledgement_reminds_the_mediators_once(policy):
    story = Story(policy).send(Tick("t-1"), hours=23)
    assert story.effects == ()
    story.send(Tick("t-2"), hours=2)
    assert "has not been acknowledged" in story.posts()[0]
    story.send(Tick("t-3"), hours=2)
    assert story.effects == ()


def test_a_held_case_is_not_reminded_while_on_hold(policy):
    story = Story(policy).say(MED, "/conduct hold waiting for the reporter to come back from leave")
    story.send(Tick("t-1"), days=3)
    assert story.effects == () and story.case.stage is Stage.HOLD
    story.say(MED, "/conduct unhold back from leave")
    story.send(Tick("t-2"), minutes=5)
    assert "has not been acknowledged" in story.posts()[0]


def test_system_steps_cannot_come_from_the_wrong_stage(policy):
    story = Story(policy)
    before = story.case
    with pytest.raises(IllegalStep):
        decide(before, PollClosed("p", "C-2026-007/1", "warning"), policy, T0)
    assert story.case == before


def test_effect_keys_are_unique_and_repeatable(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1").say(MED, SUMMARY)
    event = Commented("c-x", MED, "/conduct escalate", comment_id=9)
    first = decide(story.case, event, policy, story.now)
    again = decide(story.case, event, policy, story.now)
    assert first == again
    keys = [e.key for e in first.effects]
    assert len(set(keys)) == len(keys) and all(k.startswith("C-2026-007:c-x:") for k in keys)


def test_deescalation_notes_go_to_the_linked_thread(policy):
    story = Story(policy, channel="signal", thread="https://github.com/example-org/project/issues/3")
    story.say(MED, "/conduct agree-to-disagree @participant-1")
    (note,) = story.posts("thread")
    assert note.startswith("@participant-1") and "agree to disagree" in note
    no_thread = Story(policy).say(MED, "/conduct calm")
    assert "no public thread" in no_thread.posts()[0]


SC3 = Actor("sc-3", frozenset({SC}))


@pytest.mark.parametrize("via", ["review", "command"])
def test_parties_and_recused_sc_members_can_neither_approve_nor_reject(policy, via):
    """The same rule on the environment review (an SCReviewed event) and on `/conduct sc`: the subject,
    the reporter and a recused member are refused, visibly, and nothing they say is counted."""
    story = Story(policy, about=("sc-2",))  # the person the case is about is on the SC
    story.case = story.case.model_copy(update={"reporter": "sc-1", "parties": ("sc-1", "sc-2")})
    story.escalated().say(SC3, "/conduct recuse").send(PollClosed("p", "C-2026-007/1", "warning"))
    decision = story.case.decisions[-1].id

    def review(actor, approved):
        if via == "review":
            with pytest.raises(Exception, match="does not count") as refused:
                story.send(SCReviewed(f"r-{actor.login}-{approved}", actor, decision, approved, comment="no"))
            return str(refused.value)
        story.say(actor, "/conduct sc approve" if approved else "/conduct sc reject no")
        return story.posts()[0]

    assert "is the person" in review(Actor("sc-2", frozenset({SC})), False)  # the subject's own sanction
    assert "party to C-2026-007" in review(SC1, True)  # the reporter, approving
    assert "recused" in review(SC3, True)
    pending = story.case.decision(decision)
    assert pending is not None and pending.approved_by == () and story.case.stage is Stage.AWAITING_APPROVAL


def test_an_approver_who_recuses_later_no_longer_counts(policy):
    story = Story(policy).escalated().send(PollClosed("p", "C-2026-007/1", "warning"))
    decision = story.case.decisions[-1].id
    story.send(SCReviewed("r-1", SC1, decision, True)).say(SC1, "/conduct recuse")
    story.send(SCReviewed("r-2", SC2, decision, True))
    assert story.case.stage is Stage.AWAITING_APPROVAL and story.case.decision(decision).approved_by == ("sc-2",)
    story.send(SCReviewed("r-3", SC3, decision, True))
    assert story.case.stage is Stage.ACTION and story.case.decision(decision).approved_by == ("sc-2", "sc-3")


def test_system_actor_is_not_an_sc_member(policy):
    story = Story(policy).escalated().send(PollClosed("p", "C-2026-007/1", "warning"))
    with pytest.raises(Exception, match="only the SC"):
        story.send(SCReviewed("r", SYSTEM_ACTOR, story.case.decisions[-1].id, True))


def test_a_rejected_decision_s_id_is_never_given_to_another(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    story.say(MED, "/conduct urgent-ban @participant-1 7d threats")
    first = story.case.decisions[-1].id
    story.send(SCReviewed("r-1", SC1, first, False, comment="talk first"))
    assert story.case.decisions == ()
    story.say(MED, "/conduct urgent-ban @participant-1 7d threats again")
    second = story.case.decisions[-1].id
    assert second != first and second.endswith("-d2")


def _heard(story):
    return [(n.login, n.news) for n in story.of(fx.Notify)]


def test_who_hears_what_the_reporter_in_general_terms_the_party_about_themselves_only(policy):
    story = Story(policy, about=("participant-1", "participant-2"))
    assert _heard(story) == [("reporter-1", "acknowledged")]
    story.say(MED, "/conduct assign @mediator-1")
    assert _heard(story) == [("reporter-1", "taken")] and "taken up" in story.posts("reporter")[0]
    story.say(MED, "/conduct message @participant-2\nPlease tell us your side.")
    assert _heard(story) == [("participant-2", "message")]
    story.say(MED, SUMMARY).say(MED, "/conduct escalate @participant-1")
    story.send(PollOpened("p-open", "C-2026-007/1", "2026-05-07 10:00 UTC"))
    story.send(PollClosed("p-close", "C-2026-007/1", "temporary-ban"))
    assert _heard(story) == []  # a poll's outcome is not news for anyone until the SC approves it
    story.send(SCReviewed("r-1", SC1, story.case.decisions[-1].id, True))
    assert _heard(story) == []  # one of the two SC approvals the policy asks for
    story.send(SCReviewed("r-2", SC2, story.case.decisions[-1].id, True))
    assert _heard(story) == [("participant-1", "sanction"), ("reporter-1", "decided")]
    (to_subject,) = story.posts("party")
    # What it is, why (the published criteria), when it ends, how to return; addressed to the person.
    title = policy.action("temporary-ban").title
    assert title in to_subject and policy.criterion("harassment").title in to_subject
    assert story.case.decisions[-1].ends_at.strftime("%Y-%m-%d") in to_subject and "(/return)" in to_subject
    (to_reporter,) = story.posts("reporter")
    # Nothing about one party reaches another; no staff instruction reaches a party.
    for login in ("participant-1", "participant-2", "reporter-1", "mediator-1"):
        assert login not in to_reporter and login not in to_subject
    assert title not in to_reporter and "Mediators:" not in to_subject and "please" not in to_subject.lower()


def test_a_resolved_case_tells_the_reporter_when_resolved_and_when_closed(policy):
    story = Story(policy).say(MED, "/conduct resolve talked it through")
    assert _heard(story) == [("reporter-1", "resolved")]
    story.say(MED, "/conduct stage closed")
    assert _heard(story) == [("reporter-1", "closed")] and "closed" in story.posts("reporter")[0]
