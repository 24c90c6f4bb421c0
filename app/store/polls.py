"""Polls and their frozen electorates (who may vote; never how anyone voted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from .base import StoreBase, StoreError
from .schema import electorate, polls


@dataclass(frozen=True)
class Poll:
    poll_id: str
    case_id: str
    frozen: dict  # what the poll was opened on (options, summary reference, policy version, ...)
    deadline: datetime
    state: str  # "open" on creation; ballots are accepted only while open and before the deadline


class PollStore(StoreBase):
    def create_poll(self, poll_id: str, case: str, frozen: dict, deadline: datetime) -> bool:
        """Create an open poll; False (and nothing changes) if the poll id already exists."""
        stmt = (
            self._insert(polls)
            .values(poll_id=poll_id, case_id=case, frozen=frozen, deadline=deadline, state="open")
            .on_conflict_do_nothing(index_elements=[polls.c.poll_id])
            .returning(polls.c.poll_id)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def get_poll(self, poll_id: str) -> Poll | None:
        cols = (polls.c.poll_id, polls.c.case_id, polls.c.frozen, polls.c.deadline, polls.c.state)
        stmt = select(*cols).where(polls.c.poll_id == poll_id)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else Poll(*row)

    def set_poll_state(self, poll_id: str, state: str) -> None:
        # The row lock this UPDATE takes waits for casts in flight (they hold FOR SHARE on the poll), so
        # once closing returns no ballot can still arrive.
        with self._write() as conn:
            stmt = update(polls).where(polls.c.poll_id == poll_id).values(state=state)
            if conn.execute(stmt).rowcount != 1:
                raise StoreError(f"unknown poll {poll_id!r}")

    def freeze_electorate(self, poll_id: str, logins) -> None:
        """Fix who may vote. Repeating it with the same logins is a no-op; changing them is refused."""
        wanted = sorted(set(logins))
        if not wanted:
            raise ValueError("an electorate cannot be empty")
        with self._write() as conn:
            if conn.execute(select(polls.c.poll_id).where(polls.c.poll_id == poll_id)).first() is None:
                raise StoreError(f"unknown poll {poll_id!r}")
            have = conn.execute(
                select(electorate.c.login).where(electorate.c.poll_id == poll_id).order_by(electorate.c.login)
            ).scalars().all()
            if have:
                if have != wanted:
                    raise StoreError(f"the electorate of poll {poll_id!r} is already frozen")
                return
            # One transaction, sorted: rows carry no trace of the order the caller listed them in.
            conn.execute(electorate.insert(), [{"poll_id": poll_id, "login": login} for login in wanted])

    def is_eligible(self, poll_id: str, login: str) -> bool:
        stmt = select(electorate.c.login).where(electorate.c.poll_id == poll_id, electorate.c.login == login)
        with self._read() as conn:
            return conn.execute(stmt).first() is not None

    def electorate_of(self, poll_id: str) -> list[str]:
        """The poll's electorate, sorted."""
        stmt = select(electorate.c.login).where(electorate.c.poll_id == poll_id).order_by(electorate.c.login)
        with self._read() as conn:
            return list(conn.execute(stmt).scalars())

    def open_polls(self) -> list[Poll]:
        """Every poll still open, by deadline."""
        cols = (polls.c.poll_id, polls.c.case_id, polls.c.frozen, polls.c.deadline, polls.c.state)
        with self._read() as conn:
            return [Poll(*row) for row in conn.execute(
                select(*cols).where(polls.c.state == "open").order_by(polls.c.deadline, polls.c.poll_id))]

    def electorate_size(self, poll_id: str) -> int:
        stmt = select(func.count()).select_from(electorate).where(electorate.c.poll_id == poll_id)
        with self._read() as conn:
            return conn.execute(stmt).scalar_one()
