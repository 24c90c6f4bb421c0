"""The malicious operator: holding the database, the logs, every request and the poll's private key, it
still cannot tell which voter cast which ballot.

What the adversary holds, all captured here:

* every table of the database, dumped row by row, while the poll is open and again after it closes;
* every log record any logger emitted (captured at DEBUG);
* every request the service received and every answer it gave (method, path, headers, body), recorded
  by an ASGI middleware in front of the service; the session cookie in a signing request tells it the
  voter's login (it also holds the session secret);
* the poll's private key, read from the database before the close destroys it.

The argument. A signing request carries z = m * r^e mod n, where m is the PSS-encoded message for
prefix || token and r is drawn uniformly from the units mod n in the voter's client; the answer is
z^d = m^d * r. A ballot carries the token, the prefix and s = m^d. For ANY signing request i and ANY
ballot j there is exactly one r_ij with z_i = m_j * r_ij^e (RSA is a permutation of the units, so
r_ij = (z_i / m_j)^d), and with it the answer checks too: z_i^d = s_j * r_ij. Because r was uniform and
never left the client, every r_ij is equally likely, so every pairing of requests with ballots is equally
consistent with everything the adversary holds: the blinded messages are statistically independent of
the tokens. The test computes r_ij for every pair with the private key and checks that all pairs pass
the adversary's own consistency check; it also checks that no value computable from one side equals, or
appears in the stored form of, any value computable from the other.

Outside this argument, and not claimed: when and from where requests arrive. A voter who casts from the
same address, or seconds after signing, can be linked by whoever watches the traffic; so the voters here
get their ballots in one order and cast in another, and the record keeps no times or addresses.
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
from math import gcd

import pytest
from sqlalchemy import MetaData, select
from test_polls_support import SERVICE, VOTERS, Service

from app.ballots import blindrsa
from app.polls import client, keycache
from app.polls.closing import close_due_polls
from app.web.auth import SESSION_COOKIE


class Recorder:
    """ASGI middleware keeping every request and answer, in arrival order, as the operator could."""

    def __init__(self, app):
        self.app = app
        self.exchanges: list[dict] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        record = {"method": scope["method"], "path": scope["path"], "query": scope["query_string"].decode(),
                  "headers": {k.decode(): v.decode() for k, v in scope["headers"]}, "body": b"",
                  "answer": b""}
        self.exchanges.append(record)

        async def recording_receive():
            message = await receive()
            record["body"] += message.get("body", b"")
            return message

        async def recording_send(message):
            if message["type"] == "http.response.body":
                record["answer"] += message.get("body", b"")
            await send(message)

        await self.app(scope, recording_receive, recording_send)

    def to(self, suffix: str) -> list[dict]:
        return [r for r in self.exchanges if r["method"] == "POST" and r["path"].endswith(suffix)]


def _dump(store) -> dict[str, list[tuple]]:
    tables = MetaData()
    tables.reflect(store.engine)
    with store.engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(select(table))]
                for name, table in tables.tables.items()}


def _forms(data: bytes) -> set[bytes]:
    """The ways a value may be written down: raw, base64url, hex, and its SHA-256 / SHA-384 digests."""
    out = {data, blindrsa.b64url_encode(data).encode(), data.hex().encode()}
    for digest in (hashlib.sha256(data).digest(), hashlib.sha384(data).digest()):
        out |= {digest, digest.hex().encode(), blindrsa.b64url_encode(digest).encode()}
    return out


def _text(value) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value) + b" " + bytes(value).hex().encode()
    return json.dumps(value, sort_keys=True, default=str).encode()


def _blob(items) -> bytes:
    return b"\n".join(_text(item) for item in items)


@pytest.fixture
def operator(store, caplog):
    """Run a poll in which six voters vote, capturing everything the operator can see."""
    caplog.set_level(logging.DEBUG)
    recorder: Recorder | None = None

    def wrap(app):
        nonlocal recorder
        recorder = Recorder(app)
        return recorder

    service = Service(store, wrap=wrap)
    opened = service.open()
    private_key = keycache.private_key(store.poll_key(opened.poll_id))
    http = service.client()
    voters = VOTERS[:6]
    links = {login: client.get_ballot(SERVICE, opened.poll_id, service.session(login), http=http)
             for login in voters}
    rng = random.Random(9474)
    cast_order = voters[:]
    rng.shuffle(cast_order)
    choices = ["warning", "temporary-ban", "abstain", "no-action", "warning", "temporary-ban"]
    for login, choice in zip(cast_order, choices, strict=True):
        client.cast_with_link(links[login], choice, http=http)
    open_dump = _dump(store)
    closed = close_due_polls(store, opened.terms.deadline)
    return {
        "service": service, "opened": opened, "key": private_key, "recorder": recorder,
        "dumps": [open_dump, _dump(store)], "logs": caplog.text, "result": closed[0].result_json,
    }


def _signing_requests(operator):
    """(login, blinded message, blind signature) for each signing request, as the operator reads them."""
    sessions = operator["service"].sign_in.sessions
    requests = []
    for record in operator["recorder"].to("/sign"):
        cookie = record["headers"]["cookie"].split(f"{SESSION_COOKIE}=", 1)[1].split(";")[0]
        requests.append((sessions.loads(cookie)["login"],
                         blindrsa.b64url_decode(json.loads(record["body"])["blinded_msg"]),
                         blindrsa.b64url_decode(json.loads(record["answer"])["blind_sig"])))
    return requests


def _ballots(operator):
    """(token, prefix, signature, choice) for each stored ballot."""
    return [(blindrsa.b64url_decode(extra["token"]), blindrsa.b64url_decode(extra["prefix"]),
             blindrsa.b64url_decode(extra["signature"]), choice)
            for _, choice, extra in operator["service"].store.ballots(operator["opened"].poll_id)]


def test_every_pairing_of_signing_requests_and_ballots_is_equally_consistent(operator):
    key = operator["key"].private_numbers()
    n, e, d = key.public_numbers.n, key.public_numbers.e, key.d
    requests, ballots = _signing_requests(operator), _ballots(operator)
    assert len(requests) == len(ballots) == 6
    assert sorted(login for login, _, _ in requests) == sorted(VOTERS[:6])
    consistent = 0
    for _, blinded, blind_sig in requests:
        z, answer = blindrsa.os2ip(blinded), blindrsa.os2ip(blind_sig)
        for _, _, signature, _ in ballots:
            s = blindrsa.os2ip(signature)
            m = pow(s, e, n)  # the ballot's PSS-encoded message, which anyone can recover
            r = pow(z * pow(m, -1, n) % n, d, n)  # the blinding factor that would pair these two
            # The adversary's best test of a pairing: does some r explain both the request and the answer?
            if gcd(r, n) == 1 and z == m * pow(r, e, n) % n and answer == s * r % n:
                consistent += 1
    assert consistent == len(requests) * len(ballots)


def test_nothing_computed_from_a_signing_request_equals_anything_computed_from_a_ballot(operator):
    n = operator["key"].private_numbers().public_numbers.n
    e = operator["key"].private_numbers().public_numbers.e
    k = (n.bit_length() + 7) // 8
    request_side = set()
    for login, blinded, blind_sig in _signing_requests(operator):
        request_side |= _forms(blinded) | _forms(blind_sig) | _forms(login.encode())
    ballot_side = set()
    for token, prefix, signature, _ in _ballots(operator):
        message = blindrsa.i2osp(pow(blindrsa.os2ip(signature), e, n), k)
        for value in (token, prefix, signature, message, prefix + token):
            ballot_side |= _forms(value)
    assert request_side.isdisjoint(ballot_side)


def test_no_ballot_value_appears_where_the_operator_sees_a_voter(operator):
    """Signing requests and answers, the logs, and the issued/electorate rows hold no ballot value."""
    n = operator["key"].private_numbers().public_numbers.n
    e = operator["key"].private_numbers().public_numbers.e
    k = (n.bit_length() + 7) // 8
    seen_with_voters = _blob([*[(r["path"], r["query"], r["headers"], r["body"], r["answer"])
                                for r in operator["recorder"].to("/sign")],
                              operator["logs"],
                              *[operator["dumps"][i][table]
                                for i in (0, 1) for table in ("issued", "electorate")]])
    for token, prefix, signature, _ in _ballots(operator):
        message = blindrsa.i2osp(pow(blindrsa.os2ip(signature), e, n), k)
        for value in (token, prefix, signature, message):
            for form in _forms(value):
                assert form not in seen_with_voters


def _ballots_of(result_json: str) -> str:
    """The published result without its list of who took a ballot (that list names voters, by design)."""
    document = json.loads(result_json)
    assert sorted(document.pop("issued")) == sorted(VOTERS[:6])
    return json.dumps(document)


def test_no_signing_value_or_login_appears_with_the_ballots(operator):
    """Cast requests, stored ballots and the published ballots hold no login and no signing value."""
    with_ballots = _blob([*[(r["path"], r["headers"], r["body"], r["answer"])
                            for r in operator["recorder"].to("/cast")],
                          *[operator["dumps"][i]["ballots"] for i in (0, 1)], _ballots_of(operator["result"])])
    for login, blinded, blind_sig in _signing_requests(operator):
        assert login.encode() not in with_ballots
        for form in _forms(blinded) | _forms(blind_sig):
            assert form not in with_ballots
    for record in operator["recorder"].to("/cast"):
        assert "cookie" not in record["headers"]  # casting carries no sign-in


def test_the_database_holds_no_other_link(operator):
    """Only `issued` and `electorate` name voters; neither shares a column with the ballot tables, and the
    key the operator used above is gone from the database once the poll closes."""
    before, after = operator["dumps"]
    poll_id = operator["opened"].poll_id
    logins = {login.encode() for login in VOTERS}
    for dump in (before, after):
        for table, rows in dump.items():
            if table in ("issued", "electorate"):
                assert all(set(row) <= {poll_id, *VOTERS} for row in rows)
            else:
                text = _blob(rows)
                assert not any(login in text for login in logins), table
    assert len(before["poll_keys"]) == 1 and after["poll_keys"] == []
    assert len(after["issued"]) == 6 and len(after["ballots"]) == 6
