"""Two events on one case decided at the same moment (two processes, or a workflow call beside the worker):
one waits for the other's save and decides from it, so neither event's change to the state is lost."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from test_sanctions_support import CASES, Clock, context, open_case, run, state_of, world_for

from app.core.events import Commented
from app.service import casefile, caselock
from app.service.once import Busy


def test_two_commands_decided_at_once_both_stay_in_the_state(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        # Both deciders read the case before either saves, as two processes would.
        first = await casefile.load(world.github, store, CASES, number, world.router.me)
        second = await casefile.load(world.github, store, CASES, number, world.router.me)
        mediator = await context(world, clock).roles.actor("mediator-1")
        events = (Commented("e-note", mediator, "/conduct note spoke with the reporter"),
                  Commented("e-assign", mediator, "/conduct assign @mediator-1"))
        answers = await asyncio.gather(world.router.apply(context(world, clock), first, events[0]),
                                       world.router.apply(context(world, clock), second, events[1]),
                                       return_exceptions=True)
        waited = [a for a in answers if isinstance(a, Busy)]
        # The one that waited is retried, as the worker retries a deferred delivery.
        clock.advance(timedelta(seconds=30))
        for answer, event in zip(answers, events, strict=True):
            if isinstance(answer, Busy):
                again = await casefile.load(world.github, store, CASES, number, world.router.me)
                await world.router.apply(context(world, clock), again, event)
        await world.settle()
        return await state_of(world, number), waited, answers

    case, waited, answers = run(story())
    assert not [a for a in answers if isinstance(a, Exception) and not isinstance(a, Busy)], answers
    assert len(waited) <= 1  # one may have waited for the other's save; either way it decided from it
    assert "e-note" in case.applied and "e-assign" in case.applied
    assert [e.detail for e in case.history if e.kind == "note"] == ["spoke with the reporter"]
    assert "mediator-1" in case.mediators


def test_a_case_held_by_a_live_worker_is_waited_for_and_one_left_by_a_dead_worker_is_taken_over(store):
    file = casefile.CaseFile(CASES, 7, None, None)
    clock = Clock()

    async def story():
        async with caselock.held(store, file, clock()):
            try:
                async with caselock.held(store, file, clock()):
                    pass
            except Busy:
                waited = True
            else:
                waited = False
        after = store.claim_effect(f"case-lock:{CASES}#7", clock())  # released: free again
        clock.advance(store.claim_timeout + timedelta(seconds=1))  # its holder died: the claim goes stale
        async with caselock.held(store, file, clock()):
            taken = True
        return waited, after, taken

    assert run(story()) == (True, True, True)
