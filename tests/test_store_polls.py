"""Polls, electorates, issuance and casting (anonymity of the stored rows: test_store_anonymity)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from app.store import PollClosed, StoreError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=7)
FROZEN = {"options": ["no-action", "warning", "temporary-ban"], "summary": "discussion-7"}
ELECTORATE = ["voter-1", "voter-2", "voter-3"]


@pytest.fixture
def poll(store):
    assert store.create_poll("P-1", "C-2026-014", FROZEN, DEADLINE) is True
    store.freeze_electorate("P-1", ELECTORATE)
    return "P-1"


def test_a_poll_is_stored_open_and_created_once(store, poll):
    got = store.get_poll(poll)
    assert (got.poll_id, got.case_id, got.frozen, got.deadline, got.state) == (
        "P-1", "C-2026-014", FROZEN, DEADLINE, "open")
    assert store.create_poll("P-1", "C-2026-099", {}, NOW) is False
    assert store.get_poll(poll).case_id == "C-2026-014"
    store.set_poll_state(poll, "closed")
    assert store.get_poll(poll).state == "closed"
    assert store.get_poll("P-404") is None
    with pytest.raises(StoreError):
        store.set_poll_state("P-404", "closed")


def test_eligibility_follows_the_frozen_electorate(store, poll):
    assert store.electorate_size(poll) == 3
    assert store.is_eligible(poll, "voter-2") is True
    assert store.is_eligible(poll, "reporter-1") is False
    store.freeze_electorate(poll, list(reversed(ELECTORATE)))  # same people again: a no-op
    with pytest.raises(StoreError):
        store.freeze_electorate(poll, [*ELECTORATE, "voter-4"])
    assert store.is_eligible(poll, "voter-4") is False
    with pytest.raises(StoreError):
        store.freeze_electorate("P-404", ELECTORATE)


def test_each_voter_is_issued_one_ballot(store, poll):
    assert store.mark_issued(poll, "voter-1") is True
    assert store.mark_issued(poll, "voter-1") is False
    with pytest.raises(StoreError):
        store.mark_issued(poll, "reporter-1")
    assert store.mark_issued_many(poll, ["voter-3", "voter-1", "voter-2"]) == ["voter-2", "voter-3"]


def test_issued_tokens_are_known_by_hash_only(store, poll):
    store.store_token_hash(poll, b"\x01" * 32)
    store.store_token_hashes(poll, [b"\x03" * 32, b"\x02" * 32])
    assert all(store.token_known(poll, bytes([n]) * 32) for n in (1, 2, 3))
    assert store.token_known(poll, b"\x04" * 32) is False
    assert store.token_known("P-other", b"\x01" * 32) is False


def test_voting_again_replaces_the_choice(store, poll):
    assert store.cast_ballot(poll, b"\x02" * 32, "warning", None, NOW) == "new"
    assert store.cast_ballot(poll, b"\x01" * 32, "no-action", {"sig": "ab12"}, NOW) == "new"
    assert store.cast_ballot(poll, b"\x02" * 32, "abstain", {"sig": "cd34"}, NOW) == "replaced"
    assert store.ballots(poll) == [(b"\x01" * 32, "no-action", {"sig": "ab12"}),
                                   (b"\x02" * 32, "abstain", {"sig": "cd34"})]


def test_no_ballot_after_the_deadline_or_once_closed(store, poll):
    with pytest.raises(PollClosed):
        store.cast_ballot(poll, b"\x01" * 32, "warning", None, DEADLINE)
    store.cast_ballot(poll, b"\x01" * 32, "warning", None, DEADLINE - timedelta(seconds=1))
    store.set_poll_state(poll, "closed")
    with pytest.raises(PollClosed):
        store.cast_ballot(poll, b"\x01" * 32, "no-action", None, NOW)
    assert store.ballots(poll) == [(b"\x01" * 32, "warning", None)]
    with pytest.raises(StoreError):
        store.cast_ballot("P-404", b"\x01" * 32, "warning", None, NOW)


def test_racing_casts_with_one_token_leave_exactly_one_ballot(store, poll):
    threads, token = 10, b"\x07" * 32
    barrier = threading.Barrier(threads)

    def cast(n):
        barrier.wait()
        return store.cast_ballot(poll, token, f"choice-{n}", None, NOW)

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(cast, range(threads)))
    assert sorted(outcomes) == ["new"] + ["replaced"] * (threads - 1)
    [(stored_token, choice, _extra)] = store.ballots(poll)
    assert stored_token == token and choice in {f"choice-{n}" for n in range(threads)}
