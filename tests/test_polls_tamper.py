"""The dishonest operator changes the ballot box: it flips a choice, stuffs a ballot, removes one, replays an
older cast, or alters a receipt. Each is caught by `conduct poll recount` or by the voter's own check
(`conduct poll check`, and the check the vote page and `conduct vote` make of every receipt).

The operator here holds what it really holds: the database (it writes rows with SQL, as it could), the
poll's private key while the poll is open, and the service's answers (it can change what it sends)."""
from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import text
from test_polls_support import SERVICE, VOTERS, Service

from app.ballots import blindrsa, castsig
from app.entry.cli import main as conduct
from app.polls import client, keycache
from app.polls.closing import close_due_polls
from app.polls.ids import to_slug

CHOICES = {"voter-1": "temporary-ban", "voter-2": "warning", "voter-3": "no-action", "voter-4": "warning",
           "voter-5": "abstain", "voter-6": "no-action"}


def _vote_all(service, opened):
    http = service.client()
    links, receipts = {}, {}
    for login, choice in CHOICES.items():
        links[login], receipts[login] = client.vote(SERVICE, opened.poll_id, choice, service.session(login), http=http)
    return links, receipts


def _close(service, opened, tmp_path):
    closed = close_due_polls(service.store, opened.terms.deadline)
    path = tmp_path / "result.json"
    path.write_text(closed[0].result_json)
    return path, json.loads(closed[0].result_json)


def _recount(path, capsys) -> tuple[int, str]:
    code = conduct(["poll", "recount", str(path)])
    return code, capsys.readouterr().out


def _check(path, receipt, capsys) -> tuple[int, str]:
    code = conduct(["poll", "check", str(path), receipt.text])
    return code, capsys.readouterr().out


@pytest.fixture
def poll(store):
    service = Service(store)
    opened = service.open()
    links, receipts = _vote_all(service, opened)
    return service, opened, links, receipts


def test_an_honest_poll_recounts_and_every_voter_finds_their_receipt(poll, tmp_path, capsys):
    service, opened, _, receipts = poll
    path, document = _close(service, opened, tmp_path)
    assert _recount(path, capsys)[0] == 0
    assert document["issued"] == sorted(CHOICES) and document["receipt_key"] == opened.terms.receipt_key
    for receipt in receipts.values():
        code, out = _check(path, receipt, capsys)
        assert code == 0 and out.startswith("Holds"), out


def test_a_flipped_choice_is_caught_by_the_recount_and_by_its_voter(poll, store, tmp_path, capsys):
    service, opened, _, receipts = poll
    victim = receipts["voter-3"]
    with store.engine.begin() as conn:  # the operator rewrites a stored choice
        conn.execute(text("UPDATE ballots SET choice = 'temporary-ban' WHERE token_hash = :h"),
                     {"h": bytes.fromhex(victim.receipt)})
    path, _ = _close(service, opened, tmp_path)
    code, out = _recount(path, capsys)
    assert code == 1 and "its own key did not sign" in out and "does NOT match" in out
    code, out = _check(path, victim, capsys)
    assert code == 1 and "the record is wrong" in out


def _mint(store, opened):
    """A ballot the operator makes with the poll's private key, and a cast signed by a key of its own."""
    private = keycache.private_key(store.poll_key(opened.poll_id))
    seed, token = castsig.new_key()
    prefix, input_msg = blindrsa.prepare(token)
    blinded, inv = blindrsa.blind(private.public_key(), input_msg)
    signature = blindrsa.finalize(private.public_key(), input_msg, blindrsa.blind_sign(private, blinded), inv)
    return client.BallotLink(SERVICE, to_slug(opened.poll_id), blindrsa.b64url_encode(token),
                             blindrsa.b64url_encode(prefix), blindrsa.b64url_encode(signature),
                             blindrsa.b64url_encode(seed))


def test_a_stuffed_ballot_is_caught_by_the_count_of_those_who_took_one(poll, store, tmp_path, capsys):
    service, opened, _, _ = poll
    # Cast through the real service: every signature is valid, only the count can give it away.
    client.cast_with_link(_mint(store, opened), "temporary-ban", http=service.client())
    path, document = _close(service, opened, tmp_path)
    assert len(document["ballots"]) == 7 and document["signed_count"] == 6
    code, out = _recount(path, capsys)
    assert code == 1 and "7 ballots published but only 6 were signed" in out


