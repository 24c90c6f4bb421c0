"""ASGI middleware at the stand-in's edge: rate-limit headers on every response, and injected faults."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from .model import Fault
from .state import SandboxState

SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {rid}."
)
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
DEFAULT_VERSION = "2022-11-28"  # what GitHub selects for a request that names no version
UNSUPPORTED_VERSION = "The X-GitHub-Api-Version header names a REST API version this server does not support."
VERSION_DOCS = "https://docs.github.com/rest/about-the-rest-api/api-versions"
PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by integration",
    404: "Not Found",
    409: "Conflict",
    422: "Validation Failed",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def api_path(path: str) -> str:
    """The path without a GitHub Enterprise Server `/api/v3` prefix, so one fault rule serves both."""
    return path[len("/api/v3") :] if path.startswith("/api/v3/") else path


class Edge:
    def __init__(self, app, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = api_path(scope["path"])
        control = path.startswith("/_sandbox/")
        rate = self._rate_headers(scope, path, count=not control)
        rid = f"{uuid.uuid4().hex[:4].upper()}:{uuid.uuid4().hex[:6].upper()}"
        version = self._api_version(scope, path, control)
        if version is None:
            await _reply(send, 400, {"message": UNSUPPORTED_VERSION, "documentation_url": VERSION_DOCS,
                                     "status": "400"}, [(b"x-github-request-id", rid.encode())])
            return
        extra = [(b"x-github-request-id", rid.encode()), (b"x-github-api-version-selected", version.encode())]

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", [])) + rate + extra)
            await send(message)

        fault = None if control else self._take(scope["method"], path)
        if fault is None:
            await self.app(scope, receive, send_with_headers)
            return
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.kind == "timeout":
            # The client has given up by now; the server still does the work, as a slow GitHub would.
            await self.app(scope, receive, send_with_headers)
            return
        if fault.kind == "after_effect":
            await self.app(scope, receive, _discard)
            status = fault.status or 502
            await _reply(send_with_headers, status, {"message": MESSAGES.get(status, "Server Error")}, [])
            return
        await self._fail(fault, send_with_headers, rid, rate)

    def _api_version(self, scope, path: str, control: bool) -> str | None:
        """The version a REST request selects (2022-11-28 when it names none), or None if unsupported."""
        asked = dict(scope.get("headers") or []).get(b"x-github-api-version")
        named = asked.decode("latin-1").strip() if asked is not None else None
        if control or path.endswith("/graphql") or not path.startswith("/") or path.startswith("/login/"):
            return named or DEFAULT_VERSION
        self.state.api_versions_seen.append(named)
        ghes = scope["path"].startswith("/api/v3/")
        accepted = self.state.ghes_api_versions if ghes else self.state.api_versions
        if named is None:
            return DEFAULT_VERSION
        return named if named in accepted else None

    def _take(self, method: str, path: str) -> Fault | None:
        for fault in self.state.faults:
            if fault.method in (method, "*") and fault.pattern.search(path):
                fault.times -= 1
                if fault.times <= 0:
                    self.state.faults.remove(fault)
                return fault
        return None

    async def _fail(self, fault: Fault, send, rid: str, rate: list) -> None:
        headers: list[tuple[bytes, bytes]] = []
        if fault.retry_after is not None:
            headers.append((b"retry-after", str(fault.retry_after).encode()))
        if fault.kind == "secondary_rate_limit":
            status = fault.status or 403
            body = {"message": SECONDARY.format(rid=rid), "documentation_url": SECONDARY_DOCS}
        elif (fault.status or 502) == 429:
            status = 429
            body = {"message": "API rate limit exceeded.", "documentation_url": PRIMARY_DOCS}
            # A primary limit shows as no requests left; githubkit and octokit read this header.
            headers.append((b"x-ratelimit-remaining", b"0"))
            rate[:] = [h for h in rate if h[0] != b"x-ratelimit-remaining"]
        else:
            status = fault.status or 502
            body = {
                "message": MESSAGES.get(status, "Error"),
                "documentation_url": "https://docs.github.com/rest",
            }
        body["status"] = str(status)
        await _reply(send, status, body, headers)

    def _rate_headers(self, scope, path: str, count: bool) -> list[tuple[bytes, bytes]]:
        auth = dict(scope.get("headers") or []).get(b"authorization", b"")
        key = auth.split(b" ", 1)[-1].decode("latin-1") if auth else "anonymous"
        resource = "graphql" if path.endswith("/graphql") else "core"
        limit = 5000 if auth else 60
        used_key = (key, resource)
        if count:
            self.state.rate_used[used_key] = self.state.rate_used.get(used_key, 0) + 1
        used = self.state.rate_used.get(used_key, 0)
        now = int(self.state.now().timestamp()) if self.state else int(time.time())
        reset = now - now % 3600 + 3600
        return [
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-remaining", str(max(0, limit - used)).encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
            (b"x-ratelimit-used", str(used).encode()),
            (b"x-ratelimit-resource", resource.encode()),
        ]


async def _discard(_message) -> None:
    return None


async def _reply(send, status: int, body: dict, headers: list) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(raw)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})
