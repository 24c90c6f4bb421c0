"""A case's state stays well under GitHub's comment limit however long the case runs and whatever people write."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from test_decide import MED, SC1, SC2, SUMMARY, Story
from test_sanctions_support import CASES, SUBJECT, Clock, comments, open_case, run, sc_says, state_of, world_for

from app.core import effects as fx
from app.core.deadlines import next_deadline
from app.core.events import PollClosed, SCReviewed, Tick
from app.core.history_bound import BUDGET, CEILING, DETAIL_MAX, FOLDABLE, bound, encoded_size
from app.core.report import period_values
from app.core.retention import lifted_at
from app.core.stages import Stage
from app.core.state_block import decode, encode
from app.render import render
from app.service import casefile
from app.wiring.policy_files import load_policy

GOLDEN = Path(__file__).resolve().parent / "data" / "state_before_bound.md"
GITHUB_LIMIT = 65_536
NOTE = ("said <b>that</b> again, & more | " * 40)[:995]  # a note of 1,000 characters with its number


@pytest.fixture(scope="module")
def policy():
    return load_policy(Path(__file__).resolve().parent.parent / "policy")


def state_comment(case) -> str:
    """The state comment's body exactly as casefile.save writes it."""
    return encode(case, render("state.md.j2", {"case": case}))


def notes(story, count: int, per_comment: int = 20):
    """`count` mediator notes of 1,000 characters each, up to 20 to a comment (the most one comment is read for)."""
    for first in range(0, count, per_comment):
        last = min(first + per_comment, count)
        story.say(MED, "\n".join(f"/conduct note {n:04d} {NOTE}" for n in range(first, last)))
    return story


def kept(case):
    """What decisions rest on: every entry of a kind that is never folded, without its time."""
    return [(e.kind, e.source, e.target, e.detail) for e in case.history if e.kind not in FOLDABLE]


def decided(case):
    """The case's decisions, without their times (a story with notes in it is some minutes later)."""
    return [d.model_dump(exclude={"requested_at", "approved_at", "ends_at"}) for d in case.decisions]


def urgent_rejected(policy, with_notes: int):
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    story.say(MED, "/conduct urgent-ban @participant-1 7d threats in a thread")
    decision = story.case.decisions[-1].id
    notes(story, with_notes)
    story.send(SCReviewed("r-1", SC1, decision, False, comment="no " * 20_000))  # a 60,000-character reason
    return story, decision


def test_four_hundred_long_notes_and_a_huge_rejection_leave_a_small_state_that_reads_back(policy):
    story, decision = urgent_rejected(policy, 400)
    control, _ = urgent_rejected(policy, 0)
    body = state_comment(story.case)
    assert len(body) < 45_000 and encoded_size(story.case) <= BUDGET
    assert decode(body) == story.case
    assert bound(story.case) == story.case  # bounding again changes nothing: a quiet tick saves nothing
    # Old notes were folded, oldest first, into a count: none is lost from the count of entries made.
    assert story.case.folded["note"] > 300
    assert story.case.folded["note"] + sum(e.kind == "note" for e in story.case.history) == 400
    assert [e.detail[:4] for e in story.case.history if e.kind == "note"][-1] == "0399"
    assert story.case.entries_made == control.case.entries_made + 400
    # Stage, decisions and every entry a decision rests on are what they are without the notes.
    assert story.case.stage is control.case.stage is Stage.MEDIATION
    assert story.case.decisions == control.case.decisions == ()
    assert kept(story.case) == kept(control.case)
    (rejection,) = [e for e in story.case.history if e.kind == "sc-reject"]
    assert rejection.detail.startswith(f"{decision} no no") and len(rejection.detail) <= len(decision) + DETAIL_MAX + 2
    # The visible table lists the latest entries only, and says how many earlier ones are not listed.
    assert body.count("\n| 2026-") == 50
    assert f"{story.case.entries_made - 50} earlier entries are not listed here" in body
    assert f"{story.case.folded['note']} note" in body and "said" not in body.split("<!--")[0]


def test_later_commands_still_work_and_decide_as_they_would_have(policy):
    story, _ = urgent_rejected(policy, 400)
    control, _ = urgent_rejected(policy, 0)
    for walk in (story, control):
        walk.say(MED, "/conduct urgent-ban @participant-1 7d threats again")
        for sc in (SC1, SC2):
            walk.send(SCReviewed(f"r-2-{sc.login}", sc, walk.case.decisions[-1].id, True))
        walk.send(Tick("tick-late"), days=8)
        walk.say(MED, SUMMARY).say(MED, "/conduct escalate @participant-1")
    assert decided(story.case) == decided(control.case)
    (lifted,) = [d.id for d in story.case.decisions]
    assert lifted == "C-2026-007-d2"  # decision ids go on counting where they were
    assert lifted_at(story.case, story.case.decisions[0]) is not None
    assert story.case.stage is control.case.stage is Stage.ESCALATED
    assert kept(story.case) == kept(control.case)
    assert len(state_comment(story.case)) < 45_000


def test_a_sanction_decided_after_folding_is_reported_lifted_and_off_the_deadlines(policy):
    story = notes(Story(policy).escalated(), 400).send(PollClosed("p", "C-2026-007/1", "warning", {"warning": 5}))
    decision = story.case.decisions[-1]
    for sc in (SC1, SC2):
        story.send(SCReviewed(f"r-{sc.login}", sc, decision.id, True))
    story.send(Tick("t"), days=400)
    assert story.case.folded["note"] > 0
    (sanction,) = [e for e in story.case.history if e.kind == "poll-sanction"]
    assert sanction.detail == "C-2026-007/1 warning"  # the report reads its last word: never cut
    values = period_values([story.case], policy, story.case.opened_at.date(), story.now.date() + timedelta(days=1))
    assert values["polls.warning"] == 1 and values["sanctions"] == 1 and values["lifted"] == 1
    assert next_deadline(story.case, policy) is None


