"""The local GitHub stand-in, used through githubkit and raw httpx, checked against GitHub's descriptions."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import contract
import githubkit.webhooks
import graphql
import httpx
import jwt
import pytest
import uvicorn
from contract import check_graphql, check_rest_request, check_rest_response
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from githubkit import AppAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.exception import (
    GraphQLFailed,
    PrimaryRateLimitExceeded,
    RequestFailed,
    SecondaryRateLimitExceeded,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.standin import SandboxState, create_app
from app.standin.graphql_sdl import SDL

pytestmark = pytest.mark.anyio

APP_ID = 4242
INSTALLATION = 77
SECRET = "hook-secret"
BASE = "http://sandbox.test"
HOOK_URL = "http://receiver.test/hook"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def app_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def world(app_key) -> SandboxState:
    state = SandboxState()
    state.add_org("acme")
    state.add_org_member("acme", "owner-1", role="admin")
    state.add_user("reporter-1")
    state.add_team("acme", "mediators", ["mediator-1"])
    state.add_team("acme", "steering-council", ["sc-1", "sc-2"])
    state.add_repo("acme", "intake")
    state.add_repo("acme", "cases", private=True)
    state.add_repo("acme", "forum", private=True, has_discussions=True)
    state.add_discussion_category("acme/forum", "Archive")
    state.register_app(APP_ID, app_key[1], client_id="Iv1.sandbox", client_secret="s3cret")
    state.install_app(APP_ID, "acme", INSTALLATION)
    return state


class Receiver:
    """An in-process webhook receiver that keeps each delivery's headers and raw body."""

    def __init__(self) -> None:
        self.hits: list[tuple[dict[str, str], bytes]] = []
        self.status = 200

        async def hook(request: Request) -> Response:
            self.hits.append((dict(request.headers), await request.body()))
            return Response(status_code=self.status)

        self.transport = httpx.ASGITransport(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))

    def events(self) -> list[tuple[str, dict]]:
        return [(h["x-github-event"], json.loads(body)) for h, body in self.hits]


class Checked(httpx.AsyncBaseTransport):
    """Passes requests to the stand-in and checks each REST exchange against the OpenAPI description."""

    def __init__(self, app) -> None:
        self.inner = httpx.ASGITransport(app)
        self.problems: list[str] = []
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        raw = await response.aread()
        path = request.url.path
        # The control plane, the web sign-in and the runner's token service are not the REST API.
        if not path.startswith(("/_sandbox", "/login", "/_services")):
            body = json.loads(raw) if raw else None
            if path.endswith("/graphql"):
                self.problems += check_graphql(**_gql_args(request))
            else:
                self.problems += _rest_problems(request, response.status_code, body)
            self.checked += 1
        return httpx.Response(response.status_code, headers=response.headers, content=raw, request=request)


def _rest_problems(request: httpx.Request, status: int, body) -> list[str]:
    problems = check_rest_response(request.method, request.url.path, status, body)
    if status < 300:
        # Tests send malformed requests on purpose to provoke errors; only accepted requests must conform.
        sent = json.loads(request.content) if request.content else None
        return problems + check_rest_request(request.method, str(request.url), body=sent)
    if (
        status >= 400
        and problems
        and all(re.search("not documented|documents no body|no documented path", p) for p in problems)
    ):
        # GitHub answers statuses its description omits (a 429 anywhere, a 404 for an unknown workflow) and
        # sends a body where it documents none; every such error is still a `basic-error`.
        basic = contract.openapi()["components"]["schemas"]["basic-error"]
        return contract._validate(basic, body, f"{request.method} {request.url.path} -> {status}")
    return problems


def _gql_args(request: httpx.Request) -> dict:
    payload = json.loads(request.content)
    return {"query": payload["query"], "variables": payload.get("variables")}


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def sandbox(world, receiver):
    app = create_app(world, webhook_url=HOOK_URL, webhook_secret=SECRET, webhook_transport=receiver.transport)
    transport = Checked(app)
    yield transport
    # Every exchange the test made must match GitHub's published description.
    assert transport.problems == []


@pytest.fixture
async def raw(sandbox):
    async with httpx.AsyncClient(transport=sandbox, base_url=BASE) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def kit(sandbox, token: str, **kw) -> GitHub:
    return GitHub(TokenAuthStrategy(token), base_url=BASE + "/", async_transport=sandbox, **kw)


def app_jwt(private_pem: str, app_id: int = APP_ID, exp_minutes: int = 9) -> str:
    now = datetime.now(UTC)
    return jwt.encode(
        {"iss": str(app_id), "iat": now - timedelta(seconds=60), "exp": now + timedelta(minutes=exp_minutes)},
        private_pem,
        algorithm="RS256",
    )


def webhook_schema_problems(event: str, payload: dict) -> list[str]:
    """Check a payload against the description's `x-webhooks` entry for that event and action."""
    key = f"{event}-{payload['action']}".replace("_", "-") if "action" in payload else event
    schema = contract.openapi()["x-webhooks"][key]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    return contract._validate(schema, payload, f"webhook {key}")


# -- app authentication -----------------------------------------------------------------------------
async def test_app_jwt_exchanges_for_installation_token(raw, world, app_key):
    token = app_jwt(app_key[0])
    r = await raw.post(f"/app/installations/{INSTALLATION}/access_tokens", headers=auth(token))
    assert r.status_code == 201
    body = r.json()
    assert body["token"].startswith("ghs_") and body["expires_at"].endswith("Z")
    issues = await raw.get("/repos/acme/cases/issues", headers=auth(body["token"]))
    assert issues.status_code == 200 and issues.json() == []

    inst = await raw.get("/repos/acme/cases/installation", headers=auth(token))
    assert inst.status_code == 200 and inst.json()["id"] == INSTALLATION
    assert inst.json()["account"]["login"] == "acme"
    assert (await raw.get("/orgs/acme/installation", headers=auth(token))).json()["app_id"] == APP_ID


