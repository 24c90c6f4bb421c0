"""Turn a store URL into a configured SQLAlchemy engine (SQLite file or PostgreSQL via psycopg 3)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

# Writers on SQLite wait this long for another process's write transaction instead of failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> str:
    """Return the URL with the driver we use: psycopg 3 for PostgreSQL, the stdlib sqlite3 for SQLite."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    parsed = make_url(url)
    if parsed.drivername in ("postgresql+psycopg", "sqlite", "sqlite+pysqlite"):
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            # Each pooled connection would get its own empty in-memory database.
            raise ValueError("the SQLite store needs a file: sqlite:///path/to/conduct.db")
        return url
    raise ValueError(f"unsupported store URL scheme: {parsed.drivername!r} (use sqlite:/// or postgresql://)")


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite connections get WAL, a busy timeout and explicit BEGIN handling."""
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # pysqlite's own implicit BEGIN cannot do BEGIN IMMEDIATE; take over transaction control.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    # WAL lets readers in other processes run while one process writes. Switching a new file to WAL
    # needs a moment of exclusive access, and SQLite answers "locked" at once rather than waiting when
    # several processes open it together: so wait here, briefly and boundedly.
    for attempt in range(40):
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 39:
                raise
            time.sleep(0.025 * (attempt + 1))
    # FULL: a delivery is acknowledged only after it is on disk, even across power loss.
    cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA foreign_keys = ON")
    # Deleted content (dropped payloads, replaced ballots) is overwritten instead of left in free pages.
    cur.execute("PRAGMA secure_delete = ON")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting; writers take
    # the write lock up front so the busy timeout applies and concurrent writers queue instead.
    mode = "IMMEDIATE" if conn.get_execution_options().get("conduct_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that may write: BEGIN IMMEDIATE on SQLite, READ COMMITTED on PostgreSQL."""
    with engine.connect() as conn:
        conn.execution_options(conduct_write=True)
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (deferred on SQLite, so it never blocks writers in WAL mode)."""
    with engine.connect() as conn, conn.begin():
        yield conn
