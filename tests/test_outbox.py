"""The case outbox: a decision's new state is saved before anything on GitHub that follows from it; its
effects are recorded first and carried out after, on the next look at the case if they were cut short."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_sanctions_support import (
    CASES,
    POLICY,
    WATCHED,
    Clock,
    case_issues,
    comments,
    context,
    open_case,
    run,
    state_of,
    world_for,
)

from app.core import effect_codec
from app.core import effects as fx
from app.core.case import Decision
from app.core.stages import Stage
from app.service import outbox
from app.service.casefile import state_comment_id
from app.service.executor import Executor
from app.service.sweep import sweep


def test_effects_read_back_exactly_as_decided():
    at = datetime(2026, 3, 2, 11, 35, tzinfo=UTC)
    effects = (
        fx.SetStage("k0", Stage.MEDIATION),
        fx.Post("k1", "case", "thread-locked.md.j2", {"thread": "o/r#1", "until": at, "for": timedelta(hours=25),
                                                      "options": ["a", "b"], "pair": ("x", 2), "none": None,
                                                      "nested": {"n": 1.5, "ok": True}}, True),
        fx.Dispatch("k2", "sc-approval.yml", {"decision": "C-2026-001-d1"}, "decisions"),
        fx.Assign("k3", ("mediator-1", "mediator-2")),
        fx.React("k4", 123456789012, "eyes"),
    )
    back = effect_codec.loads(effect_codec.dumps(effects))
    assert back == effects
    assert type(back[0].stage) is Stage and type(back[1].context["pair"]) is tuple
    assert back[1].context["until"].tzinfo is not None and back[1].context["for"] == timedelta(hours=25)


def test_a_core_model_in_a_post_reads_back_as_the_model():
    decision = Decision(id="C-2026-001-d1", action="ban", subject="participant-1", duration=timedelta(days=7),
                        requested_at=datetime(2026, 3, 2, tzinfo=UTC), totals={"ban": 3})
    effects = (fx.Post("k", "case", "t.md.j2", {"decision": decision, "decisions": [decision]}),)
    back = effect_codec.loads(effect_codec.dumps(effects))
    assert back == effects and isinstance(back[0].context["decision"], Decision)


def test_what_cannot_come_back_unchanged_is_refused_before_anything_is_stored():
    with pytest.raises(effect_codec.NotStorable):
        effect_codec.dumps((fx.Post("k", "case", "t.md.j2", {"who": frozenset({"a"})}),))
    with pytest.raises(effect_codec.NotStorable):
        effect_codec.dumps((fx.Post("k", "case", "t.md.j2", {"obj": object()}),))
    # Stored text names only the core's own classes: anything else is refused, never imported.
    for forged in ('[{"$model":"os:system","data":{}}]', '[{"$enum":"subprocess:Popen","value":1}]',
                   '[{"$effect":"Path","fields":{}}]', '[{"$eval":"1"}]'):
        with pytest.raises(effect_codec.NotStorable):
            effect_codec.loads(forged)


def test_the_state_is_saved_before_the_posts_that_follow_from_it(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        before = len(comments(world, number))
        await world.as_user("mediator-1").create_comment(CASES, number, "/conduct assign @mediator-1", key="assign")
        # From here every new comment on the case fails for now (GitHub is down for writes there).
        world.state.inject("POST", rf"^/repos/{CASES}/issues/{number}/comments$", 502, times=1000)
        await world.settle()
        during = (await state_of(world, number)).mediators, len(comments(world, number)) - before, \
            len(store.pending_outbox(f"{CASES}#{number}"))
        world.state.faults.clear()
        clock.advance(timedelta(hours=1))
        await world.settle()
        return world, number, before, during

    world, number, before, during = run(story())
    mediators, posted, pending = during
    # The mediator's command is in the saved state while its posts wait in the outbox.
    assert "mediator-1" in mediators and pending == 1
    assert posted == 1  # only the mediator's own comment got through
    after = comments(world, number)[before:]
    assert len(after) > 1 and len(after) == len(set(after))  # each post once, none twice
    assert store.pending_outbox(f"{CASES}#{number}") == []


def test_effects_cut_short_are_finished_by_the_next_event_on_the_case_first(store, monkeypatch):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        real = Executor.run
        died = []

        async def dies_once(self, file, effects):
            if not died and any(isinstance(e, fx.React) for e in effects):
                died.append(True)
                raise RuntimeError("the process died after saving the state")
            return await real(self, file, effects)

        monkeypatch.setattr(Executor, "run", dies_once)
        mediator = world.as_user("mediator-1")
        await mediator.create_comment(CASES, number, "/conduct note first", key="first")
        # Its delivery waits for its backoff (the clock stands still): nothing retries it before the next event.
        await world.settle()
        left = len(store.pending_outbox(f"{CASES}#{number}"))
        await mediator.create_comment(CASES, number, "/conduct note second", key="second")
        await world.settle()
        return world, number, left

    world, number, left = run(story())
    assert left == 1
    assert store.pending_outbox(f"{CASES}#{number}") == []
    case = run(state_of(world, number))
    notes = [e.detail for e in case.history if e.kind == "note"]
    assert notes == ["first", "second"]


def test_a_step_github_keeps_refusing_is_given_up_and_said_on_the_case(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        await world.as_user("mediator-1").create_comment(CASES, number, "/conduct note one", key="one")
        # Reactions on the case's comments are refused (422) every time.
        world.state.inject("POST", rf"^/repos/{CASES}/issues/comments/\d+/reactions$", 422, times=1000)
        for _ in range(outbox.GIVE_UP_AFTER + 1):
            await world.settle()
            clock.advance(timedelta(hours=2))
        await world.as_user("mediator-1").create_comment(CASES, number, "/conduct note two", key="two")
        await world.settle()
        return world, number

    world, number = run(story())
    bodies = comments(world, number)
    gave_up = [b for b in bodies if "gave up on" in b]
    assert len(gave_up) == 1 and "`React`" in gave_up[0] and "Invalid" in gave_up[0]
    case = run(state_of(world, number))
    assert [e.detail for e in case.history if e.kind == "note"] == ["one", "two"]
    # Only the second note's reaction still waits for its own tries; the first one's was given up.
    (left,) = store.pending_outbox(f"{CASES}#{number}")
    assert left.failures < outbox.GIVE_UP_AFTER and left.event_id not in gave_up[0]


def test_a_new_case_whose_label_github_keeps_refusing_still_tells_the_mediators_and_the_reporter(store):
    """Intake's effects go through the outbox too, and giving up is per step: the stage label refused every
    time is given up and said, and the notes after it are posted all the same."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        world.state.inject("PUT", rf"^/repos/{CASES}/issues/\d+/labels$", 422, times=1000)
        await world.as_user("reporter-1").create_issue(POLICY.roles.places.intake, "Help request", "please help", [],
                                                       key="f")
        for _ in range(outbox.GIVE_UP_AFTER + 1):
            await world.settle()
            clock.advance(timedelta(hours=2))
        await world.settle()
        (number,) = case_issues(world)
        return world, number

    world, number = run(story())
    bodies = comments(world, number)
    gave_up = [b for b in bodies if "gave up on" in b]
    assert len(gave_up) == 1 and "`SetStage`" in gave_up[0]
    assert any(b.startswith("**New help request") for b in bodies)
    assert any("Message to `reporter-1`" in b for b in bodies)
    assert store.pending_outbox(f"{CASES}#{number}") == []


