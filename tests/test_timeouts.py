"""Context when it is needed, and the mediators' time-outs, through signed webhooks and the stand-in."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.events import Commented
from app.service import intake
from app.service.context import Context
from app.service.sweep import sweep
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
CASES, WATCHED = POLICY.roles.places.cases, POLICY.roles.places.watched[0]


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


class Story:
    def __init__(self, store):
        self.store, self.clock = store, Clock()

    async def start(self):
        self.world = await build_world(POLICY, self.store, now=self.clock)
        return self

    def ctx(self):
        return Context.make(self.world.github, POLICY, self.store, self.world.router.me, self.clock.now)

    async def say(self, login, repo, number, body, **later):
        self.clock.now += timedelta(**(later or {"minutes": 5}))
        comment = await self.world.as_user(login).create_comment(repo, number, body,
                                                                 key=f"t-{self.clock.now.timestamp():.0f}")
        await self.world.settle()
        return comment

    async def form(self, reporter, about):
        file = await intake.from_form(self.ctx(), f"form:{reporter}:{self.clock.now.timestamp():.0f}", reporter,
                                      "They keep replying to me everywhere.", about=about)
        await self.world.settle()
        return file.number

    def bodies(self, repo, number):
        return [c.body for c in self.world.state.comments_of(self.world.state.repo(repo), number)]

    def cards(self, number, login):
        return [b for b in self.bodies(CASES, number) if f"**Context for `{login}`**" in b]


def run(store, script):
    async def go():
        story = await Story(store).start()
        await script(story)
        return story
    return asyncio.run(go())


def test_no_card_on_a_named_person_until_a_mediator_takes_the_case(store):
    async def script(s):
        s.first = await s.form("reporter-1", ("participant-1",))
        s.before = len(s.cards(s.first, "participant-1"))
        await s.say("mediator-1", CASES, s.first, "/conduct assign @mediator-1", hours=2)

    s = run(store, script)
    assert s.before == 0
    (card,) = s.cards(s.first, "participant-1")
    assert "Standing:" in card


def test_a_mediator_asks_for_a_card_at_any_time(store):
    async def script(s):
        s.number = await s.form("reporter-1", ())
        await s.say("mediator-1", CASES, s.number, "/conduct assign @mediator-1")
        s.before = len(s.cards(s.number, "participant-2"))
        await s.say("mediator-1", CASES, s.number, "/conduct context @participant-2")

    s = run(store, script)
    assert s.before == 0
    assert len(s.cards(s.number, "participant-2")) == 1


def test_nobody_but_a_mediator_can_ask_for_a_card():
    from app.core import effects as fx
    from app.core.decide import decide
    from app.core.events import SC, VOTER, Actor
    from tests.test_context_card import Walk

    walk = Walk(POLICY, "C-2026-008", "reporter-1", (), datetime(2026, 1, 5, tzinfo=UTC))
    walk.say("/conduct assign @mediator-1")
    for actor in (Actor("voter-1", frozenset({VOTER})), Actor("sc-1", frozenset({SC}))):
        outcome = decide(walk.case, Commented("c-x", actor, "/conduct context @participant-2"), POLICY, walk.now)
        assert not any(isinstance(e, fx.ContextCard) for e in outcome.effects)
        assert any("is for the mediator" in str(e) for e in outcome.effects)


def test_a_heated_thread_is_locked_as_too_heated_and_the_sweep_unlocks_it_on_time(store):
    async def script(s):
        s.thread = (await s.world.as_user("participant-1").create_issue(WATCHED, "Parser", "x", [], key="t")).number
        s.number = await s.form("reporter-1", ("participant-1",))
        await s.say("mediator-1", CASES, s.number, "/conduct assign @mediator-1")
        await s.say("mediator-1", CASES, s.number, f"/conduct lock {WATCHED}#{s.thread} 24h tempers are running high")
        issue = s.world.state.repo(WATCHED).issues[s.thread]
        s.locked = (issue.locked, issue.lock_reason)
        s.clock.now += timedelta(hours=23)
        await sweep(s.ctx(), s.world.router.apply)
        await s.world.settle()
        s.still = issue.locked
        s.clock.now += timedelta(hours=2)
        await sweep(s.ctx(), s.world.router.apply)
        await s.world.settle()
        s.after = (issue.locked, issue.lock_reason)
        await s.say("mediator-1", CASES, s.number, "/conduct lock example-org/elsewhere#3 24h no")
        await s.say("mediator-1", CASES, s.number, f"/conduct lock {WATCHED}#{s.thread} 30d too long")

    s = run(store, script)
    assert s.locked == (True, "too heated") and s.still is True and s.after == (False, None)
    bodies = s.bodies(CASES, s.number)
    assert any("**Unlocked" in b for b in bodies)
    assert any("not in a watched repository" in b for b in bodies)
    assert any("locked for at most 1w" in b for b in bodies)


def test_a_lock_outlives_a_closed_case_and_is_still_lifted(store):
    async def script(s):
        s.thread = (await s.world.as_user("participant-1").create_issue(WATCHED, "Parser", "x", [], key="t")).number
        s.number = await s.form("reporter-1", ())
        await s.say("mediator-1", CASES, s.number, "/conduct assign @mediator-1")
        await s.say("mediator-1", CASES, s.number, f"/conduct lock {WATCHED}#{s.thread} 3d cooling off")
        await s.say("mediator-1", CASES, s.number, "/conduct resolve")
        await s.say("mediator-1", CASES, s.number, "/conduct stage closed")
        s.clock.now += timedelta(days=4)
        await sweep(s.ctx(), s.world.router.apply)
        await s.world.settle()

    s = run(store, script)
    assert s.world.state.repo(WATCHED).issues[s.thread].locked is False


def test_a_comment_is_hidden_with_a_visible_note_from_the_mediators(store):
    async def script(s):
        s.thread = (await s.world.as_user("participant-1").create_issue(WATCHED, "Parser", "x", [], key="t")).number
        s.bad = await s.say("participant-2", WATCHED, s.thread, "you are an idiot")
        s.number = await s.form("reporter-1", ())
        await s.say("mediator-1", CASES, s.number, "/conduct assign @mediator-1")
        await s.say("mediator-1", CASES, s.number, f"/conduct hide {s.bad.html_url} a personal remark")

    s = run(store, script)
    comments = s.world.state.comments_of(s.world.state.repo(WATCHED), s.thread)
    hidden = next(c for c in comments if c.id == s.bad.id)
    assert hidden.minimized and hidden.body.startswith("you are an idiot")
    assert any("hidden by the conduct mediators" in c.body and "a personal remark" in c.body for c in comments)


def test_core_developers_may_post_the_nudges_in_public_threads_and_strangers_may_not(store):
    async def script(s):
        s.thread = (await s.world.as_user("participant-1").create_issue(WATCHED, "Parser", "x", [], key="t")).number
        await s.say("participant-3", WATCHED, s.thread, "/conduct calm")
        s.before = len(s.bodies(WATCHED, s.thread))
        await s.say("voter-1", WATCHED, s.thread, "/conduct agree-to-disagree @participant-1")

    s = run(store, script)
    bodies = s.bodies(WATCHED, s.thread)
    assert s.before == 1  # the stranger's comment, and nothing in answer
    assert len(bodies) == 3 and "participant-1" in bodies[-1] and "conduct-desk:key=nudge:" in bodies[-1]


def test_an_urgent_ban_is_lifted_the_moment_the_poll_decides_no_action():
    from app.core import effects as fx
    from app.core.decide import decide
    from app.core.events import PollClosed, PollOpened
    from tests.test_context_card import SUMMARY, Walk

    walk = Walk(POLICY, "C-2026-009", "reporter-1", ("participant-1",), datetime(2026, 1, 5, tzinfo=UTC))
    walk.say("/conduct assign @mediator-1").say("/conduct urgent-ban @participant-1 14d threats")
    walk.approved("r")
    walk.say(SUMMARY).say("/conduct escalate")
    walk.send(PollOpened("po", "C-2026-009/1", "soon", standing={"participant-1": "newcomer (< 90 days)"}))
    assert walk.case.standing == {"participant-1": "newcomer (< 90 days)"}
    walk.now += timedelta(days=3)
    outcome = decide(walk.case, PollClosed("pc", "C-2026-009/1", "no-action"), POLICY, walk.now)
    (lift,) = [e for e in outcome.effects if isinstance(e, fx.LiftSanction)]
    assert lift.decision == "C-2026-009-d1"
    (urgent,) = outcome.case.decisions
    assert urgent.ends_at == walk.now  # not its fourteen days: the poll has decided
