"""Role members as GitHub last listed them, shared by every process, dropped when GitHub says they changed."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Column, Table, Text, delete, select

from .base import StoreBase
from .schema import UtcDateTime, metadata

# The DDL lives in migration 8.
role_members = Table(
    "role_members", metadata,
    Column("role", Text, primary_key=True),
    Column("members", Text, nullable=False),
    Column("fetched_at", UtcDateTime, nullable=False),
)


class RoleCacheStore(StoreBase):
    def cached_members(self, key: str, fetched_after: datetime) -> frozenset[str] | None:
        """The members listed for `key` (a team) since `fetched_after`, or None when there is no such list."""
        with self._read() as conn:
            row = conn.execute(select(role_members.c.members).where(
                role_members.c.role == key, role_members.c.fetched_at >= fetched_after)).first()
        return frozenset(json.loads(row[0])) if row else None

    def cache_members(self, key: str, members: frozenset[str], now: datetime) -> None:
        values = {"members": json.dumps(sorted(members)), "fetched_at": now}
        with self._write() as conn:
            conn.execute(self._insert(role_members).values(role=key, **values)
                         .on_conflict_do_update(index_elements=[role_members.c.role], set_=values))

    def drop_cached_members(self) -> int:
        """Forget every cached list (a `membership` or `team` webhook came): the next lookup asks GitHub."""
        with self._write() as conn:
            return conn.execute(delete(role_members)).rowcount
