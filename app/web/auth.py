"""Sign-in for the service's pages: GitHub's OAuth web flow with a checked `state`, and a signed session."""
from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

SESSION_COOKIE = "conduct_session"
STATE_COOKIE = "conduct_oauth_state"
SESSION_AGE = 8 * 3600
STATE_AGE = 600


class SignIn:
    """Routes /login, /oauth/callback and /logout, and `user(request)` for the pages that need it."""

    def __init__(self, secret: str, public_url: str, authorize: Callable[[str, str], str],
                 exchange: Callable[[str, str], Awaitable[str]], secure_cookies: bool | None = None):
        if len(secret) < 32:
            raise ValueError("CONDUCT_SESSION_SECRET must be at least 32 characters")
        self.sessions = URLSafeTimedSerializer(secret, salt="conduct-session")
        self.states = URLSafeTimedSerializer(secret, salt="conduct-oauth-state")
        self.public_url = public_url.rstrip("/")
        self.authorize, self.exchange = authorize, exchange
        self.secure = public_url.startswith("https://") if secure_cookies is None else secure_cookies

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/oauth/callback"

    def user(self, request: Request) -> str | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        try:
            return self.sessions.loads(token, max_age=SESSION_AGE)["login"]
        except (BadSignature, KeyError, TypeError):
            return None

    def require(self, request: Request) -> str | Response:
        """The signed-in login, or a redirect to sign in and come back here."""
        login = self.user(request)
        if login:
            return login
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    def _cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, secure=self.secure, samesite="lax")

    async def login(self, request: Request) -> Response:
        next_path = request.query_params.get("next", "/")
        # Only paths on this service: an open redirect would make the sign-in page a phishing tool.
        if not next_path.startswith("/") or next_path.startswith("//") or urlparse(next_path).netloc:
            next_path = "/"
        state = secrets.token_urlsafe(32)
        response = RedirectResponse(self.authorize(self.redirect_uri, state), status_code=303)
        self._cookie(response, STATE_COOKIE, self.states.dumps({"state": state, "next": next_path}), STATE_AGE)
        return response

    async def callback(self, request: Request) -> Response:
        code, state = request.query_params.get("code"), request.query_params.get("state")
        try:
            expected = self.states.loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_AGE)
        except BadSignature:
            expected = None
        if not code or not state or not expected or not secrets.compare_digest(state, expected["state"]):
            return PlainTextResponse("Sign-in could not be checked (the state did not match). Please try again.",
                                     status_code=400)
        login = await self.exchange(code, self.redirect_uri)
        response = RedirectResponse(expected["next"], status_code=303)
        response.delete_cookie(STATE_COOKIE)
        self._cookie(response, SESSION_COOKIE, self.sessions.dumps({"login": login}), SESSION_AGE)
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    def routes(self) -> list[Route]:
        return [Route("/login", self.login), Route("/oauth/callback", self.callback), Route("/logout", self.logout)]
