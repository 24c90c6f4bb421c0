"""Webhook deliveries: stored durably before acknowledging, then claimed by exactly one worker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from .base import StoreBase
from .schema import deliveries

# Statuses: pending -> processing (claimed, with a lease) -> done | failed.
# failed -> pending again only when GitHub redelivers it. An expired lease makes a processing delivery
# claimable again (its worker is presumed dead); effects guard against the work being repeated.
# Dropped payloads: SQLite overwrites them at once (secure_delete); PostgreSQL keeps the dead row
# version until (auto)vacuum and the change in its WAL until recycled.
_ERROR_CLASS = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,199}")


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    event: str
    payload: bytes
    received_at: datetime
    attempts: int  # including this claim


class DeliveryStore(StoreBase):
    def record_delivery(self, delivery_id: str, event: str, payload: bytes, received_at: datetime) -> bool:
        """Store a delivery before it is acknowledged; True if it is now queued for processing.

        A redelivery of a failed delivery queues it again (True, with the new payload); a redelivery of
        one that is queued, in progress or done changes nothing (False).
        """
        return self.record_deliveries([(delivery_id, event, payload, received_at)])[0]

    def record_deliveries(self, batch: list[tuple[str, str, bytes, datetime]]) -> list[bool]:
        """Store several deliveries in one transaction (one flush to disk for all); as record_delivery each."""
        queued: list[bool] = []
        with self._write() as conn:
            for delivery_id, event, payload, received_at in batch:
                ins = self._insert(deliveries).values(
                    delivery_id=delivery_id, event=event, payload=payload, status="pending",
                    received_at=received_at, attempts=0,
                )
                # One statement, so two receivers recording the same redelivery cannot both queue it.
                stmt = ins.on_conflict_do_update(
                    index_elements=[deliveries.c.delivery_id],
                    set_={"status": "pending", "payload": ins.excluded.payload, "worker_id": None,
                          "lease_until": None, "error_class": None},
                    where=deliveries.c.status == "failed",
                ).returning(deliveries.c.delivery_id)
                queued.append(conn.execute(stmt).first() is not None)
        return queued

    def claim_delivery(self, worker_id: str, now: datetime, lease: timedelta) -> Delivery | None:
        """Claim the oldest pending (or lease-expired) delivery for this worker, or None if none."""
        # SKIP LOCKED: concurrent PostgreSQL workers pass over a row another is claiming instead of
        # queueing behind it; SQLite ignores it and serialises claims with BEGIN IMMEDIATE instead.
        oldest = (
            select(deliveries.c.delivery_id)
            .where(_claimable(now))
            .order_by(deliveries.c.received_at, deliveries.c.delivery_id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        return self._claim_where(deliveries.c.delivery_id == oldest, worker_id, now, lease)

    def claim(self, delivery_id: str, worker_id: str, now: datetime, lease: timedelta) -> Delivery | None:
        """Claim one specific delivery if it is pending or its lease expired; None otherwise."""
        return self._claim_where(deliveries.c.delivery_id == delivery_id, worker_id, now, lease)

    def _claim_where(self, which, worker_id: str, now: datetime, lease: timedelta) -> Delivery | None:
        stmt = (
            update(deliveries)
            # Re-checked on the row itself, so a row claimed meanwhile by another worker is not taken.
            .where(which, _claimable(now))
            .values(status="processing", worker_id=worker_id, lease_until=now + lease,
                    attempts=deliveries.c.attempts + 1)
            .returning(deliveries.c.delivery_id, deliveries.c.event, deliveries.c.payload,
                       deliveries.c.received_at, deliveries.c.attempts)
        )
        with self._write() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else Delivery(*row)

    def renew_delivery(self, delivery_id: str, worker_id: str, until: datetime) -> bool:
        """Extend this worker's lease on a delivery it is still handling; False if it no longer holds it."""
        return self._update_held(delivery_id, worker_id, lease_until=until)

    def finish_delivery(self, delivery_id: str, worker_id: str) -> bool:
        """Mark done and drop the payload (it may quote report text); False if this worker lost the lease."""
        return self._settle(delivery_id, worker_id, status="done", payload=None, error_class=None)

    def fail_delivery(self, delivery_id: str, worker_id: str, error_class: str) -> bool:
        """Mark failed with the exception's class name only (messages may quote report text).

        The payload is kept so the delivery can be retried (a redelivery replaces it).
        """
        if not _ERROR_CLASS.fullmatch(error_class):
            raise ValueError("error_class must be an exception class name, not a message")
        return self._settle(delivery_id, worker_id, status="failed", error_class=error_class)

    def defer_delivery(self, delivery_id: str, worker_id: str, until: datetime, error_class: str) -> bool:
        """Put a delivery back in the queue, claimable from `until` (GitHub asked us to wait): the webhook
        was acknowledged long ago, so waiting here blocks nobody."""
        if not _ERROR_CLASS.fullmatch(error_class):
            raise ValueError("error_class must be an exception class name, not a message")
        return self._settle(delivery_id, worker_id, status="pending", not_before=until, error_class=error_class)

    def _settle(self, delivery_id: str, worker_id: str, **values) -> bool:
        return self._update_held(delivery_id, worker_id, worker_id=None, lease_until=None, **values)

    def _update_held(self, delivery_id: str, holder: str, **values) -> bool:
        """Update a delivery only while the worker `holder` holds it; False if it lost the lease."""
        stmt = (
            update(deliveries)
            .where(deliveries.c.delivery_id == delivery_id, deliveries.c.worker_id == holder,
                   deliveries.c.status == "processing")
            .values(**values)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def pending_count(self) -> int:
        """Deliveries not yet done or failed: queued, or claimed and in progress."""
        stmt = select(func.count()).select_from(deliveries).where(
            deliveries.c.status.in_(("pending", "processing"))
        )
        with self._read() as conn:
            return conn.execute(stmt).scalar_one()

    def delivery_counts(self, now: datetime) -> dict[str, int]:
        """For `conduct status`: waiting (queued now), deferred (until a rate limit resets), in progress,
        failed (GitHub's redelivery or the retry requeues them)."""
        pending = deliveries.c.status == "pending"
        deferred = and_(pending, deliveries.c.not_before.is_not(None), deliveries.c.not_before > now)
        stmt = select(
            func.count().filter(and_(pending, or_(deliveries.c.not_before.is_(None), deliveries.c.not_before <= now))),
            func.count().filter(deferred),
            func.count().filter(deliveries.c.status == "processing"),
            func.count().filter(deliveries.c.status == "failed"),
        ).select_from(deliveries)
        with self._read() as conn:
            waiting, later, busy, failed = conn.execute(stmt).one()
        return {"waiting": waiting, "deferred": later, "in progress": busy, "failed": failed}

    def get_status(self, delivery_id: str) -> str | None:
        """'pending', 'processing', 'done', 'failed', or None if never recorded."""
        stmt = select(deliveries.c.status).where(deliveries.c.delivery_id == delivery_id)
        with self._read() as conn:
            return conn.execute(stmt).scalar_one_or_none()


def _claimable(now: datetime):
    return or_(
        and_(deliveries.c.status == "pending",
             or_(deliveries.c.not_before.is_(None), deliveries.c.not_before <= now)),
        and_(deliveries.c.status == "processing", deliveries.c.lease_until < now),
    )
