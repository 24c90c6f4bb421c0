"""The ballot pages: get a blind-signed ballot (signed in, /ballot/), cast it (no cookie, /polls/), poll terms."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.polls.casting import cast_ballot
from app.polls.errors import BallotRefused
from app.polls.ids import from_slug, to_slug
from app.polls.pool import CastPool
from app.polls.signing import sign_ballot
from app.polls.terms import PollTerms
from app.render import when
from app.web import bounded
from app.web.auth import SignIn

STATIC = Path(__file__).resolve().parent / "static"
# The ballot script asks for a signature with this header. A cross-site page cannot add a custom header
# without a CORS preflight, which this service never grants, so the header is the CSRF defence.
CSRF_HEADER = "x-conduct-ballot"
MAX_BODY = 8 * 1024  # a blinded 4096-bit message or a cast ballot is well under 2 KiB of JSON

# Every ballot response: never cached, never sends the page address anywhere, never framed.
# Scripts only from this origin (and none inline), so the poll data travels as inert JSON.
_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; connect-src 'self'; "
                                "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                                "frame-ancestors 'none'"),
}


@lru_cache(maxsize=1)
def _pages() -> Environment:
    # A separate environment from the Markdown one: these are HTML pages, so everything is escaped.
    return Environment(loader=PackageLoader("app.render", "templates"), undefined=StrictUndefined, autoescape=True)


def _page(template: str, status: int = 200, **context) -> HTMLResponse:
    body = _pages().get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


def _error(refused: BallotRefused, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({**refused.details, "error": refused.message}, status_code=refused.status,
                        headers={**_HEADERS, **(headers or {})})


# The ballot page and the signing answer end their connection: the browser then opens a new one for the
# vote page, so a kept-alive connection does not carry the signed-in voter over to their cast.
_CLOSE = {"Connection": "close"}
# What a signed-in account outside the electorate (or asking for a poll that does not exist) is told:
# the same words either way, and nothing of the poll.
NOT_YOURS = ("There is no ballot for you here: either no such poll exists or you are not in its electorate "
             "(the core developers, less the people the case is about).")


def _poll_json(terms: PollTerms) -> str:
    """The poll's public terms as JSON safe to embed in a <script type="application/json"> block."""
    data = {
        "poll": terms.poll_id,
        "slug": to_slug(terms.poll_id),
        "public_key": terms.public_key,
        "receipt_key": terms.receipt_key,
        "deadline": when(terms.deadline),
        "options": [{"id": c.id, "title": c.title, "description": c.description}
                    for c in terms.ballot_choices()],
    }
    # "<" escaped so no text inside can end the script element early.
    return json.dumps(data).replace("<", "\\u003c")


