"""The operator reads the order of writes: with every voter casting the moment they have a ballot, it copies
SQLite's WAL after every request, or reads PostgreSQL's `xmin`, and pairs each ballot with the voter whose
mark was written just before it.

Without the held ballot box this pairs every ballot with its voter, in every poll (the first test shows the
attack works). With it (`app.polls.pool`, what `conduct serve` runs), no cast reaches the files before the
box is written, the whole box is one commit in key order, and for every ballot the files point at all the
poll's voters alike: the adversary can do no better than guessing.
"""
from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from test_polls_support import SERVICE, VOTERS, Clock, Service

from app.polls import client
from app.polls.closing import close_due_polls
from app.polls.pool import LEAD, CastPool
from app.polls.receipts import check_file

POLLS = ("C-2026-021", "C-2026-022", "C-2026-023")
CHOICES = ("warning", "temporary-ban", "no-action", "abstain", "warning", "no-action")
TAKERS = VOTERS[:6]


class Operator:
    """What the operator sees change after each request: new WAL frames (SQLite) or xmin (PostgreSQL)."""

    def __init__(self, store, poll_id: str):
        self.store, self.poll_id = store, poll_id
        self.wal = Path(store.engine.url.database + "-wal") if store.dialect == "sqlite" else None
        self.deltas: list[bytes] = []
        self.last = self._wal()

    def _wal(self) -> bytes:
        return self.wal.read_bytes() if self.wal is not None and self.wal.exists() else b""

    def look(self) -> None:
        if self.wal is None:
            return
        now = self._wal()
        # SQLite appends frames until a checkpoint restarts the WAL (a new header): then all of it is new.
        same = len(now) >= len(self.last) and now[:32] == self.last[:32]
        self.deltas.append(now[len(self.last):] if same else now)
        self.last = now

    def moments(self, logins: list[str], receipts: list[str]) -> tuple[dict, dict]:
        """When each voter's mark and each ballot first reached the files, as the operator can order them."""
        if self.wal is not None:
            def first(needle: bytes):
                return next((n for n, delta in enumerate(self.deltas) if needle in delta), None)
            # A record's text columns sit side by side: the poll id, then the login.
            return ({login: first((self.poll_id + login).encode()) for login in logins},
                    {receipt: first(bytes.fromhex(receipt)) for receipt in receipts})
        with self.store.engine.connect() as conn:
            marks = dict(conn.execute(text("SELECT login, xmin::text::bigint FROM issued WHERE poll_id = :p"),
                                      {"p": self.poll_id}).all())
            seen = dict(conn.execute(text("SELECT encode(token_hash, 'hex'), xmin::text::bigint FROM ballots "
                                          "WHERE poll_id = :p"), {"p": self.poll_id}).all())
        return marks, seen

    def candidates(self, logins: list[str], receipts: list[str]) -> dict[str, set[str]]:
        """For each ballot, the voters the order of writes cannot tell apart as its owner: the k voters marked
        last before it appeared, where k is the number of ballots that appeared together with it."""
        marks, seen = self.moments(logins, receipts)
        assert None not in marks.values() and None not in seen.values()
        out = {}
        for receipt, moment in seen.items():
            together = sum(1 for when in seen.values() if when == moment)
            before = sorted((when, login) for login, when in marks.items() if when < moment)
            out[receipt] = {login for _, login in before[-together:]}
        return out


def _run_polls(store, make_pool):
    """Three polls; in each, six voters in turn get a ballot and cast it at once."""
    outcome = []
    for code in POLLS:
        clock = Clock()
        pool = make_pool(store, clock)
        service = Service(store, clock, pool=pool)
        opened = service.open(code=code)
        http = service.client()
        operator = Operator(store, opened.poll_id)
        owner = {}
        for login, choice in zip(TAKERS, CHOICES, strict=True):
            link = client.get_ballot(SERVICE, opened.poll_id, service.session(login), http=http)
            operator.look()
            owner[client.cast_with_link(link, choice, http=http).receipt] = login
            operator.look()
        if pool is not None:
            assert pool.held(opened.poll_id) == 6
            assert pool.write(opened.poll_id) == 6  # what its timer does `lead` before the deadline
            operator.look()
        outcome.append((owner, operator.candidates(TAKERS, list(owner))))
        closed = close_due_polls(store, opened.terms.deadline)
        assert sorted(ballot["receipt"] for ballot in closed[0].result["ballots"]) == sorted(owner)
    return outcome


def test_without_the_held_box_the_order_of_writes_pairs_every_ballot(store):
    for owner, candidates in _run_polls(store, lambda store, clock: None):
        assert all(candidates[receipt] == {login} for receipt, login in owner.items())


