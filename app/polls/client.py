"""`conduct vote`: cast with a ballot link, or get a ballot as a terminal voter and cast it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from app.ballots import blindrsa
from app.polls.casting import TOKEN_LEN
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
    token: str
    prefix: str
    signature: str

    @property
    def url(self) -> str:
        return (f"{self.service}/polls/{self.slug}/vote"
                f"#t={self.token}&p={self.prefix}&s={self.signature}")


@dataclass(frozen=True)
class Receipt:
    receipt: str
    replaced: bool


def parse_link(link: str) -> BallotLink:
    """Read a ballot link `{service}/polls/{poll}/vote#t=...&p=...&s=...`."""
    parts = urlsplit(link)
    path = parts.path.rstrip("/").split("/")
    fields = {key: values[0] for key, values in parse_qs(parts.fragment).items()}
    if (parts.scheme not in ("http", "https") or len(path) < 4 or path[-3] != "polls" or path[-1] != "vote"
            or from_slug(path[-2]) is None or not {"t", "p", "s"} <= set(fields)):
        raise VoteError("not a ballot link: expected .../polls/POLL/vote#t=...&p=...&s=...")
    service = f"{parts.scheme}://{parts.netloc}{'/'.join(path[:-3])}"
    return BallotLink(service, path[-2], fields["t"], fields["p"], fields["s"])


def _slug(poll: str) -> str:
    return poll if from_slug(poll) else to_slug(poll)


def _answer(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200:
        raise VoteError(data.get("error") if isinstance(data, dict) and data.get("error")
                        else f"the service answered {response.status_code}")
    return data


def _client(http: httpx.Client | None) -> httpx.Client:
    return http if http is not None else httpx.Client(timeout=30.0)


def cast_with_link(link: str | BallotLink, choice: str, *, http: httpx.Client | None = None) -> Receipt:
    """Cast (or change) the vote of a ballot link. Sends no cookie: the link is the only credential."""
    ballot = parse_link(link) if isinstance(link, str) else link
    client = _client(http)
    try:
        client.cookies.clear()  # a shared client must not carry a sign-in into the cast
        response = client.post(f"{ballot.service}/polls/{ballot.slug}/cast", json={
            "token": ballot.token, "prefix": ballot.prefix, "signature": ballot.signature, "choice": choice,
        })
    finally:
        if http is None:
            client.close()
    data = _answer(response)
    return Receipt(data["receipt"], bool(data["replaced"]))


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
        token = os.urandom(TOKEN_LEN)
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
                      blindrsa.b64url_encode(signature))


def vote(service: str, poll: str, choice: str, session_cookie: str | None = None, *,
         http: httpx.Client | None = None) -> tuple[BallotLink, Receipt]:
    """The terminal voter: get a ballot, then cast it. Keep the link to change the vote later."""
    ballot = get_ballot(service, poll, session_cookie, http=http)
    return ballot, cast_with_link(ballot, choice, http=http)