def test_a_closed_case_s_unlock_whose_state_landed_but_answered_502_is_finished_by_the_next_sweep(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        mediator = world.as_user("mediator-1")
        for key, text in (("a", "/conduct assign @mediator-1"), ("l", f"/conduct lock {WATCHED}#1 24h heated"),
                          ("r", "/conduct resolve agreed"), ("c", "/conduct stage closed")):
            await mediator.create_comment(CASES, number, text, key=key)
            await world.settle()
        locked = world.state.repo(WATCHED).issues[1].locked, (await state_of(world, number)).stage
        clock.advance(timedelta(hours=25))
        # The unlock's state lands on GitHub, and GitHub answers 502: the state says unlocked, the thread is not.
        world.state.inject("PATCH", rf"^/repos/{CASES}/issues/comments/{state_comment_id(store, CASES, number)}$",
                           502, times=1, kind="after_effect")
        await sweep(context(world, clock), world.router.apply)
        await world.settle()
        between = world.state.repo(WATCHED).issues[1].locked, (await state_of(world, number)).locks[0].unlocked_at
        clock.advance(timedelta(hours=1))
        await sweep(context(world, clock), world.router.apply)
        await world.settle()
        return world, number, locked, between

    world, number, locked, between = run(story())
    assert locked == (True, Stage.CLOSED)
    assert between[0] is True and between[1] is not None  # saved as unlocked, still locked on GitHub
    assert world.state.repo(WATCHED).issues[1].locked is False
    assert sum("**Unlocked" in b for b in comments(world, number)) == 1
    assert store.pending_outbox(f"{CASES}#{number}") == []
