"""Doing a thing at most once per key, and remembering a value once, through the store's effect ledger."""
from __future__ import annotations

from collections.abc import Awaitable, Callable


class Busy(RuntimeError):
    """Another worker holds the key right now."""


async def once(store, key: str, action: Callable[[], Awaitable[str | None]], *, busy: str = "skip") -> str | None:
    """Run `action` unless the key is done (then return its result) or held by another worker (then
    skip, or raise Busy with busy="raise"). A failure releases the key, so a retry runs it again."""
    done = store.effect_result(key)
    if done is not None:
        return done
    if not store.claim_effect(key):
        if busy == "raise":
            raise Busy(f"{key} is being done by another worker")
        return None
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


def first_try(store, key: str) -> bool:
    """Record an attempt under `key` before acting; True only for the first one ever recorded."""
    if store.claim_effect(key):
        store.complete_effect(key, "tried")
        return True
    return False
