"""Reads not repeated: a plain comment costs no request, team lists are cached across deliveries and
processes, and a change of membership on GitHub reaches the app at once through its webhook."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from test_case_index import CASES, POLICY, T0, Counter, a_case, context, file_case

from app.core.stages import Stage
from app.service.roles import MAX_AGE
from app.wiring.local import build_world

ORG = POLICY.roles.organization
VOTERS = POLICY.roles.roles.voters.team


def run(coro):
    return asyncio.run(coro)


async def world_with_a_case(store):
    counter = Counter()
    clock = {"now": T0}
    world = await build_world(POLICY, store, now=lambda: clock["now"], request_hook=counter)
    number = await file_case(world, a_case(1, Stage.MEDIATION, mediators=("mediator-1",)), True)
    await world.settle()
    return world, counter, clock, number


def team_reads(requests) -> list[str]:
    return [path for method, path in requests if method == "GET" and "/teams/" in path]


def test_a_plain_comment_costs_no_request_and_a_second_command_no_team_read(store):
    async def story():
        world, counter, _, number = await world_with_a_case(store)
        mediator = world.as_user("mediator-1")
        taken = counter.during()
        await mediator.create_comment(CASES, number, "Spoke with both; will follow up tomorrow.", key="plain")
        await world.settle()
        plain = taken()
        taken = counter.during()
        await mediator.create_comment(CASES, number, "/conduct note first call done", key="first")
        await world.settle()
        first = taken()
        taken = counter.during()
        await mediator.create_comment(CASES, number, "/conduct note second call done", key="second")
        await world.settle()
        return plain, first, taken()

    plain, first, second = run(story())
    first = [r for r in first if not r[1].endswith("/access_tokens")]
    assert plain == []
    assert len(team_reads(first)) == 2  # the voters' and the SC's teams, once
    assert team_reads(second) == []  # from the store's cache
    # A note's minimum: read the case's state, write the new state, then react to the command.
    assert [method for method, _ in second] == ["GET", "PATCH", "POST"]


def test_someone_removed_from_a_team_loses_the_role_at_once(store):
    async def story():
        world, counter, clock, _ = await world_with_a_case(store)
        before = await context(world, clock["now"]).roles.members("voters")
        # Cached now; a later lookup within MAX_AGE asks GitHub nothing ...
        taken = counter.during()
        assert await context(world, clock["now"]).roles.members("voters") == before
        assert team_reads(taken()) == []
        # ... until GitHub says the team changed: an owner removes a voter, GitHub sends `membership`.
        await world.github.remove_team_member(ORG, VOTERS, "voter-1")
        await world.settle()
        after = await context(world, clock["now"]).roles.members("voters")
        return before, after

    before, after = run(story())
    assert "voter-1" in before and "voter-1" not in after


def test_a_lost_webhook_is_outlived_by_the_cache_s_age_limit(store):
    async def story():
        world, counter, clock, _ = await world_with_a_case(store)
        await context(world, clock["now"]).roles.members("voters")
        # Changed on GitHub with no webhook (as if the delivery were lost).
        world.state.orgs[ORG].teams[VOTERS].members.pop("voter-2")
        stale = await context(world, clock["now"] + MAX_AGE - timedelta(seconds=1)).roles.members("voters")
        fresh = await context(world, clock["now"] + MAX_AGE + timedelta(seconds=1)).roles.members("voters")
        return stale, fresh

    stale, fresh = run(story())
    assert "voter-2" in stale and "voter-2" not in fresh
