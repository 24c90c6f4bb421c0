"""Bad input to every endpoint gets a 4xx, never a 500, and an oversized body is refused before it is read."""
from __future__ import annotations

import asyncio
import hashlib
import hmac

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from test_polls_support import Service

from app.polls.ids import to_slug
from app.web.auth import STATE_COOKIE, SignIn
from app.web.server import create_app

SECRET = "webhook-secret-for-tests"


def signed(body: bytes, event: str = "issues", delivery: str = "d-1") -> dict:
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}


def nested(depth: int) -> bytes:
    return b'{"action": "opened", "x": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.fixture
def webhook(store):
    handled = []

    async def handle(delivery):
        handled.append(delivery.delivery_id)

    with TestClient(create_app(secret=SECRET, store=store, handle=handle), raise_server_exceptions=False) as client:
        yield client, handled, store


@pytest.mark.parametrize("body", [nested(1_000), nested(60), b'{"action": "opened", "n": ' + b"9" * 5_000 + b"}",
                                  b'{"n": 99999999999999999999999}', b"[" * 4_000, b"\xff\xfe{}"],
                         ids=["1000-deep", "60-deep", "5000-digits", "beyond-64-bits", "unclosed", "not-utf8"])
def test_a_signed_webhook_too_deep_or_with_a_huge_integer_is_a_400_and_stored_nowhere(webhook, body):
    client, handled, store = webhook
    answer = client.post("/webhooks/github", content=body, headers=signed(body, delivery="deep"))
    assert answer.status_code == 400
    assert store.get_status("deep") is None and handled == []


def test_a_body_over_the_limit_is_refused_by_its_length_before_it_is_read(webhook):
    client, _, _ = webhook
    sent = []

    def body():
        for _ in range(4):
            sent.append(1)
            yield b"x" * (1 << 20)

    # 200 MB announced: refused from the header, before the first chunk is asked for.
    answer = client.post("/webhooks/github", content=body(), headers={
        "Content-Length": str(200 << 20), "X-GitHub-Event": "issues", "X-GitHub-Delivery": "big",
        "X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert answer.status_code == 413 and len(sent) <= 1


def test_a_body_without_a_length_is_read_only_up_to_the_limit(store):
    """Straight through ASGI, as a server hands the body over: chunk by chunk, 64 MB offered."""
    app = create_app(secret=SECRET, store=store, handle=lambda delivery: None)
    asked, answer = [], {}

    async def receive():
        asked.append(1)
        return {"type": "http.request", "body": b"x" * (1 << 20), "more_body": len(asked) < 64}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/webhooks/github", "raw_path": b"/webhooks/github", "query_string": b"", "root_path": "",
             "headers": [(b"x-github-event", b"issues"), (b"x-github-delivery", b"chunked")],
             "client": ("127.0.0.1", 1), "server": ("desk.test", 80)}
    asyncio.run(app(scope, receive, send))
    assert answer["status"] == 413 and len(asked) == 26  # 25 MB read, then no more


def test_the_cast_with_4000_deep_json_or_a_huge_integer_is_a_400(store):
    service = Service(store)
    opened = service.open()
    client = service.client()  # no sign-in: the cast needs none
    path = f"/polls/{to_slug(opened.poll_id)}/cast"
    for body in (b"[" * 4_000 + b"]" * 4_000, b'{"a": ' * 20 + b"1" + b"}" * 20, b'{"token": ' + b"7" * 5_000 + b"}"):
        answer = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, answer.text
    huge = client.post(path, content=b"{" + b" " * (64 << 10) + b"}", headers={"Content-Type": "application/json"})
    assert huge.status_code == 413


def test_the_oauth_callback_with_a_used_code_is_a_page_not_a_500():
    async def refuse(code, redirect):
        raise RuntimeError("bad_verification_code")  # what githubkit raises for GitHub's refusal

    async def unreachable(code, redirect):
        raise httpx.ConnectError("no route to GitHub")

    for exchange, status in ((refuse, 400), (unreachable, 503)):
        sign_in = SignIn("s" * 40, "http://desk.test", authorize=lambda r, s: "http://github.test/authorize",
                         exchange=exchange, secure_cookies=False)
        with TestClient(Starlette(routes=sign_in.routes()), base_url="http://desk.test",
                        raise_server_exceptions=False, follow_redirects=False) as client:
            client.get("/login?next=/help")
            state = sign_in.states.loads(client.cookies.get(STATE_COOKIE))["state"]
            answer = client.get(f"/oauth/callback?code=used&state={state}")
        assert answer.status_code == status and "Sign-in did not work" in answer.text


def test_the_stand_in_refuses_a_comment_over_github_s_limit_as_github_does():
    from app.standin import SandboxState
    from app.standin import create_app as create_standin

    state = SandboxState()
    state.add_org("example-org")
    state.add_user("someone")
    state.add_repo("example-org", "place", private=False)
    token = state.user_token("someone")
    with TestClient(create_standin(state)) as github:
        auth = {"Authorization": f"Bearer {token}"}
        issue = github.post("/repos/example-org/place/issues", json={"title": "t", "body": "b"}, headers=auth)
        number = issue.json()["number"]
        fits = github.post(f"/repos/example-org/place/issues/{number}/comments", json={"body": "x" * 65_536},
                           headers=auth)
        over = github.post(f"/repos/example-org/place/issues/{number}/comments", json={"body": "x" * 65_537},
                           headers=auth)
    assert fits.status_code == 201
    assert over.status_code == 422 and "maximum is 65536" in over.json()["errors"][0]["message"]


def test_a_comment_of_thousands_of_commands_makes_one_reaction_and_a_bounded_number_of_posts():
    from datetime import UTC, datetime

    from app.core import effects as fx
    from app.core.decide import MAX_COMMANDS, decide, open_case
    from app.core.events import MEDIATOR, Actor, Commented, HelpRequested
    from app.wiring.policy_files import load_policy

    policy = load_policy("policy")
    now = datetime(2026, 3, 2, tzinfo=UTC)
    case = open_case("C-2026-001", HelpRequested("d0", "form", "reporter-1", None), policy, now).case
    body = "\n".join("/conduct note fine" for _ in range(4_096))
    assert len(body) < 80_000
    outcome = decide(case, Commented("d1", Actor("mediator-1", frozenset({MEDIATOR})), body, 7, None), policy, now)
    reactions = [e for e in outcome.effects if isinstance(e, fx.React)]
    assert len(reactions) == 1
    assert len(outcome.effects) <= MAX_COMMANDS + 3
