"""Doing a thing at most once per key, and remembering a value once, through the store's effect ledger."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from app.github.errors import Unavailable


class Busy(Unavailable):
    """Another worker holds the key right now: the caller waits and tries again later.

    An Unavailable, so the worker defers the delivery and a sweep unit runs again: the step is never
    skipped (the worker holding it may die before acting), and the steps after it wait for it."""

    def __init__(self, key: str = "") -> None:
        super().__init__("effect-ledger/claim", None, "held by another worker")
        self.key = key


async def once(store, key: str, action: Callable[[], Awaitable[str | None]], *, busy: str = "raise",
               check: Callable[[], Awaitable[str | None]] | None = None) -> str | None:
    """Run `action` unless the key is done (then return its result) or held by another worker (then
    raise Busy, or skip with busy="skip"). A failure releases the key, so a retry runs it again.

    A claim older than the store's claim_timeout was left by a worker that died, maybe after acting: it is
    taken over, and `check` (if given) looks on GitHub first; its answer, if any, is the result."""
    done = store.effect_result(key)
    if done is not None:
        return done
    if not store.claim_effect(key):
        done = store.effect_result(key)
        if done is not None:
            return done
        if not store.reclaim_stale_effect(key, datetime.now(UTC)):
            if busy == "skip":
                return None
            raise Busy(key)
        found = await check() if check is not None else None
        if found is not None:
            store.complete_effect(key, found)
            return found
    try:
        result = await action()
    except BaseException:
        store.release_effect(key)
        raise
    store.complete_effect(key, result if result is not None else "done")
    return result


def remember(store, key: str, value: str) -> str:
    """Record `value` under `key` unless a value is there already; the first one recorded wins."""
    if store.claim_effect(key):
        store.complete_effect(key, value)
    return store.effect_result(key) or value


def newest(store, key_for: Callable[[int], str], most: int) -> str | None:
    """The value of a write-once key kept in generations (`key_for(0)`, `key_for(1)`, ...): the last one
    recorded, or None if none is."""
    found = None
    for generation in range(most):
        recorded = store.effect_result(key_for(generation))
        if recorded is None:
            return found
        found = recorded
    return found


def first_try(store, key: str) -> bool:
    """Record an attempt under `key` before acting; True only for the first one ever recorded."""
    if store.claim_effect(key):
        store.complete_effect(key, "tried")
        return True
    return False
