"""A guarded budget: GitHub's write limits held by every process together, and one account's flood of help
signals heard a few times, never until the budget is gone."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from test_case_index import POLICY, T0, Counter

from app.github.client import CoreLimit
from app.github.errors import RateLimited
from app.service.budget import HELP_LIMITS, WRITE_LIMITS, WriteBudget, write_bucket
from app.store import open_store
from app.wiring.local import INSTALLATION_ID, build_world

WATCHED = POLICY.roles.places.watched[0]
CASES = POLICY.roles.places.cases
PER_MINUTE, PER_HOUR = WRITE_LIMITS[0][1], WRITE_LIMITS[1][1]


def test_the_write_budget_is_a_sliding_minute_and_hour(store):
    granted = sum(store.spend("writes:1", WRITE_LIMITS, T0) is None for _ in range(PER_MINUTE + 5))
    assert granted == PER_MINUTE <= 80
    assert store.spend("writes:1", WRITE_LIMITS, T0) == T0 + timedelta(minutes=1)
    # Minute after minute, the hour's cap binds: 78 a minute for six minutes, then what is left of 490.
    hour = [sum(store.spend("writes:h", WRITE_LIMITS, T0 + timedelta(minutes=m)) is None for _ in range(PER_MINUTE))
            for m in range(8)]
    assert hour == [78, 78, 78, 78, 78, 78, 22, 0] and sum(hour) == PER_HOUR <= 500
    # Room again once the hour's first writes leave the window, not before.
    assert store.spend("writes:h", WRITE_LIMITS, T0 + timedelta(minutes=59)) is not None
    assert store.spend("writes:h", WRITE_LIMITS, T0 + timedelta(minutes=60, seconds=1)) is None
    # Another installation's budget is its own.
    assert store.spend("writes:2", WRITE_LIMITS, T0) is None


def test_two_processes_share_one_budget(database_url):
    """Two services on one database (each its own engine and connections) never exceed the minute together."""
    first, second = open_store(database_url), open_store(database_url)
    granted: list[int] = []

    def hammer(store) -> None:
        mine = 0
        for _ in range(PER_MINUTE):
            mine += store.spend(write_bucket(INSTALLATION_ID), WRITE_LIMITS, T0) is None
        granted.append(mine)

    threads = [threading.Thread(target=hammer, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sum(granted) == PER_MINUTE and len(granted) == 2
    finally:
        first.close()
        second.close()


def test_a_write_with_no_room_is_deferred_until_there_is(store):
    budget = WriteBudget(store, INSTALLATION_ID, clock=lambda: T0, max_wait=timedelta(0))
    for _ in range(PER_MINUTE):
        asyncio.run(budget.take())
    with pytest.raises(RateLimited) as caught:
        asyncio.run(budget.take())
    assert caught.value.retry_at == T0 + timedelta(minutes=1)


def test_the_core_limit_s_last_requests_are_kept():
    core = CoreLimit(reserve=50, clock=lambda: T0)
    reset = int((T0 + timedelta(minutes=20)).timestamp())
    request = httpx.Request("GET", "https://api.github.com/repos/o/r/issues")
    core.seen(httpx.Response(200, headers={"x-ratelimit-remaining": "51", "x-ratelimit-reset": str(reset)},
                             request=request))
    core.check(request)
    core.seen(httpx.Response(200, headers={"x-ratelimit-remaining": "49", "x-ratelimit-reset": str(reset)},
                             request=request))
    with pytest.raises(RateLimited) as caught:
        core.check(request)
    assert caught.value.retry_at == T0 + timedelta(minutes=20)


def test_a_burst_of_200_help_signals_from_one_account_does_not_exhaust_the_budget(store):
    async def story():
        counter = Counter()
        world = await build_world(POLICY, store, now=lambda: T0, request_hook=counter, write_budget=True)
        flooder = world.as_user("participant-3")
        thread = await flooder.create_issue(WATCHED, "A thread", "text", [], key="thread")
        for n in range(200):
            await flooder.create_comment(WATCHED, thread.number, f"/conduct help please {n}", key=f"flood-{n}")
        await world.settle()
        opened = [i for i in world.state.repo(CASES).issues.values()]
        return opened, store.spent(write_bucket(INSTALLATION_ID), T0 - timedelta(hours=1)), counter.requests

    opened, writes, requests = asyncio.run(story())
    heard = HELP_LIMITS[0][1]
    assert len(opened) == heard  # the first signals were served: each opened a case
    assert writes < PER_MINUTE  # and the minute's budget still has room for everyone else
    assert len(requests) < 20 * heard
