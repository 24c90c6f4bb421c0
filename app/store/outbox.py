"""The case outbox: a decision's effects, stored before its state is saved and removed once carried out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Integer, Table, Text, delete, select, update

from .base import StoreBase
from .schema import UtcDateTime, metadata

# The DDL lives in migration 9.
case_outbox = Table(
    "case_outbox", metadata,
    Column("entry", Text, primary_key=True),
    Column("case_key", Text, nullable=False),
    Column("effects", Text, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class Pending:
    entry: str
    event_id: str
    effects: str  # JSON (app/core/effect_codec.py)
    failures: int
    created_at: datetime


class OutboxStore(StoreBase):
    def put_outbox(self, case_key: str, event_id: str, effects: str, now: datetime) -> None:
        """Record the effects an event's decision calls for; a second decision of the same event (its
        state was not saved, so it was decided again) replaces the first, which never took effect."""
        entry = f"{case_key}:{event_id}"
        values = {"case_key": case_key, "effects": effects, "failures": 0, "created_at": now}
        with self._write() as conn:
            conn.execute(self._insert(case_outbox).values(entry=entry, **values).on_conflict_do_update(
                index_elements=[case_outbox.c.entry], set_={"effects": effects}))

    def pending_outbox(self, case_key: str) -> list[Pending]:
        """The case's entries not yet carried out, oldest first."""
        stmt = (select(case_outbox).where(case_outbox.c.case_key == case_key)
                .order_by(case_outbox.c.created_at, case_outbox.c.entry))
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return [Pending(r.entry, r.entry[len(case_key) + 1:], r.effects, r.failures, r.created_at) for r in rows]

    def outbox_case_keys(self) -> set[str]:
        """The cases with entries not yet carried out (the sweep visits each, whatever its stage)."""
        with self._read() as conn:
            return set(conn.execute(select(case_outbox.c.case_key).distinct()).scalars())

    def outbox_failed(self, entry: str) -> int:
        """Count one more failure of the entry; return the count."""
        with self._write() as conn:
            conn.execute(update(case_outbox).where(case_outbox.c.entry == entry)
                         .values(failures=case_outbox.c.failures + 1))
            return conn.execute(select(case_outbox.c.failures).where(case_outbox.c.entry == entry)).scalar() or 0

    def outbox_reset_failures(self, entry: str) -> None:
        """Start the entry's count of failures again (its failing step was given up; the next has its own)."""
        with self._write() as conn:
            conn.execute(update(case_outbox).where(case_outbox.c.entry == entry).values(failures=0))

    def outbox_done(self, entry: str) -> None:
        with self._write() as conn:
            conn.execute(delete(case_outbox).where(case_outbox.c.entry == entry))
