"""The ballot pages: get a blind-signed ballot (signed in), cast it (no sign-in, no cookie), poll terms."""
from __future__ import annotations

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
from app.polls.signing import sign_ballot
from app.polls.terms import PollTerms
from app.render import when
from app.web.auth import SignIn

STATIC = Path(__file__).resolve().parent / "static"
# The ballot script asks for a signature with this header. A cross-site page cannot add a custom header
# without a CORS preflight, which this service never grants, so the header is the CSRF defence.
CSRF_HEADER = "x-conduct-ballot"
MAX_BODY = 8 * 1024  # a blinded 4096-bit message or a cast ballot is well under 2 KiB of JSON

# Every ballot response: never cached, never leaks the page address to another site, never framed.
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


def _error(refused: BallotRefused) -> JSONResponse:
    return JSONResponse({"error": refused.message}, status_code=refused.status, headers=_HEADERS)


def _poll_json(terms: PollTerms) -> str:
    """The poll's public terms as JSON safe to embed in a <script type="application/json"> block."""
    data = {
        "poll": terms.poll_id,
        "slug": to_slug(terms.poll_id),
        "public_key": terms.public_key,
        "deadline": when(terms.deadline),
        "options": [{"id": c.id, "title": c.title, "description": c.description}
                    for c in terms.ballot_choices()],
    }
    # "<" escaped so no text inside can end the script element early.
    return json.dumps(data).replace("<", "\\u003c")


async def _json_body(request: Request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BallotRefused(415, "Send the request as application/json.")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BallotRefused(413, "The request is too large.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BallotRefused(400, "The request is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BallotRefused(400, "The request must be a JSON object.")
    return data


def ballot_routes(store, sign_in: SignIn, *,
                  clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[BaseRoute]:
    """The routes under /polls/{poll}/ (poll in URL form, `C-2026-014-1`)."""

    def terms_of(request: Request) -> PollTerms:
        poll_id = from_slug(request.path_params["poll"])
        poll = store.get_poll(poll_id) if poll_id else None
        if poll is None:
            raise BallotRefused(404, "There is no such poll.")
        return PollTerms.from_poll(poll)

    async def ballot_page(request: Request) -> Response:
        who = sign_in.require(request)
        if not isinstance(who, str):
            return who
        try:
            terms = terms_of(request)
        except BallotRefused as refused:
            return _page("ballot-error.html.j2", refused.status, message=refused.message)
        is_open = store.get_poll(terms.poll_id).state == "open" and clock() < terms.deadline
        return _page("ballot-get.html.j2", login=who, terms=terms, deadline=when(terms.deadline),
                     is_open=is_open, poll_json=_poll_json(terms))

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
            blind_sig = sign_ballot(store, poll_id, login, data.get("blinded_msg"), clock())
        except BallotRefused as refused:
            return _error(refused)
        return JSONResponse({"blind_sig": blind_sig}, headers=_HEADERS)

    async def vote_page(request: Request) -> Response:
        # No sign-in, no cookie read or set: the ballot's token in the URL fragment is the only credential,
        # and the fragment never reaches the server until the script posts the cast.
        try:
            terms = terms_of(request)
        except BallotRefused as refused:
            return _page("ballot-error.html.j2", refused.status, message=refused.message)
        return _page("ballot-vote.html.j2", terms=terms, deadline=when(terms.deadline),
                     poll_json=_poll_json(terms))

    async def cast(request: Request) -> Response:
        try:
            poll_id = terms_of(request).poll_id
            data = await _json_body(request)
            done = cast_ballot(store, poll_id, data, clock())
        except BallotRefused as refused:
            return _error(refused)
        return JSONResponse({"receipt": done.receipt, "replaced": done.replaced}, headers=_HEADERS)

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
        Route("/polls/{poll}/ballot", ballot_page),
        Route("/polls/{poll}/sign", sign, methods=["POST"]),
        Route("/polls/{poll}/vote", vote_page),
        Route("/polls/{poll}/cast", cast, methods=["POST"]),
        Route("/polls/{poll}/terms", terms),
    ]
