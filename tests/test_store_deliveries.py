"""Deliveries: stored before acknowledging, processed once, payload dropped when done."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.store import open_store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _stored(store, delivery_id):
    with store.engine.connect() as conn:
        return conn.execute(
            text("SELECT status, payload, error_class, worker_id FROM deliveries WHERE delivery_id = :d"),
            {"d": delivery_id},
        ).one()


def test_a_new_delivery_is_queued_and_a_duplicate_is_not(store):
    assert store.record_delivery("d-1", "issues", b'{"action":"opened"}', NOW) is True
    assert store.record_delivery("d-1", "issues", b'{"action":"opened"}', NOW) is False
    assert store.get_status("d-1") == "pending"
    assert store.pending_count() == 1
    assert store.get_status("d-unknown") is None


def test_finishing_drops_the_payload_and_a_redelivery_changes_nothing(store):
    store.record_delivery("d-1", "issues", b'{"body":"report text"}', NOW)
    claimed = store.claim_delivery("worker-1", NOW, LEASE)
    assert (claimed.delivery_id, claimed.event, claimed.payload, claimed.attempts) == (
        "d-1", "issues", b'{"body":"report text"}', 1)
    assert claimed.received_at == NOW
    assert store.get_status("d-1") == "processing"
    assert store.finish_delivery("d-1", "worker-1") is True
    assert _stored(store, "d-1") == ("done", None, None, None)
    assert store.pending_count() == 0

    assert store.record_delivery("d-1", "issues", b'{"body":"report text"}', NOW) is False
    assert _stored(store, "d-1") == ("done", None, None, None)
    assert store.claim_delivery("worker-2", NOW, LEASE) is None


def test_a_failed_delivery_is_queued_again_when_redelivered(store):
    store.record_delivery("d-1", "issue_comment", b"first", NOW)
    store.claim_delivery("worker-1", NOW, LEASE)
    assert store.fail_delivery("d-1", "worker-1", "KeyError") is True
    assert _stored(store, "d-1") == ("failed", b"first", "KeyError", None)
    assert store.claim_delivery("worker-1", NOW, LEASE) is None

    assert store.record_delivery("d-1", "issue_comment", b"second", NOW + timedelta(hours=1)) is True
    assert _stored(store, "d-1") == ("pending", b"second", None, None)
    again = store.claim_delivery("worker-2", NOW + timedelta(hours=1), LEASE)
    assert (again.delivery_id, again.payload, again.attempts, again.received_at) == ("d-1", b"second", 2, NOW)


def test_failure_records_a_class_name_never_a_message(store):
    store.record_delivery("d-1", "issues", b"{}", NOW)
    store.claim_delivery("worker-1", NOW, LEASE)
    with pytest.raises(ValueError):
        store.fail_delivery("d-1", "worker-1", "ValueError: reporter said ...")
    assert store.get_status("d-1") == "processing"


def test_an_expired_lease_lets_another_worker_take_over(store):
    store.record_delivery("d-1", "issues", b"{}", NOW)
    assert store.claim_delivery("worker-1", NOW, LEASE).attempts == 1
    assert store.claim_delivery("worker-2", NOW + LEASE - timedelta(seconds=1), LEASE) is None
    assert store.claim("d-1", "worker-2", NOW + LEASE - timedelta(seconds=1), LEASE) is None

    taken = store.claim_delivery("worker-2", NOW + LEASE + timedelta(seconds=1), LEASE)
    assert (taken.delivery_id, taken.attempts) == ("d-1", 2)
    # The first worker lost the lease: its late finish must not settle the delivery.
    assert store.finish_delivery("d-1", "worker-1") is False
    assert store.get_status("d-1") == "processing"
    assert store.finish_delivery("d-1", "worker-2") is True


def test_oldest_first_and_claiming_a_specific_delivery(store):
    for minute, delivery_id in [(3, "d-c"), (1, "d-a"), (2, "d-b")]:
        store.record_delivery(delivery_id, "issues", delivery_id.encode(), NOW + timedelta(minutes=minute))
    later = NOW + timedelta(minutes=10)
    assert store.claim("d-b", "worker-1", later, LEASE).delivery_id == "d-b"
    assert store.claim("d-b", "worker-2", later, LEASE) is None
    assert store.claim("d-missing", "worker-2", later, LEASE) is None
    assert [store.claim_delivery("worker-2", later, LEASE).delivery_id for _ in range(2)] == ["d-a", "d-c"]
    assert store.claim_delivery("worker-2", later, LEASE) is None
    assert store.pending_count() == 3


def test_naive_times_are_refused(store):
    with pytest.raises(Exception, match="timezone-aware"):
        store.record_delivery("d-1", "issues", b"{}", datetime(2026, 3, 1, 12, 0))


def _drain(url, worker_id, barrier, results):
    store = open_store(url)
    barrier.wait()
    processed = []
    while (delivery := store.claim_delivery(worker_id, NOW, LEASE)) is not None:
        time.sleep(0.001)  # some "work", so the two workers interleave
        if not store.finish_delivery(delivery.delivery_id, worker_id):
            processed.append(("lost", delivery.delivery_id))
        processed.append(delivery.delivery_id)
    store.close()
    results.put((worker_id, processed))


def test_two_processes_process_each_of_200_deliveries_exactly_once(store, database_url):
    ids = [f"d-{n:03d}" for n in range(200)]
    for n, delivery_id in enumerate(ids):
        store.record_delivery(delivery_id, "issues", b"{}", NOW - timedelta(seconds=200 - n))
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_drain, args=(database_url, f"worker-{n}", barrier, results)) for n in (1, 2)]
    for proc in procs:
        proc.start()
    done = dict(results.get(timeout=180) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)

    everything = done["worker-1"] + done["worker-2"]
    assert sorted(everything) == ids  # none twice, none missed, no lost lease
    assert done["worker-1"] and done["worker-2"], "both processes should have claimed work"
    assert store.pending_count() == 0
    assert {store.get_status(d) for d in ids} == {"done"}
