"""Migrations: applied once, in order, atomically, and safely when several processes start at once."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import inspect, text

from app.store import open_store
from app.store.engine import make_engine, normalize_url
from app.store.migrations import MIGRATIONS, Migration, SchemaTooNew, migrate

EXPECTED_TABLES = {"schema_version", "deliveries", "effects", "polls", "electorate", "issued",
                   "issued_tokens", "ballots"}


def _versions(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT version, name FROM schema_version ORDER BY version")).all()


def test_open_store_migrates_every_version_once(database_url):
    store = open_store(database_url)
    try:
        assert [v for v, _ in _versions(store.engine)] == [m.version for m in MIGRATIONS]
        assert EXPECTED_TABLES <= set(inspect(store.engine).get_table_names())
    finally:
        store.close()


def test_reopening_is_a_no_op_and_keeps_data(database_url):
    first = open_store(database_url)
    first.claim_effect("C-2026-001:ack-comment")
    before = _versions(first.engine)
    first.close()
    second = open_store(database_url)
    try:
        assert migrate(second.engine) == len(MIGRATIONS)
        assert _versions(second.engine) == before
        assert second.claim_effect("C-2026-001:ack-comment") is False
    finally:
        second.close()


def test_a_failing_migration_changes_nothing(database_url):
    engine = make_engine(database_url)
    try:
        statements = ("CREATE TABLE later (x INTEGER)", "NOT SQL AT ALL")
        broken = Migration(len(MIGRATIONS) + 1, "broken", statements)
        with pytest.raises(Exception, match="(?i)syntax"):
            migrate(engine, MIGRATIONS + (broken,))
        assert [v for v, _ in _versions(engine)] == [m.version for m in MIGRATIONS]
        assert "later" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_older_code_refuses_a_newer_schema(database_url):
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with pytest.raises(SchemaTooNew):
            migrate(engine, MIGRATIONS[:1])
    finally:
        engine.dispose()


def test_migration_versions_must_be_consecutive(database_url):
    engine = make_engine(database_url)
    try:
        with pytest.raises(ValueError):
            migrate(engine, (MIGRATIONS[1],))
    finally:
        engine.dispose()


def _open_concurrently(url, barrier, results):
    barrier.wait()
    try:
        open_store(url).close()
        results.put("ok")
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_migrating_at_once_apply_each_version_once(database_url):
    ctx = multiprocessing.get_context("spawn")
    workers = 4
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    args = (database_url, barrier, results)
    procs = [ctx.Process(target=_open_concurrently, args=args) for _ in range(workers)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert outcomes == ["ok"] * workers
    engine = make_engine(database_url)
    try:
        assert [v for v, _ in _versions(engine)] == [m.version for m in MIGRATIONS]
    finally:
        engine.dispose()


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u:p@db:5432/conduct", "postgresql+psycopg://u:p@db:5432/conduct"),
    ("postgresql://u:p@db/conduct", "postgresql+psycopg://u:p@db/conduct"),
    ("postgresql+psycopg://u@db/conduct", "postgresql+psycopg://u@db/conduct"),
    ("sqlite:////var/lib/conduct/conduct.db", "sqlite:////var/lib/conduct/conduct.db"),
])
def test_urls_get_our_drivers(given, expected):
    assert normalize_url(given) == expected


@pytest.mark.parametrize("bad", ["sqlite://", "sqlite:///:memory:", "mysql://u@db/conduct"])
def test_unusable_urls_are_refused(bad):
    with pytest.raises(ValueError):
        normalize_url(bad)