async def test_app_jwt_is_verified(raw, app_key):
    other = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    forged = await raw.post(f"/app/installations/{INSTALLATION}/access_tokens", headers=auth(app_jwt(other)))
    assert forged.status_code == 401 and "could not be decoded" in forged.json()["message"]
    too_long = await raw.post(
        f"/app/installations/{INSTALLATION}/access_tokens", headers=auth(app_jwt(app_key[0], exp_minutes=30))
    )
    assert too_long.status_code == 401 and "too far in the future" in too_long.json()["message"]
    unknown = await raw.post("/app/installations/999/access_tokens", headers=auth(app_jwt(app_key[0])))
    assert unknown.status_code == 404


async def test_githubkit_app_auth_then_installation(sandbox, world, app_key):
    gh = GitHub(AppAuthStrategy(APP_ID, app_key[0]), base_url=BASE + "/", async_transport=sandbox)
    inst = (await gh.rest.apps.async_get_org_installation("acme")).parsed_data
    as_inst = gh.with_auth(gh.auth.as_installation(inst.id))
    issue = (await as_inst.rest.issues.async_create("acme", "cases", title="case 1")).parsed_data
    assert issue.user and issue.user.login == "conduct-desk[bot]" and issue.user.type == "Bot"


# -- issues, comments, labels -----------------------------------------------------------------------
async def test_issue_comment_and_label_round_trip(sandbox, world):
    gh = kit(sandbox, world.user_token("mediator-1"))
    issues = gh.rest.issues
    created = (
        await issues.async_create("acme", "cases", title="t", body="b", labels=["stage: intake"])
    ).parsed_data
    assert created.number == 1 and [lab.name for lab in created.labels] == ["stage: intake"]
    assert created.html_url == f"{BASE}/acme/cases/issues/1"

    updated = (
        await issues.async_update("acme", "cases", 1, title="t2", state="closed", state_reason="not_planned")
    ).parsed_data
    assert (updated.title, updated.state, updated.state_reason) == ("t2", "closed", "not_planned")
    assert updated.closed_by and updated.closed_by.login == "mediator-1"
    assert (
        await issues.async_update("acme", "cases", 1, state="open")
    ).parsed_data.state_reason == "reopened"

    await issues.async_create_label("acme", "cases", name="stage: mediation", color="0e8a16", description="d")
    label = (await issues.async_get_label("acme", "cases", "stage: mediation")).parsed_data
    assert (label.color, label.default) == ("0e8a16", False)
    renamed = await issues.async_update_label("acme", "cases", "stage: mediation", new_name="stage: talks")
    assert renamed.parsed_data.name == "stage: talks"
    names = [
        lab.name
        for lab in (await issues.async_list_labels_for_repo("acme", "cases", per_page=100)).parsed_data
    ]
    assert {"bug", "good first issue", "wontfix", "stage: talks"} <= set(names)

    added = (await issues.async_add_labels("acme", "cases", 1, labels=["stage: talks"])).parsed_data
    assert [lab.name for lab in added] == ["stage: intake", "stage: talks"]
    replaced = (await issues.async_set_labels("acme", "cases", 1, labels=["bug"])).parsed_data
    assert [lab.name for lab in replaced] == ["bug"]
    assert (await issues.async_remove_label("acme", "cases", 1, "bug")).parsed_data == []
    with pytest.raises(RequestFailed) as missing:
        await issues.async_remove_label("acme", "cases", 1, "bug")
    assert missing.value.response.status_code == 404

    c1 = (await issues.async_create_comment("acme", "cases", 1, body="first")).parsed_data
    await issues.async_create_comment("acme", "cases", 1, body="second")
    assert (await issues.async_get("acme", "cases", 1)).parsed_data.comments == 2
    edited = (await issues.async_update_comment("acme", "cases", c1.id, body="first, edited")).parsed_data
    assert edited.body == "first, edited" and edited.html_url.endswith(f"#issuecomment-{c1.id}")
    assert (await issues.async_get_comment("acme", "cases", c1.id)).parsed_data.body == "first, edited"
    reaction = await gh.rest.reactions.async_create_for_issue_comment("acme", "cases", c1.id, content="heart")
    assert reaction.status_code == 201
    again = await gh.rest.reactions.async_create_for_issue_comment("acme", "cases", c1.id, content="heart")
    assert again.status_code == 200 and again.parsed_data.id == reaction.parsed_data.id
    rollup = (await issues.async_get_comment("acme", "cases", c1.id)).parsed_data.reactions
    assert rollup and rollup.heart == 1 and rollup.total_count == 1
    await issues.async_delete_comment("acme", "cases", c1.id)
    remaining = (await issues.async_list_comments("acme", "cases", 1)).parsed_data
    assert [c.body for c in remaining] == ["second"]

    await issues.async_lock("acme", "cases", 1, lock_reason="too heated")
    locked = (await issues.async_get("acme", "cases", 1)).parsed_data
    assert locked.locked and locked.active_lock_reason == "too heated"
    await issues.async_unlock("acme", "cases", 1)
    assert not (await issues.async_get("acme", "cases", 1)).parsed_data.locked
    assert sandbox.checked >= 20


async def test_list_filters_and_since(raw, world):
    token = world.user_token("mediator-1")
    for n in range(3):
        await raw.post(
            "/repos/acme/cases/issues",
            headers=auth(token),
            json={"title": f"i{n}", "labels": ["urgent"] if n == 1 else []},
        )
    await raw.patch("/repos/acme/cases/issues/3", headers=auth(token), json={"state": "closed"})
    listed = await raw.get("/repos/acme/cases/issues", headers=auth(token))
    assert [i["number"] for i in listed.json()] == [2, 1]
    closed = await raw.get("/repos/acme/cases/issues", params={"state": "closed"}, headers=auth(token))
    assert [i["number"] for i in closed.json()] == [3]
    urgent = await raw.get(
        "/repos/acme/cases/issues", params={"state": "all", "labels": "urgent"}, headers=auth(token)
    )
    assert [i["number"] for i in urgent.json()] == [2]

    await raw.post("/repos/acme/cases/issues/1/comments", headers=auth(token), json={"body": "old"})
    world.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
    await raw.post("/repos/acme/cases/issues/1/comments", headers=auth(token), json={"body": "new"})
    since = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh = await raw.get("/repos/acme/cases/issues/1/comments", params={"since": since}, headers=auth(token))
    assert [c["body"] for c in fresh.json()] == ["new"]


