"""Ballot issuance, server-issued token hashes and cast ballots, stored so none links to a voter.

What is stored, and why it cannot be joined:

* ``issued (poll_id, login)`` says only *that* a member of the electorate got a ballot.
* ``issued_tokens (poll_id, token_hash)`` says only that the server issued this token (server-issued
  token step; with blind signatures the server never sees the token and this table stays empty).
* ``ballots (poll_id, token_hash, choice, extra)`` is the vote; ``extra`` is public verification data.

No table has a timestamp, an autoincrement id or any column shared between ``issued`` and the token
tables. The remaining links are *physical*, and each is handled here:

1. Row order. SQLite tables get a hidden ``rowid`` that counts inserts, so the tables are
   ``WITHOUT ROWID``: rows live in a B-tree ordered by key (login or hash), and ``SELECT *`` returns
   them in key order. PostgreSQL heap rows have a ``ctid`` (page, slot) that follows insertion order.
2. Transaction ids. Every PostgreSQL row carries ``xmin``, the id of the transaction that wrote it;
   ids are consecutive, so "login A marked issued in xid 1000, token X stored in xid 1001" pairs them.
   A login and its token must never be written in one transaction (they would share an ``xmin`` and,
   on SQLite, one WAL commit), so ``mark_issued`` and ``store_token_hash`` are separate transactions.
3. Page layout and logs. Inside a SQLite page, cell bytes are placed in insertion order even though
   the cell index is sorted; the WAL holds one page image per commit, in commit order, until it is
   checkpointed and truncated. PostgreSQL keeps dead row versions until vacuumed and writes every
   change, in order, to its WAL.

Mitigations: issue in bulk when the poll opens (``mark_issued_many`` then ``store_token_hashes``, each
one transaction inserting in sorted order: every row of a table shares one ``xmin``/commit and sits in
key order, so issue order never reaches the disk). When issuance had to be per voter, or once voting
ends, ``scrub_poll`` rewrites the poll's rows in key order in one transaction and compacts the files
(SQLite: VACUUM and a truncating WAL checkpoint; PostgreSQL: CLUSTER on the primary key, which also
drops dead versions). ``tests/test_store_anonymity.py`` checks both, byte for byte on SQLite.

Residual risks, stated precisely:

* Between a per-voter issuance (or a cast) and the next scrub, the order of events is recoverable from
  the database files by whoever can read them (the operator), and so a login may be paired with its
  token hash, and through it with its ballot.
* PostgreSQL's WAL (``pg_wal``, any WAL archive, replicas, base backups) keeps the original writes in
  order until recycled; ``track_commit_timestamp``, if enabled, adds commit times. Scrubbing cannot
  reach those. SQLite backups or file-system snapshots taken before a scrub keep the same trace, and
  truncated/vacuumed file blocks are not overwritten on the disk itself.
* CLUSTER keeps row versions that a still-open transaction might see; a scrub run while some other
  session holds a long transaction leaves the old versions until the next scrub or vacuum.
* Timing outside the database: whoever watches the server live (access logs, GitHub notifications
  sent at issuance, request timing) can correlate issuance and casting with people.
* ``issued_tokens`` joins to ``ballots`` by design (that is how a token is checked). Its link to a login
  exists only at the moment of issuance in the server's memory.

The real fix is blind signatures: the server signs a token it never sees, so there is no
login-to-token link anywhere, not even in memory. What then remains is the order of writes (a mark, then
its voter's cast): ``cast_many`` writes a poll's casts held by ``app.polls.pool`` in one sorted transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import delete, select, update

from .base import StoreBase, StoreError
from .schema import ballots, electorate, issued, issued_tokens, polls

# Rows rewritten by scrub_poll, with their key columns (the order they are rewritten in).
_SCRUBBED = ((issued, ("poll_id", "login")), (issued_tokens, ("poll_id", "token_hash")),
             (ballots, ("poll_id", "token_hash")))


class PollClosed(StoreError):
    """The poll is not open or its deadline has passed."""


class StaleCast(StoreError):
    """A cast numbered no higher than the one recorded for its ballot; `seq` is the recorded number."""

    def __init__(self, seq: int):
        super().__init__(f"a cast numbered {seq} is recorded")
        self.seq = seq


class BallotStore(StoreBase):
    # --- issuance -----------------------------------------------------------------------------------

    def mark_issued(self, poll_id: str, login: str) -> bool:
        """Record that this voter got a ballot; False if they already had one."""
        return bool(self.mark_issued_many(poll_id, [login]))

    def mark_issued_many(self, poll_id: str, logins) -> list[str]:
        """Record ballots for many voters in one sorted transaction; return those newly marked."""
        wanted = sorted(set(logins))
        with self._write() as conn:
            eligible = set(conn.execute(
                select(electorate.c.login).where(electorate.c.poll_id == poll_id,
                                                 electorate.c.login.in_(wanted))
            ).scalars())
            if missing := [login for login in wanted if login not in eligible]:
                raise StoreError(f"{len(missing)} login(s) are not in the electorate of poll {poll_id!r}")
            stmt = (
                self._insert(issued)
                .on_conflict_do_nothing(index_elements=[issued.c.poll_id, issued.c.login])
                .returning(issued.c.login)
            )
            # One row per statement (in sorted order) so RETURNING tells exactly which were new.
            return [login for login in wanted
                    if conn.execute(stmt.values(poll_id=poll_id, login=login)).first() is not None]

    def not_issued(self, poll_id: str) -> list[str]:
        """The electorate members no ballot was signed for yet, sorted (whom a reminder goes to)."""
        taken = select(issued.c.login).where(issued.c.poll_id == poll_id)
        stmt = (select(electorate.c.login).where(electorate.c.poll_id == poll_id, electorate.c.login.not_in(taken))
                .order_by(electorate.c.login))
        with self._read() as conn:
            return list(conn.execute(stmt).scalars())

    def store_token_hash(self, poll_id: str, token_hash: bytes) -> None:
        """Remember a server-issued token's hash. Never call this in the transaction of mark_issued."""
        self.store_token_hashes(poll_id, [token_hash])

    def store_token_hashes(self, poll_id: str, token_hashes) -> None:
        """Remember many token hashes in one transaction, inserted in sorted order."""
        rows = [{"poll_id": poll_id, "token_hash": bytes(h)} for h in sorted(set(token_hashes))]
        with self._write() as conn:
            _require_poll(conn, poll_id)
            conn.execute(issued_tokens.insert(), rows)

    def token_known(self, poll_id: str, token_hash: bytes) -> bool:
        stmt = select(issued_tokens.c.token_hash).where(
            issued_tokens.c.poll_id == poll_id, issued_tokens.c.token_hash == token_hash
        )
        with self._read() as conn:
            return conn.execute(stmt).first() is not None

    # --- casting ------------------------------------------------------------------------------------

    def cast_ballot(self, poll_id: str, token_hash: bytes, choice: str, extra: dict | None,
                    now: datetime, seq: int | None = None) -> Literal["new", "replaced", "unchanged"]:
        """Record a vote for this token; voting again before the deadline replaces the choice.

        With `seq` (kept in ``extra["seq"]``), only a higher number replaces the recorded cast: the same
        cast again is "unchanged", an older one raises StaleCast. The caller checks the token (a blind
        signature) and the cast's signature before calling.
        """
        token_hash = bytes(token_hash)
        with self._write() as conn:
            # FOR SHARE: set_poll_state("closed") waits for this cast to commit, never the other way.
            poll = conn.execute(
                select(polls.c.state, polls.c.deadline).where(polls.c.poll_id == poll_id)
                .with_for_update(read=True)
            ).first()
            if poll is None:
                raise StoreError(f"unknown poll {poll_id!r}")
            if poll.state != "open" or now >= poll.deadline:
                raise PollClosed(f"poll {poll_id!r} is not accepting ballots")
            # Insert-or-update in two steps rather than reading PostgreSQL's xmax: a racing cast with
            # the same token waits on the unique key, finds the committed row and replaces it.
            inserted = conn.execute(
                self._insert(ballots)
                .values(poll_id=poll_id, token_hash=token_hash, choice=choice, extra=extra)
                .on_conflict_do_nothing(index_elements=[ballots.c.poll_id, ballots.c.token_hash])
                .returning(ballots.c.token_hash)
            ).first()
            if inserted is not None:
                return "new"
            if seq is not None:
                recorded = conn.execute(
                    select(ballots.c.choice, ballots.c.extra)
                    .where(ballots.c.poll_id == poll_id, ballots.c.token_hash == token_hash)
                    .with_for_update()
                ).first()
                recorded_seq = int((recorded.extra or {}).get("seq", 0))
                if seq == recorded_seq and recorded.choice == choice and recorded.extra == extra:
                    return "unchanged"
                if seq <= recorded_seq:
                    raise StaleCast(recorded_seq)
            conn.execute(
                update(ballots)
                .where(ballots.c.poll_id == poll_id, ballots.c.token_hash == token_hash)
                .values(choice=choice, extra=extra)
            )
            return "replaced"

    def recorded_seq(self, poll_id: str, token_hash: bytes) -> int | None:
        """The number of the cast recorded for this ballot (0 for an unnumbered one), None if none is."""
        stmt = select(ballots.c.extra).where(ballots.c.poll_id == poll_id, ballots.c.token_hash == bytes(token_hash))
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else int((row.extra or {}).get("seq", 0))

    def cast_many(self, poll_id: str, casts, now: datetime) -> int:
        """Write held casts `(token_hash, choice, extra, seq)` in one transaction, in token-hash order.

        Every row then carries the same transaction id and commit, in key order, so nothing in the files
        says which arrived when. A cast numbered no higher than the stored one is skipped. Returns the
        number written."""
        written = 0
        with self._write() as conn:
            poll = conn.execute(
                select(polls.c.state, polls.c.deadline).where(polls.c.poll_id == poll_id).with_for_update(read=True)
            ).first()
            if poll is None:
                raise StoreError(f"unknown poll {poll_id!r}")
            if poll.state != "open" or now >= poll.deadline:
                raise PollClosed(f"poll {poll_id!r} is not accepting ballots")
            for token_hash, choice, extra, seq in sorted(casts, key=lambda cast: bytes(cast[0])):
                token_hash = bytes(token_hash)
                recorded = conn.execute(
                    select(ballots.c.extra).where(ballots.c.poll_id == poll_id, ballots.c.token_hash == token_hash)
                ).first()
                if recorded is None:
                    conn.execute(ballots.insert().values(poll_id=poll_id, token_hash=token_hash, choice=choice,
                                                         extra=extra))
                elif seq > int((recorded.extra or {}).get("seq", 0)):
                    conn.execute(update(ballots).where(ballots.c.poll_id == poll_id, ballots.c.token_hash == token_hash)
                                 .values(choice=choice, extra=extra))
                else:
                    continue
                written += 1
        return written

    def ballots(self, poll_id: str) -> list[tuple[bytes, str, dict | None]]:
        """Every ballot of the poll as (token_hash, choice, extra), sorted by token hash."""
        stmt = (
            select(ballots.c.token_hash, ballots.c.choice, ballots.c.extra)
            .where(ballots.c.poll_id == poll_id)
            .order_by(ballots.c.token_hash)
        )
        with self._read() as conn:
            return [(bytes(h), choice, extra) for h, choice, extra in conn.execute(stmt)]

    # --- erasing physical traces ----------------------------------------------------------------------

    def scrub_poll(self, poll_id: str) -> None:
        """Rewrite the poll's issuance and ballot rows in key order and compact the database files.

        Call after per-voter issuance and when the poll closes. Takes exclusive locks briefly.
        """
        with self._write() as conn:
            _require_poll(conn, poll_id)
            # Delete and re-insert in one transaction: on PostgreSQL all rows then share one xmin and
            # sit in key order; on SQLite the pages are rebuilt by VACUUM below anyway.
            for table, key in _SCRUBBED:
                rows = [dict(r._mapping) for r in conn.execute(
                    select(table).where(table.c.poll_id == poll_id).order_by(*(table.c[k] for k in key))
                )]
                conn.execute(delete(table).where(table.c.poll_id == poll_id))
                if rows:
                    conn.execute(table.insert(), rows)
        self._compact()

    def _compact(self) -> None:
        if self.dialect == "postgresql":
            # CLUSTER rewrites each table in primary-key order and leaves no dead row versions behind.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table, _key in _SCRUBBED:
                    conn.exec_driver_sql(f"CLUSTER {table.name} USING {table.name}_pkey")
            return
        raw = self.engine.raw_connection()
        try:
            sqlite = raw.driver_connection
            sqlite.execute("VACUUM")
            busy, _log, _done = sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                raise StoreError("could not truncate the WAL: another connection is reading; scrub again")
        finally:
            raw.close()


def _require_poll(conn, poll_id: str) -> None:
    if conn.execute(select(polls.c.poll_id).where(polls.c.poll_id == poll_id)).first() is None:
        raise StoreError(f"unknown poll {poll_id!r}")
