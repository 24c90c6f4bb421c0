"""A workflow's command rides out GitHub's brief failures: a few tries, waiting as GitHub asks, then it fails."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from app.github.errors import RateLimited, Unavailable

T = TypeVar("T")
ATTEMPTS = 4
LONGEST_WAIT = 300.0  # seconds; a rate limit further off than this fails the run, and the sweep picks it up


async def retry_transient(action: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS,
                          wait: Callable[[float], Awaitable[None]] = asyncio.sleep,
                          now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> T:
    """Run `action`; on a 5xx, a timeout or a rate limit run it again (every step it takes is keyed, so a
    rerun does only what is left), after 1, 2, 4... seconds or when GitHub said to."""
    for attempt in range(attempts):
        try:
            return await action()
        except (Unavailable, RateLimited) as error:
            delay = float(2 ** attempt)
            if isinstance(error, RateLimited):
                delay = max(0.0, (error.retry_at - now()).total_seconds())
            if attempt == attempts - 1 or delay > LONGEST_WAIT:
                raise
            await wait(delay)
    raise AssertionError("unreachable")
