"""For the benchmarks: run one measurement on a SQLite file, then on a fresh PostgreSQL database."""
from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import ThrowawayPostgres, _admin_conninfo, _with_database  # noqa: E402


def on_each_database(measure: Callable[[str], None], label: str, postgres_url: str | None,
                     no_postgres: bool) -> None:
    """`measure(url)` on SQLite and then PostgreSQL (a throwaway server with fsync on, or the given one),
    printing a heading before each; the PostgreSQL database is dropped afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite (WAL, synchronous=FULL), {label}")
        measure(f"sqlite:///{tmp}/bench.db")
    if no_postgres:
        return
    import psycopg

    server = None if postgres_url else ThrowawayPostgres(durable=True)
    try:
        admin = _admin_conninfo(postgres_url or server.start())
        name = f"conduct_bench_{int(time.time())}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            print(f"PostgreSQL ({'given URL' if postgres_url else 'throwaway, fsync on'}), {label}")
            measure(_with_database(admin, name))
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        if server:
            server.stop()
