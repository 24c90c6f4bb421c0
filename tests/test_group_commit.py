"""Webhook deliveries arriving together are stored in few transactions, each answered only once stored."""
from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

from app.web.group_commit import GroupCommit

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def test_a_burst_is_stored_in_few_transactions_and_each_hears_its_own_answer():
    stored: list[list[str]] = []
    loop_thread = threading.get_ident()

    def record_many(batch):
        assert threading.get_ident() != loop_thread  # never on the event loop
        time.sleep(0.02)  # a flush to disk
        stored.append([delivery_id for delivery_id, *_ in batch])
        return [not delivery_id.endswith("-again") for delivery_id, *_ in batch]

    async def burst():
        group = GroupCommit(record_many)
        ids = [f"d{n}" for n in range(40)] + ["d1-again"]
        return ids, await asyncio.gather(*(group(i, "issues", b"{}", NOW) for i in ids))

    ids, answers = asyncio.run(burst())
    assert answers == [True] * 40 + [False]
    assert sorted(i for batch in stored for i in batch) == sorted(ids)  # every one stored, once
    assert len(stored) <= 3  # the first alone, then the rest together


def test_a_failed_commit_fails_every_delivery_in_it():
    def record_many(batch):
        raise OSError("disk full")

    async def burst():
        group = GroupCommit(record_many)
        return await asyncio.gather(*(group(f"d{n}", "issues", b"{}", NOW) for n in range(5)),
                                    return_exceptions=True)

    answers = asyncio.run(burst())
    assert all(isinstance(a, OSError) for a in answers)


def test_a_delivery_the_store_could_not_keep_is_never_acknowledged(store):
    from starlette.testclient import TestClient
    from test_webhooks import SECRET, headers

    from app.web.server import create_app

    class Full:
        """The real store, except that its disk is full."""

        def __getattr__(self, name):
            return getattr(store, name)

        def record_deliveries(self, batch):
            raise OSError("disk full")

    async def handle(delivery):
        return None

    body = b'{"action": "opened", "issue": {"number": 1}, "repository": {"full_name": "o/r"}}'
    with TestClient(create_app(secret=SECRET, store=Full(), handle=handle), raise_server_exceptions=False) as client:
        answer = client.post("/webhooks/github", content=body, headers=headers(body, delivery="d-full"))
    assert answer.status_code == 500  # GitHub sees a failure and redelivers; nothing was claimed as kept
    assert store.pending_count() == 0