async def test_pagination_follows_link_headers(raw, sandbox, world):
    token = world.user_token("mediator-1")
    for n in range(7):
        await raw.post("/repos/acme/cases/issues", headers=auth(token), json={"title": f"i{n}"})
    seen, url, pages = [], "/repos/acme/cases/issues?per_page=3", 0
    first = await raw.get(url, headers=auth(token))
    assert 'rel="last"' in first.headers["link"] and "page=3" in first.headers["link"]
    response = first
    while True:
        pages += 1
        seen += [i["number"] for i in response.json()]
        links = dict(
            (rel, u) for u, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))
        )
        if "next" not in links:
            assert "prev" in links
            break
        response = await raw.get(links["next"], headers=auth(token))
    assert pages == 3 and seen == [7, 6, 5, 4, 3, 2, 1]

    gh = kit(sandbox, token)
    # githubkit's paginator follows the `Link: rel="next"` header, so this also checks the header's URLs.
    numbers = [
        i.number
        async for i in gh.rest.paginate(
            gh.rest.issues.async_list_for_repo, owner="acme", repo="cases", per_page=2
        )
    ]
    assert numbers == [7, 6, 5, 4, 3, 2, 1]


async def test_errors_look_like_githubs(raw, world):
    token = world.user_token("mediator-1")
    missing = await raw.get("/repos/acme/cases/issues/99", headers=auth(token))
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    assert missing.json()["documentation_url"].startswith("https://docs.github.com/")
    no_title = await raw.post("/repos/acme/cases/issues", headers=auth(token), json={"body": "x"})
    assert no_title.status_code == 422 and no_title.json()["message"] == "Validation Failed"
    assert no_title.json()["errors"] == [{"resource": "Issue", "field": "title", "code": "missing_field"}]
    dup = await raw.post("/repos/acme/cases/labels", headers=auth(token), json={"name": "BUG"})
    assert dup.status_code == 422 and dup.json()["errors"][0]["code"] == "already_exists"
    assert (await raw.get("/repos/acme/cases/issues")).status_code == 401
    bad = await raw.get("/repos/acme/cases/issues", headers=auth("ghs_nope"))
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    # A private repository is invisible (404, not 403) to someone outside the org.
    outsider = world.user_token("reporter-1")
    assert (await raw.get("/repos/acme/cases/issues", headers=auth(outsider))).status_code == 404
    opened = await raw.post("/repos/acme/intake/issues", headers=auth(outsider), json={"title": "help"})
    assert opened.status_code == 201
    lock = await raw.put("/repos/acme/intake/issues/1/lock", headers=auth(outsider), json={})
    assert lock.status_code == 403
    unknown_route = await raw.get("/repos/acme/cases/nothing-here", headers=auth(token))
    assert unknown_route.status_code == 404 and unknown_route.json()["message"] == "Not Found"


async def test_ghes_prefix_builds_urls_from_request_base(raw, world):
    token = world.user_token("mediator-1")
    r = await raw.post("/api/v3/repos/acme/cases/issues", headers=auth(token), json={"title": "x"})
    assert r.status_code == 201
    assert r.json()["url"] == f"{BASE}/api/v3/repos/acme/cases/issues/1"
    assert r.json()["html_url"] == f"{BASE}/acme/cases/issues/1"


async def test_rate_limit_headers_on_every_response(raw, world):
    token = world.user_token("mediator-1")
    first = await raw.get("/repos/acme/cases/issues", headers=auth(token))
    second = await raw.get("/repos/acme/cases/issues/5", headers=auth(token))
    for r in (first, second):
        assert {
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-used",
            "x-ratelimit-resource",
        } <= set(r.headers)
    assert int(second.headers["x-ratelimit-used"]) == int(first.headers["x-ratelimit-used"]) + 1
    assert int(second.headers["x-ratelimit-remaining"]) == 5000 - int(second.headers["x-ratelimit-used"])
    g = await raw.post(
        "/graphql", headers=auth(token), json={"query": '{ repository(owner:"acme", name:"cases") { id } }'}
    )
    assert g.headers["x-ratelimit-resource"] == "graphql"


# -- fault injection --------------------------------------------------------------------------------
async def test_fault_error_then_recovery(raw, world):
    token = world.user_token("mediator-1")
    world.inject("GET", r"^/repos/acme/cases/issues$", status=502, times=2)
    assert (await raw.get("/repos/acme/cases/issues", headers=auth(token))).status_code == 502
    assert (await raw.get("/api/v3/repos/acme/cases/issues", headers=auth(token))).status_code == 502
    assert (await raw.get("/repos/acme/cases/issues", headers=auth(token))).status_code == 200


async def test_fault_secondary_rate_limit_is_recognised_by_githubkit(sandbox, world):
    world.inject("POST", r"/issues$", kind="secondary_rate_limit", retry_after=7)
    gh = kit(sandbox, world.user_token("mediator-1"), auto_retry=False)
    with pytest.raises(SecondaryRateLimitExceeded) as caught:
        await gh.rest.issues.async_create("acme", "cases", title="x")
    assert caught.value.response.status_code == 403
    assert caught.value.retry_after == timedelta(seconds=7)
    assert "secondary rate limit" in caught.value.response.json()["message"]
    assert (await gh.rest.issues.async_create("acme", "cases", title="x")).status_code == 201


async def test_fault_429_is_a_primary_rate_limit(sandbox, world):
    world.inject("GET", r"/issues", status=429, retry_after=3)
    gh = kit(sandbox, world.user_token("mediator-1"), auto_retry=False)
    with pytest.raises((PrimaryRateLimitExceeded, SecondaryRateLimitExceeded)) as caught:
        await gh.rest.issues.async_list_for_repo("acme", "cases")
    assert caught.value.response.status_code == 429


