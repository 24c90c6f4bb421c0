"""A poll from end to end, in-process: open, blind-sign ballots, cast, revote, abstain, close, recount."""
from __future__ import annotations

import io
import json

from test_polls_support import SERVICE, Service

from app.ballots import blindrsa
from app.core.poll_result import result_to_json
from app.polls import client
from app.polls.closing import close_due_polls
from app.polls.recount import run
from app.polls.verifier import make_verifier, recount_file


def _story(store):
    """Six voters get ballots through the terminal client; one revotes, one abstains; the poll closes."""
    service = Service(store)
    opened = service.open()
    http = service.client()
    choices = {"voter-1": "temporary-ban", "voter-2": "temporary-ban", "voter-3": "temporary-ban",
               "voter-4": "warning", "voter-5": "abstain", "voter-6": "no-action"}
    receipts = {}
    links = {}
    for login, choice in choices.items():
        links[login], cast = client.vote(SERVICE, opened.poll_id, choice, service.session(login), http=http)
        receipts[login] = cast.receipt
        assert cast.replaced is False
    # voter-6 changes their mind with the same link: the choice is replaced, the receipt stays.
    again = client.cast_with_link(links["voter-6"].url, "temporary-ban", http=http)
    assert again.replaced is True and again.receipt == receipts["voter-6"]
    choices["voter-6"] = "temporary-ban"
    service.clock.now = opened.terms.deadline
    closed = close_due_polls(store, opened.terms.deadline)
    return opened, choices, receipts, closed


def test_a_poll_from_opening_to_a_verified_recount(store, tmp_path):
    opened, choices, receipts, closed = _story(store)
    assert [c.poll_id for c in closed] == [opened.poll_id]
    result = closed[0].result
    assert result["signed_count"] == 6
    assert result["public_key"] == opened.terms.public_key
    assert result["electorate_size"] == 7  # eight voters, one recused
    by_receipt = {ballot["receipt"]: ballot["choice"] for ballot in result["ballots"]}
    assert by_receipt == {receipts[login]: choice for login, choice in choices.items()}
    expected = {option: list(choices.values()).count(option)
                for option in ("no-action", "warning", "temporary-ban", "abstain")}
    assert result["totals"] == expected
    # 4 of the 5 non-abstaining ballots reach temporary-ban: at least the 2/3 threshold.
    assert result["outcome"] == "temporary-ban"
    assert closed[0].event.outcome == "temporary-ban" and closed[0].event.totals == expected
    assert closed[0].event.poll == opened.poll_id
    path = tmp_path / "result.json"
    path.write_text(closed[0].result_json)
    out = io.StringIO()
    assert recount_file(str(path), out) == 0, out.getvalue()
    assert "matches its ballots" in out.getvalue()


def _forged_ballot(document):
    """A ballot the operator made up, with the totals, order and signed count adjusted to match it."""
    token, prefix = bytes(32), bytes(range(32))
    key = blindrsa.generate_key(2048)  # not the poll's key: the operator no longer has that one
    _, input_msg = blindrsa.prepare(token, rng=lambda n: prefix)
    blinded, inv = blindrsa.blind(key.public_key(), input_msg)
    signature = blindrsa.finalize(key.public_key(), input_msg, blindrsa.blind_sign(key, blinded), inv)
    forged = dict(document)
    forged["ballots"] = sorted([*document["ballots"], {
        "receipt": blindrsa.receipt(prefix, token), "choice": "warning",
        "token": blindrsa.b64url_encode(token), "prefix": blindrsa.b64url_encode(prefix),
        "signature": blindrsa.b64url_encode(signature),
    }], key=lambda ballot: ballot["receipt"])
    forged["totals"] = {**document["totals"], "warning": document["totals"]["warning"] + 1}
    forged["signed_count"] = document["signed_count"] + 1
    forged["issued"] = sorted([*document["issued"], "voter-7"])  # someone who took none: they would see it
    return forged


def test_a_stuffed_ballot_is_caught_only_by_the_signature_check(store, tmp_path):
    _, _, _, closed = _story(store)
    path = tmp_path / "stuffed.json"
    path.write_text(result_to_json(_forged_ballot(closed[0].result)))
    # Totals, order and counts are consistent, so a recount without signatures finds nothing wrong ...
    assert run(str(path), io.StringIO()) == 0
    out = io.StringIO()
    # ... but the forged ballot's signature is not the poll's.
    assert recount_file(str(path), out) == 1
    assert "fails verification" in out.getvalue()


def test_a_swapped_signature_or_receipt_fails_the_recount(store, tmp_path):
    _, _, _, closed = _story(store)
    document = json.loads(closed[0].result_json)
    first, second = document["ballots"][0], document["ballots"][1]
    first["signature"], second["signature"] = second["signature"], first["signature"]
    path = tmp_path / "swapped.json"
    path.write_text(result_to_json(document))
    out = io.StringIO()
    assert recount_file(str(path), out) == 1
    assert out.getvalue().count("does not verify") == 2


def test_more_ballots_than_signatures_fails_the_recount(store, tmp_path):
    _, _, _, closed = _story(store)
    document = json.loads(closed[0].result_json)
    document["signed_count"] = 5
    path = tmp_path / "undercount.json"
    path.write_text(result_to_json(document))
    out = io.StringIO()
    assert run(str(path), out, make_verifier=make_verifier) == 1
    assert "only 5 were signed" in out.getvalue()


def test_a_result_without_its_key_counts_no_ballot(store, tmp_path):
    _, _, _, closed = _story(store)
    document = json.loads(closed[0].result_json)
    del document["public_key"]
    path = tmp_path / "nokey.json"
    path.write_text(result_to_json(document))
    out = io.StringIO()
    assert recount_file(str(path), out) == 1
    assert "no public key" in out.getvalue()
