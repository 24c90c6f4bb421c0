"""Every bad request for a ballot or a cast gets a clear 4xx and leaves nothing stored."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from test_polls_support import SERVICE, Service

from app.ballots import blindrsa
from app.polls import client
from app.polls.casting import cast_ballot
from app.polls.closing import close_due_polls
from app.polls.errors import BallotRefused
from app.polls.ids import to_slug
from app.web.ballot import CSRF_HEADER

GOOD_HEADERS = {CSRF_HEADER: "1"}


def _count(store, table: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def _blinded(opened) -> str:
    key = blindrsa.load_public_key_pem(opened.terms.public_key)
    _, input_msg = blindrsa.prepare(bytes(32))
    return blindrsa.b64url_encode(blindrsa.blind(key, input_msg)[0])


@pytest.fixture
def poll(store):
    service = Service(store)
    return service, service.open()


# --- getting a ballot ------------------------------------------------------------------------------------

def _sign(service, opened, login, body=None, headers=GOOD_HEADERS, slug=None):
    web = service.client(login)
    return web.post(f"/ballot/{slug or to_slug(opened.poll_id)}/sign",
                    json={"blinded_msg": _blinded(opened)} if body is None else body, headers=headers)


@pytest.mark.parametrize(("login", "status", "words"), [
    (None, 401, "Sign in"),
    ("participant-1", 403, "not in this poll's electorate"),  # the subject of the case
    ("reporter-1", 403, "not in this poll's electorate"),  # a party
    ("voter-8", 403, "not in this poll's electorate"),  # recused
    ("stranger-1", 403, "not in this poll's electorate"),
])
def test_only_the_electorate_gets_a_ballot(poll, store, login, status, words):
    service, opened = poll
    answer = _sign(service, opened, login)
    assert answer.status_code == status and words in answer.json()["error"]
    assert _count(store, "issued") == 0


def test_a_second_ballot_for_the_same_voter_is_refused(poll, store):
    service, opened = poll
    assert _sign(service, opened, "voter-1").status_code == 200
    again = _sign(service, opened, "voter-1")
    assert again.status_code == 409 and "already signed" in again.json()["error"]
    assert _count(store, "issued") == 1


@pytest.mark.parametrize(("headers", "words"), [
    ({}, "did not come from the ballot page"),
    ({CSRF_HEADER: "1", "Origin": "https://evil.example"}, "another site"),
])
def test_a_signing_request_from_elsewhere_is_refused(poll, store, headers, words):
    service, opened = poll
    answer = _sign(service, opened, "voter-1", headers=headers)
    assert answer.status_code == 403 and words in answer.json()["error"]
    assert _count(store, "issued") == 0


@pytest.mark.parametrize("blinded", ["!!!", "AAAA", blindrsa.b64url_encode(b"\xff" * 256), 42, None])
def test_a_malformed_blinded_message_is_refused_and_does_not_use_up_the_ballot(poll, store, blinded):
    service, opened = poll
    answer = _sign(service, opened, "voter-1", body={"blinded_msg": blinded})
    assert answer.status_code == 400 and answer.json()["error"]
    assert _count(store, "issued") == 0
    assert _sign(service, opened, "voter-1").status_code == 200


def test_a_request_that_is_not_json_is_refused(poll, store):
    service, opened = poll
    web = service.client("voter-1")
    url = f"/ballot/{to_slug(opened.poll_id)}/sign"
    assert web.post(url, content="blinded_msg=x", headers={**GOOD_HEADERS, "content-type":
                    "application/x-www-form-urlencoded"}).status_code == 415
    assert web.post(url, content="{", headers={**GOOD_HEADERS, "content-type": "application/json"}
                    ).status_code == 400
    assert web.post(url, content="[" * 9000, headers={**GOOD_HEADERS, "content-type": "application/json"}
                    ).status_code == 413
    assert _count(store, "issued") == 0


@pytest.mark.parametrize("slug", ["C-2026-999-1", "C-2026-014%2F1", "nonsense"])
def test_an_unknown_poll_is_not_found(poll, slug):
    service, opened = poll
    assert _sign(service, opened, "voter-1", slug=slug).status_code == 404
    assert service.client().get(f"/polls/{slug}/vote").status_code == 404


def test_no_ballot_is_signed_after_the_deadline(poll, store):
    service, opened = poll
    service.clock.now = opened.terms.deadline
    answer = _sign(service, opened, "voter-1")
    assert answer.status_code == 410 and "closed" in answer.json()["error"]
    assert _count(store, "issued") == 0


def test_the_ballot_page_needs_sign_in(poll):
    service, opened = poll
    page = service.client().get(f"/ballot/{to_slug(opened.poll_id)}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=/ballot/")
    signed_in = service.client("voter-1").get(f"/ballot/{to_slug(opened.poll_id)}")
    assert signed_in.status_code == 200 and "voter-1" in signed_in.text


# --- casting -----------------------------------------------------------------------------------------------

@pytest.fixture
def ballot(poll):
    service, opened = poll
    link = client.get_ballot(SERVICE, opened.poll_id, service.session("voter-1"), http=service.client())
    return service, opened, link


def _cast(service, opened, **fields):
    return service.client().post(f"/polls/{to_slug(opened.poll_id)}/cast", json=fields)


def _flip(text_value: str) -> str:
    raw = bytearray(blindrsa.b64url_decode(text_value))
    raw[-1] ^= 1
    return blindrsa.b64url_encode(bytes(raw))


@pytest.mark.parametrize(("change", "status"), [
    ({"signature": "flip"}, 403),
    ({"token": "flip"}, 403),
    ({"prefix": "flip"}, 403),
    ({"choice": "life-ban"}, 400),
    ({"choice": 3}, 400),
    ({"token": None}, 400),
    ({"signature": "not base64!"}, 400),
    ({"token": blindrsa.b64url_encode(bytes(31))}, 400),
    ({"prefix": blindrsa.b64url_encode(bytes(33))}, 400),
    ({"cast_sig": "flip"}, 403),  # the choice not signed by the ballot's key
    ({"choice": "temporary-ban"}, 403),  # another choice under the signature made for "warning"
    ({"seq": 2}, 403),  # another number under that signature
    ({"seq": 0}, 400),
    ({"seq": "1x"}, 400),
    ({"seq": True}, 400),
    ({"seq": None}, 400),
    ({"cast_sig": None}, 400),
])
def test_a_bad_ballot_is_refused_and_nothing_is_stored(ballot, store, change, status):
    service, opened, link = ballot
    fields = link.cast_fields(opened.poll_id, "warning", 1)
    for name, value in change.items():
        fields[name] = _flip(fields[name]) if value == "flip" else value
    fields = {name: value for name, value in fields.items() if value is not None}
    answer = _cast(service, opened, **fields)
    assert answer.status_code == status and answer.json()["error"]
    assert _count(store, "ballots") == 0


def test_a_ballot_signed_for_another_poll_is_refused(ballot, store):
    service, opened, _ = ballot
    other = service.open(code="C-2026-015")
    foreign = client.get_ballot(SERVICE, other.poll_id, service.session("voter-2"), http=service.client())
    answer = _cast(service, opened, **foreign.cast_fields(opened.poll_id, "warning", 1))
    assert answer.status_code == 403 and "does not verify with this poll's key" in answer.json()["error"]
    assert _count(store, "ballots") == 0


def test_no_ballot_is_cast_after_the_deadline_or_the_close(ballot, store):
    service, opened, link = ballot
    fields = link.cast_fields(opened.poll_id, "warning", 1)
    service.clock.now = opened.terms.deadline
    assert _cast(service, opened, **fields).status_code == 410
    close_due_polls(store, opened.terms.deadline)
    service.clock.now = opened.terms.deadline - timedelta(hours=1)  # even a clock running late
    answer = _cast(service, opened, **fields)
    assert answer.status_code == 410 and "closed" in answer.json()["error"]
    assert _count(store, "ballots") == 0


def test_ballot_responses_carry_no_referrer_no_cache_and_no_cookie(ballot):
    service, opened, link = ballot
    slug = to_slug(opened.poll_id)
    anonymous = service.client()
    responses = [
        anonymous.get(f"/polls/{slug}/vote"),
        anonymous.post(f"/polls/{slug}/cast", json=link.cast_fields(opened.poll_id, "abstain", 1)),
        service.client("voter-1").get(f"/ballot/{slug}"),
        _sign(service, opened, "voter-2"),
    ]
    for response in responses:
        assert response.status_code == 200
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert "set-cookie" not in response.headers
    assert "script-src 'self'" in responses[0].headers["content-security-policy"]


def test_racing_casts_with_one_token_leave_one_ballot_the_highest_numbered(ballot, store):
    service, opened, link = ballot
    barrier = threading.Barrier(4)
    outcomes, stale = [], []
    choices = ("warning", "abstain", "no-action", "temporary-ban")

    def cast(seq):
        barrier.wait()
        try:
            outcomes.append(cast_ballot(store, opened.poll_id, link.cast_fields(opened.poll_id, choices[seq - 1], seq),
                                        service.clock.now))
        except BallotRefused as refused:
            stale.append(refused)

    threads = [threading.Thread(target=cast, args=(seq,)) for seq in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) + len(stale) == 4 and all(refused.status == 409 for refused in stale)
    assert [outcome.replaced for outcome in outcomes].count(False) == 1
    stored = store.ballots(opened.poll_id)
    assert len(stored) == 1 and stored[0][1] == "temporary-ban" and stored[0][2]["seq"] == "4"


def test_an_older_cast_replayed_cannot_undo_a_later_one(ballot, store):
    service, opened, link = ballot
    first = link.cast_fields(opened.poll_id, "warning", 1)
    assert _cast(service, opened, **first).status_code == 200
    assert _cast(service, opened, **link.cast_fields(opened.poll_id, "temporary-ban", 2)).status_code == 200
    replayed = _cast(service, opened, **first)
    assert replayed.status_code == 409 and replayed.json()["seq"] == 2
    again = _cast(service, opened, **link.cast_fields(opened.poll_id, "temporary-ban", 2))
    assert again.status_code == 200 and again.json()["seq"] == 2  # the same cast again: answered, unchanged
    assert [(choice, extra["seq"]) for _, choice, extra in store.ballots(opened.poll_id)] == [("temporary-ban", "2")]
    # `conduct vote` with the link numbers its cast after the recorded one by itself.
    receipt = client.cast_with_link(link, "no-action", http=service.client())
    assert (receipt.choice, receipt.seq, receipt.replaced) == ("no-action", 3, True)


def test_refusals_are_the_ballot_refused_error_in_python_too(ballot, store):
    service, opened, link = ballot
    with pytest.raises(BallotRefused) as refused:
        cast_ballot(store, opened.poll_id, {**link.cast_fields(opened.poll_id, "warning", 1), "choice": "nope"},
                    service.clock.now)
    assert refused.value.status == 400