async def _json_body(request: Request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BallotRefused(415, "Send the request as application/json.")
    try:
        data = bounded.loads(await bounded.read_body(request, MAX_BODY), max_depth=8)
    except bounded.BadBody as refusal:
        message = "The request is too large." if refusal.status == 413 else "The request is not valid JSON."
        raise BallotRefused(refusal.status, message) from None
    if not isinstance(data, dict):
        raise BallotRefused(400, "The request must be a JSON object.")
    return data


def discussion_url(store, poll_id: str) -> str | None:
    """The poll's deliberation discussion (where the summary is), once it is posted."""
    posted = store.effect_result(f"discussion:{poll_id}")
    try:
        return json.loads(posted).get("url") if posted else None
    except (ValueError, AttributeError):
        return None


def ballot_routes(store, sign_in: SignIn, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                  pool: CastPool | None = None) -> list[BaseRoute]:
    """The routes under /ballot/{poll} and /polls/{poll}/ (poll in URL form, `C-2026-014-1`).

    With a `pool` (what `conduct serve` passes), casts are held and written in one batch before the
    deadline; without, each is written at once.
    """

    def terms_of(request: Request) -> PollTerms:
        poll_id = from_slug(request.path_params["poll"])
        poll = store.get_poll(poll_id) if poll_id else None
        if poll is None:
            raise BallotRefused(404, "There is no such poll.")
        return PollTerms.from_poll(poll)

    def is_open(terms: PollTerms) -> bool:
        return store.get_poll(terms.poll_id).state == "open" and clock() < terms.deadline

    async def ballot_page(request: Request) -> Response:
        who = sign_in.require(request)
        if not isinstance(who, str):
            return who
        try:
            terms = terms_of(request)
        except BallotRefused:
            terms = None
        if terms is None or not store.is_eligible(terms.poll_id, who):
            return _page("ballot-error.html.j2", 404, message=NOT_YOURS)
        page = _page("ballot-get.html.j2", login=who, terms=terms, deadline=when(terms.deadline),
                     is_open=is_open(terms), poll_json=_poll_json(terms), held=pool is not None,
                     discussion=discussion_url(store, terms.poll_id))
        page.headers.update(_CLOSE)
        return page

    async def sign(request: Request) -> Response:
        try:
            if request.headers.get(CSRF_HEADER) != "1":
                raise BallotRefused(403, "The request did not come from the ballot page.")
            origin = request.headers.get("origin")
            if origin is not None and origin != sign_in.public_url:
                raise BallotRefused(403, "The request came from another site.")
            login = sign_in.user(request)
            if login is None:
                raise BallotRefused(401, "Sign in with GitHub first.")
            poll_id = terms_of(request).poll_id
            data = await _json_body(request)
            # The private-key operation takes milliseconds of CPU: in a thread, so the event loop keeps
            # acknowledging webhooks and answering pages meanwhile.
            blind_sig = await asyncio.to_thread(sign_ballot, store, poll_id, login, data.get("blinded_msg"),
                                                clock())
        except BallotRefused as refused:
            return _error(refused, _CLOSE)
        return JSONResponse({"blind_sig": blind_sig}, headers={**_HEADERS, **_CLOSE})

    async def vote_page(request: Request) -> Response:
        # No sign-in, no cookie read or set: the ballot's token in the URL fragment is the only credential,
        # and the fragment never reaches the server until the script posts the cast.
        try:
            terms = terms_of(request)
        except BallotRefused as refused:
            return _page("ballot-error.html.j2", refused.status, message=refused.message)
        return _page("ballot-vote.html.j2", terms=terms, deadline=when(terms.deadline), is_open=is_open(terms),
                     poll_json=_poll_json(terms), discussion=discussion_url(store, terms.poll_id))

    async def cast(request: Request) -> Response:
        try:
            poll_id = terms_of(request).poll_id
            data = await _json_body(request)
            done = cast_ballot(store, poll_id, data, clock(), pool)
        except BallotRefused as refused:
            return _error(refused)
        return JSONResponse(done.answer(), headers=_HEADERS)

    async def terms(request: Request) -> Response:
        try:
            return Response(_poll_json(terms_of(request)), media_type="application/json", headers=_HEADERS)
        except BallotRefused as refused:
            return _error(refused)

    def static(name: str):
        async def serve(request: Request) -> Response:
            return FileResponse(STATIC / name, media_type="text/javascript", headers=_HEADERS)
        return serve

    return [
        Route("/polls/static/ballot.js", static("ballot.js")),
        Route("/polls/static/blindrsa.js", static("blindrsa.js")),
        Route("/polls/static/castsig.js", static("castsig.js")),
        # Signed in: under /ballot/, the only place of the two the session cookie is sent to.
        Route("/ballot/{poll}", ballot_page),
        Route("/ballot/{poll}/sign", sign, methods=["POST"]),
        # Anonymous: under /polls/, which no cookie of this service reaches.
        Route("/polls/{poll}/vote", vote_page),
        Route("/polls/{poll}/cast", cast, methods=["POST"]),
        Route("/polls/{poll}/terms", terms),
    ]
