"""Print ballot issuance and casting throughput of the store on SQLite and PostgreSQL.

Usage: .venv/bin/python tests/bench/bench_store.py [--voters N] [--postgres-url URL] [--no-postgres]
Without --postgres-url a throwaway PostgreSQL 15 cluster (fsync on) is started and removed afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from databases import on_each_database  # noqa: E402

from app.store import open_store  # noqa: E402

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _timed(label: str, count: int, action) -> None:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {count / elapsed:>10,.0f} /s  ({count} in {elapsed:.2f}s)")


def bench(url: str, voters: int) -> None:
    store = open_store(url)
    logins = [f"voter-{n}" for n in range(voters)]
    hashes = [hashlib.sha256(f"token-{n}".encode()).digest() for n in range(voters)]
    for poll in ("P-one", "P-bulk"):
        store.create_poll(poll, "C-2026-001", {"options": ["no-action", "warning"]}, NOW + timedelta(days=7))
        store.freeze_electorate(poll, logins)

    def issue_one_by_one():
        for login, token in zip(logins, hashes, strict=True):
            store.mark_issued("P-one", login)
            store.store_token_hash("P-one", token)

    def issue_in_bulk():
        store.mark_issued_many("P-bulk", logins)
        store.store_token_hashes("P-bulk", hashes)

    def cast(choice):
        def run():
            for token in hashes:
                store.cast_ballot("P-one", token, choice, None, NOW)
        return run

    _timed("issuance, per voter (mark_issued + token)", voters, issue_one_by_one)
    _timed("issuance, bulk (mark_issued_many + tokens)", voters, issue_in_bulk)
    _timed("casting, new ballots", voters, cast("warning"))
    _timed("casting, replacing ballots", voters, cast("no-action"))
    _timed("scrub_poll (rewrite + compact), voters/s", voters, lambda: store.scrub_poll("P-one"))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--postgres-url", help="a server URL allowed to CREATE DATABASE")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    on_each_database(lambda url: bench(url, args.voters), f"{args.voters} voters", args.postgres_url, args.no_postgres)

if __name__ == "__main__":
    main()