async def test_fault_timeout_delays_the_answer(raw, world):
    token = world.user_token("mediator-1")
    world.inject("GET", r"/issues$", kind="timeout", delay=0.3)
    # The answer is held back: a client that waits less than the delay gets no answer at all.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(raw.get("/repos/acme/cases/issues", headers=auth(token)), 0.05)
    assert (await raw.get("/repos/acme/cases/issues", headers=auth(token))).status_code == 200


async def test_fault_after_effect_lands_the_write_but_answers_502(raw, world):
    token = world.user_token("mediator-1")
    await raw.post("/repos/acme/cases/issues", headers=auth(token), json={"title": "x"})
    world.inject("POST", r"/issues/1/comments$", kind="after_effect")
    r = await raw.post("/repos/acme/cases/issues/1/comments", headers=auth(token), json={"body": "landed"})
    assert r.status_code == 502
    listed = await raw.get("/repos/acme/cases/issues/1/comments", headers=auth(token))
    assert [c["body"] for c in listed.json()] == ["landed"]


async def test_control_plane_injects_and_reads_state(raw, world):
    r = await raw.post("/_sandbox/inject", json={"method": "GET", "path_regex": "/user$", "status": 503})
    assert r.status_code == 201
    token = world.user_token("reporter-1")
    assert (await raw.get("/user", headers=auth(token))).status_code == 503
    assert (await raw.get("/user", headers=auth(token))).status_code == 200
    seeded = await raw.post(
        "/_sandbox/call", json={"method": "add_repo", "args": {"owner": "acme", "name": "new"}}
    )
    assert seeded.status_code == 200
    state = (await raw.get("/_sandbox/state")).json()
    assert "acme/new" in state["repos"] and state["repos"]["acme/new"]["private"] is False
    made = await raw.post("/_sandbox/call", json={"method": "user_token", "args": {"login": "voter-3"}})
    assert (await raw.get("/user", headers=auth(made.json()["result"]))).json()["login"] == "voter-3"
    bad = await raw.post("/_sandbox/inject", json={"method": "GET", "path_regex": "x", "kind": "nope"})
    assert bad.status_code == 422


# -- GraphQL ----------------------------------------------------------------------------------------
CATEGORIES = """query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { id discussionCategories(first: 20) { nodes { id name slug } } }
}"""
CREATE = """mutation($repo: ID!, $cat: ID!, $title: String!, $body: String!) {
  createDiscussion(input: {repositoryId: $repo, categoryId: $cat, title: $title, body: $body}) {
    discussion { id number url title closed locked category { name } author { login } }
  }
}"""
COMMENT = """mutation($id: ID!, $body: String!) {
  addDiscussionComment(input: {discussionId: $id, body: $body}) { comment { id body isMinimized } }
}"""
CLOSE = """mutation($id: ID!) {
  closeDiscussion(input: {discussionId: $id, reason: OUTDATED}) { discussion { closed stateReason closedAt } }
}"""
LOCK = """mutation($id: ID!) {
  lockLockable(input: {lockableId: $id, lockReason: RESOLVED}) {
    lockedRecord { locked activeLockReason ... on Discussion { number } }
  }
}"""
MOVE = """mutation($id: ID!, $cat: ID!) {
  updateDiscussion(input: {discussionId: $id, categoryId: $cat}) { discussion { category { name slug } } }
}"""
NODE = """query($id: ID!) {
  node(id: $id) {
    id
    ... on Discussion { number closed locked stateReason category { slug } repository { nameWithOwner } }
  }
}"""
DELETE = """mutation($id: ID!) { deleteDiscussion(input: {id: $id}) { discussion { id } } }"""
MINIMIZE = """mutation($id: ID!) {
  minimizeComment(input: {subjectId: $id, classifier: OFF_TOPIC}) {
    minimizedComment { isMinimized minimizedReason ... on IssueComment { body } }
  }
}"""


async def test_discussion_lifecycle_over_graphql(sandbox, world, receiver):
    gh = kit(sandbox, world.installation_token(INSTALLATION))
    repo = (await gh.async_graphql(CATEGORIES, {"owner": "acme", "name": "forum"}))["repository"]
    cats = {c["name"]: c for c in repo["discussionCategories"]["nodes"]}
    assert {"General", "Q&A", "Archive"} <= set(cats) and cats["Archive"]["slug"] == "archive"

    made = (
        await gh.async_graphql(
            CREATE,
            {"repo": repo["id"], "cat": cats["General"]["id"], "title": "Poll: case 1", "body": "summary"},
        )
    )["createDiscussion"]
    disc = made["discussion"]
    assert disc["number"] == 1 and disc["url"] == f"{BASE}/acme/forum/discussions/1"
    assert disc["author"]["login"] == "conduct-desk[bot]" and disc["category"]["name"] == "General"
    voter = kit(sandbox, world.user_token("owner-1"))
    said = await voter.async_graphql(COMMENT, {"id": disc["id"], "body": "noted"})
    assert said["addDiscussionComment"]["comment"]["isMinimized"] is False

    closed = (await gh.async_graphql(CLOSE, {"id": disc["id"]}))["closeDiscussion"]["discussion"]
    assert closed["closed"] and closed["stateReason"] == "OUTDATED" and closed["closedAt"].endswith("Z")
    locked = (await gh.async_graphql(LOCK, {"id": disc["id"]}))["lockLockable"]["lockedRecord"]
    assert locked == {"locked": True, "activeLockReason": "RESOLVED", "number": 1}
    moved = await gh.async_graphql(MOVE, {"id": disc["id"], "cat": cats["Archive"]["id"]})
    assert moved["updateDiscussion"]["discussion"]["category"]["slug"] == "archive"
    node = (await gh.async_graphql(NODE, {"id": disc["id"]}))["node"]
    assert node == {
        "id": disc["id"],
        "number": 1,
        "closed": True,
        "locked": True,
        "stateReason": "OUTDATED",
        "category": {"slug": "archive"},
        "repository": {"nameWithOwner": "acme/forum"},
    }

    await gh.async_graphql(DELETE, {"id": disc["id"]})
    async with httpx.AsyncClient(transport=sandbox, base_url=BASE) as client:
        gone = await client.post(
            "/graphql",
            headers=auth(world.installation_token(INSTALLATION)),
            json={"query": NODE, "variables": {"id": disc["id"]}},
        )
    assert gone.status_code == 200
    assert gone.json()["data"] == {"node": None}
    assert gone.json()["errors"][0]["type"] == "NOT_FOUND" and gone.json()["errors"][0]["path"] == ["node"]

    await world.drain_webhooks()
    events = [(e, p["action"]) for e, p in receiver.events() if e == "discussion"]
    assert events == [
        ("discussion", a) for a in ("created", "closed", "locked", "category_changed", "deleted")
    ]
    changed = next(p for e, p in receiver.events() if p.get("action") == "category_changed")
    assert changed["changes"]["category"]["from"]["name"] == "General"
    assert changed["discussion"]["category"]["name"] == "Archive"
    for event, payload in receiver.events():
        assert webhook_schema_problems(event, payload) == []