def test_with_the_held_box_every_ballot_points_at_every_voter_alike(store, caplog):
    caplog.set_level(logging.DEBUG)
    results = _run_polls(store, lambda store, clock: CastPool(store, schedule=False, clock=clock))
    for owner, candidates in results:
        assert all(candidates[receipt] == set(TAKERS) for receipt in owner)
    logged = caplog.text
    assert not any(login in logged for login in TAKERS) and not re.search(r"[0-9a-f]{64}", logged)


def test_the_box_is_written_in_key_order_in_one_transaction(store):
    clock = Clock()
    pool = CastPool(store, schedule=False, clock=clock)
    service = Service(store, clock, pool=pool)
    opened = service.open(code=POLLS[0])
    http = service.client()
    for login, choice in zip(TAKERS, CHOICES, strict=True):
        client.cast_with_link(client.get_ballot(SERVICE, opened.poll_id, service.session(login), http=http),
                              choice, http=http)
    assert store.ballots(opened.poll_id) == []  # nothing written while the poll runs
    pool.write(opened.poll_id)
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            rows = conn.execute(text("SELECT encode(token_hash, 'hex'), xmin::text, ctid FROM ballots "
                                     "WHERE poll_id = :p"), {"p": opened.poll_id}).all()
            assert len({xmin for _, xmin, _ in rows}) == 1  # one transaction id for the whole box
            by_place = [key for key, _, _ in sorted(rows, key=lambda row: tuple(map(int, row[2][1:-1].split(","))))]
            assert by_place == sorted(by_place)  # heap order is key order
        else:
            keys = [bytes(key).hex() for (key,) in conn.execute(text("SELECT token_hash FROM ballots"))]
            assert keys == sorted(keys)
    assert len(store.ballots(opened.poll_id)) == 6


def _poll_with_pool(store, **pool_options):
    clock = Clock()
    pool = CastPool(store, clock=clock, **pool_options)
    service = Service(store, clock, pool=pool)
    opened = service.open(code=POLLS[0])
    link = client.get_ballot(SERVICE, opened.poll_id, service.session("voter-1"), http=service.client())
    return service, pool, opened, link


def test_the_box_is_written_by_its_timer_before_the_deadline(store):
    service, pool, opened, link = _poll_with_pool(store)
    service.clock.now = opened.terms.deadline - LEAD - timedelta(milliseconds=200)
    client.cast_with_link(link, "warning", http=service.client())
    timer = pool._timers[opened.poll_id]
    timer.join(30)
    assert [choice for _, choice, _ in store.ballots(opened.poll_id)] == ["warning"] and pool.held(opened.poll_id) == 0


def test_a_cast_in_the_last_minutes_is_written_at_once(store):
    service, pool, opened, link = _poll_with_pool(store, schedule=False)
    service.clock.now = opened.terms.deadline - LEAD
    client.cast_with_link(link, "warning", http=service.client())
    assert pool.held(opened.poll_id) == 0 and len(store.ballots(opened.poll_id)) == 1


def test_held_casts_replace_in_order_and_an_older_one_is_refused(store):
    service, pool, opened, link = _poll_with_pool(store, schedule=False)
    web = service.client()
    first = link.cast_fields(opened.poll_id, "warning", 1)
    assert web.post(f"/polls/{link.slug}/cast", json=first).json()["replaced"] is False
    assert web.post(f"/polls/{link.slug}/cast", json=link.cast_fields(opened.poll_id, "no-action", 2)).json()[
        "replaced"] is True
    replayed = web.post(f"/polls/{link.slug}/cast", json=first)
    assert replayed.status_code == 409 and replayed.json()["seq"] == 2
    pool.write_all()  # a shutdown
    # After the box was written, the stored number still decides.
    assert web.post(f"/polls/{link.slug}/cast", json=first).status_code == 409
    assert client.cast_with_link(link, "abstain", http=web).seq == 3
    pool.write_all()
    assert [(choice, extra["seq"]) for _, choice, extra in store.ballots(opened.poll_id)] == [("abstain", "3")]


def test_casts_lost_with_a_dead_process_are_shown_by_the_voters_check(store, tmp_path):
    service, pool, opened, link = _poll_with_pool(store, schedule=False)
    receipt = client.cast_with_link(link, "warning", http=service.client())
    del pool  # the process dies without shutting down: what it held is gone
    closed = close_due_polls(store, opened.terms.deadline)
    path = tmp_path / "result.json"
    path.write_text(closed[0].result_json)
    out = io.StringIO()
    assert check_file(str(path), receipt.text, out) == 1 and "missing from the record" in out.getvalue()
