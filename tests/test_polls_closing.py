"""Closing: every due poll closes exactly once, across repeated, concurrent and interrupted sweeps."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from test_polls_support import SERVICE, Service

from app.polls import client
from app.polls.closing import close_due_polls
from app.store import open_store


@pytest.fixture
def voted(store):
    """An open poll in which three voters have cast."""
    service = Service(store)
    opened = service.open()
    http = service.client()
    for login, choice in (("voter-1", "warning"), ("voter-2", "abstain"), ("voter-3", "no-action")):
        client.vote(SERVICE, opened.poll_id, choice, service.session(login), http=http)
    return service, opened


def test_nothing_closes_before_the_deadline(voted, store):
    _, opened = voted
    assert close_due_polls(store, opened.terms.deadline - timedelta(seconds=1)) == []
    assert store.get_poll(opened.poll_id).state == "open"
    assert store.poll_key(opened.poll_id) is not None


def test_a_second_sweep_closes_nothing(voted, store):
    _, opened = voted
    first = close_due_polls(store, opened.terms.deadline)
    second = close_due_polls(store, opened.terms.deadline + timedelta(minutes=15))
    assert [c.poll_id for c in first] == [opened.poll_id] and second == []
    assert store.get_poll(opened.poll_id).state == "closed"
    assert store.poll_key(opened.poll_id) is None  # the private key is destroyed
    assert first[0].result["signed_count"] == 3 and len(first[0].result["ballots"]) == 3


def test_a_sweep_that_fails_while_publishing_leaves_the_poll_for_the_next(voted, store, caplog):
    _, opened = voted
    published = []

    def github_down(closed):
        raise ConnectionError("GitHub is unreachable")

    assert close_due_polls(store, opened.terms.deadline, publish=github_down) == []
    assert store.get_poll(opened.poll_id).state == "open"
    assert store.poll_key(opened.poll_id) is not None  # not destroyed before the result is out
    assert "ConnectionError" in caplog.text and "GitHub is unreachable" not in caplog.text
    later = close_due_polls(store, opened.terms.deadline, publish=published.append)
    assert [c.poll_id for c in later] == [opened.poll_id] and published == later
    assert close_due_polls(store, opened.terms.deadline, publish=published.append) == []
    assert len(published) == 1


def test_one_failing_poll_does_not_keep_the_others_open(store):
    service = Service(store)
    first, second = service.open(code="C-2026-014"), service.open(code="C-2026-015")
    due = max(first.terms.deadline, second.terms.deadline)

    def fails_for_the_first(closed):
        if closed.poll_id == first.poll_id:
            raise RuntimeError("boom")

    closed = close_due_polls(store, due, publish=fails_for_the_first)
    assert [c.poll_id for c in closed] == [second.poll_id]
    assert [c.poll_id for c in close_due_polls(store, due)] == [first.poll_id]


def test_two_sweeps_at_once_close_each_poll_once(voted, database_url):
    _, opened = voted
    published = []
    lock = threading.Lock()

    def slow_publish(closed):
        time.sleep(0.3)  # hold the poll while the other sweep looks at it
        with lock:
            published.append(closed.poll_id)

    stores = [open_store(database_url) for _ in range(2)]  # two processes' worth of connections
    results = []
    barrier = threading.Barrier(2)

    def sweep(own_store):
        barrier.wait()
        results.append(close_due_polls(own_store, opened.terms.deadline, publish=slow_publish))

    try:
        threads = [threading.Thread(target=sweep, args=(own,)) for own in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for own in stores:
            own.close()
    assert published == [opened.poll_id]
    assert sorted(len(result) for result in results) == [0, 1]


def test_the_result_is_the_same_text_whoever_closes(voted, store):
    _, opened = voted
    seen = []

    def refuse_once(closed):
        seen.append(closed.result_json)
        if len(seen) == 1:
            raise RuntimeError("try again")

    close_due_polls(store, opened.terms.deadline, publish=refuse_once)
    close_due_polls(store, opened.terms.deadline, publish=refuse_once)
    assert len(seen) == 2 and seen[0] == seen[1]