async def test_minimize_issue_comment(sandbox, world, raw):
    token = world.user_token("mediator-1")
    await raw.post(
        "/repos/acme/intake/issues", headers=auth(world.user_token("reporter-1")), json={"title": "x"}
    )
    c = (
        await raw.post(
            "/repos/acme/intake/issues/1/comments",
            headers=auth(world.user_token("reporter-1")),
            json={"body": "heated"},
        )
    ).json()
    outsider = kit(sandbox, world.user_token("reporter-1"))
    with pytest.raises(GraphQLFailed, match="permission"):
        await outsider.async_graphql(MINIMIZE, {"id": c["node_id"]})
    gh = kit(sandbox, token)
    out = (await gh.async_graphql(MINIMIZE, {"id": c["node_id"]}))["minimizeComment"]["minimizedComment"]
    assert out == {"isMinimized": True, "minimizedReason": "off-topic", "body": "heated"}


async def test_delete_and_transfer_issue(sandbox, world, raw, receiver):
    token = world.installation_token(INSTALLATION)
    for title in ("a", "b"):
        await raw.post(
            "/repos/acme/intake/issues", headers=auth(token), json={"title": title, "labels": ["bug"]}
        )
    await raw.post("/repos/acme/intake/issues/2/comments", headers=auth(token), json={"body": "keep"})
    first = (await raw.get("/repos/acme/intake/issues/1", headers=auth(token))).json()
    second = (await raw.get("/repos/acme/intake/issues/2", headers=auth(token))).json()
    cases = (await kit(sandbox, token).async_graphql(CATEGORIES, {"owner": "acme", "name": "cases"}))[
        "repository"
    ]
    gh = kit(sandbox, token)
    await gh.async_graphql(
        "mutation($id: ID!) { deleteIssue(input: {issueId: $id}) { repository { name } } }",
        {"id": first["node_id"]},
    )
    assert (await raw.get("/repos/acme/intake/issues/1", headers=auth(token))).status_code == 410
    moved = await gh.async_graphql(
        "mutation($i: ID!, $r: ID!) { transferIssue(input: {issueId: $i, repositoryId: $r}) "
        "{ issue { number url repository { nameWithOwner } } } }",
        {"i": second["node_id"], "r": cases["id"]},
    )
    assert moved["transferIssue"]["issue"] == {
        "number": 1,
        "url": f"{BASE}/acme/cases/issues/1",
        "repository": {"nameWithOwner": "acme/cases"},
    }
    comments = await raw.get("/repos/acme/cases/issues/1/comments", headers=auth(token))
    assert [c["body"] for c in comments.json()] == ["keep"]
    await world.drain_webhooks()
    kinds = [(e, p.get("action")) for e, p in receiver.events()]
    assert ("issues", "deleted") in kinds and ("issues", "transferred") in kinds
    transferred = next(p for e, p in receiver.events() if p.get("action") == "transferred")
    assert transferred["changes"]["new_repository"]["full_name"] == "acme/cases"
    for event, payload in receiver.events():
        assert webhook_schema_problems(event, payload) == []


async def test_graphql_rejects_unknown_fields_without_data(raw, world):
    r = await raw.post(
        "/graphql", headers=auth(world.user_token("mediator-1")), json={"query": "{ viewer { login } }"}
    )
    body = r.json()
    assert r.status_code == 200 and "data" not in body and "viewer" in body["errors"][0]["message"]
    hidden = await raw.post(
        "/graphql",
        headers=auth(world.user_token("reporter-1")),
        json={"query": '{ repository(owner: "acme", name: "forum") { id } }'},
    )
    assert hidden.json()["data"] == {"repository": None}
    assert hidden.json()["errors"][0]["type"] == "NOT_FOUND"


