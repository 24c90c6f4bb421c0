"""A fault-injecting proxy between a client and the stand-in: any call, by its position or a rule, can
fail before GitHub acts, or act and then answer with an error, or answer slowly, as GitHub does; or the
process making it can be killed there, before GitHub acts or after, as a crash would."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from .edge import SECONDARY, SECONDARY_DOCS

# What a fault does. "before": never reaches GitHub (502). "after": GitHub acts, the answer is a 502.
# "503", "429" (primary rate limit), "secondary" (403 secondary rate limit): never reach GitHub.
# "timeout": GitHub acts, the client times out. "slow": GitHub acts, answers after `delay` seconds.
# "kill-before": the caller is killed (`kill`) and the call never reaches GitHub. "kill-after": GitHub
# acts, then the caller is killed before it hears the answer.
KINDS = ("before", "after", "503", "429", "secondary", "timeout", "slow", "kill-before", "kill-after")
WRITES = ("POST", "PATCH", "PUT", "DELETE")
Rule = Callable[[int, httpx.Request], str | None]
# A mutation's operation name, or else its first field (the body is JSON: a newline in it is `\n`).
_MUTATION = re.compile(rb'\s*\{\s*"query"\s*:\s*"\s*mutation(?:\s+(\w+)|[^{]*\{(?:\s|\\n)*(\w+))')


def is_write(request: httpx.Request) -> bool:
    """A request that changes something: a REST write, or a GraphQL mutation."""
    if request.url.path.endswith("/graphql"):
        return re.match(rb'\s*\{\s*"query"\s*:\s*"\s*mutation', request.content or b"") is not None
    return request.method in WRITES


def mutation(request: httpx.Request) -> str | None:
    """A GraphQL mutation's name (`TransferIssue`, `MinimizeComment`): what the call does, where the path
    alone (`/graphql`) does not say."""
    if not request.url.path.endswith("/graphql"):
        return None
    found = _MUTATION.match(request.content or b"")
    return (found.group(1) or found.group(2)).decode() if found else None


def nth_match(method: str, path: str, nth: int, kind: str, operation: str | None = None) -> Rule:
    """A rule: the `nth` call (from 1) whose method is `method`, whose path matches the regex `path`
    whole and, when given, whose GraphQL mutation is `operation`, gets the fault `kind`; no other does."""
    pattern, seen = re.compile(path), [0]

    def rule(_position: int, request: httpx.Request) -> str | None:
        if request.method != method or not pattern.fullmatch(request.url.path):
            return None
        if operation is not None and mutation(request) != operation:
            return None
        seen[0] += 1
        return kind if seen[0] == nth else None

    return rule


def kill_process(pid: int) -> Callable[[httpx.Request], None]:
    """A `kill` for one process: SIGKILL, as the machine or the kernel would end it, with no chance to
    finish anything."""
    return lambda _request: os.kill(pid, signal.SIGKILL)


@dataclass
class FaultProxy(httpx.AsyncBaseTransport):
    """Counts the calls it passes (from 1, after `arm()`) and fails those the plan or the rule names."""

    inner: httpx.AsyncBaseTransport
    plan: dict[int, str] = field(default_factory=dict)  # call position -> kind
    rule: Rule | None = None  # or decide per call: (position, request) -> kind or None
    writes_only: bool = False  # count (and fail) writes only
    delay: float = 0.05
    # What a kill fault does to the caller (kill_process(pid)); its answer is held `kill_hold` seconds,
    # so the killed process is gone before anything could read it.
    kill: Callable[[httpx.Request], None] | None = None
    kill_hold: float = 1.0
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
        if kind.startswith("kill-"):
            return await self._kill(request, kind)
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

    async def _kill(self, request: httpx.Request, kind: str) -> httpx.Response:
        if self.kill is None:
            raise ValueError("a kill fault needs `kill`: whom to kill")
        if kind == "kill-after":
            landed = await self.inner.handle_async_request(request)
            await landed.aread()
        self.kill(request)
        await asyncio.sleep(self.kill_hold)
        return _error(request, 502, "Server Error")


def _error(request: httpx.Request, status: int, message: str) -> httpx.Response:
    return httpx.Response(status, request=request, json={"message": message, "status": str(status),
                                                         "documentation_url": "https://docs.github.com/rest"})
