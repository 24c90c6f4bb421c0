"""Nothing the store keeps (rows, row order, pages, WAL, xmin) links a ballot or token to a voter.

The scenario plays the server: voters get ballots one by one in a known order, each token's hash is
stored in its own transaction, and the voters cast in another known order. After `scrub_poll` the
stored data must be the same whatever those orders were.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from app.store import open_store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLL = "P-1"
VOTERS = [f"voter-{n}" for n in range(1, 121)]  # enough rows for several pages per table
CHOICES = ("no-action", "warning", "temporary-ban", "abstain")
TOKEN_TABLES = ("issued_tokens", "ballots")
BALLOT_SIDE = ("electorate", "issued", "issued_tokens", "ballots")


def token_hash(login: str) -> bytes:
    return hashlib.sha256(b"token-for-" + login.encode()).digest()


def choice_of(login: str) -> str:
    return CHOICES[int(login.split("-")[1]) % len(CHOICES)]


def an_order(seed: int) -> list[str]:
    return random.Random(seed).sample(VOTERS, len(VOTERS))


def open_poll(store) -> None:
    store.create_poll(POLL, "C-2026-014", {"options": list(CHOICES)}, NOW + timedelta(days=7))
    store.freeze_electorate(POLL, VOTERS)


def issue_one_by_one(store, order) -> None:
    for login in order:
        assert store.mark_issued(POLL, login)
        store.store_token_hash(POLL, token_hash(login))  # its own transaction, as the service must


def cast_all(store, order) -> None:
    for login in order:
        assert store.cast_ballot(POLL, token_hash(login), choice_of(login), None, NOW) == "new"


def select_star(store) -> dict[str, list[tuple]]:
    """Every table, `SELECT *` with no ORDER BY: rows in the order the database keeps them."""
    with store.engine.connect() as conn:
        return {
            table: [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in conn.execute(text(f"SELECT * FROM {table}"))]
            for table in sorted(inspect(store.engine).get_table_names())
        }


def assert_rows_carry_no_link(dump: dict[str, list[tuple]]) -> None:
    hashes = {token_hash(login) for login in VOTERS}
    for table, rows in dump.items():
        for row in rows:
            # No row holds both a voter and a token hash.
            assert not (set(row) & set(VOTERS) and set(row) & hashes), table
    # Rows come back in key order, so their order says nothing about when they were written.
    assert dump["issued"] == sorted(dump["issued"]) and len(dump["issued"]) == len(VOTERS)
    for table in TOKEN_TABLES:
        keys = [row[1] for row in dump[table]]
        assert keys == sorted(hashes), table


# --- SQLite: the files themselves -------------------------------------------------------------------

def first_seen_order(blob: bytes, logins) -> list[str]:
    """Voters sorted by where their token hash first appears in `blob` (e.g. WAL frames, oldest first)."""
    found = {login: blob.find(token_hash(login)) for login in logins}
    assert all(offset >= 0 for offset in found.values())
    return sorted(found, key=found.get)


def btree_pages(db: bytes, root: int) -> list[int]:
    """The page numbers of one B-tree in a SQLite file (interior pages followed to their children)."""
    page_size = int.from_bytes(db[16:18], "big") or 65536
    pages, todo = [], [root]
    while todo:
        number = todo.pop()
        pages.append(number)
        start = (number - 1) * page_size
        header = start + (100 if number == 1 else 0)
        if db[header] in (2, 5):  # interior index / interior table page
            cells = int.from_bytes(db[header + 3:header + 5], "big")
            todo.append(int.from_bytes(db[header + 8:header + 12], "big"))
            for i in range(cells):
                pointer = int.from_bytes(db[header + 12 + 2 * i:header + 14 + 2 * i], "big")
                todo.append(int.from_bytes(db[start + pointer:start + pointer + 4], "big"))
    return sorted(pages)


def ballot_side_pages(store, path: Path) -> dict[str, list[bytes]]:
    """The raw bytes of every page of every ballot-side table, in file order."""
    db = path.read_bytes()
    page_size = int.from_bytes(db[16:18], "big") or 65536
    with store.engine.connect() as conn:
        roots = dict(conn.execute(text("SELECT name, rootpage FROM sqlite_schema WHERE type = 'table'")).all())
    return {
        table: [db[(n - 1) * page_size:n * page_size] for n in btree_pages(db, roots[table])]
        for table in BALLOT_SIDE
    }


def test_sqlite_files_do_not_remember_issue_or_cast_order(tmp_path):
    runs = {}
    for seed in (1, 2):
        path = tmp_path / f"run-{seed}.db"
        store = open_store(f"sqlite:///{path}")
        open_poll(store)
        issue_order = an_order(seed)
        issue_one_by_one(store, issue_order)
        # The detector works: before a scrub, the WAL replays issuance in order.
        wal = Path(f"{path}-wal").read_bytes()
        assert first_seen_order(wal, VOTERS) == issue_order
        cast_all(store, an_order(seed + 100))
        store.scrub_poll(POLL)

        assert Path(f"{path}-wal").stat().st_size == 0  # no frames left to replay
        dump = select_star(store)
        assert_rows_carry_no_link(dump)
        runs[seed] = (dump, ballot_side_pages(store, path))
        store.close()

    (dump_1, pages_1), (dump_2, pages_2) = runs[1], runs[2]
    assert an_order(1) != an_order(2)
    assert dump_1 == dump_2
    # Byte for byte, the pages holding electorate, issuance, tokens and ballots are the same whatever
    # order voters got and cast their ballots in: the file cannot tell that order.
    assert {t: len(p) for t, p in pages_1.items()} == {t: len(p) for t, p in pages_2.items()}
    assert all(len(pages_1[table]) > 1 for table in TOKEN_TABLES)  # interior pages were followed too
    assert pages_1 == pages_2


def wal_frames(path: Path) -> list[tuple[bytes, bytes]]:
    """(page number, page image) of each WAL frame, leaving out the per-file salts and checksums."""
    wal = Path(f"{path}-wal").read_bytes()
    page_size = int.from_bytes(wal[8:12], "big")
    frames = range(32, len(wal), 24 + page_size)
    return [(wal[at:at + 4], wal[at + 24:at + 24 + page_size]) for at in frames]


def test_sqlite_bulk_issuance_leaves_no_order_even_before_a_scrub(tmp_path):
    frames = {}
    for seed in (3, 4):
        path = tmp_path / f"bulk-{seed}.db"
        store = open_store(f"sqlite:///{path}")
        open_poll(store)
        order = an_order(seed)
        assert store.mark_issued_many(POLL, order) == sorted(VOTERS)
        store.store_token_hashes(POLL, [token_hash(login) for login in order])
        frames[seed] = wal_frames(path)
        store.close()
    assert an_order(3) != an_order(4)
    # Every page image written, in write order, is the same whatever order the caller listed voters in.
    assert len(frames[3]) > 3
    assert frames[3] == frames[4]


# --- PostgreSQL: ctid (physical position) and xmin (writing transaction) ---------------------------

def physical(store, table: str, key: str) -> list[tuple]:
    """(key, xmin, xmax) of the poll's rows in heap order."""
    with store.engine.connect() as conn:
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in conn.execute(
            text(f"SELECT {key}, xmin::text, xmax::text FROM {table} WHERE poll_id = :p ORDER BY ctid"),
            {"p": POLL},
        )]


