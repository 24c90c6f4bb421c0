"""Build the githubkit client: auth (GitHub App or token), base URL, timeouts, retry policy, write pacing."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, Protocol

import httpx
from githubkit import AppAuthStrategy, AppInstallationAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import (
    GitHubException,
    GraphQLFailed,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
)
from githubkit.throttling import BaseThrottler
from githubkit.typing import RetryOption

from .errors import Forbidden, GitHubError, Invalid, NotFound, RateLimited, Unavailable

DEFAULT_API_URL = "https://api.github.com/"
# The REST API version every request names. githubkit 0.16 would send its newest (2026-03-10), which GitHub
# Enterprise Server 3.17-3.19's descriptions do not list, and GitHub answers an unsupported version with 400.
# 2022-11-28 is the version both github.com (supported for at least 24 months after 2026-03-10) and every
# GitHub Enterprise Server since 3.9 accept, and the one the published descriptions are written against.
DEFAULT_API_VERSION = "2022-11-28"

# githubkit sets no timeout of its own (httpx's 5 s default applies to every phase). A webhook handler
# must not hang on a slow GitHub, yet a write may legitimately take a few seconds to answer.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=10.0)

# Methods that may be sent twice without a second effect (RFC 9110 §9.2.2). POST and PATCH are not:
# a 502 after a comment POST can mean the comment exists.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

# GitHub's best practices: "wait at least one second between each" mutative request per client, serially.
DEFAULT_WRITE_INTERVAL = 1.0
# GitHub allows no more than 100 concurrent requests; stay well below.
MAX_CONCURRENCY = 10
# Requests of the hourly core limit (5,000 for an installation) left for what cannot wait, such as a lift.
CORE_RESERVE = 50


@dataclass(frozen=True)
class GitHubSettings:
    """Where GitHub is and how to authenticate; a private key and a token are never both needed."""

    api_url: str = DEFAULT_API_URL
    app_id: int | None = None
    private_key: str | None = None  # PEM text
    token: str | None = None
    api_version: str = DEFAULT_API_VERSION

    def __repr__(self) -> str:
        # Credentials must not reach logs through a repr.
        return f"GitHubSettings(api_url={self.api_url!r}, app_id={self.app_id!r}, api_version={self.api_version!r})"


def settings_from_env(env: Mapping[str, str] | None = None) -> GitHubSettings:
    """The one place that reads the environment: `CONDUCT_GITHUB_API_URL`, `CONDUCT_APP_ID`,
    `CONDUCT_APP_PRIVATE_KEY` (PEM text, or a path to a PEM file), `CONDUCT_GITHUB_TOKEN` and
    `CONDUCT_GITHUB_API_VERSION`."""
    env = os.environ if env is None else env
    key = env.get("CONDUCT_APP_PRIVATE_KEY") or None
    if key and "-----BEGIN" not in key and os.path.isfile(key):
        with open(key, encoding="ascii") as fh:
            key = fh.read()
    app_id = env.get("CONDUCT_APP_ID") or None
    return GitHubSettings(
        api_url=env.get("CONDUCT_GITHUB_API_URL") or DEFAULT_API_URL,
        app_id=int(app_id) if app_id else None,
        private_key=key,
        token=env.get("CONDUCT_GITHUB_TOKEN") or None,
        api_version=env.get("CONDUCT_GITHUB_API_VERSION") or DEFAULT_API_VERSION,
    )


def graphql_url(api_url: str) -> str:
    """GitHub's GraphQL endpoint for a REST base URL (GHES: `https://HOST/api/v3/` -> `https://HOST/api/graphql`).

    githubkit derives the same URL itself; this is for logs, docs and tests.
    """
    base = httpx.URL(api_url)
    path = base.path.rstrip("/")
    if path.endswith("/api/v3"):
        return str(base.copy_with(path=path[: -len("/v3")] + "/graphql"))
    return str(base.copy_with(path=path + "/graphql"))


# --------------------------------------------------------------------------- requests, classified


def is_graphql(request: httpx.Request) -> bool:
    return request.url.path.endswith("/graphql")


def is_graphql_mutation(request: httpx.Request) -> bool:
    """Whether a GraphQL POST carries a mutation. The adapter's documents all begin with their keyword."""
    try:
        document = json.loads(request.content or b"{}").get("query", "")
    except (ValueError, AttributeError):
        return True  # unknown: treat as unsafe
    return not str(document).lstrip().startswith(("query", "{"))


def is_safe_to_repeat(request: httpx.Request) -> bool:
    if is_graphql(request):
        return not is_graphql_mutation(request)
    return request.method in IDEMPOTENT_METHODS