def test_sdl_is_a_strict_subset_of_githubs_schema():
    ours = graphql.build_schema(SDL)
    theirs = contract.graphql_schema()
    problems = []
    for name, mine in ours.type_map.items():
        if name.startswith("__"):
            continue
        real = theirs.type_map.get(name)
        if real is None or type(real) is not type(mine):
            problems.append(f"{name}: not in GitHub's schema as the same kind")
            continue
        if isinstance(mine, graphql.GraphQLEnumType):
            problems += [f"{name}.{v}" for v in mine.values if v not in real.values]
        if isinstance(mine, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            problems += [
                f"{name} implements {i.name}"
                for i in mine.interfaces
                if i.name not in {x.name for x in real.interfaces}
            ]
            for fname, field in mine.fields.items():
                rf = real.fields.get(fname)
                if rf is None or str(rf.type) != str(field.type):
                    problems.append(f"{name}.{fname}: {field.type} vs {rf and rf.type}")
                    continue
                for aname, arg in field.args.items():
                    ra = rf.args.get(aname)
                    if ra is None or str(ra.type) != str(arg.type) or ra.default_value != arg.default_value:
                        problems.append(f"{name}.{fname}({aname})")
                problems += [
                    f"{name}.{fname} lacks required arg {a}"
                    for a, ra in rf.args.items()
                    if graphql.is_required_argument(ra) and a not in field.args
                ]
        if isinstance(mine, graphql.GraphQLInputObjectType):
            for fname, field in mine.fields.items():
                rf = real.fields.get(fname)
                if rf is None or str(rf.type) != str(field.type) or rf.default_value != field.default_value:
                    problems.append(f"{name}.{fname}")
            problems += [
                f"{name} lacks required {f}"
                for f, rf in real.fields.items()
                if graphql.is_required_input_field(rf) and f not in mine.fields
            ]
    assert problems == []
    assert {"createDiscussion", "minimizeComment", "transferIssue"} <= set(ours.mutation_type.fields)


# -- webhooks ---------------------------------------------------------------------------------------
async def test_webhooks_are_signed_ordered_and_carry_the_acting_user(raw, world, receiver):
    reporter = world.user_token("reporter-1")
    mediator = world.user_token("mediator-1")
    await raw.post("/repos/acme/intake/issues", headers=auth(reporter), json={"title": "help", "body": "v1"})
    await raw.patch("/repos/acme/intake/issues/1", headers=auth(reporter), json={"body": "v2"})
    c = (
        await raw.post("/repos/acme/intake/issues/1/comments", headers=auth(mediator), json={"body": "c1"})
    ).json()
    await raw.patch(
        f"/repos/acme/intake/issues/comments/{c['id']}", headers=auth(mediator), json={"body": "c2"}
    )
    await raw.post(
        "/repos/acme/intake/issues/1/labels", headers=auth(mediator), json={"labels": ["question"]}
    )
    await raw.delete("/repos/acme/intake/issues/1/labels/question", headers=auth(mediator))
    await raw.patch("/repos/acme/intake/issues/1", headers=auth(mediator), json={"state": "closed"})
    await raw.put(
        "/repos/acme/intake/issues/1/lock", headers=auth(mediator), json={"lock_reason": "resolved"}
    )
    await raw.delete(f"/repos/acme/intake/issues/comments/{c['id']}", headers=auth(mediator))
    await world.drain_webhooks()

    got = receiver.events()
    assert [(e, p["action"]) for e, p in got] == [
        ("issues", "opened"),
        ("issues", "edited"),
        ("issue_comment", "created"),
        ("issue_comment", "edited"),
        ("issues", "labeled"),
        ("issues", "unlabeled"),
        ("issues", "closed"),
        ("issues", "locked"),
        ("issue_comment", "deleted"),
    ]
    assert [p["sender"]["login"] for _e, p in got[:3]] == ["reporter-1", "reporter-1", "mediator-1"]
    assert got[1][1]["changes"] == {"body": {"from": "v1"}}
    assert got[3][1]["changes"] == {"body": {"from": "c1"}} and got[3][1]["comment"]["body"] == "c2"
    ids = set()
    for (headers, body), (event, payload) in zip(receiver.hits, got, strict=True):
        assert githubkit.webhooks.verify(SECRET, body, headers["x-hub-signature-256"])
        assert githubkit.webhooks.verify(SECRET, body, headers["x-hub-signature"])
        assert not githubkit.webhooks.verify("wrong", body, headers["x-hub-signature-256"])
        assert headers["user-agent"].startswith("GitHub-Hookshot/")
        assert headers["content-type"] == "application/json"
        ids.add(headers["x-github-delivery"])
        assert payload["installation"]["id"] == INSTALLATION and payload["organization"]["login"] == "acme"
        githubkit.webhooks.parse(event, body)
        assert webhook_schema_problems(event, payload) == []
    assert len(ids) == len(got)
    log = world.deliveries
    assert [d.status for d in log] == [200] * len(got)


async def test_failed_delivery_is_recorded_then_redelivered_with_same_id(raw, world, receiver):
    receiver.status = 500
    await raw.post(
        "/repos/acme/intake/issues", headers=auth(world.user_token("reporter-1")), json={"title": "x"}
    )
    await world.drain_webhooks()
    assert len(receiver.hits) == 1 and world.deliveries[0].status == 500
    first_id = world.deliveries[0].id
    receiver.status = 202
    again = await raw.post(f"/_sandbox/redeliver/{first_id}")
    assert again.status_code == 202
    await raw.post("/_sandbox/drain")
    assert len(receiver.hits) == 2
    assert receiver.hits[1][0]["x-github-delivery"] == first_id and receiver.hits[1][1] == receiver.hits[0][1]
    log = (await raw.get("/_sandbox/deliveries")).json()
    assert [(d["id"], d["status"], d["redelivery"]) for d in log] == [
        (first_id, 500, False),
        (first_id, 202, True),
    ]
    assert (await raw.post("/_sandbox/redeliver/nope")).status_code == 404


# -- OAuth sign-in ----------------------------------------------------------------------------------
async def test_oauth_web_flow(raw, world):
    r = await raw.get(
        "/login/oauth/authorize",
        params={"client_id": "Iv1.sandbox", "state": "xyz", "redirect_uri": "http://desk.test/auth/callback"},
        headers={"X-Sandbox-Login": "reporter-1"},
    )
    assert r.status_code == 302
    target = urlsplit(r.headers["location"])
    assert (target.netloc, target.path) == ("desk.test", "/auth/callback")
    q = parse_qs(target.query)
    assert q["state"] == ["xyz"]
    form = {"client_id": "Iv1.sandbox", "client_secret": "s3cret", "code": q["code"][0]}
    tok = await raw.post("/login/oauth/access_token", data=form, headers={"Accept": "application/json"})
    body = tok.json()
    assert body["token_type"] == "bearer" and body["access_token"].startswith("gho_") and "scope" in body
    me = await raw.get("/user", headers=auth(body["access_token"]))
    assert me.status_code == 200 and me.json()["login"] == "reporter-1"
    reused = await raw.post("/login/oauth/access_token", json=form, headers={"Accept": "application/json"})
    assert reused.json()["error"] == "bad_verification_code"
    wrong = await raw.post("/login/oauth/access_token", data=dict(form, client_secret="x"))
    assert parse_qs(wrong.text)["error"] == ["incorrect_client_credentials"]
    picker = await raw.get(
        "/login/oauth/authorize", params={"client_id": "Iv1.sandbox", "redirect_uri": "http://d/"}
    )
    assert picker.status_code == 200 and "reporter-1" in picker.text
    installation = await raw.get("/user", headers=auth(world.installation_token(INSTALLATION)))
    assert installation.status_code == 403


# -- orgs, teams, blocks, limits --------------------------------------------------------------------
async def test_teams_members_blocks_and_limits(raw, world):
    admin = auth(world.installation_token(INSTALLATION))
    members = await raw.get("/orgs/acme/teams/steering-council/members", headers=admin)
    assert [m["login"] for m in members.json()] == ["sc-1", "sc-2"]
    got = await raw.get("/orgs/acme/teams/mediators/memberships/mediator-1", headers=admin)
    assert got.json()["role"] == "member" and got.json()["state"] == "active"
    assert (await raw.get("/orgs/acme/teams/mediators/memberships/sc-1", headers=admin)).status_code == 404
    put = await raw.put(
        "/orgs/acme/teams/mediators/memberships/sc-1", headers=admin, json={"role": "maintainer"}
    )
    assert put.json()["role"] == "maintainer"
    assert (await raw.delete("/orgs/acme/teams/mediators/memberships/sc-1", headers=admin)).status_code == 204
    assert (await raw.get("/orgs/acme/members/sc-1", headers=admin)).status_code == 204
    assert (await raw.get("/orgs/acme/members/reporter-1", headers=admin)).status_code == 404
    assert (await raw.delete("/orgs/acme/members/sc-2", headers=admin)).status_code == 204
    assert (await raw.get("/orgs/acme/members/sc-2", headers=admin)).status_code == 404
    user = await raw.get("/users/reporter-1", headers=admin)
    assert user.json()["login"] == "reporter-1" and user.json()["type"] == "User"

    assert (await raw.get("/orgs/acme/blocks/reporter-1", headers=admin)).status_code == 404
    assert (await raw.put("/orgs/acme/blocks/reporter-1", headers=admin)).status_code == 204
    assert (await raw.get("/orgs/acme/blocks/reporter-1", headers=admin)).status_code == 204
    assert [u["login"] for u in (await raw.get("/orgs/acme/blocks", headers=admin)).json()] == ["reporter-1"]
    assert (await raw.put("/orgs/acme/blocks/owner-1", headers=admin)).status_code == 422
    assert (await raw.delete("/orgs/acme/blocks/reporter-1", headers=admin)).status_code == 204
    mediator = auth(world.user_token("mediator-1"))
    assert (await raw.put("/orgs/acme/blocks/reporter-1", headers=mediator)).status_code == 403

    assert (await raw.get("/repos/acme/intake/interaction-limits", headers=admin)).json() == {}
    set_repo = await raw.put(
        "/repos/acme/intake/interaction-limits",
        headers=admin,
        json={"limit": "collaborators_only", "expiry": "one_week"},
    )
    assert set_repo.json()["origin"] == "repository"
    expires = datetime.fromisoformat(set_repo.json()["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    org_limit = await raw.put(
        "/orgs/acme/interaction-limits", headers=admin, json={"limit": "existing_users"}
    )
    assert org_limit.json()["origin"] == "organization"
    assert (await raw.get("/repos/acme/intake/interaction-limits", headers=admin)).json()[
        "origin"
    ] == "organization"
    assert (await raw.delete("/orgs/acme/interaction-limits", headers=admin)).status_code == 204
    assert (await raw.delete("/repos/acme/intake/interaction-limits", headers=admin)).status_code == 204
    assert (await raw.get("/orgs/acme/interaction-limits", headers=admin)).json() == {}


# -- Actions ----------------------------------------------------------------------------------------
async def test_dispatch_waits_for_required_reviewers(raw, world, receiver):
    world.add_workflow("acme/cases", "sc-approval.yml", name="SC approval", environment="steering-council")
    admin = auth(world.installation_token(INSTALLATION))
    team_id = world.orgs["acme"].teams["steering-council"].id
    env = await raw.put(
        "/repos/acme/cases/environments/steering-council",
        headers=admin,
        json={"reviewers": [{"type": "Team", "id": team_id}], "prevent_self_review": True, "wait_timer": 0},
    )
    assert env.status_code == 200
    rule = next(r for r in env.json()["protection_rules"] if r["type"] == "required_reviewers")
    assert rule["reviewers"][0]["reviewer"]["slug"] == "steering-council" and rule["prevent_self_review"]
    assert (await raw.get("/repos/acme/cases/environments/steering-council", headers=admin)).json()[
        "id"
    ] == env.json()["id"]

    d = await raw.post(
        "/repos/acme/cases/actions/workflows/sc-approval.yml/dispatches",
        headers=admin,
        json={"ref": "main", "inputs": {"case": "1"}},
    )
    assert d.status_code == 204
    assert (
        await raw.post(
            "/repos/acme/cases/actions/workflows/nope.yml/dispatches", headers=admin, json={"ref": "main"}
        )
    ).status_code == 404
    runs = (await raw.get("/repos/acme/cases/actions/runs", headers=admin)).json()
    run_id = runs["workflow_runs"][0]["id"]
    run = (await raw.get(f"/repos/acme/cases/actions/runs/{run_id}", headers=admin)).json()
    assert run["status"] == "waiting" and run["event"] == "workflow_dispatch"

    sc = auth(world.user_token("sc-1"))
    pending = (
        await raw.get(f"/repos/acme/cases/actions/runs/{run_id}/pending_deployments", headers=sc)
    ).json()
    assert pending[0]["environment"]["name"] == "steering-council" and pending[0]["current_user_can_approve"]
    review = {"environment_ids": [env.json()["id"]], "state": "approved", "comment": "ok"}
    outsider = auth(world.user_token("mediator-1"))
    refused = await raw.post(
        f"/repos/acme/cases/actions/runs/{run_id}/pending_deployments", headers=outsider, json=review
    )
    assert refused.status_code == 422
    ok = await raw.post(
        f"/repos/acme/cases/actions/runs/{run_id}/pending_deployments", headers=sc, json=review
    )
    assert ok.status_code == 200 and ok.json()[0]["environment"] == "steering-council"
    assert (await raw.get(f"/repos/acme/cases/actions/runs/{run_id}", headers=admin)).json()[
        "status"
    ] == "in_progress"
    world.complete_run("acme/cases", run_id, "success")
    await world.drain_webhooks()
    got = [(e, p["action"]) for e, p in receiver.events()]
    assert got == [
        ("workflow_run", "requested"),
        ("deployment_review", "approved"),
        ("workflow_run", "in_progress"),
        ("workflow_run", "completed"),
    ]
    review_hook = receiver.events()[1][1]
    assert review_hook["sender"]["login"] == "sc-1" and review_hook["comment"] == "ok"
    for event, payload in receiver.events():
        assert webhook_schema_problems(event, payload) == []


async def test_self_review_is_refused(raw, world):
    world.add_environment(
        "acme/cases", "steering-council", reviewers=[("User", "owner-1")], prevent_self_review=True
    )
    world.add_workflow("acme/cases", "ban.yml", environment="steering-council")
    me = auth(world.user_token("owner-1"))
    await raw.post("/repos/acme/cases/actions/workflows/ban.yml/dispatches", headers=me, json={"ref": "main"})
    run_id = next(iter(world.repos["acme/cases"].runs))
    env_id = world.repos["acme/cases"].environments["steering-council"].id
    r = await raw.post(
        f"/repos/acme/cases/actions/runs/{run_id}/pending_deployments",
        headers=me,
        json={"environment_ids": [env_id], "state": "rejected", "comment": "no"},
    )
    assert r.status_code == 422 and "Self-review" in r.json()["message"]


# -- a real server --------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runs_under_uvicorn_with_real_webhooks(world):
    received: list[tuple[dict, bytes]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    hook_server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook_server.serve_forever, daemon=True).start()
    port = _free_port()
    app = create_app(
        world, webhook_url=f"http://127.0.0.1:{hook_server.server_port}/hook", webhook_secret=SECRET
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}/api/v3"
        def pin(request: httpx.Request) -> None:
            # GitHub Enterprise Server 3.19 knows only 2022-11-28; githubkit's own default is refused there.
            request.headers["X-GitHub-Api-Version"] = "2022-11-28"

        gh = GitHub(TokenAuthStrategy(world.user_token("reporter-1")), base_url=base, event_hooks={"request": [pin]})
        issue = gh.rest.issues.create("acme", "intake", title="over the wire").parsed_data
        assert issue.url == f"{base}/repos/acme/intake/issues/1"
        assert issue.html_url == f"http://127.0.0.1:{port}/acme/intake/issues/1"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=0.2) as client:
            world.inject("GET", r"/issues/1$", kind="timeout", delay=1.0)
            with pytest.raises(httpx.ReadTimeout):
                client.get("/repos/acme/intake/issues/1", headers=auth(world.user_token("reporter-1")))
            deadline = time.monotonic() + 5
            while not received and time.monotonic() < deadline:
                time.sleep(0.02)
            drained = client.post("/_sandbox/drain", timeout=5).json()
        assert received and received[0][0]["X-GitHub-Event"] == "issues"
        assert githubkit.webhooks.verify(SECRET, received[0][1], received[0][0]["X-Hub-Signature-256"])
        assert drained[0]["status"] == 204
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        hook_server.shutdown()


# -- a runner in another process ---------------------------------------------------------------------
async def test_a_job_started_through_the_control_plane_gets_a_token_url_on_the_address_it_asked(raw, world):
    world.add_workflow("acme/cases", "sweep.yml")
    run_id = world.schedule_run("acme/cases", "sweep.yml")
    started = await raw.post("/_sandbox/jobs", json={"repo": "acme/cases", "run_id": run_id, "job": "sweep"})
    assert started.status_code == 201
    values = started.json()
    assert values["GITHUB_RUN_ID"] == str(run_id)
    assert values["ACTIONS_ID_TOKEN_REQUEST_URL"].startswith(f"{BASE}/_services/token/")
    token = await raw.get(f"{values['ACTIONS_ID_TOKEN_REQUEST_URL']}&audience=https%3A%2F%2Fdesk.test",
                          headers={"Authorization": f"bearer {values['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"})
    assert token.status_code == 200 and token.json()["value"].count(".") == 2


async def test_a_job_behind_an_unreviewed_environment_or_of_no_run_is_refused_by_the_control_plane(raw, world):
    world.add_environment("acme/cases", "steering-council", reviewers=[("Team", "acme/steering-council")])
    world.add_workflow("acme/cases", "sc-approval.yml", environment="steering-council")
    run_id = world.schedule_run("acme/cases", "sc-approval.yml")
    waiting = await raw.post("/_sandbox/jobs", json={"repo": "acme/cases", "run_id": run_id, "job": "apply",
                                                      "environment": "steering-council"})
    assert waiting.status_code == 422 and "waits for a review" in waiting.json()["message"]
    unknown = await raw.post("/_sandbox/jobs", json={"repo": "acme/cases", "run_id": 999999, "job": "apply"})
    assert unknown.status_code == 422
    shapeless = await raw.post("/_sandbox/jobs", json={"repo": "acme/cases"})
    assert shapeless.status_code == 422
