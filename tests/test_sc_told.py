"""The SC cannot read the case: what the desk answers to an SC member's comment on a decision's issue (a
refusal, an approval counted, the decision approved) is said on that issue too, and nothing of the case."""
from __future__ import annotations

from test_sanctions_support import Clock, decide, decision_answers, open_case, run, sc_says, world_for


def test_each_sc_comment_on_a_decision_is_answered_where_it_was_written(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        await decide(world, clock, number, "temporary-ban")
        steps = []
        await sc_says(world, "sc-1", "/conduct sc approve", "a1")
        steps.append(decision_answers(world))
        await sc_says(world, "sc-1", "/conduct sc approve", "a2")  # the same member again
        steps.append(decision_answers(world))
        await sc_says(world, "sc-2", "/conduct sc approve", "a3")
        steps.append(decision_answers(world))
        return world, steps

    world, (first, again, approved) = run(story())
    assert len(first) == 1 and "(1 of 2 needed)" in first[0]
    assert len(again) == 2 and "already approved" in again[1]
    assert len(approved) == 3 and "The SC approved `C-2026-001-d1`" in approved[2]
    # Only the desk's fixed words about the decision: no mention of the mediators, no report text.
    assert not any("@" in body.split("conduct-desk:key")[0].replace("@sc-1", "") for body in approved)
