"""The case index: each case issue's latest state, so reads grow with what is open, not with history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, Integer, Table, Text, delete, select, update

from .base import StoreBase
from .schema import UtcDateTime, metadata

# The DDL lives in migration 8; these are the descriptions queries use.
case_index = Table(
    "case_index", metadata,
    Column("issue_number", Integer, primary_key=True),
    Column("code", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("issue_open", Boolean, nullable=False),
    Column("state", Text, nullable=False),
    Column("state_comment_id", BigInteger),
    Column("indexed_at", UtcDateTime, nullable=False),
)

case_people = Table(
    "case_people", metadata,
    Column("login", Text, primary_key=True),
    Column("issue_number", Integer, primary_key=True),
)

# The effect key that says the index holds every case on file (set once the first full pass is done).
BUILT_KEY = "case-index:built"


@dataclass(frozen=True)
class IndexedCase:
    """One case as the index holds it: `state` is the state block's JSON, exactly as the app wrote it."""

    issue_number: int
    code: str
    stage: str
    issue_open: bool
    state: str
    state_comment_id: int | None
    indexed_at: datetime


def _row(row) -> IndexedCase:
    return IndexedCase(row.issue_number, row.code, row.stage, bool(row.issue_open), row.state,
                       row.state_comment_id, row.indexed_at)


class CaseIndexStore(StoreBase):
    def index_case(self, issue_number: int, code: str, stage: str, state: str, state_comment_id: int | None,
                   people: Iterable[str], now: datetime, issue_open: bool | None = None) -> None:
        """Record a case's latest state. `issue_open` None keeps what the index knew (open for a new row)."""
        values = {"code": code, "stage": stage, "state": state, "state_comment_id": state_comment_id,
                  "indexed_at": now}
        logins = sorted({login for login in people if login})
        with self._write() as conn:
            # A code moves only with its issue (a transferred or recreated issue): drop the old row first.
            conn.execute(delete(case_index).where(case_index.c.code == code,
                                                  case_index.c.issue_number != issue_number))
            insert = self._insert(case_index).values(issue_number=issue_number, issue_open=issue_open is not False,
                                                     **values)
            changes = dict(values) if issue_open is None else {**values, "issue_open": issue_open}
            conn.execute(insert.on_conflict_do_update(index_elements=[case_index.c.issue_number], set_=changes))
            conn.execute(delete(case_people).where(case_people.c.issue_number == issue_number))
            if logins:
                conn.execute(case_people.insert(), [{"login": login, "issue_number": issue_number}
                                                    for login in logins])

    def set_case_issue_open(self, issue_number: int, issue_open: bool) -> bool:
        """What GitHub says of the issue (a webhook, or the sweep's listing); True if the index knew it."""
        with self._write() as conn:
            found = conn.execute(update(case_index).where(case_index.c.issue_number == issue_number)
                                 .values(issue_open=issue_open))
            return found.rowcount > 0

    def indexed_case(self, issue_number: int) -> IndexedCase | None:
        with self._read() as conn:
            row = conn.execute(select(case_index).where(case_index.c.issue_number == issue_number)).first()
        return _row(row) if row else None

    def indexed_cases(self, issue_open: bool | None = None) -> list[IndexedCase]:
        """Every indexed case, or those whose issue is open (True) or closed (False), by issue number."""
        query = select(case_index).order_by(case_index.c.issue_number)
        if issue_open is not None:
            query = query.where(case_index.c.issue_open == issue_open)
        with self._read() as conn:
            return [_row(row) for row in conn.execute(query)]

    def indexed_cases_about(self, login: str) -> list[IndexedCase]:
        """The cases that name `login` as reporter, party or subject: one indexed lookup."""
        query = (select(case_index).join(case_people, case_people.c.issue_number == case_index.c.issue_number)
                 .where(case_people.c.login == login).order_by(case_index.c.issue_number))
        with self._read() as conn:
            return [_row(row) for row in conn.execute(query)]

    def drop_indexed_case(self, code: str) -> int:
        """Forget a case in the index (its retention ended, or its issue is gone); returns rows deleted."""
        with self._write() as conn:
            numbers = [row[0] for row in conn.execute(select(case_index.c.issue_number)
                                                      .where(case_index.c.code == code))]
            if not numbers:
                return 0
            deleted = conn.execute(delete(case_people).where(case_people.c.issue_number.in_(numbers))).rowcount
            return deleted + conn.execute(delete(case_index).where(case_index.c.code == code)).rowcount
