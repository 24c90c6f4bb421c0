"""`conduct vote`: cast with a ballot link, or get a ballot as a terminal voter and cast it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from app.ballots import blindrsa, castsig
from app.polls.ids import from_slug, to_slug
from app.web.auth import SESSION_COOKIE
from app.web.ballot import CSRF_HEADER

# Where the terminal voter's session cookie comes from when not passed on the command line: a flag would
# leave it in the shell history and in the process list.
SESSION_COOKIE_ENV = "CONDUCT_SESSION_COOKIE"


class VoteError(Exception):
    """The service refused, or the link is unusable; the message is the service's or says why."""


@dataclass(frozen=True)
class BallotLink:
    service: str  # scheme://host[:port]
    slug: str  # the poll in URL form
    token: str  # the ballot key's public half (base64url)
    prefix: str
    signature: str  # the poll's blind signature over prefix || token
    key: str  # the ballot key's private half (base64url seed): it signs every cast, and never leaves the link

    @property
    def url(self) -> str:
        return (f"{self.service}/polls/{self.slug}/vote"
                f"#t={self.token}&p={self.prefix}&s={self.signature}&k={self.key}")

    def cast_fields(self, poll_id: str, choice: str, seq: int) -> dict:
        """The cast request for `choice`, numbered `seq`, signed by the ballot's key."""
        cast_sig = castsig.sign(blindrsa.b64url_decode(self.key), castsig.cast_message(poll_id, choice, seq))
        return {"token": self.token, "prefix": self.prefix, "signature": self.signature, "choice": choice,
                "seq": seq, "cast_sig": blindrsa.b64url_encode(cast_sig)}


@dataclass(frozen=True)
class Receipt:
    receipt: str
    replaced: bool
    choice: str
    seq: int
    receipt_sig: str
    poll: str

    @property
    def text(self) -> str:
        """The receipt as one line to keep: `conduct poll check RESULT.json 'LINE'` checks it against the record."""
        return f"conduct-receipt:{self.poll}:{self.receipt}:{self.seq}:{self.choice}:{self.receipt_sig}"


def parse_link(link: str) -> BallotLink:
    """Read a ballot link `{service}/polls/{poll}/vote#t=...&p=...&s=...`."""
    parts = urlsplit(link)
    path = parts.path.rstrip("/").split("/")
    fields = {key: values[0] for key, values in parse_qs(parts.fragment).items()}
    if (parts.scheme not in ("http", "https") or len(path) < 4 or path[-3] != "polls" or path[-1] != "vote"
            or from_slug(path[-2]) is None or not {"t", "p", "s", "k"} <= set(fields)):
        raise VoteError("not a ballot link: expected .../polls/POLL/vote#t=...&p=...&s=...&k=...")
    service = f"{parts.scheme}://{parts.netloc}{'/'.join(path[:-3])}"
    return BallotLink(service, path[-2], fields["t"], fields["p"], fields["s"], fields["k"])


def _slug(poll: str) -> str:
    return poll if from_slug(poll) else to_slug(poll)


class Refused(VoteError):
    """The service said no; `data` is its answer (a stale cast's answer carries the recorded `seq`)."""

    def __init__(self, message: str, status: int, data: dict):
        super().__init__(message)
        self.status, self.data = status, data


