"""Sanctions ledger: every applied sanction, its end or review date, what it changed, and its lifting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Boolean, Column, Integer, Table, Text, and_, or_, select, update

from .base import StoreBase, StoreError
from .schema import JsonText, UtcDateTime, metadata

# The table's DDL lives in migration 4; this is the description queries use.
sanctions = Table(
    "sanctions", metadata,
    Column("decision_id", Text, primary_key=True),
    Column("case_code", Text, nullable=False),
    Column("action_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("approved_by", JsonText, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime),
    Column("review_at", UtcDateTime),
    Column("teams", JsonText),
    Column("was_member", Boolean),
    Column("details", JsonText, nullable=False),
    Column("state", Text, nullable=False),
    Column("failed_from", Text),
    Column("error_class", Text),
    Column("attempts", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("lifted_at", UtcDateTime),
)

STATES = ("applying", "applied", "lifting", "lifted", "failed")
# A sanction is in force (for the context card) from its first step until it is lifted.
ACTIVE = ("applying", "applied", "lifting", "failed")


@dataclass(frozen=True)
class Sanction:
    decision_id: str
    case_code: str
    action_id: str
    kind: str
    subject: str
    approved_by: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime | None
    review_at: datetime | None
    state: str = "applying"
    # The org teams recorded before the person was taken out of them; None until recorded.
    teams: tuple[str, ...] | None = None
    was_member: bool | None = None
    # Kind-specific facts: the limited repository, comment ids of the checklist and notices, ...
    details: dict = field(default_factory=dict)
    failed_from: str | None = None
    error_class: str | None = None
    attempts: int = 0
    updated_at: datetime | None = None
    lifted_at: datetime | None = None


def _row(row) -> Sanction:
    m = row._mapping
    return Sanction(
        decision_id=m["decision_id"], case_code=m["case_code"], action_id=m["action_id"], kind=m["kind"],
        subject=m["subject"], approved_by=tuple(m["approved_by"]), starts_at=m["starts_at"],
        ends_at=m["ends_at"], review_at=m["review_at"], state=m["state"],
        teams=None if m["teams"] is None else tuple(m["teams"]),
        was_member=None if m["was_member"] is None else bool(m["was_member"]), details=dict(m["details"]),
        failed_from=m["failed_from"], error_class=m["error_class"], attempts=m["attempts"],
        updated_at=m["updated_at"], lifted_at=m["lifted_at"],
    )


class LedgerStore(StoreBase):
    def begin_sanction(self, record: Sanction, now: datetime) -> tuple[Sanction, bool]:
        """Record that applying starts; (the ledger's row, True if this call created it).

        The primary key makes this the single point of decision: two appliers racing get one row."""
        stmt = (
            self._insert(sanctions)
            .values(
                decision_id=record.decision_id, case_code=record.case_code, action_id=record.action_id,
                kind=record.kind, subject=record.subject, approved_by=list(record.approved_by),
                starts_at=record.starts_at, ends_at=record.ends_at, review_at=record.review_at,
                teams=None, was_member=None, details=dict(record.details), state="applying",
                failed_from=None, error_class=None, attempts=0, updated_at=now, lifted_at=None,
            )
            .on_conflict_do_nothing(index_elements=[sanctions.c.decision_id])
            .returning(sanctions.c.decision_id)
        )
        with self._write() as conn:
            created = conn.execute(stmt).first() is not None
        found = self.get_sanction(record.decision_id)
        assert found is not None
        return found, created

    def get_sanction(self, decision_id: str) -> Sanction | None:
        with self._read() as conn:
            row = conn.execute(select(sanctions).where(sanctions.c.decision_id == decision_id)).first()
        return None if row is None else _row(row)

    def record_teams(self, decision_id: str, teams: Iterable[str], was_member: bool, now: datetime) -> Sanction:
        """Keep the person's teams before they are removed. The first record wins: a resumed apply, which
        sees the person already outside their teams, must not overwrite what is to be restored."""
        with self._write() as conn:
            conn.execute(
                update(sanctions)
                .where(sanctions.c.decision_id == decision_id, sanctions.c.teams.is_(None))
                .values(teams=sorted(set(teams)), was_member=was_member, updated_at=now)
            )
        return self._must(decision_id)

    def merge_teams(self, decision_id: str, teams: Iterable[str], was_member: bool, now: datetime) -> Sanction:
        """Hand teams over to a sanction still in force (a poll's ban that outlasts an urgent one), so
        that its own lift restores them."""
        with self._write() as conn:
            row = conn.execute(
                select(sanctions.c.teams, sanctions.c.was_member)
                .where(sanctions.c.decision_id == decision_id).with_for_update()
            ).first()
            if row is None:
                raise StoreError(f"no sanction {decision_id!r}")
            conn.execute(
                update(sanctions).where(sanctions.c.decision_id == decision_id).values(
                    teams=sorted(set(row[0] or ()) | set(teams)), was_member=bool(row[1]) or was_member,
                    updated_at=now)
            )
        return self._must(decision_id)

    def update_details(self, decision_id: str, now: datetime, **changes) -> Sanction:
        """Merge `changes` into the sanction's details (comment ids, the limited repository, ...)."""
        with self._write() as conn:
            row = conn.execute(
                select(sanctions.c.details).where(sanctions.c.decision_id == decision_id).with_for_update()
            ).first()
            if row is None:
                raise StoreError(f"no sanction {decision_id!r}")
            conn.execute(
                update(sanctions).where(sanctions.c.decision_id == decision_id)
                .values(details={**row[0], **changes}, updated_at=now)
            )
        return self._must(decision_id)

    def set_sanction_state(self, decision_id: str, state: str, now: datetime,
                           from_states: Iterable[str] | None = None) -> bool:
        """Move to `state` (only from `from_states`, if given); True if the row moved."""
        if state not in STATES or state == "failed":
            raise ValueError(f"not a state to set directly: {state!r}")
        values: dict = {"state": state, "updated_at": now}
        if state in ("applied", "lifted"):
            values |= {"failed_from": None, "error_class": None}
        if state == "lifted":
            values["lifted_at"] = now
        stmt = update(sanctions).where(sanctions.c.decision_id == decision_id)
        if from_states is not None:
            stmt = stmt.where(sanctions.c.state.in_(list(from_states)))
        with self._write() as conn:
            return conn.execute(stmt.values(**values)).rowcount == 1

    def claim_sanction(self, decision_id: str, phase: str, now: datetime, stale_before: datetime) -> bool:
        """Take the sanction into `phase` ("applying" or "lifting") for this run; False if another run
        holds it. A failed step, or a run that began before `stale_before` and never finished, is free."""
        c = sanctions.c
        stale = and_(c.state.in_(["applying", "lifting"]), c.updated_at < stale_before)
        if phase == "applying":
            free = or_(and_(c.state == "failed", c.failed_from == "applying"), and_(c.state == "applying", stale))
        elif phase == "lifting":
            free = or_(c.state.in_(["applied", "failed"]), stale)
        else:
            raise ValueError(f"not a phase: {phase!r}")
        stmt = update(sanctions).where(c.decision_id == decision_id, free).values(state=phase, updated_at=now)
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def fail_sanction(self, decision_id: str, error_class: str, now: datetime) -> Sanction:
        """Record a failed step: which phase it was in, the error's class name (never its text), +1 attempt."""
        with self._write() as conn:
            row = conn.execute(
                select(sanctions.c.state, sanctions.c.failed_from, sanctions.c.attempts)
                .where(sanctions.c.decision_id == decision_id).with_for_update()
            ).first()
            if row is None:
                raise StoreError(f"no sanction {decision_id!r}")
            state, failed_from, attempts = row
            conn.execute(
                update(sanctions).where(sanctions.c.decision_id == decision_id).values(
                    state="failed", failed_from=failed_from if state == "failed" else state,
                    error_class=error_class, attempts=attempts + 1, updated_at=now)
            )
        return self._must(decision_id)

    def due_sanctions(self, now: datetime) -> list[Sanction]:
        """Sanctions whose end has passed and that are not lifted yet (review-dated ones never end)."""
        stmt = (
            select(sanctions)
            .where(sanctions.c.ends_at.is_not(None), sanctions.c.ends_at <= now, sanctions.c.state != "lifted")
            .order_by(sanctions.c.ends_at, sanctions.c.decision_id)
        )
        with self._read() as conn:
            return [_row(r) for r in conn.execute(stmt)]

    def unfinished_applies(self, stale_before: datetime) -> list[Sanction]:
        """Applies that failed, or that a process began before `stale_before` and never finished."""
        stmt = select(sanctions).where(or_(
            and_(sanctions.c.state == "failed", sanctions.c.failed_from == "applying"),
            and_(sanctions.c.state == "applying", sanctions.c.updated_at < stale_before),
        )).order_by(sanctions.c.decision_id)
        with self._read() as conn:
            return [_row(r) for r in conn.execute(stmt)]

    def sanctions_in_state(self, *states: str, kind: str | None = None) -> list[Sanction]:
        stmt = select(sanctions).where(sanctions.c.state.in_(states))
        if kind is not None:
            stmt = stmt.where(sanctions.c.kind == kind)
        with self._read() as conn:
            return [_row(r) for r in conn.execute(stmt.order_by(sanctions.c.decision_id))]

    def active_sanctions(self, login: str) -> list[Sanction]:
        """Every sanction on `login` not yet lifted, oldest first (the context card shows these)."""
        stmt = (
            select(sanctions)
            .where(sanctions.c.subject == login, sanctions.c.state.in_(ACTIVE))
            .order_by(sanctions.c.starts_at, sanctions.c.decision_id)
        )
        with self._read() as conn:
            return [_row(r) for r in conn.execute(stmt)]

    def _must(self, decision_id: str) -> Sanction:
        found = self.get_sanction(decision_id)
        if found is None:
            raise StoreError(f"no sanction {decision_id!r}")
        return found
