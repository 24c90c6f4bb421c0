"""A fault-injecting proxy between a client and the stand-in: any call, by its position or a rule, can
fail before GitHub acts, or act and then answer with an error, or answer slowly, as GitHub does."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from .edge import SECONDARY, SECONDARY_DOCS

# What a fault does. "before": never reaches GitHub (502). "after": GitHub acts, the answer is a 502.
# "503", "429" (primary rate limit), "secondary" (403 secondary rate limit): never reach GitHub.
# "timeout": GitHub acts, the client times out. "slow": GitHub acts, answers after `delay` seconds.
KINDS = ("before", "after", "503", "429", "secondary", "timeout", "slow")
WRITES = ("POST", "PATCH", "PUT", "DELETE")
Rule = Callable[[int, httpx.Request], str | None]


def is_write(request: httpx.Request) -> bool:
    """A request that changes something: a REST write, or a GraphQL mutation."""
    if request.url.path.endswith("/graphql"):
        return re.match(rb'\s*\{\s*"query"\s*:\s*"\s*mutation', request.content or b"") is not None
    return request.method in WRITES


@dataclass
class FaultProxy(httpx.AsyncBaseTransport):
    """Counts the calls it passes (from 1, after `arm()`) and fails those the plan or the rule names."""

    inner: httpx.AsyncBaseTransport
    plan: dict[int, str] = field(default_factory=dict)  # call position -> kind
    rule: Rule | None = None  # or decide per call: (position, request) -> kind or None
    writes_only: bool = False  # count (and fail) writes only
    delay: float = 0.05
    armed: bool = False
    count: int = 0
    log: list[tuple[int, str, str]] = field(default_factory=list)  # (position, "METHOD path", kind)

    def arm(self) -> FaultProxy:
        self.armed, self.count = True, 0
        return self

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.armed or (self.writes_only and not is_write(request)):
            return await self.inner.handle_async_request(request)
        self.count += 1
        kind = self.plan.get(self.count) or (self.rule(self.count, request) if self.rule else None)
        if kind is None:
            return await self.inner.handle_async_request(request)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {KINDS}")
        self.log.append((self.count, f"{request.method} {request.url.path}", kind))
        if kind == "before":
            return _error(request, 502, "Server Error")
        if kind == "503":
            return _error(request, 503, "Service Unavailable")
        if kind == "429":
            return httpx.Response(429, request=request, headers={"retry-after": "60", "x-ratelimit-remaining": "0"},
                                  json={"message": "API rate limit exceeded.", "status": "429"})
        if kind == "secondary":
            return httpx.Response(403, request=request, headers={"retry-after": "60"}, json={
                "message": SECONDARY.format(rid="0000:000000"), "documentation_url": SECONDARY_DOCS})
        landed = await self.inner.handle_async_request(request)
        await landed.aread()
        if kind == "after":
            return _error(request, 502, "Server Error")
        if kind == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        await asyncio.sleep(self.delay)
        return landed


def _error(request: httpx.Request, status: int, message: str) -> httpx.Response:
    return httpx.Response(status, request=request, json={"message": message, "status": str(status),
                                                         "documentation_url": "https://docs.github.com/rest"})