def test_no_tick_key_repeats_once_old_entries_are_folded(policy):
    """A tick's effects are keyed by the count of entries made; the history's length goes down when old
    entries are folded, and an unlock keyed by it would have been taken for one already done."""
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    keys, lengths = [], []
    for cycle in range(40):
        story.say(MED, "\n".join([f"/conduct lock example-org/project#12 1h heated, round {cycle}",
                                  *(f"/conduct note {cycle}-{n} {NOTE}" for n in range(10))]))
        lengths.append(len(story.case.history))
        story.send(Tick(f"tick-{cycle}"), hours=2)
        unlocks = story.of(fx.UnlockThread)
        assert len(unlocks) == 1
        keys.append(unlocks[0].key)
    assert story.case.folded
    assert len(set(lengths)) < len(lengths)  # the history's length came back to an earlier value
    assert len(set(keys)) == len(keys)
    assert all(key.startswith("C-2026-007:tick.") for key in keys)


def test_a_case_that_fits_the_budget_is_written_exactly_as_before(policy):
    """The state comment of an ordinary case, byte for byte as it was written before the state was bounded."""
    case = ordinary_case(policy)
    assert bound(case) == case and case.folded == {}
    assert state_comment(case) == GOLDEN.read_text()


def ordinary_case(policy):
    story = Story(policy, thread="example-org/project#12").say(MED, "/conduct assign @mediator-1")
    story.say(MED, "/conduct note spoke with both parties\n/conduct lock example-org/project#12 1h heated")
    story.send(Tick("t-1"), hours=2).say(MED, "/conduct hold waiting for the reporter").say(MED, "/conduct unhold")
    story.say(MED, "/conduct urgent-ban @participant-1 7d threats")
    story.send(SCReviewed("r-1", SC1, "C-2026-007-d1", True)).send(SCReviewed("r-2", SC2, "C-2026-007-d1", True))
    return story.send(Tick("t-2"), days=8).case


def test_people_text_is_capped_and_the_words_code_reads_are_kept(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    story.say(MED, f"/conduct lock example-org/project#12 1h {NOTE}\n/conduct hold {NOTE}")
    (lock,) = [e for e in story.case.history if e.kind == "lock"]
    assert lock.detail.startswith(f"example-org/project#12 1h {NOTE[:100]}") and len(lock.detail) < 340
    (hold,) = [e for e in story.case.history if e.kind == "hold"]
    assert hold.detail == NOTE[:DETAIL_MAX].rstrip() + "…" and story.case.hold_reason == hold.detail


def test_a_summary_longer_than_the_state_can_keep_is_refused_with_the_reason(policy):
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    story.say(MED, SUMMARY.replace("Repeated insults in review threads.", "insults " * 2_000))
    assert story.case.summary is None
    assert "shorten it" in story.posts()[0]


def test_past_the_ceiling_commands_are_refused_but_the_case_can_still_be_resolved(policy):
    """Stage changes are never folded: a mediator who moves a case on and off hold for ever fills it."""
    story = Story(policy).say(MED, "/conduct assign @mediator-1")
    for _ in range(40):
        story.say(MED, "\n".join(f"/conduct hold {NOTE}\n/conduct unhold" for _ in range(10)))
        if any("state is full" in post for post in story.posts()):
            break
    refusals = [post for post in story.posts() if "state is full" in post]
    # Each of the comment's 20 commands either moved the case (a stage label) or was refused (a post).
    assert refusals and len(story.of(fx.SetStage)) + len(story.posts()) == 20
    assert sum(e.target is not None for e in story.case.history) > 300
    assert encoded_size(story.case) <= CEILING and bound(story.case) == story.case
    story.say(MED, "/conduct resolve we talked it through")
    assert story.case.stage is Stage.RESOLVED
    assert len(state_comment(story.case)) < GITHUB_LIMIT


def test_the_world_saves_a_case_of_four_hundred_long_notes_and_a_huge_rejection(store):
    """Through signed webhooks, the executor and the stand-in, which refuses a body over 65,536 characters."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        mediator = world.as_user("mediator-1")
        await mediator.create_comment(CASES, number, "/conduct assign @mediator-1", key="assign")
        await world.settle()
        for first in range(0, 400, 20):
            body = "\n".join(f"/conduct note {n:04d} {NOTE}" for n in range(first, first + 20))
            await mediator.create_comment(CASES, number, body, key=f"notes-{first}")
            await world.settle()
        await mediator.create_comment(CASES, number, f"/conduct urgent-ban @{SUBJECT} 7d threats", key="ban")
        await world.settle()
        await sc_says(world, "sc-1", "/conduct sc reject " + "no " * 20_000, "reject")
        rejected = await state_of(world, number)
        await mediator.create_comment(CASES, number, "/conduct resolve talked it through", key="resolve")
        await world.settle()
        comment_id = casefile.state_comment_id(world.store, CASES, number)
        body = (await world.github.get_comment(CASES, comment_id)).body
        return rejected, await state_of(world, number), body, comments(world, number)

    rejected, resolved, body, bodies = run(story())
    assert rejected.decisions == () and any(e.kind == "sc-reject" for e in rejected.history)
    assert rejected.folded["note"] > 300
    assert resolved.stage is Stage.RESOLVED
    assert len(body) < 45_000 and decode(body) == resolved
    assert not any("cannot read this case's state" in b for b in bodies)
