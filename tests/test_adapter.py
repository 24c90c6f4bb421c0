"""The GitHub adapter: every request checked against GitHub's descriptions, replayed cassettes, and faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import contract
import httpx
import pytest
import record_cassettes as rc
from githubkit.exception import RequestFailed, RequestTimeout
from githubkit.response import Response as KitResponse

from app.github.adapter import GitHubAdapter, marker, with_marker
from app.github.client import (
    DEFAULT_API_VERSION,
    ClientOptions,
    GitHubSettings,
    PacingThrottler,
    RetryPolicy,
    WritePacer,
    graphql_url,
    settings_from_env,
)
from app.github.errors import Invalid, NotFound, RateLimited, Unavailable
from app.github.port import GitHubPort, Reviewer
from app.standin import SandboxState, create_app

pytestmark = pytest.mark.anyio
T0 = datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    return rc.new_app_key()


# --------------------------------------------------------------------------- capture


@dataclass
class Exchange:
    method: str
    path: str  # raw (still percent-encoded) path
    query: dict[str, str]
    body: Any
    status: int = 0
    response: Any = None
    api_version: str | None = None


@dataclass
class Recorder:
    """httpx event hooks that keep every request the adapter sends, and its answer."""

    exchanges: list[Exchange] = field(default_factory=list)

    async def on_request(self, request: httpx.Request) -> None:
        raw = request.content
        body = json.loads(raw) if raw else None
        path = request.url.raw_path.decode().split("?", 1)[0]
        self.exchanges.append(
            Exchange(
                request.method,
                path,
                dict(parse_qsl(request.url.query.decode())),
                body,
                api_version=request.headers.get("x-github-api-version"),
            )
        )

    async def on_response(self, response: httpx.Response) -> None:
        await response.aread()
        exchange = next(e for e in reversed(self.exchanges) if e.status == 0)
        exchange.status = response.status_code
        exchange.response = response.json() if response.content else None

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        return {"request": [self.on_request], "response": [self.on_response]}

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for e in self.exchanges if e.method == method and e.path.endswith(suffix))


def contract_problems(exchanges: list[Exchange]) -> list[str]:
    problems: list[str] = []
    for e in exchanges:
        if e.path.endswith("/graphql"):
            problems += contract.check_graphql(e.body["query"], e.body.get("variables"))
        else:
            problems += contract.check_rest_request(e.method, e.path, e.query, e.body)
            problems += contract.check_rest_response(e.method, e.path, e.status, e.response)
    return problems


async def _no_sleep(_seconds: float) -> None:
    return None


def _options(
    recorder: Recorder, transport: httpx.AsyncBaseTransport | None = None, **kw: Any
) -> ClientOptions:
    kw.setdefault("pacer", WritePacer(sleep=_no_sleep))
    kw.setdefault("retry", RetryPolicy(backoff=lambda attempt: 0.0))
    return ClientOptions(transport=transport, event_hooks=recorder.hooks(), **kw)


# --------------------------------------------------------------------------- stand-in gaps
# The stand-in does not yet serve two operations. For them (only) this transport answers with GitHub's own
# documented example (REST) or the schema's shape (GraphQL), so their requests are still contract-checked.


class GapTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/assignees"):
            example = contract.documented_example("POST", request.url.path, 201)
            return httpx.Response(201, json=example)
        if request.url.path.endswith("/graphql"):
            body = json.loads(request.content)
            if body["query"].startswith("query UserTeams"):
                teams = {
                    "nodes": [{"slug": "mediators"}],
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                }
                return httpx.Response(200, json={"data": {"organization": {"teams": teams}}})
        return await self.inner.handle_async_request(request)


def _world(app_key: tuple[str, str], **state_kw: Any) -> SandboxState:
    state = SandboxState(**state_kw)
    rc.seed_sandbox(state, app_key[1])
    return state


def _settings(app_key: tuple[str, str], url: str = "http://sandbox.test/") -> GitHubSettings:
    return GitHubSettings(api_url=url, app_id=rc.Target().app_id, private_key=app_key[0])


# --------------------------------------------------------------------------- every port method, on contract


def test_steps_cover_every_port_method():
    covered = {name for step in rc.STEPS for name in step.covers}
    assert covered == set(GitHubPort.__abstractmethods__)


async def test_every_request_matches_githubs_description(app_key):
    state = _world(app_key)
    recorder = Recorder()
    transport = GapTransport(httpx.ASGITransport(app=create_app(state)))
    gh = await GitHubAdapter.for_org(_settings(app_key), "acme", _options(recorder, transport))
    target = rc.Target()
    per_step: dict[str, list[Exchange]] = {}

    class Mark:
        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> None:
            self.start = len(recorder.exchanges)

        def __exit__(self, *exc: object) -> None:
            per_step[self.name] = recorder.exchanges[self.start :]

    results = await rc.run_steps(gh, target, Mark)

    assert contract_problems(recorder.exchanges) == []
    # Every REST request names the pinned API version, the one the descriptions above are written for.
    rest = [e for e in recorder.exchanges if not e.path.endswith("/graphql")]
    assert {e.api_version for e in rest} == {DEFAULT_API_VERSION} == {"2022-11-28"}
    assert set(state.api_versions_seen) == {DEFAULT_API_VERSION}
    # The bot login came from the App itself.
    assert recorder.count("GET", "/app") == 1 and gh.bot_login == "conduct-desk[bot]"
    # Every step reached GitHub, and the only failures were the two the adapter expects and absorbs: the
    # label lookup before creating it, and removing a label the issue no longer has.
    assert all(per_step[s.name] for s in rc.STEPS)
    failed = [(e.method, e.path, e.status) for e in recorder.exchanges if e.status >= 400]
    label = "/repos/acme/cases/labels/stage%3A%20intake"
    assert failed == [("GET", label, 404), ("DELETE", "/repos/acme/cases/issues/1" + label[17:], 404)]
    # App auth: the installation found once, one installation token for all the calls that followed.
    assert recorder.count("GET", "/orgs/acme/installation") == 1
    assert recorder.count("POST", "/access_tokens") == 1
    assert gh.installation_id == 77
    # Label names travel as one escaped path segment.
    assert any(e.path.endswith("/labels/stage%3A%20intake") for e in recorder.exchanges)
    assert results["add_assignees"] == ("octocat",)
    assert results["user_teams"] == ("mediators",)
    # Deleted at the end over GraphQL; the request transferred in from the public intake repo stays.
    assert [i.title for i in state.repos["acme/cases"].issues.values()] == ["Help request"]
    assert state.repos["acme/intake"].issues == {} and results["transfer_issue"] == 3


async def test_replayed_cassettes_parse_into_records(app_key):
    target = rc.Target(**json.loads(rc.TARGET_FILE.read_text()))
    player = rc.cassette_vcr("none")
    recorder = Recorder()
    # No transport: the default one, which vcrpy answers from the cassettes (nothing listens here).
    options = _options(recorder, None)
    with player.use_cassette("connect.yaml"):
        gh = await GitHubAdapter.for_org(_settings(app_key, "http://127.0.0.1:9/"), target.org, options)
    assert gh.installation_id == rc.INSTALLATION_PLACEHOLDER
    skip = frozenset(s.name for s in rc.STEPS if not (rc.CASSETTES / f"{s.name}.yaml").exists())
    assert skip <= {s.name for s in rc.STEPS if s.standin_gap}
    r = await rc.run_steps(
        gh, target, lambda name: player.use_cassette(f"{name}.yaml", allow_playback_repeats=False), skip
    )

    assert contract_problems(recorder.exchanges) == []
    assert r["get_user"].login == target.member and r["get_user"].type == "User"
    issue = r["create_issue"]
    assert issue.title == "Case 1" and marker("case-1") in issue.body and issue.state == "open"
    assert r["get_issue"] == issue
    assert r["update_issue"].title == "Case 1 (intake)"
    assert r["ensure_label"].color == "0e8a16" and r["ensure_label"].description == "A new case, not yet read"
    added, removed, again, final = r["labels"]
    assert "stage: intake" in added and "stage: intake" not in removed and again == removed
    assert final == ("stage: intake",)
    comment = r["create_comment"]
    assert (
        marker("ack-1") in comment.body and comment.author_type == "Bot" and comment.author.endswith("[bot]")
    )
    assert [c.id for c in r["list_comments"]] == [comment.id]
    assert r["update_comment"].body == "Acknowledged; a mediator will reply."
    assert target.member in r["team_members"]
    assert r["is_org_member"] is True and r["is_blocked"] is True
    env = r["put_environment"]
    assert env == r["get_environment"] and env.prevent_self_review and env.reviewers[0].type == "User"
    assert env.reviewers[0].id == r["get_user"].id
    assert r["discussion_categories"].category("general") is not None
    disc = r["create_discussion"]
    assert disc.number > issue.number and not disc.closed
    assert r["move_discussion"].category_id != disc.category_id
    assert r["move_discussion"].closed and r["move_discussion"].locked
    assert r["add_discussion_comment"].url.startswith(disc.url)
    # Tokens and installation ids never reached the cassettes.
    for path in rc.CASSETTES.glob("*.yaml"):
        text = path.read_text()
        assert "ghs_" not in text and "eyJ" not in text and "authorization" not in text.lower()


# --------------------------------------------------------------------------- faults, over a real socket


@pytest.fixture
def served(app_key):
    state = _world(app_key, clock=lambda: T0)
    with rc.SandboxServer(state) as server:
        yield state, server


def _token_adapter(state: SandboxState, url: str, recorder: Recorder, **kw: Any) -> GitHubAdapter:
    options = _options(recorder, None, **kw)
    return GitHubAdapter.with_token(state.installation_token(77), url, options, clock=lambda: T0)


async def _new_issue(state: SandboxState, gh: GitHubAdapter) -> int:
    return (await gh.create_issue("acme/cases", "Case", "text", [], key="seed")).number


async def test_comment_post_that_landed_despite_a_502_is_not_repeated(served):
    state, server = served
    recorder = Recorder()
    gh = _token_adapter(state, server.url, recorder)
    number = await _new_issue(state, gh)
    state.inject("POST", rf"/issues/{number}/comments$", kind="after_effect")

    comment = await gh.create_comment("acme/cases", number, "Acknowledged.", key="ack-7")

    stored = state.comments[("acme/cases", number)]
    assert [c.id for c in stored] == [comment.id]
    assert marker("ack-7") in stored[0].body
    assert recorder.count("POST", f"/issues/{number}/comments") == 1  # found, not posted again


async def test_comment_post_that_timed_out_is_looked_up_before_it_is_sent_again(served):
    state, server = served
    recorder = Recorder()
    gh = _token_adapter(state, server.url, recorder, timeout=httpx.Timeout(0.3))
    number = await _new_issue(state, gh)
    # The stand-in holds the request past our timeout; the client gives up and the write does not land.
    state.inject("POST", rf"/issues/{number}/comments$", kind="timeout", delay=0.8)

    comment = await gh.create_comment("acme/cases", number, "Acknowledged.", key="ack-8")

    await asyncio.sleep(0.6)  # let the slow server finish whatever it would still do
    assert [c.id for c in state.comments[("acme/cases", number)]] == [comment.id]
    calls = [
        (e.method, e.query.get("since") is not None)
        for e in recorder.exchanges
        if e.path.endswith(f"/issues/{number}/comments")
    ]
    assert calls == [("POST", False), ("GET", True), ("POST", False)]


async def test_issue_post_that_failed_without_effect_is_tried_again_once(served):
    state, server = served
    recorder = Recorder()
    gh = _token_adapter(state, server.url, recorder)
    state.inject("POST", r"/repos/acme/cases/issues$", status=503)

    issue = await gh.create_issue("acme/cases", "Case 9", "text", ["question"], key="case-9")

    assert list(state.repos["acme/cases"].issues) == [issue.number]
    assert recorder.count("POST", "/repos/acme/cases/issues") == 2
    search = [
        e for e in recorder.exchanges if e.method == "GET" and e.path.endswith("/repos/acme/cases/issues")
    ]
    assert search and search[0].query["state"] == "all"
    assert contract_problems(recorder.exchanges) == []


async def test_a_timed_out_get_is_retried(served):
    state, server = served
    recorder = Recorder()
    gh = _token_adapter(state, server.url, recorder, timeout=httpx.Timeout(0.3))
    number = await _new_issue(state, gh)
    state.inject("GET", rf"/issues/{number}$", kind="timeout", delay=0.8)

    issue = await gh.get_issue("acme/cases", number)

    assert issue.number == number
    assert recorder.count("GET", f"/issues/{number}") == 2


async def test_a_get_that_keeps_failing_becomes_unavailable(served):
    state, server = served
    recorder = Recorder()
    gh = _token_adapter(state, server.url, recorder)
    state.inject("GET", r"/users/mediator-1$", status=503, times=5)

    with pytest.raises(Unavailable) as caught:
        await gh.get_user("mediator-1")

    assert caught.value.status == 503 and caught.value.retryable
    assert recorder.count("GET", "/users/mediator-1") == 3  # first try and two retries


async def test_secondary_rate_limit_gives_retry_at_without_sleeping(served):
    state, server = served
    recorder = Recorder()
    gh = _token_adapter(state, server.url, recorder)
    number = await _new_issue(state, gh)
    state.inject("POST", rf"/issues/{number}/comments$", kind="secondary_rate_limit", retry_after=7)

    with pytest.raises(RateLimited) as caught:
        await gh.create_comment("acme/cases", number, "Hello", key="hello-1")

    assert caught.value.retry_at == T0 + timedelta(seconds=7)
    assert recorder.count("POST", f"/issues/{number}/comments") == 1
    assert state.comments.get(("acme/cases", number), []) == []


async def test_secondary_rate_limit_without_headers_waits_a_minute(served):
    state, server = served
    gh = _token_adapter(state, server.url, Recorder())
    state.inject("GET", r"/users/mediator-1$", kind="secondary_rate_limit")

    with pytest.raises(RateLimited) as caught:
        await gh.get_user("mediator-1")

    assert caught.value.retry_at == T0 + timedelta(seconds=60)


async def test_primary_rate_limit_waits_for_the_reset(served):
    state, server = served
    gh = _token_adapter(state, server.url, Recorder())
    state.inject("GET", r"/users/mediator-1$", status=429)

    with pytest.raises(RateLimited) as caught:
        await gh.get_user("mediator-1")

    # The stand-in's window resets on the hour of its clock, T0 + 1 h.
    assert caught.value.retry_at == T0 + timedelta(hours=1)


async def test_a_422_is_invalid_and_says_nothing_of_the_body(served):
    state, server = served
    recorder = Recorder()
    gh = _token_adapter(state, server.url, recorder)

    with pytest.raises(Invalid) as caught:
        await gh.dispatch_workflow("acme/cases", "noop.yml", "", {"note": "secret-report-text"})

    assert caught.value.status == 422
    assert "secret-report-text" not in str(caught.value) and "Validation" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert recorder.count("POST", "/dispatches") == 1


async def test_not_found_and_yes_no_endpoints(served):
    state, server = served
    gh = _token_adapter(state, server.url, Recorder())
    with pytest.raises(NotFound):
        await gh.get_issue("acme/cases", 999)
    assert await gh.is_org_member("acme", "troll-1") is False
    assert await gh.is_blocked("acme", "troll-1") is False


# --------------------------------------------------------------------------- pacing


def _request(method: str, path: str, query: str | None = None) -> httpx.Request:
    content = json.dumps({"query": query}).encode() if query is not None else None
    return httpx.Request(method, f"https://api.github.com{path}", content=content)


async def test_writes_are_serialised_at_least_a_second_apart_and_reads_are_not_paced():
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttler = PacingThrottler(WritePacer(1.0, clock=lambda: now[0], sleep=sleep))
    starts: list[tuple[str, float]] = []
    requests = [
        _request("POST", "/repos/a/b/issues/1/comments"),
        _request("GET", "/repos/a/b/issues/1"),
        _request("PATCH", "/repos/a/b/issues/1"),
        _request("POST", "/graphql", "query Q { viewer { login } }"),
        _request("POST", "/graphql", "mutation M { x }"),
        _request("POST", "/app/installations/1/access_tokens"),
    ]
    for request in requests:
        async with throttler.async_acquire(request):
            starts.append((request.method + " " + request.url.path, now[0]))
            now[0] += 0.25  # each request takes a quarter second

    writes = [
        t
        for (name, t), r in zip(starts, requests, strict=True)
        if r.method in ("PATCH",) or r.url.path.endswith("/comments") or b"mutation" in r.content
    ]
    assert all(b - a >= 1.0 for a, b in zip(writes, writes[1:], strict=False))
    assert len(slept) == 2  # the PATCH and the mutation waited; the GET, query and token fetch did not


# --------------------------------------------------------------------------- GitHub Enterprise Server


async def test_enterprise_server_accepts_the_pinned_version_and_refuses_githubkits_default(app_key):
    state = _world(app_key)
    transport = httpx.ASGITransport(app=create_app(state))
    ghes = "http://ghes.test/api/v3/"
    recorder = Recorder()
    gh = await GitHubAdapter.for_org(_settings(app_key, ghes), "acme", _options(recorder, transport))
    assert (await gh.get_user("mediator-1")).login == "mediator-1"
    assert {e.api_version for e in recorder.exchanges} == {"2022-11-28"}
    assert all(e.path.startswith("/api/v3/") for e in recorder.exchanges)

    # What githubkit 0.16 sends unpinned: GitHub Enterprise Server 3.19 answers 400, before anything else.
    unpinned = GitHubSettings(api_url=ghes, app_id=rc.Target().app_id, private_key=app_key[0],
                              api_version="2026-03-10")
    with pytest.raises(Invalid) as refused:
        await GitHubAdapter.for_org(unpinned, "acme", _options(Recorder(), transport))
    assert refused.value.status == 400
    # github.com itself serves both calendar versions.
    dotcom = GitHubSettings(api_url="http://sandbox.test/", app_id=rc.Target().app_id, private_key=app_key[0],
                            api_version="2026-03-10")
    assert (await GitHubAdapter.for_org(dotcom, "acme", _options(Recorder(), transport))).bot_login


def test_the_api_version_is_configured_from_the_environment():
    assert settings_from_env({}).api_version == "2022-11-28"
    assert settings_from_env({"CONDUCT_GITHUB_API_VERSION": "2026-03-10"}).api_version == "2026-03-10"


async def test_a_renamed_app_learns_its_bot_login_from_github(app_key):
    state = SandboxState()
    target = rc.Target()
    state.add_org(target.org)
    state.register_app(target.app_id, app_key[1], slug="community-care")
    state.install_app(target.app_id, target.org, 77)
    transport = httpx.ASGITransport(app=create_app(state))
    gh = await GitHubAdapter.for_org(_settings(app_key), target.org, _options(Recorder(), transport))
    assert gh.bot_login == "community-care[bot]" == state.apps[target.app_id].bot


async def test_the_adapter_paces_its_writes(app_key):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    state = _world(app_key)
    transport = httpx.ASGITransport(app=create_app(state))
    gh = await GitHubAdapter.for_org(
        _settings(app_key), "acme", _options(Recorder(), transport, pacer=WritePacer(1.0, sleep=sleep))
    )
    number = await _new_issue(state, gh)
    await gh.get_issue("acme/cases", number)
    await gh.create_comment("acme/cases", number, "One.", key="one")
    await gh.add_labels("acme/cases", number, ["question"])
    # Two writes followed a write at once (the read in between does not count); each waited under 1 s.
    assert len(slept) == 2 and all(0 < s <= 1.0 for s in slept)


async def test_concurrent_writes_do_not_overlap():
    pacer = WritePacer(0.0)
    inside = 0
    most = 0

    async def write() -> None:
        nonlocal inside, most
        async with pacer.slot():
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(write() for _ in range(5)))
    assert most == 1


# --------------------------------------------------------------------------- retry policy and config


def _failed(method: str, status: int, query: str | None = None) -> RequestFailed:
    path = "/graphql" if query is not None else "/repos/a/b/issues"
    request = _request(method, path, query)
    return RequestFailed(KitResponse(httpx.Response(status, request=request), Any))


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (_failed("GET", 502), True),
        (_failed("PUT", 500), True),
        (_failed("DELETE", 504), True),
        (_failed("POST", 502), False),
        (_failed("PATCH", 502), False),
        (_failed("GET", 404), False),
        (_failed("POST", 502, "query Q { viewer { login } }"), True),
        (_failed("POST", 502, "mutation M { x }"), False),
        (RequestTimeout(httpx.ReadTimeout("slow", request=_request("GET", "/x"))), True),
        (RequestTimeout(httpx.ReadTimeout("slow", request=_request("POST", "/x"))), False),
    ],
)
def test_retry_policy_repeats_only_safe_requests(exc, retried):
    decision = RetryPolicy(backoff=lambda attempt: 0.0)(exc, 0)
    assert decision.do_retry is retried
    if retried:
        # githubkit would sleep 60 s on a zero delay: the policy never hands it one.
        assert decision.retry_after is not None and decision.retry_after.total_seconds() > 0
    assert RetryPolicy(max_retries=2)(exc, 2).do_retry is False


def test_settings_from_env_and_graphql_url(tmp_path):
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n")
    s = settings_from_env(
        {
            "CONDUCT_GITHUB_API_URL": "https://ghe.example/api/v3/",
            "CONDUCT_APP_ID": "12",
            "CONDUCT_APP_PRIVATE_KEY": str(pem),
        }
    )
    assert (s.api_url, s.app_id) == ("https://ghe.example/api/v3/", 12)
    assert s.private_key is not None and s.private_key.startswith("-----BEGIN")
    assert "BEGIN" not in repr(s)
    assert settings_from_env({}).api_url == "https://api.github.com/"
    assert graphql_url("https://ghe.example/api/v3/") == "https://ghe.example/api/graphql"
    assert graphql_url("https://api.github.com/") == "https://api.github.com/graphql"


async def test_ghes_base_url_reaches_rest_and_graphql(app_key):
    state = _world(app_key)
    recorder = Recorder()
    transport = httpx.ASGITransport(app=create_app(state))
    settings = _settings(app_key, "http://ghe.test/api/v3/")
    gh = await GitHubAdapter.for_org(settings, "acme", _options(recorder, transport))
    await gh.get_user("mediator-1")
    await gh.discussion_categories("acme/cases")
    assert [e.path for e in recorder.exchanges][-2:] == ["/api/v3/users/mediator-1", "/api/graphql"]


def test_marker_keys_are_checked_and_markers_added_once():
    assert with_marker(with_marker("Hi", "case-1"), "case-1").count("conduct-desk:key=case-1") == 1
    for bad in ("", "a--b", "a>b", "a b", "x" * 201):
        with pytest.raises(ValueError):
            marker(bad)


def test_reviewer_record_is_frozen():
    with pytest.raises(AttributeError):
        Reviewer("User", 1).id = 2  # type: ignore[misc]
