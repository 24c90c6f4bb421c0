"""Webhook deliveries: signed, in order, from one background task, with a log and redelivery."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx

USER_AGENT = "GitHub-Hookshot/sandbox"


@dataclass
class Delivery:
    id: str  # the X-GitHub-Delivery guid; a redelivery repeats it
    event: str
    action: str | None
    body: bytes
    status: int | None = None  # the receiver's HTTP status; None until sent or when sending failed
    error: str | None = None
    redelivery: bool = False
    done: bool = False

    def summary(self) -> dict:
        return {
            "id": self.id,
            "event": self.event,
            "action": self.action,
            "status": self.status,
            "error": self.error,
            "redelivery": self.redelivery,
            "done": self.done,
        }


def signatures(secret: str, body: bytes) -> dict[str, str]:
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
    }


class WebhookDispatcher:
    """Queues deliveries and sends them one at a time; a failure is recorded, never retried by itself."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.secret: str | None = None
        self.transport: httpx.AsyncBaseTransport | None = None
        self.timeout = 10.0
        self.log: list[Delivery] = []
        self._queue: asyncio.Queue[Delivery] | None = None
        self._worker: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Faults on the way out, as GitHub's own delivery has them: a delivery can be held back (and
        # later sent late, in any order) or dropped (logged with an error, as a failed delivery is).
        self.hold_if: Callable[[Delivery], bool] | None = None
        self.drop_if: Callable[[Delivery], bool] | None = None
        self.held: list[Delivery] = []

    def configure(
        self,
        url: str | None,
        secret: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url, self.secret, self.transport, self.timeout = url, secret, transport, timeout

    def emit(self, event: str, payload: dict) -> Delivery:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        delivery = Delivery(str(uuid.uuid4()), event, payload.get("action"), body)
        self._enqueue(delivery)
        return delivery

    def redeliver(self, delivery_id: str) -> Delivery | None:
        original = next((d for d in self.log if d.id == delivery_id), None)
        if original is None:
            return None
        again = Delivery(original.id, original.event, original.action, original.body, redelivery=True)
        self._enqueue(again)
        return again

    @property
    def busy(self) -> bool:
        """Deliveries queued or being sent right now."""
        return self._queue is not None and self._queue._unfinished_tasks > 0  # noqa: SLF001

    async def drain(self) -> None:
        """Wait until every delivery queued so far has been attempted."""
        if self._queue is not None and self._loop is asyncio.get_running_loop():
            await self._queue.join()

    def release(self, reverse: bool = False) -> list[Delivery]:
        """Send the held deliveries now, late: in the order they were made, or the reverse."""
        held, self.held = self.held, []
        for delivery in reversed(held) if reverse else held:
            self._queue_up(delivery)
        return held

    def _enqueue(self, delivery: Delivery) -> None:
        self.log.append(delivery)
        if self.drop_if is not None and self.drop_if(delivery):
            delivery.error, delivery.done = "dropped", True
            return
        if self.hold_if is not None and self.hold_if(delivery):
            self.held.append(delivery)
            return
        self._queue_up(delivery)

    def _queue_up(self, delivery: Delivery) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._worker is None or self._worker.done():
            # A queue belongs to one loop; tests may run each case on a fresh loop.
            self._loop = loop
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._run(self._queue))
        assert self._queue is not None
        self._queue.put_nowait(delivery)

    async def _run(self, queue: asyncio.Queue[Delivery]) -> None:
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as client:
            while True:
                delivery = await queue.get()
                try:
                    await self._send(client, delivery)
                finally:
                    delivery.done = True
                    queue.task_done()

    async def _send(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        if not self.url:
            delivery.error = "no webhook url configured"
            return
        headers = {
            "X-GitHub-Event": delivery.event,
            "X-GitHub-Delivery": delivery.id,
            "X-GitHub-Hook-ID": "1",
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
        }
        if self.secret:
            headers.update(signatures(self.secret, delivery.body))
        try:
            response = await client.post(self.url, content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            delivery.error = type(exc).__name__
            return
        delivery.status = response.status_code
        if response.status_code >= 400:
            delivery.error = f"HTTP {response.status_code}"
