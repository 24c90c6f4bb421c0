"""The sweep is many small jobs: one case failing, or the case listing failing, never delays a lift or
another case's close; the failure is said on its case, and the next sweep does what was left."""
from __future__ import annotations

from datetime import timedelta

from test_sanctions_support import (
    CASES,
    ORG,
    POLICY,
    SUBJECT,
    Clock,
    approve_by_command,
    case_issues,
    comments,
    context,
    decide,
    open_case,
    run,
    state_of,
    teams_of,
    world_for,
)

from app.service.casefile import state_comment_id
from app.service.sweep import sweep


async def two_cases_one_lift_due(store, clock):
    """Two cases; the first has a team removal whose end has just passed."""
    world = await world_for(store, clock)
    first = await open_case(world)
    decision = await decide(world, clock, first, "team-removal")
    await approve_by_command(world, first)
    await world.as_user("reporter-2").create_issue(POLICY.roles.places.intake, "Help request", "please", [], key="2")
    await world.settle()
    (second,) = [n for n in case_issues(world) if n != first]
    clock.advance(timedelta(weeks=12, minutes=1))
    return world, first, second, decision


def test_a_failing_case_does_not_delay_another_case_s_lift_and_close(store):
    clock = Clock()

    async def story():
        world, first, second, decision = await two_cases_one_lift_due(store, clock)
        # Everything about the second case fails for now: reading its state comment answers 502.
        state_comment = state_comment_id(store, CASES, second)
        world.state.inject("GET", rf"^/repos/{CASES}/issues/comments/{state_comment}$", 502, times=1000)
        counts = await sweep(context(world, clock), world.router.apply)
        await world.settle()
        during = store.get_sanction(decision).state, (await state_of(world, first)).stage.value
        said = [b for b in comments(world, second) if "could not finish" in b]
        world.state.faults.clear()
        clock.advance(timedelta(hours=1))
        again = await sweep(context(world, clock), world.router.apply)
        return world, first, second, counts, during, said, again

    world, first, second, counts, during, said, again = run(story())
    assert during == ("lifted", "closed")
    assert world.state.repo(CASES).issues[first].state == "closed"
    # The second case's two jobs (its tick and its retention check) failed; the first case's tick closed it.
    assert counts["failed"] == 2 and counts["ticked"] == 1
    assert len(said) == 2 and all(f"case #{second}" in body and "Unavailable" in body for body in said)
    assert "failed" not in again and again["ticked"] == 1  # the second case, now
    assert teams_of(world, SUBJECT) == ["triage"] and SUBJECT in world.state.orgs[ORG].members


def test_a_lift_happens_even_when_the_cases_cannot_be_listed(store):
    clock = Clock()

    async def story():
        world, _first, _second, decision = await two_cases_one_lift_due(store, clock)
        world.state.inject("GET", rf"^/repos/{CASES}/issues$", 503, times=1000)
        try:
            await sweep(context(world, clock), world.router.apply)
        except Exception as error:  # noqa: BLE001 - the listing's failure is the sweep's to raise
            raised = type(error).__name__
        else:
            raised = None
        return store.get_sanction(decision).state, teams_of(world, SUBJECT), raised

    state, teams, raised = run(story())
    assert state == "lifted" and teams == ["triage"]
    assert raised == "Unavailable"


def test_a_lift_that_fails_is_counted_as_failed_not_as_done(store):
    clock = Clock()

    async def story():
        world, _first, _second, decision = await two_cases_one_lift_due(store, clock)
        # Giving the team back fails for now: the lift cannot finish this pass.
        world.state.inject("PUT", rf"^/orgs/{ORG}/teams/[^/]+/memberships/{SUBJECT}$", 502, times=1000)
        counts = await sweep(context(world, clock), world.router.apply)
        return counts, store.get_sanction(decision).state

    counts, state = run(story())
    assert state != "lifted"
    assert counts["sanctions"] == 0 and counts["failed"] >= 1
