"""A ban with a review date: at the review the person hears the path back has begun, the SC is asked where it
reads, and the ban ends only when the SC's quorum of eligible members votes to lift it."""
from __future__ import annotations

from datetime import timedelta

from test_sanctions_support import (
    SUBJECT,
    Clock,
    approve_by_command,
    comments,
    decide,
    decision_answers,
    open_case,
    org,
    run,
    sc_says,
    state_of,
    tick,
    world_for,
)

from app.core.stages import Stage


def test_a_reviewed_ban_ends_when_the_sc_votes_to_lift_it_at_its_review(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "long-ban")
        await approve_by_command(world, number)
        blocked = SUBJECT in org(world).blocks
        await sc_says(world, "sc-1", "/conduct sc lift", "early")  # before the review: refused, where it was said
        early = decision_answers(world)[-1]
        clock.advance(timedelta(weeks=52, days=1))
        await tick(world, clock, number)
        at_review = (SUBJECT in org(world).blocks, comments(world, number), decision_answers(world)[-1],
                     (await state_of(world, number)).stage)
        await sc_says(world, "sc-1", "/conduct sc lift", "l1")
        one = (SUBJECT in org(world).blocks, decision_answers(world)[-1])
        await sc_says(world, "sc-1", "/conduct sc lift", "l1-again")
        again = decision_answers(world)[-1]
        await sc_says(world, "sc-2", "/conduct sc lift welcome back", "l2")
        await world.settle()
        return world, number, decision, blocked, early, at_review, one, again

    world, number, decision, blocked, early, at_review, one, again = run(story())
    assert blocked
    assert "not carried out" in early and "under review" in early
    still_blocked, bodies, asked, stage = at_review
    assert still_blocked and stage is Stage.ACTION  # a review opens; it does not lift by itself
    assert any(b.startswith(f"**Review due for `{decision}`**") for b in bodies)
    # The person hears it in their inbox on the case; the SC on the decision's issue.
    assert any(f"**Message to `{SUBJECT}`**" in b and "The review of your" in b for b in bodies)
    assert f"The review of `{decision}` is due." in asked and "/conduct sc lift" in asked
    assert one[0] and "(1 of 2 needed)" in one[1]  # one member alone does not lift it
    assert "already voted to lift" in again
    after = comments(world, number)
    assert SUBJECT not in org(world).blocks
    assert any(f"**Message to `{SUBJECT}`**" in b and "has ended and you are welcome back" in b
               and "A note from the Steering Council: welcome back" in b for b in after)
    assert f"**The SC lifted `{decision}`**" in decision_answers(world)[-1]
    assert run(state_of(world, number)).stage is Stage.CLOSED
    assert world.store.get_sanction(decision).state == "lifted"
