"""E-mail addresses for notices (kept here only, never on GitHub) and the outbox of notices, one per key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, Column, Integer, Table, Text, func, select, update

from .base import StoreBase
from .schema import UtcDateTime, metadata

# The DDL lives in migration 7; these are the descriptions queries use.
addresses = Table(
    "addresses", metadata,
    Column("login", Text, primary_key=True),
    Column("email", Text),
    Column("source", Text),
    Column("notices_off", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

notices = Table(
    "notices", metadata,
    Column("notice_key", Text, primary_key=True),
    Column("login", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error_class", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
)

NOTICE_STATES = ("waiting", "sent", "failed", "no-address", "no-mailer", "off")


@dataclass(frozen=True)
class Address:
    login: str
    email: str | None
    source: str | None
    notices_off: bool


@dataclass(frozen=True)
class Notice:
    key: str
    login: str
    kind: str
    subject: str
    body: str
    status: str
    attempts: int
    error_class: str | None
    created_at: datetime


def _logins(login: str) -> str:
    # GitHub logins are case-insensitive: one person, one row.
    return login.lower()


class NoticeStore(StoreBase):
    def address(self, login: str) -> Address | None:
        stmt = select(addresses).where(addresses.c.login == _logins(login))
        with self._read() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        m = row._mapping
        return Address(m["login"], m["email"], m["source"], bool(m["notices_off"]))

    def set_address(self, login: str, email: str, source: str, now: datetime) -> bool:
        """Record an address; True if it is now the one used. A person's own sign-in never replaces an
        address a mediator entered (the person may have asked for that one)."""
        values = {"email": email, "source": source, "updated_at": now}
        ins = self._insert(addresses).values(login=_logins(login), notices_off=False, **values)
        where = None if source == "mediator" else (addresses.c.source.is_distinct_from("mediator"))
        stmt = ins.on_conflict_do_update(index_elements=[addresses.c.login], set_=values, where=where)
        with self._write() as conn:
            return conn.execute(stmt.returning(addresses.c.login)).first() is not None

    def set_notices_off(self, login: str, off: bool, now: datetime) -> None:
        ins = self._insert(addresses).values(login=_logins(login), email=None, source=None, notices_off=off,
                                             updated_at=now)
        stmt = ins.on_conflict_do_update(index_elements=[addresses.c.login],
                                         set_={"notices_off": off, "updated_at": now})
        with self._write() as conn:
            conn.execute(stmt)

    def queue_notice(self, key: str, login: str, kind: str, subject: str, body: str, status: str,
                     now: datetime) -> bool:
        """Record a notice under its key; False if that key was recorded before (it is never sent twice)."""
        stmt = (self._insert(notices)
                .values(notice_key=key, login=_logins(login), kind=kind, subject=subject, body=body, status=status,
                        attempts=0, error_class=None, created_at=now, sent_at=None)
                .on_conflict_do_nothing(index_elements=[notices.c.notice_key])
                .returning(notices.c.notice_key))
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def notice(self, key: str) -> Notice | None:
        with self._read() as conn:
            row = conn.execute(select(notices).where(notices.c.notice_key == key)).first()
        return None if row is None else _notice(row)

    def notices_waiting(self, limit: int = 100) -> list[Notice]:
        stmt = (select(notices).where(notices.c.status == "waiting")
                .order_by(notices.c.created_at, notices.c.notice_key).limit(limit))
        with self._read() as conn:
            return [_notice(row) for row in conn.execute(stmt)]

    def notices_of(self, login: str) -> list[Notice]:
        stmt = select(notices).where(notices.c.login == _logins(login)).order_by(notices.c.created_at)
        with self._read() as conn:
            return [_notice(row) for row in conn.execute(stmt)]

    def mark_notice(self, key: str, status: str, now: datetime, error_class: str | None = None) -> None:
        """After an attempt: sent, failed for good, or still waiting with the error kept."""
        values = {"status": status, "error_class": error_class, "attempts": notices.c.attempts + 1}
        if status == "sent":
            values["sent_at"] = now
        with self._write() as conn:
            conn.execute(update(notices).where(notices.c.notice_key == key).values(**values))

    def notice_counts(self) -> dict[str, int]:
        stmt = select(notices.c.status, func.count()).group_by(notices.c.status)
        with self._read() as conn:
            found = dict(conn.execute(stmt).all())
        return {state: int(found.get(state, 0)) for state in NOTICE_STATES}


def _notice(row) -> Notice:
    m = row._mapping
    return Notice(m["notice_key"], m["login"], m["kind"], m["subject"], m["body"], m["status"], m["attempts"],
                  m["error_class"], m["created_at"])
