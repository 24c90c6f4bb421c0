"""Versioned schema migrations, applied in order, one transaction each, safe when processes race."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from .engine import write_transaction

# Any constant works; it only has to be the same in every process that migrates this database.
_PG_MIGRATION_LOCK = 0x636F6E64756374  # "conduct"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    # SQL with {blob}, {ts} and {without_rowid} filled in per dialect. Never edit a released migration:
    # databases that already ran it will not run it again; add a new one instead.
    statements: tuple[str, ...]


# Ballot-side tables are WITHOUT ROWID on SQLite so rows are stored in key (hash/login) order and no
# hidden insertion counter exists; see `ballots` for the full anonymity reasoning.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "deliveries and effects ledger", (
        """CREATE TABLE deliveries (
            delivery_id TEXT PRIMARY KEY,
            event TEXT NOT NULL,
            payload {blob},
            status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'done', 'failed')),
            received_at {ts} NOT NULL,
            worker_id TEXT,
            lease_until {ts},
            attempts INTEGER NOT NULL DEFAULT 0,
            error_class TEXT
        )""",
        "CREATE INDEX deliveries_queue ON deliveries (status, received_at)",
        """CREATE TABLE effects (
            effect_key TEXT PRIMARY KEY,
            status TEXT NOT NULL CHECK (status IN ('claimed', 'done')),
            result TEXT
        ){without_rowid}""",
    )),
    Migration(2, "polls, electorate and ballots", (
        """CREATE TABLE polls (
            poll_id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL,
            frozen TEXT NOT NULL,
            deadline {ts} NOT NULL,
            state TEXT NOT NULL
        )""",
        """CREATE TABLE electorate (
            poll_id TEXT NOT NULL REFERENCES polls (poll_id),
            login TEXT NOT NULL,
            PRIMARY KEY (poll_id, login)
        ){without_rowid}""",
        """CREATE TABLE issued (
            poll_id TEXT NOT NULL,
            login TEXT NOT NULL,
            PRIMARY KEY (poll_id, login),
            FOREIGN KEY (poll_id, login) REFERENCES electorate (poll_id, login)
        ){without_rowid}""",
        """CREATE TABLE issued_tokens (
            poll_id TEXT NOT NULL REFERENCES polls (poll_id),
            token_hash {blob} NOT NULL,
            PRIMARY KEY (poll_id, token_hash)
        ){without_rowid}""",
        """CREATE TABLE ballots (
            poll_id TEXT NOT NULL REFERENCES polls (poll_id),
            token_hash {blob} NOT NULL,
            choice TEXT NOT NULL,
            extra TEXT,
            PRIMARY KEY (poll_id, token_hash)
        ){without_rowid}""",
    )),
    Migration(3, "per-poll blind-signing keys", (
        # No foreign key: the key is kept before the poll row exists, so a crashed `poll open` that
        # is run again finds and reuses the same key instead of announcing a second one.
        """CREATE TABLE poll_keys (
            poll_id TEXT PRIMARY KEY,
            private_key {blob} NOT NULL
        ){without_rowid}""",
    )),
    Migration(4, "sanctions ledger", (
        # One row per applied sanction, keyed by its decision: the key is what makes applying it once.
        # `teams` keeps what a removal took away, so the path back can restore it; `details` holds
        # kind-specific facts (limited repository, checklist and notice comment ids).
        """CREATE TABLE sanctions (
            decision_id TEXT PRIMARY KEY,
            case_code TEXT NOT NULL,
            action_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            approved_by TEXT NOT NULL,
            starts_at {ts} NOT NULL,
            ends_at {ts},
            review_at {ts},
            teams TEXT,
            was_member BOOLEAN,
            details TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('applying', 'applied', 'lifting', 'lifted', 'failed')),
            failed_from TEXT,
            error_class TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            updated_at {ts} NOT NULL,
            lifted_at {ts}
        )""",
        "CREATE INDEX sanctions_due ON sanctions (state, ends_at)",
        "CREATE INDEX sanctions_subject ON sanctions (subject, state)",
    )),
    Migration(5, "deliveries deferred until a rate limit resets", (
        "ALTER TABLE deliveries ADD COLUMN not_before {ts}",
    )),
    Migration(6, "when an effect was claimed, so a dead worker's claim can be checked and taken over", (
        "ALTER TABLE effects ADD COLUMN claimed_at {ts}",
    )),
    Migration(7, "e-mail addresses for notices, and the notices outbox", (
        # Addresses live here only, never on GitHub. `source` says who gave it: the person's own
        # GitHub sign-in (their verified primary address) or a mediator.
        """CREATE TABLE addresses (
            login TEXT PRIMARY KEY,
            email TEXT,
            source TEXT CHECK (source IN ('github', 'mediator')),
            notices_off BOOLEAN NOT NULL DEFAULT FALSE,
            updated_at {ts} NOT NULL
        ){without_rowid}""",
        # One row per notice, keyed by what it is about, so a notice is sent once however often the
        # event is handled. The body carries no case text (the notices module builds it from a kind).
        """CREATE TABLE notices (
            notice_key TEXT PRIMARY KEY,
            login TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('waiting', 'sent', 'failed', 'no-address', 'no-mailer', 'off')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error_class TEXT,
            created_at {ts} NOT NULL,
            sent_at {ts}
        )""",
        "CREATE INDEX notices_status ON notices (status, created_at)",
    )),
    Migration(8, "the case index, cached role members, and shared rate budgets", (
        # One row per case issue: its latest state as the app wrote it, so the sweep and the context card
        # read the store, not every case on GitHub. Kept in step by the app's own writes and webhooks,
        # re-checked against GitHub's list of open issues, deleted when the case is forgotten.
        """CREATE TABLE case_index (
            issue_number INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            stage TEXT NOT NULL,
            issue_open BOOLEAN NOT NULL,
            state TEXT NOT NULL,
            state_comment_id BIGINT,
            indexed_at {ts} NOT NULL
        )""",
        "CREATE INDEX case_index_open ON case_index (issue_open, issue_number)",
        # Who a case is about (reporter, parties, subjects), so a person's cases are one indexed lookup.
        """CREATE TABLE case_people (
            login TEXT NOT NULL,
            issue_number INTEGER NOT NULL,
            PRIMARY KEY (login, issue_number)
        ){without_rowid}""",
        # A role's members as GitHub last listed them; dropped on a `membership` or `team` webhook.
        """CREATE TABLE role_members (
            role TEXT PRIMARY KEY,
            members TEXT NOT NULL,
            fetched_at {ts} NOT NULL
        ){without_rowid}""",
        # Sliding-window budgets shared by every process: one row per spend, counted per bucket (an
        # installation's writes, one account's help signals). The bucket row is what a spender locks.
        """CREATE TABLE rate_buckets (
            bucket TEXT PRIMARY KEY,
            touched_at {ts}
        ){without_rowid}""",
        """CREATE TABLE rate_spends (
            bucket TEXT NOT NULL,
            spent_at {ts} NOT NULL
        )""",
        "CREATE INDEX rate_spends_window ON rate_spends (bucket, spent_at)",
    )),
    Migration(9, "the case outbox: a decision's effects, kept until carried out", (
        # Written before the case's new state is saved on GitHub, removed once every effect is done: a
        # crash or a failed call in between leaves the row, and the next look at the case finishes it.
        """CREATE TABLE case_outbox (
            entry TEXT PRIMARY KEY,
            case_key TEXT NOT NULL,
            effects TEXT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            created_at {ts} NOT NULL
        )""",
        "CREATE INDEX case_outbox_case ON case_outbox (case_key, created_at)",
    )),
)

_DIALECT_WORDS = {
    "sqlite": {"blob": "BLOB", "ts": "TEXT", "without_rowid": " WITHOUT ROWID"},
    "postgresql": {"blob": "BYTEA", "ts": "TIMESTAMPTZ", "without_rowid": ""},
}


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer release than this one."""


def migrate(engine: Engine, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply every migration newer than the database's version; return the resulting version."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise ValueError(f"migration versions must be 1..n in order, got {versions}")
    words = _DIALECT_WORDS[engine.dialect.name]
    while True:
        # One migration per transaction, each re-reading the version under the lock: a process that
        # waited for another one's migration sees the new version and skips it.
        with write_transaction(engine) as conn:
            current = _locked_version(conn)
            if current > len(migrations):
                raise SchemaTooNew(f"database schema is version {current}; this code knows {len(migrations)}")
            if current == len(migrations):
                return current
            step = migrations[current]
            for statement in step.statements:
                conn.exec_driver_sql(statement.format(**words))
            conn.execute(
                text("INSERT INTO schema_version (version, name) VALUES (:v, :n)"),
                {"v": step.version, "n": step.name},
            )


def _locked_version(conn: Connection) -> int:
    # SQLite: the caller's BEGIN IMMEDIATE already excludes every other writer.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
    )
    return conn.execute(text("SELECT COALESCE(MAX(version), 0) FROM schema_version")).scalar_one()