def _answer(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200:
        data = data if isinstance(data, dict) else {}
        raise Refused(data.get("error") or f"the service answered {response.status_code}",
                      response.status_code, data)
    return data


def check_receipt(answer: dict, receipt_key: str | None, poll_id: str, fields: dict) -> Receipt:
    """The voter's own check of the service's answer: it says what was sent and the poll's receipt key signed it."""
    try:
        receipt = Receipt(answer["receipt"], bool(answer["replaced"]), answer["choice"], int(answer["seq"]),
                          answer["receipt_sig"], poll_id)
        signed = castsig.verify(blindrsa.b64url_decode(receipt_key or ""),
                                castsig.receipt_message(poll_id, receipt.receipt, receipt.choice, receipt.seq),
                                blindrsa.b64url_decode(receipt.receipt_sig))
    except (KeyError, TypeError, ValueError):
        signed, receipt = False, None
    expected = blindrsa.receipt(blindrsa.b64url_decode(fields["prefix"]), blindrsa.b64url_decode(fields["token"]))
    if (not signed or receipt.receipt != expected or receipt.choice != fields["choice"]
            or receipt.seq != fields["seq"]):
        raise VoteError("the service's receipt does not match this cast or its signature does not verify with "
                        "the poll's receipt key: keep this output and tell the mediators")
    return receipt


def _client(http: httpx.Client | None) -> httpx.Client:
    return http if http is not None else httpx.Client(timeout=30.0)


def cast_with_link(link: str | BallotLink, choice: str, *, http: httpx.Client | None = None) -> Receipt:
    """Cast (or change) the vote of a ballot link and check the receipt. Sends no cookie: the link, and the
    key in it that signs the choice, are the only credential."""
    ballot = parse_link(link) if isinstance(link, str) else link
    poll_id = from_slug(ballot.slug)
    client = _client(http)
    try:
        client.cookies.clear()  # a shared client must not carry a sign-in into the cast
        terms = _answer(client.get(f"{ballot.service}/polls/{ballot.slug}/terms"))
        seq = 1
        for _ in range(3):  # a later cast of this ballot (from another device) is answered with its number
            fields = ballot.cast_fields(poll_id, choice, seq)
            try:
                data = _answer(client.post(f"{ballot.service}/polls/{ballot.slug}/cast", json=fields))
                break
            except Refused as refused:
                if refused.status != 409 or not isinstance(refused.data.get("seq"), int):
                    raise
                seq = refused.data["seq"] + 1
        else:
            raise VoteError("the service keeps answering that a later vote is recorded")
    finally:
        if http is None:
            client.close()
    return check_receipt(data, terms.get("receipt_key"), poll_id, fields)


def get_ballot(service: str, poll: str, session_cookie: str | None = None, *,
               http: httpx.Client | None = None) -> BallotLink:
    """Get a blind-signed ballot as the signed-in voter whose session cookie this is; return its link.

    Does what the ballot page's script does: the token is made here and never sent to the service.
    """
    session_cookie = session_cookie or os.environ.get(SESSION_COOKIE_ENV)
    if not session_cookie:
        raise VoteError(f"a session cookie is needed (pass it, or set {SESSION_COOKIE_ENV})")
    service = service.rstrip("/")
    slug = _slug(poll)
    client = _client(http)
    try:
        terms = _answer(client.get(f"{service}/polls/{slug}/terms"))
        public_key = blindrsa.load_public_key_pem(terms["public_key"])
        key, token = castsig.new_key()
        prefix, input_msg = blindrsa.prepare(token)
        blinded, inv = blindrsa.blind(public_key, input_msg)
        answer = _answer(client.post(
            f"{service}/ballot/{slug}/sign", json={"blinded_msg": blindrsa.b64url_encode(blinded)},
            headers={CSRF_HEADER: "1", "Cookie": f"{SESSION_COOKIE}={session_cookie}"},
        ))
    finally:
        if http is None:
            client.close()
    try:
        signature = blindrsa.finalize(public_key, input_msg, blindrsa.b64url_decode(answer["blind_sig"]), inv)
    except (blindrsa.BlindSignatureError, ValueError, KeyError):
        raise VoteError("the service's signature does not verify with the poll's public key") from None
    return BallotLink(service, slug, blindrsa.b64url_encode(token), blindrsa.b64url_encode(prefix),
                      blindrsa.b64url_encode(signature), blindrsa.b64url_encode(key))


def vote(service: str, poll: str, choice: str, session_cookie: str | None = None, *,
         http: httpx.Client | None = None) -> tuple[BallotLink, Receipt]:
    """The terminal voter: get a ballot, then cast it. Keep the link to change the vote later."""
    ballot = get_ballot(service, poll, session_cookie, http=http)
    return ballot, cast_with_link(ballot, choice, http=http)
