"""Drains stored deliveries one at a time per process; a failed or interrupted one is retried by itself."""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from app.github.errors import RateLimited, Unavailable
from app.service.once import Busy
from app.store.deliveries import Delivery

log = logging.getLogger("conduct.worker")
LEASE = timedelta(minutes=5)
BACKOFF = timedelta(seconds=30)
MIN_DEFER = timedelta(seconds=1)
MAX_BACKOFF = timedelta(minutes=30)
# A delivery that keeps failing for another reason than GitHub's is retried this many times (about a
# day of backoff) before it is left as failed, for the operator or a redelivery.
MAX_ATTEMPTS = 12
# How often an idle worker looks for work nobody woke it for: a lease left by a dead process, a
# deferred delivery whose time has come. Far shorter than LEASE, so work resumes within the lease.
# Both are defaults: a service takes its own from CONDUCT_LEASE_SECONDS and CONDUCT_WAKE_SECONDS.
WAKE_EVERY = 30.0


class Worker:
    """Claims deliveries from the store and hands each to `handle`; records done or failed by class name."""

    def __init__(self, store, handle: Callable[[Delivery], Awaitable[None]],
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), *, lease: timedelta = LEASE,
                 wake_every: float = WAKE_EVERY):
        if lease <= timedelta(0) or not 0 < wake_every < lease.total_seconds():
            # A wake as long as the lease would let a dead process's delivery wait a second lease.
            raise ValueError("the lease must be positive and the idle wake shorter than it")
        self.store, self.handle, self.now = store, handle, now
        self.lease, self.wake_every = lease, wake_every
        self.worker_id = f"worker-{uuid.uuid4().hex[:12]}"
        self._task: asyncio.Task | None = None
        self._again = False

    def kick(self) -> None:
        """Wake the worker; cheap to call for every delivery."""
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.drain())

    async def drain(self) -> int:
        """Process every claimable delivery; return how many were handled."""
        handled = 0
        while True:
            self._again = False
            delivery = await asyncio.to_thread(self.store.claim_delivery, self.worker_id, self.now(), self.lease)
            if delivery is None:
                if not self._again:
                    return handled
                continue
            handled += 1
            await self.process(delivery)

    async def process(self, delivery: Delivery) -> None:
        keep = asyncio.get_running_loop().create_task(self._keep_lease(delivery.delivery_id))
        try:
            await self._process(delivery)
        finally:
            keep.cancel()

    async def _keep_lease(self, delivery_id: str) -> None:
        """Renew the lease every third of it while the delivery is handled: only a dead process's lease runs
        out, so a long sweep is not taken up by a second process beside the live one."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            until = self.now() + self.lease
            if not await asyncio.to_thread(self.store.renew_delivery, delivery_id, self.worker_id, until):
                return  # settled meanwhile, or (after a long pause) taken over: nothing left to keep

    async def _process(self, delivery: Delivery) -> None:
        try:
            await self.handle(delivery)
        except (RateLimited, Unavailable) as error:
            # GitHub asked us to wait, or is briefly down: back in the queue until then, and woken then.
            # Effects already carried out are keyed, so the retry does only what is left.
            if isinstance(error, RateLimited):
                until = error.retry_at
            elif isinstance(error, Busy):
                # Another worker holds an effect: done within its lease if it lives, stale soon after if
                # it died. Look again after one lease, not after a backoff meant for GitHub's outages.
                until = self.now() + min(self.lease, BACKOFF * 2 ** min(delivery.attempts, 8))
            else:
                until = self.now() + min(MAX_BACKOFF, BACKOFF * 2 ** min(delivery.attempts, 8))
            # Never into the past: a "retry at" read on another clock must not spin the worker on one delivery.
            until = max(until, self.now() + MIN_DEFER)
            await asyncio.to_thread(self.store.defer_delivery, delivery.delivery_id, self.worker_id, until,
                                    type(error).__name__)
            log.info("deferred delivery=%s event=%s until=%s", delivery.delivery_id, delivery.event,
                     until.isoformat(timespec="seconds"))
            delay = max(0.0, (until - self.now()).total_seconds())
            asyncio.get_running_loop().call_later(delay, self.kick)
            return
        except Exception as error:  # noqa: BLE001 - every failure is recorded; the loop must go on
            # The class name only: messages can quote payload text.
            name = type(error).__name__
            if delivery.attempts < MAX_ATTEMPTS:
                # Retried by itself after a backoff, without waiting for GitHub to redeliver: effects
                # already carried out are keyed, so the retry does only what is left.
                until = self.now() + min(MAX_BACKOFF, BACKOFF * 2 ** min(delivery.attempts, 8))
                await asyncio.to_thread(self.store.defer_delivery, delivery.delivery_id, self.worker_id, until,
                                        name)
                log.warning("retrying delivery=%s event=%s error=%s attempt=%s", delivery.delivery_id,
                            delivery.event, name, delivery.attempts)
                return
            log.warning("failed delivery=%s event=%s error=%s", delivery.delivery_id, delivery.event, name)
            await asyncio.to_thread(self.store.fail_delivery, delivery.delivery_id, self.worker_id, name)
            return
        await asyncio.to_thread(self.store.finish_delivery, delivery.delivery_id, self.worker_id)
        log.info("done delivery=%s event=%s", delivery.delivery_id, delivery.event)

    async def watch(self, every: float | None = None) -> None:
        """Run for the service's lifetime: wake the worker now and then, so a lease left by a process
        that died, or a delivery deferred until later, is taken up by any healthy process."""
        while True:
            self.kick()
            await asyncio.sleep(self.wake_every if every is None else every)

    async def wait_idle(self) -> None:
        """For tests and the demo: wait until the current drain has finished."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
