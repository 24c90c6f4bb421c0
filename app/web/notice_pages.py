"""Notice settings and the mediators' pages: your own notices on or off, an address for someone, the queue."""
from __future__ import annotations

import hashlib
import hmac
import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.render import when
from app.service.context import Context
from app.service.queue import open_cases
from app.web.auth import SignIn
from app.web.frame import error_page, page

_EMAIL = re.compile(r"^[^@\s<>]{1,64}@[^@\s<>]{1,255}\.[^@\s<>]{1,63}$")
_NO_CASES = "<tr><td colspan=\"4\">No open cases.</td></tr>"
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


class NoticePages:
    """GET/POST /notices (your own notices) and GET/POST /addresses (mediators only)."""

    def __init__(self, sign_in: SignIn, context: Callable[[], Context], secret: str):
        self.sign_in, self.context, self.secret = sign_in, context, secret.encode()

    def _token(self, login: str, path: str) -> str:
        return hmac.new(self.secret, f"notices\0{login}\0{path}".encode(), hashlib.sha256).hexdigest()

    def _token_ok(self, login: str, path: str, token) -> bool:
        return bool(token) and hmac.compare_digest(self._token(login, path), str(token))

    async def notices(self, request: Request) -> Response:
        login = self.sign_in.require(request)
        if not isinstance(login, str):
            return login
        store = self.context().store
        if request.method == "POST":
            data = await request.form()
            if not self._token_ok(login, "/notices", data.get("csrf_token")):
                return error_page("This page expired", "Nothing was changed. Please open the page again.",
                                  ("/notices", "Open your notice settings"), 400, signed_in=True)
            store.set_notices_off(login, data.get("notices") == "off", datetime.now(UTC))
            return RedirectResponse("/notices?saved=1", status_code=303)
        known = store.address(login)
        off = known is not None and known.notices_off
        where = (f"They go to <strong>{html.escape(known.email)}</strong>." if known and known.email else
                 "The desk knows no e-mail address for you yet: the mediators will give you links themselves.")
        saved = "<p role=\"status\">Saved.</p>" if request.query_params.get("saved") else ""
        choice = "on" if off else "off"
        return page("Your notices", (
            f"<h1>Your e-mail notices</h1>{saved}<p>When there is something new for you, the desk sends a short "
            "e-mail that says only that, with a link; never what it is about. The address is kept by this desk "
            f"only, never on GitHub.</p><p>Notices are <strong>{'off' if off else 'on'}</strong>. {where}</p>"
            f"<form method=\"post\" action=\"/notices\"><input type=\"hidden\" name=\"csrf_token\" "
            f"value=\"{self._token(login, '/notices')}\"><input type=\"hidden\" name=\"notices\" value=\"{choice}\">"
            f"<button type=\"submit\">Turn notices {choice}</button></form>"), signed_in=True)

    async def _mediator(self, request: Request) -> str | Response:
        """The signed-in mediator's login, or the page that says this is for mediators only."""
        login = self.sign_in.require(request)
        if not isinstance(login, str):
            return login
        if not (await self.context().roles.actor(login)).has("mediator"):
            return error_page("For mediators only", "This page is for the desk's mediators.",
                              ("/", "Go to the start page"), 403, signed_in=True)
        return login

    async def queue(self, request: Request) -> Response:
        login = await self._mediator(request)
        if not isinstance(login, str):
            return login
        ctx = self.context()
        rows = await open_cases(ctx)
        body = "".join(
            f"<tr><td>{html.escape(r.code)}</td>"
            f"<td>{html.escape(r.stage)}</td><td>{html.escape(', '.join(r.assignees) or 'nobody yet')}</td>"
            f"<td>{html.escape(when(r.deadline) + ' ' + r.what) if r.deadline else 'none'}</td></tr>" for r in rows)
        return page("Queue", (
            "<h1>Open cases</h1><p>Soonest deadline first.</p><div class=\"scroll\"><table><thead><tr>"
            "<th scope=\"col\">Case</th><th scope=\"col\">Stage</th><th scope=\"col\">Assignees</th>"
            f"<th scope=\"col\">Next deadline</th></tr></thead><tbody>{body or _NO_CASES}</tbody></table></div>"),
            signed_in=True)

    async def addresses(self, request: Request) -> Response:
        login = await self._mediator(request)
        if not isinstance(login, str):
            return login
        ctx = self.context()
        message = ""
        if request.method == "POST":
            data = await request.form()
            if not self._token_ok(login, "/addresses", data.get("csrf_token")):
                return error_page("This page expired", "Nothing was saved. Please open the page again.",
                                  ("/addresses", "Open the page again"), 400, signed_in=True)
            person, email = str(data.get("login", "")).strip().lstrip("@"), str(data.get("email", "")).strip()
            if not _LOGIN.match(person) or not _EMAIL.match(email):
                return error_page("Not saved", "Please give a GitHub login and an e-mail address; nothing was "
                                  "saved.", ("/addresses", "Back to the form"), 422, signed_in=True)
            ctx.store.set_address(person, email, "mediator", datetime.now(UTC))
            return RedirectResponse("/addresses?saved=1", status_code=303)
        if request.query_params.get("saved"):
            message = "<p role=\"status\">Saved. Notices for that person go to the address you gave.</p>"
        return page("Addresses", (
            f"<h1>An address for notices</h1>{message}<p>When a party gave you an e-mail address for the desk's "
            "notices, enter it here. It is kept by this desk only, never on GitHub, and replaces what their "
            "own sign-in would give.</p>"
            f"<form method=\"post\" action=\"/addresses\"><input type=\"hidden\" name=\"csrf_token\" "
            f"value=\"{self._token(login, '/addresses')}\">"
            "<label for=\"login\">Their GitHub login</label><input type=\"text\" id=\"login\" name=\"login\" "
            "required autocomplete=\"off\">"
            "<label for=\"email\">Their e-mail address</label><input type=\"text\" inputmode=\"email\" id=\"email\" "
            "name=\"email\" required autocomplete=\"off\">"
            "<button type=\"submit\">Save</button></form>"), signed_in=True)

    def routes(self) -> list[Route]:
        return [Route("/notices", self.notices, methods=["GET", "POST"]),
                Route("/addresses", self.addresses, methods=["GET", "POST"]), Route("/queue", self.queue)]
