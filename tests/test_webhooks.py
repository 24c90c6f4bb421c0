"""The webhook receiver: real GitHub payloads are accepted, bad input gets the right 4xx, nothing twice."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.github.payloads import parse_payload
from app.service.worker import LEASE, MAX_ATTEMPTS, Worker
from app.web.server import create_app
from app.web.webhooks import HANDLED_EVENTS

SECRET = "webhook-secret-for-tests"
EXAMPLES = Path(__file__).resolve().parent / "node/node_modules/@octokit/webhooks-examples/api.github.com/index.json"


def real_examples() -> list[tuple[str, dict]]:
    return [(group["name"], example) for group in json.loads(EXAMPLES.read_text()) for example in group["examples"]]


def sign(body: bytes, secret: str = SECRET, algo=hashlib.sha256) -> str:
    prefix = "sha256" if algo is hashlib.sha256 else "sha1"
    return f"{prefix}=" + hmac.new(secret.encode(), body, algo).hexdigest()


def headers(body: bytes, event: str = "issues", delivery: str = "d-1", **extra) -> dict:
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sign(body),
            "Content-Type": "application/json", **extra}


class Handled:
    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    async def __call__(self, delivery):
        parse_payload(delivery.event, json.loads(delivery.payload))
        self.calls.append((delivery.delivery_id, delivery.event))


@pytest.fixture
def service(store):
    handled = Handled()
    app = create_app(secret=SECRET, store=store, handle=handled)
    with TestClient(app) as client:
        yield client, handled, store


def post(client, body: bytes, hdrs: dict):
    response = client.post("/webhooks/github", content=body, headers=hdrs)
    return response


def test_every_real_example_of_the_handled_events_is_accepted_and_processed(service):
    client, handled, store = service
    sent = 0
    for number, (event, example) in enumerate(real_examples()):
        body = json.dumps(example).encode()
        response = post(client, body, headers(body, event, f"real-{number}"))
        assert response.status_code == 202, (event, example.get("action"), response.text)
        sent += event in HANDLED_EVENTS
    client.portal.call(client.app.state.worker.wait_idle)
    assert len(handled.calls) == sent > 40
    assert all(store.get_status(delivery) == "done" for delivery, _ in handled.calls)


@pytest.mark.parametrize("signature", [
    None, "", "sha256=", "sha256=" + "0" * 64, "sha256=zz", "SHA256=" + "a" * 64, "md5=" + "a" * 32,
])
def test_missing_or_bad_signatures_are_401_and_nothing_is_stored(service, signature):
    client, handled, store = service
    body = b'{"action": "opened"}'
    hdrs = headers(body)
    if signature is None:
        del hdrs["X-Hub-Signature-256"]
    else:
        hdrs["X-Hub-Signature-256"] = signature
    assert post(client, body, hdrs).status_code == 401
    assert store.get_status("d-1") is None


def test_a_sha1_only_signature_is_refused_even_when_it_is_valid(service):
    client, handled, store = service
    body = b'{"action": "opened"}'
    hdrs = headers(body)
    del hdrs["X-Hub-Signature-256"]
    hdrs["X-Hub-Signature"] = sign(body, algo=hashlib.sha1)
    assert post(client, body, hdrs).status_code == 401
    hdrs["X-Hub-Signature-256"] = sign(body, algo=hashlib.sha1)
    assert post(client, body, hdrs).status_code == 401


def test_a_signature_with_another_secret_is_refused(service):
    client, _, _ = service
    body = b'{"action": "opened"}'
    assert post(client, body, headers(body, **{"X-Hub-Signature-256": sign(body, "other")})).status_code == 401


@pytest.mark.parametrize("missing", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_missing_event_or_delivery_header_is_400(service, missing):
    client, _, store = service
    body = b'{"action": "opened"}'
    hdrs = headers(body)
    del hdrs[missing]
    assert post(client, body, hdrs).status_code == 400
    assert store.pending_count() == 0


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"', b""])
def test_a_body_that_is_not_a_json_object_is_400(service, body):
    client, _, _ = service
    assert post(client, body, headers(body)).status_code == 400


def test_an_unknown_event_is_acknowledged_ignored_and_logged_by_name_only(service, caplog):
    client, handled, store = service
    body = json.dumps({"action": "created", "secret_text": "report text here"}).encode()
    with caplog.at_level(logging.INFO):
        response = post(client, body, headers(body, "star", "d-star"))
    assert response.status_code == 202 and response.json()["message"] == "ignored"
    assert store.get_status("d-star") is None and handled.calls == []
    assert "star" in caplog.text and "report text" not in caplog.text


def test_a_redelivery_is_processed_once(service):
    client, handled, store = service
    body = json.dumps({"action": "opened", "issue": {"number": 1}}).encode()
    first = post(client, body, headers(body, "issues", "same-id"))
    client.portal.call(client.app.state.worker.wait_idle)
    again = post(client, body, headers(body, "issues", "same-id"))
    client.portal.call(client.app.state.worker.wait_idle)
    assert first.json()["message"] == "accepted" and again.json()["message"] == "already received"
    assert handled.calls == [("same-id", "issues")]


def test_a_failed_delivery_is_retried_by_itself_after_a_backoff(store):
    attempts = []
    clock = {"now": datetime.now(UTC)}

    async def flaky(delivery):
        attempts.append(delivery.delivery_id)
        if len(attempts) == 1:
            raise ConnectionError("GitHub was unavailable")

    app = create_app(secret=SECRET, store=store, handle=flaky, now=lambda: clock["now"])
    with TestClient(app) as client:
        body = b'{"action": "opened", "issue": {"number": 2}}'
        post(client, body, headers(body, "issues", "flaky"))
        client.portal.call(client.app.state.worker.wait_idle)
        assert store.get_status("flaky") == "pending" and attempts == ["flaky"]
        client.portal.call(client.app.state.worker.drain)
        assert attempts == ["flaky"]  # not before its backoff
        clock["now"] += timedelta(minutes=2)
        client.portal.call(client.app.state.worker.drain)
    assert attempts == ["flaky", "flaky"] and store.get_status("flaky") == "done"


def test_a_delivery_that_never_succeeds_ends_as_failed_and_a_redelivery_queues_it_again(store):
    attempts = []
    clock = {"now": datetime.now(UTC)}

    async def broken(delivery):
        attempts.append(delivery.delivery_id)
        if len(attempts) <= MAX_ATTEMPTS:
            raise ValueError("always")

    app = create_app(secret=SECRET, store=store, handle=broken, now=lambda: clock["now"])
    with TestClient(app) as client:
        body = b'{"action": "opened", "issue": {"number": 4}}'
        post(client, body, headers(body, "issues", "broken"))
        for _ in range(MAX_ATTEMPTS + 3):
            client.portal.call(client.app.state.worker.wait_idle)
            clock["now"] += timedelta(hours=1)
            client.portal.call(client.app.state.worker.drain)
        assert len(attempts) == MAX_ATTEMPTS and store.get_status("broken") == "failed"
        assert post(client, body, headers(body, "issues", "broken")).json()["message"] == "accepted"
        client.portal.call(client.app.state.worker.wait_idle)
    assert len(attempts) == MAX_ATTEMPTS + 1 and store.get_status("broken") == "done"


def test_a_lease_left_by_a_dead_worker_is_taken_up_without_a_new_webhook(store):
    import asyncio

    t0 = datetime.now(UTC)
    store.record_delivery("orphan", "issues", b'{"action": "opened", "issue": {"number": 5}}', t0)
    assert store.claim_delivery("dead-worker", t0, LEASE) is not None  # its process is killed here
    handled = Handled()
    clock = {"now": t0}

    async def story():
        worker = Worker(store, handled, lambda: clock["now"])
        watch = asyncio.get_running_loop().create_task(worker.watch(every=0.01))
        await asyncio.sleep(0.05)
        assert handled.calls == []  # the lease still holds
        clock["now"] = t0 + LEASE + timedelta(seconds=1)
        for _ in range(200):
            if handled.calls:
                break
            await asyncio.sleep(0.01)
        watch.cancel()
        await worker.wait_idle()

    asyncio.run(story())
    assert handled.calls == [("orphan", "issues")] and store.get_status("orphan") == "done"


def test_a_live_worker_keeps_its_lease_for_as_long_as_it_handles_the_delivery(store):
    """A long sweep is not taken up by a second process: the handling worker renews its lease (every third
    of it), so only a dead process's lease runs out. The clock here moves slower than the renewals."""
    import asyncio

    t0 = datetime.now(UTC)
    lease = timedelta(seconds=0.9)
    store.record_delivery("long", "issues", b'{"action": "opened", "issue": {"number": 5}}', t0)
    clock = {"now": t0}
    calls, taken = [], []

    async def story():
        release = asyncio.Event()

        async def handle(delivery):
            calls.append(delivery.delivery_id)
            await release.wait()

        worker = Worker(store, handle, lambda: clock["now"], lease=lease, wake_every=0.1)
        worker.kick()
        await asyncio.sleep(0.1)
        for _ in range(6):  # 1.2 s of the desk's clock, past the first lease
            clock["now"] += timedelta(seconds=0.2)
            await asyncio.sleep(0.6)
            taken.append(store.claim_delivery("another-process", clock["now"], lease))
        release.set()
        await worker.wait_idle()

    asyncio.run(story())
    assert calls == ["long"] and taken == [None] * 6
    assert store.get_status("long") == "done"


