"""Checks an Actions OIDC token: signed by the issuer's JWKS key, for this service, from one workflow file."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import jwt
from jwt import PyJWKClient

from app.wiring.settings import GITHUB_OIDC_ISSUER

MAIN = "refs/heads/main"
LEEWAY = 30  # seconds of clock difference allowed between GitHub and the service
REQUIRED = ("iss", "aud", "exp", "iat", "repository", "run_id", "event_name", "ref", "workflow_ref",
            "job_workflow_ref")
JsonGetter = Callable[[str], Awaitable[dict]]


class NotAuthenticated(Exception):
    """No valid token: missing, forged, expired, or not meant for this service (HTTP 401)."""


class IssuerUnavailable(Exception):
    """The issuer's keys could not be fetched just now (HTTP 503: the run may try again)."""


class NotAllowed(Exception):
    """A valid token from a run that may not make this call (HTTP 403); the message says which claim."""


@dataclass(frozen=True)
class Expect:
    """Who may make one call: a workflow file of a repository at main, started by one of `events`."""

    repository: str
    workflow: str  # the file name under .github/workflows/
    events: frozenset[str]
    environment: str | None = None  # the job must run in this environment (its reviewers approved it)

    @property
    def workflow_ref(self) -> str:
        return f"{self.repository}/.github/workflows/{self.workflow}@{MAIN}"


@dataclass(frozen=True)
class Caller:
    """The run a verified token speaks for."""

    repository: str
    workflow_ref: str
    event: str
    run_id: int
    environment: str | None
    actor: str | None
    run_attempt: int = 1  # a re-run of the same run is a new attempt, with the same run id


class _Keys(PyJWKClient):
    """PyJWKClient with its fetch done by the service's HTTP client on the event loop (the stand-in is
    reached in-process in the demo and the tests); PyJWKClient keeps the caching and key selection."""

    def __init__(self, uri: str, get_json: JsonGetter, loop: asyncio.AbstractEventLoop):
        super().__init__(uri, cache_jwk_set=True, lifespan=300, cooldown_duration=30)
        self._get_json, self._loop = get_json, loop

    def fetch_data(self):
        data = asyncio.run_coroutine_threadsafe(self._get_json(self.uri), self._loop).result(timeout=30)
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(data)
        return data


class Verifier:
    """Verifies tokens for one audience (the service's URL) against one issuer, found by OIDC discovery."""

    def __init__(self, audience: str, get_json: JsonGetter, issuer: str = GITHUB_OIDC_ISSUER):
        self.audience, self.issuer, self._get_json = audience.rstrip("/"), issuer.rstrip("/"), get_json
        self._keys: _Keys | None = None

    async def _client(self) -> _Keys:
        if self._keys is None:
            config = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            jwks_uri = config.get("jwks_uri") if isinstance(config, dict) else None
            # The keys must come from the issuer itself, never from wherever a document points.
            if config.get("issuer", "").rstrip("/") != self.issuer or not str(jwks_uri).startswith(self.issuer + "/"):
                raise NotAuthenticated("the issuer's OpenID configuration does not name its own keys")
            self._keys = _Keys(jwks_uri, self._get_json, asyncio.get_running_loop())
        return self._keys

    async def verify(self, token: str, expect: Expect) -> Caller:
        """The caller, or NotAuthenticated / NotAllowed saying why not."""
        try:
            keys = await self._client()
            key = await asyncio.to_thread(keys.get_signing_key_from_jwt, token)
        except (httpx.HTTPError, OSError, jwt.PyJWKClientConnectionError) as error:
            raise IssuerUnavailable(f"the issuer's keys could not be fetched ({type(error).__name__})") from None
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise NotAuthenticated(f"the token is not valid ({type(error).__name__})") from None
        try:
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.audience, issuer=self.issuer,
                                leeway=LEEWAY, options={"require": list(REQUIRED)})
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise NotAuthenticated(f"the token is not for {self.audience}") from None
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise NotAuthenticated(f"the token is not valid ({type(error).__name__})") from None
        return check(claims, expect)


def json_getter(transport: httpx.AsyncBaseTransport | None = None, timeout: float = 10.0) -> JsonGetter:
    """GET a JSON document (the issuer's configuration, its keys), through `transport` if given."""

    async def get_json(url: str) -> dict:
        async with httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        if not isinstance(data, dict):
            raise httpx.DecodingError(f"{url} did not answer a JSON object")
        return data

    return get_json


def check(claims: dict, expect: Expect) -> Caller:
    """The claims the call depends on, compared with what it expects; each mismatch named."""
    if claims.get("repository") != expect.repository:
        raise NotAllowed(f"the token is for {claims.get('repository')}, not {expect.repository}")
    if claims.get("ref") != MAIN:
        raise NotAllowed(f"the run is on {claims.get('ref')}, not {MAIN}")
    # workflow_ref names the run's workflow; job_workflow_ref the file the job's steps come from (they differ
    # for a reusable workflow). Both must be the expected file at main.
    for name in ("workflow_ref", "job_workflow_ref"):
        if claims.get(name) != expect.workflow_ref:
            raise NotAllowed(f"{name} is {claims.get(name)}, not {expect.workflow_ref}")
    if claims.get("event_name") not in expect.events:
        raise NotAllowed(f"the run was started by {claims.get('event_name')}, not {' or '.join(sorted(expect.events))}")
    if expect.environment is not None and claims.get("environment") != expect.environment:
        raise NotAllowed(f"the job does not run in the {expect.environment} environment")
    try:
        run_id = int(claims["run_id"])
    except (TypeError, ValueError):
        raise NotAllowed("the token names no run") from None
    attempt = str(claims.get("run_attempt") or "1")
    return Caller(claims["repository"], claims["workflow_ref"], claims["event_name"], run_id,
                  claims.get("environment"), claims.get("actor"), int(attempt) if attempt.isdigit() else 1)
