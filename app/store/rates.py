"""Sliding-window budgets shared by every process: GitHub's write limits per installation, help per account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Column, Table, Text, delete, func, select

from .base import StoreBase
from .schema import UtcDateTime, metadata

# The DDL lives in migration 8.
rate_buckets = Table(
    "rate_buckets", metadata,
    Column("bucket", Text, primary_key=True),
    Column("touched_at", UtcDateTime),
)
rate_spends = Table(
    "rate_spends", metadata,
    Column("bucket", Text, nullable=False),
    Column("spent_at", UtcDateTime, nullable=False),
)

Limits = Sequence[tuple[timedelta, int]]  # (window, most spends within it)


class RateStore(StoreBase):
    def spend(self, bucket: str, limits: Limits, now: datetime) -> datetime | None:
        """Spend one unit of `bucket` if every window has room: None when spent, else when one frees up.

        The bucket's row is written first, so concurrent spenders of one bucket (in any process) take turns:
        SQLite's write lock, PostgreSQL's row lock. Spends older than the longest window are dropped."""
        longest = max(window for window, _ in limits)
        with self._write() as conn:
            conn.execute(self._insert(rate_buckets).values(bucket=bucket, touched_at=now).on_conflict_do_update(
                index_elements=[rate_buckets.c.bucket], set_={"touched_at": now}))
            conn.execute(delete(rate_spends).where(rate_spends.c.bucket == bucket,
                                                   rate_spends.c.spent_at <= now - longest))
            free_at: datetime | None = None
            for window, most in limits:
                since = now - window
                used = conn.execute(select(func.count()).select_from(rate_spends).where(
                    rate_spends.c.bucket == bucket, rate_spends.c.spent_at > since)).scalar_one()
                if used >= most:
                    # The spend that leaves the window first decides when there is room again.
                    oldest = conn.execute(select(rate_spends.c.spent_at).where(
                        rate_spends.c.bucket == bucket, rate_spends.c.spent_at > since)
                        .order_by(rate_spends.c.spent_at).offset(used - most).limit(1)).scalar_one()
                    at = oldest + window
                    free_at = at if free_at is None else max(free_at, at)
            if free_at is not None:
                return free_at
            conn.execute(rate_spends.insert().values(bucket=bucket, spent_at=now))
            return None

    def spent(self, bucket: str, since: datetime) -> int:
        """How many units of `bucket` were spent after `since` (for reports and tests)."""
        with self._read() as conn:
            return conn.execute(select(func.count()).select_from(rate_spends).where(
                rate_spends.c.bucket == bucket, rate_spends.c.spent_at > since)).scalar_one()