@pytest.mark.postgres
def test_postgres_rows_do_not_remember_issue_or_cast_order(postgres_url):
    store = open_store(postgres_url)
    try:
        open_poll(store)
        issue_order = an_order(4)
        issue_one_by_one(store, issue_order)
        # The detector works: before a scrub, heap order and transaction ids replay issuance.
        before = physical(store, "issued", "login")
        assert [login for login, _x, _m in before] == issue_order
        assert len({xmin for _l, xmin, _m in before}) == len(VOTERS)
        cast_all(store, an_order(5))
        store.scrub_poll(POLL)

        assert_rows_carry_no_link(select_star(store))
        hashes = sorted(token_hash(login) for login in VOTERS)
        for table, key, expected in [("issued", "login", sorted(VOTERS)),
                                     ("issued_tokens", "token_hash", hashes), ("ballots", "token_hash", hashes)]:
            rows = physical(store, table, key)
            assert [k for k, _x, _m in rows] == expected, table  # heap order is key order
            assert len({xmin for _k, xmin, _m in rows}) == 1, table  # one writing transaction for all
            assert {xmax for _k, _x, xmax in rows} == {"0"}, table  # no trace of later locks or updates
    finally:
        store.close()


@pytest.mark.postgres
def test_postgres_bulk_issuance_leaves_no_order_even_before_a_scrub(postgres_url):
    store = open_store(postgres_url)
    try:
        open_poll(store)
        order = an_order(6)
        store.mark_issued_many(POLL, order)
        store.store_token_hashes(POLL, [token_hash(login) for login in order])
        issued_rows = physical(store, "issued", "login")
        token_rows = physical(store, "issued_tokens", "token_hash")
        assert [k for k, _x, _m in issued_rows] == sorted(VOTERS)
        assert [k for k, _x, _m in token_rows] == sorted(token_hash(login) for login in VOTERS)
        assert len({x for _k, x, _m in issued_rows}) == 1 and len({x for _k, x, _m in token_rows}) == 1
    finally:
        store.close()
