"""Order does not matter: webhooks held back by the stand-in and sent late, in reverse, are each applied to
the case as it is by then, or refused on the case where the mediators see it; none is lost or failed."""
from __future__ import annotations

import json

from test_sanctions_support import CASES, Clock, comments, open_case, run, state_of, world_for


def test_commands_delivered_late_and_in_reverse_apply_or_are_refused_visibly(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        hooks = world.state.webhooks
        hooks.hold_if = lambda d: d.event == "issue_comment" and json.loads(d.body)["repository"]["full_name"] == CASES
        mediator = world.as_user("mediator-1")
        await mediator.create_comment(CASES, number, "/conduct assign @mediator-1", key="first")
        await mediator.create_comment(CASES, number, "/conduct resolve both agreed", key="second")
        await world.settle()
        held = len(hooks.held)
        hooks.hold_if = None
        hooks.release(reverse=True)
        await world.settle()
        return world, number, held

    world, number, held = run(story())
    assert held == 2
    case = run(state_of(world, number))
    bodies = comments(world, number)
    assert "mediator-1" in case.mediators  # the assignment applies whenever it arrives
    resolved = case.stage.value == "resolved"
    refused = any("resolve" in b and "refused" in b.lower() for b in bodies) or any(
        b.startswith("**`/conduct resolve`") for b in bodies)
    assert resolved or refused, bodies
    statuses = [world.store.get_status(d.id) for d in world.state.deliveries if d.event == "issue_comment"]
    assert statuses and all(s == "done" for s in statuses)
