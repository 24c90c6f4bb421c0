"""Sign-in for the service's pages: GitHub's OAuth web flow with a checked `state`, and a signed session."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

import httpx
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.web.frame import error_page

SESSION_COOKIE = "conduct_session"
STATE_COOKIE = "conduct_oauth_state"
SESSION_AGE = 8 * 3600
STATE_AGE = 600
# The session cookie goes only to the pages that need a sign-in, never to `/` and so never to the vote
# page or the cast under /polls/: a ballot cast from the browser that got it carries no login. A new
# signed-in page must live under one of these prefixes (a test checks every route that calls require()).
SIGNED_IN_PATHS = ("/ballot", "/help", "/inbox", "/return", "/notices", "/addresses", "/queue", "/logout")
STATE_PATH = "/oauth"  # the sign-in state is read by /oauth/callback alone

log = logging.getLogger("conduct.signin")


class SignIn:
    """Routes /login, /oauth/callback and /logout, and `user(request)` for the pages that need it."""

    def __init__(self, secret: str, public_url: str, authorize: Callable[[str, str], str],
                 exchange: Callable[[str, str], Awaitable], secure_cookies: bool | None = None,
                 remember_email: Callable[[str, str], None] | None = None):
        if len(secret) < 32:
            raise ValueError("CONDUCT_SESSION_SECRET must be at least 32 characters")
        self.sessions = URLSafeTimedSerializer(secret, salt="conduct-session")
        self.states = URLSafeTimedSerializer(secret, salt="conduct-oauth-state")
        self.public_url = public_url.rstrip("/")
        self.authorize, self.exchange = authorize, exchange
        # `exchange` gives a login, or a SignedIn with the person's verified primary e-mail to remember.
        self.remember_email = remember_email
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
        if not signed_in_path(request.url.path):
            # The browser would never send the cookie here, so signing in would loop; a programming error.
            raise RuntimeError(f"{request.url.path} needs a sign-in but is outside SIGNED_IN_PATHS")
        login = self.user(request)
        if login:
            return login
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    def _cookie(self, response: Response, name: str, value: str, max_age: int, paths: tuple[str, ...]) -> None:
        # One cookie per path: a cookie has a single Path, and a common parent would be "/".
        for path in paths:
            response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, secure=self.secure,
                                samesite="lax")

    def _forget(self, response: Response, name: str, paths: tuple[str, ...]) -> None:
        # "/" too: a cookie set by an earlier release, scoped to the whole site, must not outlive it.
        for path in ("/", *paths):
            response.delete_cookie(name, path=path, httponly=True, secure=self.secure, samesite="lax")

    async def login(self, request: Request) -> Response:
        next_path = request.query_params.get("next", "/")
        # Only paths on this service: an open redirect would make the sign-in page a phishing tool.
        if not next_path.startswith("/") or next_path.startswith("//") or urlparse(next_path).netloc:
            next_path = "/"
        state = secrets.token_urlsafe(32)
        response = RedirectResponse(self.authorize(self.redirect_uri, state), status_code=303)
        self._cookie(response, STATE_COOKIE, self.states.dumps({"state": state, "next": next_path}), STATE_AGE,
                     (STATE_PATH,))
        return response

    async def callback(self, request: Request) -> Response:
        code, state = request.query_params.get("code"), request.query_params.get("state")
        try:
            expected = self.states.loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_AGE)
        except BadSignature:
            expected = None
        if not code or not state or not expected or not secrets.compare_digest(state, expected["state"]):
            return error_page("Sign-in did not work", "The desk could not check that this sign-in was the one you "
                              "started (it took too long, or came from another window). Nothing happened; please "
                              "sign in again.", ("/login?next=/", "Sign in again"), 400)
        try:
            signed_in = await self.exchange(code, self.redirect_uri)
        except httpx.HTTPError:
            return error_page("Sign-in did not work", "GitHub could not be reached to finish the sign-in. Nothing "
                              "happened; please sign in again in a moment.", ("/login?next=/", "Sign in again"), 503)
        except Exception as error:  # noqa: BLE001 - GitHub refused the code: used already, expired, or made up
            log.info("sign-in code refused error=%s", type(error).__name__)
            return error_page("Sign-in did not work", "GitHub did not accept this sign-in (the link was used "
                              "already, or it expired). Nothing happened; please sign in again.",
                              ("/login?next=/", "Sign in again"), 400)
        login = getattr(signed_in, "login", signed_in)
        email = getattr(signed_in, "email", None)
        if email and self.remember_email is not None:
            self.remember_email(login, email)
        response = RedirectResponse(expected["next"], status_code=303)
        self._forget(response, STATE_COOKIE, (STATE_PATH,))
        self._forget(response, SESSION_COOKIE, ())
        self._cookie(response, SESSION_COOKIE, self.sessions.dumps({"login": login}), SESSION_AGE, SIGNED_IN_PATHS)
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/", status_code=303)
        self._forget(response, SESSION_COOKIE, SIGNED_IN_PATHS)
        return response

    def routes(self) -> list[Route]:
        # Logout is a POST: a link or an image elsewhere must not be able to sign a person out.
        return [Route("/login", self.login), Route("/oauth/callback", self.callback),
                Route("/logout", self.logout, methods=["POST"])]


def signed_in_path(path: str) -> bool:
    """True for a path the session cookie is sent to (cookie path matching, RFC 6265 section 5.1.4)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in SIGNED_IN_PATHS)