def test_deliveries_stored_before_a_crash_are_processed_at_startup(store):
    from datetime import UTC, datetime

    store.record_delivery("left-over", "issues", b'{"action": "opened", "issue": {"number": 3}}', datetime.now(UTC))
    handled = Handled()
    with TestClient(create_app(secret=SECRET, store=store, handle=handled)) as client:
        client.portal.call(client.app.state.worker.wait_idle)
    assert handled.calls == [("left-over", "issues")]


def test_health(service):
    client, _, _ = service
    assert client.get("/healthz").json() == {"status": "ok", "pending_deliveries": 0}


def deferred_once(store, delivery_id: str, error, waits: tuple[timedelta, ...], lease: timedelta = LEASE):
    """A delivery whose first handling raises `error(now)`; then the clock moves on by each of `waits` and
    the worker drains again. Returns its status after the error, what each later drain handled, and the
    times it was handled at."""
    import asyncio

    now = [datetime(2026, 6, 1, 12, 0, tzinfo=UTC)]
    calls = []

    async def handle(delivery):
        calls.append(now[0])
        if len(calls) == 1:
            raise error(now[0])

    async def story():
        worker = Worker(store, handle, now=lambda: now[0], lease=lease, wake_every=lease.total_seconds() / 6)
        store.record_delivery(delivery_id, "issues", b'{"action": "opened"}', now[0])
        await worker.drain()
        after_error = store.get_status(delivery_id)
        handled = []
        for wait in waits:
            now[0] += wait
            handled.append(await worker.drain())
        await asyncio.sleep(0)
        return after_error, handled

    after_error, handled = asyncio.run(story())
    return after_error, handled, calls


def test_a_rate_limited_delivery_waits_for_the_reset_then_runs_without_a_redelivery(store):
    from app.github.errors import RateLimited

    status_after_limit, (early, late), calls = deferred_once(
        store, "limited", lambda at: RateLimited("issues/create-comment", retry_at=at + timedelta(minutes=7)),
        (timedelta(minutes=6), timedelta(minutes=2)))
    assert status_after_limit == "pending"
    assert early == 0 and late == 1 and len(calls) == 2
    assert store.get_status("limited") == "done"


def test_an_effect_held_by_another_worker_defers_its_delivery_by_one_lease(store):
    from app.service.once import Busy

    _status, (early, late), calls = deferred_once(store, "held", lambda at: Busy(),
                                                  (timedelta(seconds=2), timedelta(seconds=2)),
                                                  lease=timedelta(seconds=3))
    assert early == 0 and late == 1 and len(calls) == 2
    assert store.get_status("held") == "done"
