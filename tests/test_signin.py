"""Signing in with GitHub through the App's OAuth web flow, against the local stand-in."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.github.signin import authorize_url, login_from_code, web_root
from app.standin import SandboxState, create_app
from app.web.auth import SESSION_COOKIE, SignIn

API = "http://sandbox.test/"
SECRET = "s" * 40


@pytest.fixture
def sandbox():
    state = SandboxState()
    state.add_user("reporter-1")
    state.register_app(1, "unused", client_id="Iv1.conduct", client_secret="oauth-secret")
    return state, create_app(state)


def service(sandbox_app) -> tuple[TestClient, SignIn]:
    transport = httpx.ASGITransport(app=sandbox_app)
    sign_in = SignIn(
        SECRET, "http://desk.test",
        authorize=lambda redirect, state: authorize_url(API, "Iv1.conduct", redirect, state),
        exchange=lambda code, redirect: login_from_code(API, "Iv1.conduct", "oauth-secret", code, redirect, transport),
    )

    async def me(request: Request):
        who = sign_in.require(request)
        return who if not isinstance(who, str) else PlainTextResponse(f"signed in as {who}")

    app = Starlette(routes=[*sign_in.routes(), Route("/inbox/me", me)])
    return TestClient(app, base_url="http://desk.test", follow_redirects=False), sign_in


def follow_authorize(sandbox_app, location: str, login: str) -> str:
    """What the person's browser does at GitHub: sign in as `login`, be sent back with a code."""
    with TestClient(sandbox_app, base_url=API, follow_redirects=False) as github:
        answer = github.get(f"{location}&login={login}")
    assert answer.status_code == 302
    return answer.headers["location"]


def test_sign_in_round_trip(sandbox):
    _, sandbox_app = sandbox
    client, _ = service(sandbox_app)
    first = client.get("/inbox/me")
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/inbox/me"
    to_github = client.get(first.headers["location"])
    assert to_github.headers["location"].startswith("http://sandbox.test/login/oauth/authorize?")
    back = follow_authorize(sandbox_app, to_github.headers["location"], "reporter-1")
    parts = urlsplit(back)
    assert parts.path == "/oauth/callback"
    done = client.get(f"{parts.path}?{parts.query}")
    assert done.status_code == 303 and done.headers["location"] == "/inbox/me"
    assert client.get("/inbox/me").text == "signed in as reporter-1"


def test_a_callback_with_another_state_is_refused(sandbox):
    _, sandbox_app = sandbox
    client, _ = service(sandbox_app)
    to_github = client.get("/login?next=/inbox/me")
    back = follow_authorize(sandbox_app, to_github.headers["location"], "reporter-1")
    query = parse_qs(urlsplit(back).query)
    forged = client.get("/oauth/callback", params={"code": query["code"][0], "state": "attacker-state"})
    assert forged.status_code == 400
    assert SESSION_COOKIE not in client.cookies


def test_a_callback_without_the_state_cookie_is_refused(sandbox):
    _, sandbox_app = sandbox
    client, _ = service(sandbox_app)
    to_github = client.get("/login")
    back = follow_authorize(sandbox_app, to_github.headers["location"], "reporter-1")
    client.cookies.clear()
    assert client.get(back.replace("http://desk.test", "")).status_code == 400


def test_a_tampered_session_is_not_a_sign_in(sandbox):
    _, sandbox_app = sandbox
    client, sign_in = service(sandbox_app)
    client.cookies.set(SESSION_COOKIE, sign_in.sessions.dumps({"login": "reporter-1"}) + "x")
    assert client.get("/inbox/me").status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http:/evil"])
def test_next_never_leaves_the_service(sandbox, target):
    _, sandbox_app = sandbox
    client, sign_in = service(sandbox_app)
    to_github = client.get("/login", params={"next": target})
    state = sign_in.states.loads(client.cookies["conduct_oauth_state"])
    assert state["next"] == "/" and to_github.status_code == 303


def test_web_root_for_each_kind_of_github():
    assert web_root("https://api.github.com/") == "https://github.com/"
    assert web_root("https://ghe.example.org/api/v3/") == "https://ghe.example.org/"
    assert web_root("http://127.0.0.1:9000/") == "http://127.0.0.1:9000/"


def test_a_short_session_secret_is_refused():
    with pytest.raises(ValueError):
        SignIn("short", "http://x", authorize=lambda r, s: "", exchange=None)