def is_write(request: httpx.Request) -> bool:
    if is_graphql(request):
        return is_graphql_mutation(request)
    # Fetching an installation token is a POST but creates no content.
    return request.method in MUTATING_METHODS and not request.url.path.endswith("/access_tokens")


# --------------------------------------------------------------------------- failures, translated

# GitHub's documented fallback when a rate-limited answer carries no timing headers: wait a minute.
FALLBACK_WAIT = timedelta(seconds=60)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def rate_limit_reset(response: httpx.Response, now: datetime) -> datetime | None:
    """When a rate-limited response says to retry, or None if the response is not a rate limit.

    GitHub's rules: `retry-after` (seconds) wins; else `x-ratelimit-remaining: 0` means wait until
    `x-ratelimit-reset` (epoch seconds); else a 403/429 whose message names the secondary rate limit means
    wait at least a minute. A plain 403 ("Resource not accessible") is not a rate limit.
    """
    status = response.status_code
    if status not in (403, 429) and not (status == 200 and is_graphql(response.request)):
        return None
    headers = response.headers
    retry_after = headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return now + timedelta(seconds=int(retry_after))
    if retry_after:
        try:
            return datetime.strptime(retry_after, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
        except ValueError:
            return now + FALLBACK_WAIT
    reset = headers.get("x-ratelimit-reset", "").strip()
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return max(now, datetime.fromtimestamp(int(reset), UTC))
    if status == 429 or _says_rate_limited(response):
        return now + FALLBACK_WAIT
    return None


def _says_rate_limited(response: httpx.Response) -> bool:
    # Only the message is read, to classify; it is never copied into an exception.
    try:
        body = response.json()
    except ValueError:
        return False
    if isinstance(body, dict):
        if "rate limit" in str(body.get("message", "")).lower():
            return True
        errors = body.get("errors")
        if isinstance(errors, list):
            return any(
                isinstance(e, dict) and e.get("type") in ("RATE_LIMITED", "RATE_LIMIT") for e in errors
            )
    return False


_GRAPHQL_TYPES: dict[str, type[GitHubError]] = {
    "NOT_FOUND": NotFound,
    "FORBIDDEN": Forbidden,
    "UNPROCESSABLE": Invalid,
    "INTERNAL": Unavailable,
    "SERVICE_UNAVAILABLE": Unavailable,
}


def translate(exc: GitHubException, operation: str, clock: Clock = utcnow) -> GitHubError:
    """The adapter's exception for a githubkit failure (no bodies in messages, by construction)."""
    if isinstance(exc, RequestFailed):
        response = exc.response.raw_response
        status = response.status_code
        retry_at = rate_limit_reset(response, clock())
        if retry_at is None and isinstance(exc, RateLimitExceeded):
            retry_at = clock() + exc.retry_after
        if retry_at is not None:
            return RateLimited(operation, retry_at, status)
        if status in (404, 410):
            return NotFound(operation, status)
        if status in (401, 403):
            return Forbidden(operation, status)
        if status >= 500:
            return Unavailable(operation, status)
        if status in (400, 409, 422) or 400 <= status < 500:
            return Invalid(operation, status)
        return GitHubError(operation, status)
    if isinstance(exc, RequestTimeout):
        return Unavailable(operation, detail="timeout")
    if isinstance(exc, RequestError):
        return Unavailable(operation, detail=type(exc.exc).__name__)
    if isinstance(exc, GraphQLFailed):
        types = [e.type or "" for e in exc.response.errors or []]
        for kind in types:
            if kind in _GRAPHQL_TYPES:
                return _GRAPHQL_TYPES[kind](operation, detail=kind)
        return Invalid(operation, detail=types[0] if types and types[0] else "graphql error")
    return GitHubError(operation, detail=type(exc).__name__)


def raise_for(exc: GitHubException, operation: str, clock: Clock = utcnow) -> NoReturn:
    # `from None`: githubkit's exception holds the response, and a traceback must not invite printing it.
    raise translate(exc, operation, clock) from None


# --------------------------------------------------------------------------- retries


class RetryPolicy:
    """githubkit's `auto_retry` decision: repeat only requests that are safe to repeat.

    githubkit's default repeats *any* request on 5xx (a comment POST too) and sleeps through rate limits;
    here a rate limit is never slept on (the adapter raises `RateLimited` and the caller reschedules), and
    5xx, timeouts and dropped connections are retried only for GET/HEAD/PUT/DELETE and GraphQL queries.
    """

    def __init__(self, max_retries: int = 2, backoff: Callable[[int], float] | None = None) -> None:
        self.max_retries = max_retries
        self.backoff = backoff or (lambda attempt: 0.5 * 2**attempt)

    def __call__(self, exc: GitHubException, retry_count: int) -> RetryOption:
        if retry_count >= self.max_retries:
            return RetryOption(False)
        request = _request_of(exc)
        if request is None or not is_safe_to_repeat(request):
            return RetryOption(False)
        if isinstance(exc, RequestFailed):
            if exc.response.status_code < 500:
                return RetryOption(False)
        elif not isinstance(exc, RequestError):
            return RetryOption(False)
        # githubkit sleeps 60 s when handed a zero timedelta, so never hand it one.
        return RetryOption(True, timedelta(seconds=max(self.backoff(retry_count), 1e-6)))


def _request_of(exc: GitHubException) -> httpx.Request | None:
    if isinstance(exc, RequestFailed):
        return exc.request
    if isinstance(exc, RequestTimeout):
        return exc.request
    if isinstance(exc, RequestError):
        return getattr(exc.exc, "request", None) if isinstance(exc.exc, httpx.RequestError) else None
    return None


# --------------------------------------------------------------------------- pacing


Sleep = Callable[[float], Awaitable[None]]


class Budget(Protocol):
    """A write budget shared beyond this process (the service's store): `take` returns once one write may
    go, or raises RateLimited with when to try again."""

    async def take(self) -> None: ...


class WritePacer:
    """Serialises writes and keeps at least `interval` seconds between the starts of two of them.

    One pacer per installation: GitHub counts content creation per app installation. Within one process
    the pacer spaces writes; `budget`, when set, holds every process of the service to GitHub's per-minute
    and per-hour content limits together. `clock` and `sleep` are injectable so tests run without waiting.
    """

    def __init__(
        self,
        interval: float = DEFAULT_WRITE_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        budget: Budget | None = None,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.budget = budget
        self._lock: asyncio.Lock | None = None
        self._last: float | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._lock is None:
            self._lock = asyncio.Lock()  # created lazily, inside the loop that uses it
        async with self._lock:
            if self._last is not None:
                wait = self._last + self.interval - self.clock()
                if wait > 0:
                    await self.sleep(wait)
            if self.budget is not None:
                await self.budget.take()
            try:
                yield
            finally:
                self._last = self.clock()


class CoreLimit:
    """GitHub's primary limit as its answers report it (`x-ratelimit-remaining`, `x-ratelimit-reset`).

    Every process sees GitHub's own count on its next answer, so no store is needed: when fewer than
    `reserve` requests are left, requests wait for the reset (RateLimited, which the worker defers on)
    instead of spending the last ones."""

    def __init__(self, reserve: int = CORE_RESERVE, clock: Clock = utcnow) -> None:
        self.reserve, self.clock = reserve, clock
        self.remaining: int | None = None
        self.reset_at: datetime | None = None

    def seen(self, response: httpx.Response) -> None:
        headers = response.headers
        if headers.get("x-ratelimit-resource", "core") != "core":
            return
        remaining, reset = headers.get("x-ratelimit-remaining", ""), headers.get("x-ratelimit-reset", "")
        if remaining.isdigit() and reset.isdigit():
            self.remaining, self.reset_at = int(remaining), datetime.fromtimestamp(int(reset), UTC)

    def check(self, request: httpx.Request) -> None:
        if is_graphql(request) or request.url.path.endswith("/access_tokens"):
            return
        if self.remaining is not None and self.reset_at is not None and self.remaining < self.reserve:
            if self.clock() < self.reset_at:
                raise RateLimited("core rate limit", self.reset_at)
            self.remaining = None


class PacingThrottler(BaseThrottler):
    """githubkit's throttling hook: bounded concurrency for all requests, the pacer for writes, and the
    core limit's reserve kept."""

    def __init__(self, pacer: WritePacer, max_concurrency: int = MAX_CONCURRENCY,
                 core: CoreLimit | None = None) -> None:
        self.pacer = pacer
        self.max_concurrency = max_concurrency
        self.core = core
        self._semaphore: asyncio.Semaphore | None = None

    def acquire(self, request: httpx.Request):  # pragma: no cover - the adapter is async only
        raise NotImplementedError("Conduct Desk's GitHub adapter is async only")

    @asynccontextmanager
    async def async_acquire(self, request: httpx.Request) -> AsyncIterator[None]:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        if self.core is not None:
            self.core.check(request)
        async with self._semaphore:
            if is_write(request):
                async with self.pacer.slot():
                    yield
            else:
                yield


# --------------------------------------------------------------------------- construction


@dataclass(frozen=True)
class ClientOptions:
    """What tests and the CLI may change about the HTTP side; production uses the defaults."""

    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    transport: httpx.AsyncBaseTransport | None = None
    event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None
    retry: RetryPolicy | None = None
    pacer: WritePacer | None = None
    user_agent: str = "conduct-desk"
    api_version: str = DEFAULT_API_VERSION
    # The clock the core limit's reset is compared with: the demo's and the tests' may be simulated.
    clock: Clock = utcnow


def pin_api_version(version: str) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook that names `version` on every REST request.

    githubkit writes its own default into each generated call's headers, so a client-wide header would be
    overridden; the hook runs after, just before the request is sent. GraphQL is not versioned this way."""

    async def pin(request: httpx.Request) -> None:
        if not is_graphql(request):
            request.headers["X-GitHub-Api-Version"] = version

    return pin


def build_github(auth: Any, api_url: str, options: ClientOptions | None = None) -> GitHub[Any]:
    """A githubkit client with explicit timeouts, the safe retry policy, write pacing, no HTTP cache and
    the pinned REST API version."""
    options = options or ClientOptions()
    hooks = {name: list(found) for name, found in (options.event_hooks or {}).items()}
    # First, so that every other hook (a test's recorder) sees the request as it is sent.
    hooks["request"] = [pin_api_version(options.api_version), *hooks.get("request", [])]
    core = CoreLimit(clock=options.clock)

    async def count(response: httpx.Response) -> None:
        core.seen(response)

    hooks["response"] = [count, *hooks.get("response", [])]
    return GitHub(
        auth,
        base_url=api_url,
        user_agent=options.user_agent,
        timeout=options.timeout,
        async_transport=options.transport,
        async_event_hooks=hooks,
        # A private cache per client: installation tokens must not leak between clients (or tests), and
        # HTTP caching is off so a GET after a write always sees GitHub's current answer.
        cache_strategy=MemCacheStrategy(),
        http_cache=False,
        throttler=PacingThrottler(options.pacer or WritePacer(), core=core),
        auto_retry=options.retry or RetryPolicy(),
        # Follow no redirects silently: a 301 for a transferred issue should surface, not be replayed.
        follow_redirects=False,
    )


def token_client(token: str, api_url: str, options: ClientOptions | None = None) -> GitHub[Any]:
    """A client that acts with a plain token (tests, the CLI, a personal access token)."""
    return build_github(TokenAuthStrategy(token), api_url, options)


async def installation_id_for(
    org: str, app_id: int, private_key: str, api_url: str, options: ClientOptions | None = None
) -> int:
    """`GET /orgs/{org}/installation`, authenticated as the App itself (a short-lived RS256 JWT)."""
    app = build_github(AppAuthStrategy(app_id, private_key), api_url, options)
    try:
        response = await app.rest.apps.async_get_org_installation(org)
    except GitHubException as exc:
        raise_for(exc, "apps/get-org-installation")
    return int(response.json()["id"])


def bot_login_for(slug: str) -> str:
    """The login GitHub gives an App's bot account: its slug and `[bot]`."""
    return f"{slug}[bot]"


async def app_bot_login(app_id: int, private_key: str, api_url: str, options: ClientOptions | None = None) -> str:
    """`GET /app`, as the App itself: the bot login from the App's own slug.

    App names are unique on GitHub, so a community may have had to choose another; a default login would
    make the app take its own comments for someone else's."""
    app = build_github(AppAuthStrategy(app_id, private_key), api_url, options)
    try:
        response = await app.rest.apps.async_get_authenticated()
    except GitHubException as exc:
        raise_for(exc, "apps/get-authenticated")
    slug = (response.json() or {}).get("slug")
    if not slug:
        raise GitHubError("apps/get-authenticated", detail="the App has no slug")
    return bot_login_for(str(slug))


async def app_client(
    org: str, app_id: int, private_key: str, api_url: str, options: ClientOptions | None = None
) -> tuple[GitHub[Any], int]:
    """A client acting as the App's installation on `org`, and that installation's id.

    githubkit exchanges the JWT for an installation token on first use and caches it until a minute
    before GitHub's `expires_at`, then fetches a new one.
    """
    installation_id = await installation_id_for(org, app_id, private_key, api_url, options)
    auth = AppInstallationAuthStrategy(app_id, private_key, installation_id)
    return build_github(auth, api_url, options), installation_id
