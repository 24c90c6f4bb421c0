"""What every part of the store shares: the engine, transactions and dialect-specific INSERT."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

from .engine import read_transaction, write_transaction


class StoreError(Exception):
    """A request the store refuses (unknown poll, closed poll, ineligible voter, ...)."""


class StoreBase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # How old an effect's claim must be to have no live owner (reclaim_stale_effect): the service
        # sets it from its lease (two leases); ten minutes, far longer than any effect takes, by default.
        self.claim_timeout = timedelta(minutes=10)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _write(self) -> AbstractContextManager[Connection]:
        return write_transaction(self.engine)

    def _read(self) -> AbstractContextManager[Connection]:
        return read_transaction(self.engine)

    def _insert(self, table: Table):
        # Both dialects' insert() support ON CONFLICT ... DO NOTHING/UPDATE and RETURNING.
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def close(self) -> None:
        """Close every pooled connection (call before dropping the database or exiting)."""
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
