"""Table descriptions used by queries (the DDL lives in `migrations`, frozen per version)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text
from sqlalchemy.types import TypeDecorator

# Fixed width so that text comparison on SQLite is time comparison.
_SQLITE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class UtcDateTime(TypeDecorator):
    """An aware UTC datetime: TIMESTAMPTZ on PostgreSQL, sortable ISO text on SQLite."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.strftime(_SQLITE_TIME_FORMAT) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.strptime(value, _SQLITE_TIME_FORMAT).replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JsonText(TypeDecorator):
    """JSON kept as canonical text (sorted keys) so both backends store the same bytes."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)


metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("name", Text, nullable=False),
)

deliveries = Table(
    "deliveries", metadata,
    Column("delivery_id", Text, primary_key=True),
    Column("event", Text, nullable=False),
    Column("payload", LargeBinary),
    Column("status", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("worker_id", Text),
    Column("lease_until", UtcDateTime),
    Column("attempts", Integer, nullable=False),
    Column("error_class", Text),
    Column("not_before", UtcDateTime),
)

effects = Table(
    "effects", metadata,
    Column("effect_key", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("result", Text),
    Column("claimed_at", UtcDateTime),
)

polls = Table(
    "polls", metadata,
    Column("poll_id", Text, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("frozen", JsonText, nullable=False),
    Column("deadline", UtcDateTime, nullable=False),
    Column("state", Text, nullable=False),
)

electorate = Table(
    "electorate", metadata,
    Column("poll_id", Text, primary_key=True),
    Column("login", Text, primary_key=True),
)

issued = Table(
    "issued", metadata,
    Column("poll_id", Text, primary_key=True),
    Column("login", Text, primary_key=True),
)

issued_tokens = Table(
    "issued_tokens", metadata,
    Column("poll_id", Text, primary_key=True),
    Column("token_hash", LargeBinary, primary_key=True),
)

ballots = Table(
    "ballots", metadata,
    Column("poll_id", Text, primary_key=True),
    Column("token_hash", LargeBinary, primary_key=True),
    Column("choice", Text, nullable=False),
    Column("extra", JsonText),
)
