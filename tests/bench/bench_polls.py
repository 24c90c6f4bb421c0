"""Print ballot signing (issuance) and casting throughput on SQLite and PostgreSQL, and tally times.

Usage: .venv/bin/python tests/bench/bench_polls.py [--voters N] [--tally N] [--postgres-url URL]
                                                    [--no-postgres]
Issuance and casting go through the same functions the web routes call (sign_ballot, cast_ballot), with
the poll's 3072-bit key; the voters' own blinding and unblinding happen before the clock starts. The
tally is timed twice: building the result from 100,000 ballots in memory, and closing a poll with that
many ballots in the database (read, tally, destroy the key, mark closed, scrub).
Without --postgres-url a throwaway PostgreSQL 15 cluster (fsync on) is started and removed afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from databases import on_each_database  # noqa: E402
from test_polls_support import T0, case_for_poll, policy  # noqa: E402

from app.ballots import blindrsa, castsig  # noqa: E402
from app.core.poll_result import parse_result, recount  # noqa: E402
from app.polls import keycache  # noqa: E402
from app.polls.casting import cast_ballot  # noqa: E402
from app.polls.client import BallotLink  # noqa: E402
from app.polls.closing import close_due_polls, result_for  # noqa: E402
from app.polls.opening import open_poll  # noqa: E402
from app.polls.signing import sign_ballot  # noqa: E402
from app.polls.verifier import make_verifier  # noqa: E402
from app.store import open_store  # noqa: E402
from app.store.schema import ballots, issued  # noqa: E402

CHOICES = ("no-action", "warning", "temporary-ban", "abstain")


def _timed(label: str, count: int, action) -> float:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    print(f"  {label:<48} {count / elapsed:>10,.0f} /s  ({count} in {elapsed:.2f}s)")
    return elapsed


def _fake_ballots(count: int) -> list[tuple[bytes, str, dict]]:
    """Ballots shaped like real ones (base64url token, prefix and 3072-bit signature), not signed."""
    rows = []
    for n in range(count):
        token, prefix = os.urandom(32), os.urandom(32)
        rows.append((hashlib.sha256(prefix + token).digest(), CHOICES[n % 4], {
            "token": blindrsa.b64url_encode(token), "prefix": blindrsa.b64url_encode(prefix),
            "signature": blindrsa.b64url_encode(os.urandom(384))}))
    rows.sort()
    return rows


def bench_service(url: str, voters: int, tally: int) -> None:
    the_policy = policy()
    store = open_store(url)
    logins = [f"core-{n}" for n in range(voters)]
    opened = open_poll(case_for_poll(the_policy), the_policy, store, logins, T0, public_url="http://bench")
    poll_id, now = opened.poll_id, T0 + timedelta(hours=1)
    public = keycache.public_key(opened.terms.public_key)
    prepared = []
    for _ in logins:
        seed, token = castsig.new_key()
        prefix, input_msg = blindrsa.prepare(token)
        blinded, inv = blindrsa.blind(public, input_msg)
        prepared.append((seed, token, prefix, input_msg, blindrsa.b64url_encode(blinded), inv))
    answers = []
    pairs = list(zip(logins, prepared, strict=True))
    _timed("issuance: sign_ballot (check, mark, blind_sign)", voters, lambda: answers.extend(
        sign_ballot(store, poll_id, login, item[4], now) for login, item in pairs))
    links = []
    for (seed, token, prefix, input_msg, _, inv), answer in zip(prepared, answers, strict=True):
        signature = blindrsa.finalize(public, input_msg, blindrsa.b64url_decode(answer), inv)
        links.append(BallotLink("http://bench", "-", blindrsa.b64url_encode(token), blindrsa.b64url_encode(prefix),
                                blindrsa.b64url_encode(signature), blindrsa.b64url_encode(seed)))

    def cast(choice, seq):
        fields = [link.cast_fields(poll_id, choice, seq) for link in links]  # signed by the voter, not timed
        return lambda: [cast_ballot(store, poll_id, item, now) for item in fields]

    _timed("casting: cast_ballot (verify, upsert, receipt), new", voters, cast("warning", 1))
    _timed("casting: cast_ballot, replacing", voters, cast("temporary-ban", 2))
    closed = []
    _timed(f"closing {voters} ballots (tally, key, scrub)", voters,
           lambda: closed.extend(close_due_polls(store, opened.terms.deadline)))
    parsed = parse_result(closed[0].result_json)
    _timed("recount with signature checks", voters, lambda: recount(parsed, make_verifier(parsed)))

    # A poll with `tally` ballots, written in bulk (casting them one by one is measured above).
    big = open_poll(case_for_poll(the_policy, "C-2026-100"), the_policy, store,
                    [f"v-{n}" for n in range(tally)], T0, public_url="http://bench")
    rows = _fake_ballots(tally)
    with store.engine.begin() as conn:
        conn.execute(issued.insert(), [{"poll_id": big.poll_id, "login": f"v-{n}"} for n in range(tally)])
        conn.execute(ballots.insert(), [{"poll_id": big.poll_id, "token_hash": h, "choice": c, "extra": e}
                                        for h, c, e in rows])
    _timed(f"closing {tally:,} ballots in the database", tally,
           lambda: close_due_polls(store, big.terms.deadline))
    store.close()


def bench_memory(tally: int) -> None:
    the_policy = policy()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/terms.db")
        opened = open_poll(case_for_poll(the_policy), the_policy, store, [f"v-{n}" for n in range(tally)], T0,
                           public_url="http://bench", key_bits=2048)
        poll = store.get_poll(opened.poll_id)
        store.close()
    rows = _fake_ballots(tally)
    print(f"In memory, {tally:,} ballots")
    _timed("tally into the result document (result_for)", tally,
           lambda: result_for(poll, rows, [f"core-{n:06d}" for n in range(tally)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=300)
    parser.add_argument("--tally", type=int, default=100_000)
    parser.add_argument("--postgres-url", help="a server URL allowed to CREATE DATABASE")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    bench_memory(args.tally)
    on_each_database(lambda url: bench_service(url, args.voters, args.tally), f"{args.voters} voters, RSA-3072",
                     args.postgres_url, args.no_postgres)

if __name__ == "__main__":
    main()
