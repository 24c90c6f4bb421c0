"""Per-poll blind-signing keys, and closing a poll atomically: tally, destroy its key, mark it closed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Column, LargeBinary, Table, Text, delete, select, text, update

from .base import StoreBase
from .polls import Poll
from .schema import ballots, issued, metadata, polls

poll_keys = Table(
    "poll_keys", metadata,
    Column("poll_id", Text, primary_key=True),
    Column("private_key", LargeBinary, nullable=False),
)

T = TypeVar("T")
# What `close_poll` hands its `finish` callback: the poll, its ballots as (token_hash, choice, extra)
# sorted by token hash, and the logins a ballot was signed for (rows of `issued`), sorted.
Finish = Callable[[Poll, list[tuple[bytes, str, dict | None]], list[str]], T]


def _closing_lock(poll_id: str) -> int:
    """A signed 64-bit advisory-lock key for closing this poll, the same in every process."""
    digest = hashlib.sha256(b"conduct-close:" + poll_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class KeyStore(StoreBase):
    def keep_poll_key(self, poll_id: str, private_key: bytes) -> bytes:
        """Store the poll's private key unless it has one already; return the key the poll now has.

        Opening a poll again after a crash must announce the same public key, so the first key wins.
        """
        stmt = (
            self._insert(poll_keys)
            .values(poll_id=poll_id, private_key=private_key)
            .on_conflict_do_nothing(index_elements=[poll_keys.c.poll_id])
        )
        with self._write() as conn:
            conn.execute(stmt)
            return bytes(conn.execute(
                select(poll_keys.c.private_key).where(poll_keys.c.poll_id == poll_id)
            ).scalar_one())

    def poll_key(self, poll_id: str) -> bytes | None:
        """The poll's private key (PEM), or None once the poll has closed and the key is destroyed."""
        stmt = select(poll_keys.c.private_key).where(poll_keys.c.poll_id == poll_id)
        with self._read() as conn:
            key = conn.execute(stmt).scalar_one_or_none()
        return None if key is None else bytes(key)

    def due_polls(self, now: datetime) -> list[str]:
        """Open polls whose deadline has passed, oldest deadline first."""
        stmt = (
            select(polls.c.poll_id)
            .where(polls.c.state == "open", polls.c.deadline <= now)
            .order_by(polls.c.deadline, polls.c.poll_id)
        )
        with self._read() as conn:
            return list(conn.execute(stmt).scalars())

    def close_poll(self, poll_id: str, now: datetime, finish: Finish) -> T | None:
        """Close one due poll exactly once; None if it is not open and due, or another process has it.

        In one transaction: lock the poll row, read its ballots and signed count, call `finish` (whose
        value is returned; if it raises, nothing changes), delete the private key and mark the poll
        closed. A process that dies anywhere in between rolls everything back, so the next sweep closes
        the poll from scratch. On PostgreSQL a second sweep finds the poll's advisory lock taken and
        moves on instead of waiting (a row lock with SKIP LOCKED would also skip a poll that a cast
        merely share-locks).
        """
        columns = (polls.c.poll_id, polls.c.case_id, polls.c.frozen, polls.c.deadline, polls.c.state)
        query = select(*columns).where(
            polls.c.poll_id == poll_id, polls.c.state == "open", polls.c.deadline <= now
        )
        if self.dialect == "postgresql":
            # SQLite needs no lock here: BEGIN IMMEDIATE already excludes every other writer.
            query = query.with_for_update()
        with self._write() as conn:
            if self.dialect == "postgresql" and not conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _closing_lock(poll_id)}
            ).scalar_one():
                return None  # another sweep is closing this poll right now
            # FOR UPDATE waits for casts in flight (they hold FOR SHARE), so the ballot box is final
            # once the row is ours; the state is re-read then, so a poll closed meanwhile is skipped.
            row = conn.execute(query).first()
            if row is None:
                return None
            rows = [
                (bytes(h), choice, extra) for h, choice, extra in conn.execute(
                    select(ballots.c.token_hash, ballots.c.choice, ballots.c.extra)
                    .where(ballots.c.poll_id == poll_id).order_by(ballots.c.token_hash)
                )
            ]
            signed = list(conn.execute(
                select(issued.c.login).where(issued.c.poll_id == poll_id).order_by(issued.c.login)
            ).scalars())
            value = finish(Poll(*row), rows, signed)
            conn.execute(delete(poll_keys).where(poll_keys.c.poll_id == poll_id))
            conn.execute(update(polls).where(polls.c.poll_id == poll_id).values(state="closed"))
        return value

    def purge_destroyed_keys(self) -> None:
        """Rewrite the key table so deleted keys leave no dead row version behind (PostgreSQL).

        SQLite overwrites deleted rows at once (secure_delete) and `scrub_poll` truncates its WAL.
        PostgreSQL keeps a deleted row until vacuumed; VACUUM FULL copies the live rows to a new file.
        Neither reaches WAL archives, backups or the disk blocks of the old file.
        """
        if self.dialect != "postgresql":
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM FULL poll_keys")
