"""Effects ledger: an action with a stable key happens once, however many workers race for it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.store import StoreError


def test_claim_complete_and_read_back(store):
    key = "C-2026-014:ack-comment"
    assert store.effect_result(key) is None
    assert store.claim_effect(key) is True
    assert store.claim_effect(key) is False
    assert store.effect_result(key) is None  # claimed is not done
    store.complete_effect(key, "comment:1234")
    assert store.effect_result(key) == "comment:1234"
    assert store.claim_effect(key) is False
    with pytest.raises(StoreError):
        store.complete_effect(key, "comment:5678")
    assert store.effect_result(key) == "comment:1234"


def test_completing_an_unclaimed_effect_is_an_error(store):
    with pytest.raises(StoreError):
        store.complete_effect("C-2026-015:label", "done")
    assert store.effect_result("C-2026-015:label") is None


def test_a_released_claim_can_be_claimed_again_but_a_completed_one_cannot(store):
    assert store.claim_effect("C-2026-016:redact") is True
    store.release_effect("C-2026-016:redact")
    assert store.claim_effect("C-2026-016:redact") is True
    store.complete_effect("C-2026-016:redact", "ok")
    store.release_effect("C-2026-016:redact")
    assert store.claim_effect("C-2026-016:redact") is False
    assert store.effect_result("C-2026-016:redact") == "ok"


def test_racing_threads_claim_each_effect_exactly_once(store):
    threads, keys = 12, [f"C-2026-{n:03d}:ack-comment" for n in range(15)]
    barrier = threading.Barrier(threads)

    def race(_n):
        barrier.wait()
        return [key for key in keys if store.claim_effect(key)]

    with ThreadPoolExecutor(threads) as pool:
        won = [key for keys_won in pool.map(race, range(threads)) for key in keys_won]
    assert sorted(won) == keys
