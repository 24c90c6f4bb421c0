"""GitHub's write budget and the help signal's limit, kept in the store so every process shares them."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from app.github.errors import RateLimited

# GitHub's secondary limits for content creation: "no more than 80 content-generating requests per
# minute and no more than 500 content-generating requests per hour" (per installation), kept a little
# under so a clock skew between processes never tips it over.
WRITE_LIMITS = ((timedelta(minutes=1), 78), (timedelta(hours=1), 490))
# One account's `/conduct help` signals: each opens a case (about eight writes), so a flood from one
# account is heard once, not until the hour's budget is gone.
HELP_LIMITS = ((timedelta(hours=1), 3), (timedelta(days=1), 6))
# A write waits this long at most for room in the budget; beyond that the delivery is deferred until then.
MAX_WAIT = timedelta(seconds=5)


def write_bucket(installation: int | str) -> str:
    return f"writes:{installation}"


def help_bucket(login: str) -> str:
    return f"help:{login.lower()}"


class WriteBudget:
    """One write budget per installation, across all of the service's processes (the pacer's `budget`)."""

    def __init__(self, store, installation: int | str, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, max_wait: timedelta = MAX_WAIT):
        self.store, self.bucket, self.clock, self.sleep = store, write_bucket(installation), clock, sleep
        self.max_wait = max_wait

    async def take(self) -> None:
        while True:
            now = self.clock()
            free_at = await asyncio.to_thread(self.store.spend, self.bucket, WRITE_LIMITS, now)
            if free_at is None:
                return
            if free_at - now > self.max_wait:
                raise RateLimited("write budget", free_at)
            await self.sleep(max((free_at - now).total_seconds(), 0.01))


def help_allowed(store, login: str, now: datetime) -> bool:
    """Whether this account's help signal is heard now; the first ones always are."""
    return store.spend(help_bucket(login), HELP_LIMITS, now) is None