def test_a_ballot_stuffed_with_a_name_added_is_seen_by_that_person(poll, store, tmp_path, capsys):
    service, opened, _, _ = poll
    client.cast_with_link(_mint(store, opened), "temporary-ban", http=service.client())
    with store.engine.begin() as conn:  # the operator also marks a voter who never took a ballot
        conn.execute(text("INSERT INTO issued (poll_id, login) VALUES (:p, 'voter-7')"), {"p": opened.poll_id})
    path, document = _close(service, opened, tmp_path)
    assert _recount(path, capsys)[0] == 0  # the numbers now add up ...
    # ... but the list goes to the electorate, and voter-7, who took no ballot, finds their name on it.
    assert "voter-7" in document["issued"] and "voter-7" not in CHOICES and "voter-7" in VOTERS


def test_a_removed_ballot_is_caught_by_its_voter_with_the_signed_receipt(poll, store, tmp_path, capsys):
    service, opened, _, receipts = poll
    victim = receipts["voter-1"]
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ballots WHERE token_hash = :h"), {"h": bytes.fromhex(victim.receipt)})
    path, _ = _close(service, opened, tmp_path)
    assert _recount(path, capsys)[0] == 0  # five ballots from six takers is a valid record by itself
    code, out = _check(path, victim, capsys)
    assert code == 1 and "missing from the record" in out


def test_an_older_cast_put_back_is_caught_by_its_voter(poll, store, tmp_path, capsys):
    service, opened, links, receipts = poll
    link = links["voter-2"]
    first = next(extra for token_hash, _, extra in store.ballots(opened.poll_id)
                 if token_hash.hex() == receipts["voter-2"].receipt)
    latest = client.cast_with_link(link, "temporary-ban", http=service.client())
    with store.engine.begin() as conn:  # the operator restores the first cast, signature and all
        conn.execute(text("UPDATE ballots SET choice = 'warning', extra = :e WHERE token_hash = :h"),
                     {"e": json.dumps(first, sort_keys=True, separators=(",", ":")),
                      "h": bytes.fromhex(latest.receipt)})
    path, _ = _close(service, opened, tmp_path)
    assert _recount(path, capsys)[0] == 0  # a genuine, signed cast ...
    code, out = _check(path, latest, capsys)
    assert code == 1 and "cast number 1" in out and "cast number 2" in out  # ... but not the last one


def test_an_altered_receipt_is_caught_by_the_voter_and_cannot_accuse_the_operator(poll, tmp_path, capsys):
    service, opened, _, receipts = poll
    honest = receipts["voter-4"]
    path, _ = _close(service, opened, tmp_path)
    # A voter (or anyone) alters a receipt to claim the service accepted another choice: it does not verify.
    forged = client.Receipt(honest.receipt, False, "temporary-ban", honest.seq, honest.receipt_sig, honest.poll)
    code, out = _check(path, forged, capsys)
    assert code == 1 and "does not verify with the poll's receipt key" in out


def test_a_receipt_altered_by_the_service_is_refused_by_the_voters_client(store):
    service = Service(store)
    opened = service.open()

    def altering(request: httpx.Request) -> httpx.Response:
        # The operator's service answers a cast with a receipt for another choice, re-signed by a key of its own.
        answer = service.client().request(request.method, str(request.url), content=request.content,
                                          headers=dict(request.headers))
        if request.url.path.endswith("/cast") and answer.status_code == 200:
            data = answer.json() | {"choice": "no-action"}
            return httpx.Response(200, json=data)
        return httpx.Response(answer.status_code, content=answer.content, headers=answer.headers)

    link = client.get_ballot(SERVICE, opened.poll_id, service.session("voter-1"), http=service.client())
    with pytest.raises(client.VoteError, match="receipt does not match"):
        client.cast_with_link(link, "temporary-ban", http=httpx.Client(transport=httpx.MockTransport(altering)))


def test_the_recount_output_is_unreadable_for_a_damaged_receipt_line(poll, tmp_path, capsys):
    service, opened, _, _ = poll
    path, _ = _close(service, opened, tmp_path)
    assert conduct(["poll", "check", str(path), "conduct-receipt:nonsense"]) == 2
    assert "not a receipt" in capsys.readouterr().out
