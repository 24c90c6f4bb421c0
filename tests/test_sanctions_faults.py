"""An apply or a lift that dies halfway resumes where it stopped, and applies nothing twice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from test_sanctions_support import (
    CASES,
    ORG,
    SUBJECT,
    Clock,
    approve_by_command,
    comments,
    decide,
    desk,
    open_case,
    org,
    run,
    state_of,
    teams_of,
    tick,
    world_for,
)

from app.github.errors import Forbidden
from app.sanctions.sweep import sweep


def test_an_apply_that_fails_after_the_org_removal_resumes_without_losing_the_teams(store):
    clock = Clock()
    removals: list[str] = []

    async def count(request):
        if request.method == "DELETE" and "/members/" in request.url.path:
            removals.append(request.url.path)

    async def story():
        world = await world_for(store, clock, request_hook=count)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        # The block is refused twice (the App lacking a permission, say): the apply dies after the removal.
        world.state.inject("PUT", rf"^/orgs/{ORG}/blocks/", 403, times=2)
        await approve_by_command(world, number)
        halfway = store.get_sanction(decision), SUBJECT in org(world).members, SUBJECT in org(world).blocks
        stage_halfway = (await state_of(world, number)).stage.value
        # The next sweep resumes from the ledger and fails once more; the one after finishes.
        failing = await sweep(desk(world, clock), world.router.me)
        second = store.get_sanction(decision)
        notice_during = [b for b in comments(world, number) if f"Applying `{decision}`" in b]
        swept = await sweep(desk(world, clock), world.router.me)
        return world, number, decision, halfway, stage_halfway, failing, second, notice_during, swept

    world, number, decision, halfway, stage_halfway, failing, second, notice_during, swept = run(story())
    record, member, blocked = halfway
    assert record.state == "failed" and record.error_class == "Forbidden" and record.attempts == 1
    assert record.teams == ("triage",) and record.was_member is True  # recorded before the removal
    # The SC's approval is kept on the case even though GitHub refused the block for now.
    assert not member and not blocked and stage_halfway == "action"
    assert failing == [f"apply {decision}: failed (Forbidden), retried next sweep"]
    assert second.state == "failed" and second.attempts == 2 and second.teams == ("triage",)
    assert len(notice_during) == 1 and "2 attempts so far" in notice_during[0]
    assert swept == [f"apply {decision}: done"]
    assert sum("has now finished" in b for b in comments(world, number)) == 1
    done = store.get_sanction(decision)
    assert done.state == "applied" and done.teams == ("triage",)
    assert SUBJECT in org(world).blocks and len(removals) == 1  # removed from the org once
    assert sum(f"**Applied `{decision}`**" in b for b in comments(world, number)) == 1


def test_a_lift_that_fails_is_shown_on_the_case_once_and_retried_until_done(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        world.state.add_team(ORG, "docs", [SUBJECT])
        number = await open_case(world)
        decision = await decide(world, clock, number, "team-removal")
        await approve_by_command(world, number)
        clock.advance(timedelta(weeks=12, minutes=1))
        # Restoring the second team fails on two sweeps: the first team is back after the first try.
        world.state.inject("PUT", rf"^/orgs/{ORG}/teams/triage/memberships/", 403, times=2)
        for _ in range(2):
            with pytest.raises(Forbidden):
                await tick(world, clock, number)
            clock.advance(timedelta(hours=1))
        failing = store.get_sanction(decision), list(comments(world, number)), teams_of(world, SUBJECT)
        await tick(world, clock, number)
        return world, number, decision, failing

    world, number, decision, (record, during, teams_during) = run(story())
    assert record.state == "failed" and record.failed_from == "lifting" and record.attempts == 2
    assert teams_during == ["docs"]
    notices = [b for b in during if f"Lifting `{decision}`" in b]
    assert len(notices) == 1 and "has not finished yet" in notices[0] and "2 attempts so far" in notices[0]
    assert not any("has ended and you are welcome back" in b for b in during)  # no path-back note before it is true
    after = comments(world, number)
    notices = [b for b in after if f"Lifting `{decision}`" in b]
    assert len(notices) == 1 and "has now finished" in notices[0]
    assert sum("has ended and you are welcome back" in b for b in after) == 1
    assert teams_of(world, SUBJECT) == ["docs", "triage"] and store.get_sanction(decision).state == "lifted"
    assert world.state.repo(CASES).issues[number].labels == ["stage: closed"]
