"""Benchmark: webhook acknowledgement latency under a burst, GitHub requests per intake, redaction window.

Run: .venv/bin/python tests/bench/bench_webhooks.py [--deliveries 1000] [--concurrency 50]
Prints numbers; asserts nothing. Servers listen on 127.0.0.1 only and stop by themselves.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.store import open_store  # noqa: E402
from app.web.server import create_app  # noqa: E402
from app.wiring.local import build_world  # noqa: E402
from app.wiring.policy_files import load_policy  # noqa: E402

SECRET = "bench-secret"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, app):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


async def burst(url: str, count: int, concurrency: int, path: str) -> list[float]:
    body = json.dumps({"action": "opened", "issue": {"number": 1, "title": "x"},
                       "repository": {"full_name": "elsewhere/repo"}}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(client: httpx.AsyncClient, n: int) -> None:
        async with gate:
            start = time.perf_counter()
            response = await client.post(path, content=body, headers={
                "X-GitHub-Event": "issues", "X-GitHub-Delivery": f"bench-{n}", "X-Hub-Signature-256": signature,
                "Content-Type": "application/json"})
            latencies.append(time.perf_counter() - start)
            assert response.status_code in (200, 202), response.status_code

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(one(client, n) for n in range(count)))
    return latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def noop(delivery) -> None:
    return None


def acknowledgement(count: int, concurrency: int) -> None:
    async def bare(request):
        await request.body()
        return PlainTextResponse("ok")

    with Server(Starlette(routes=[Route("/hook", bare, methods=["POST"])])) as url:
        base = asyncio.run(burst(url, count, concurrency, "/hook"))
    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(f"sqlite:///{scratch}/bench.sqlite3")
        with Server(create_app(secret=SECRET, store=store, handle=noop)) as url:
            real = asyncio.run(burst(url, count, concurrency, "/webhooks/github"))
        store.close() if hasattr(store, "close") else None
    print(f"webhook acknowledgement, {count} deliveries, {concurrency} at a time, loopback, SQLite:")
    print(f"  bare endpoint      p50 {pct(base, .5):7.2f} ms   p99 {pct(base, .99):7.2f} ms")
    print(f"  /webhooks/github   p50 {pct(real, .5):7.2f} ms   p99 {pct(real, .99):7.2f} ms")
    print(f"  ratio              p50 {pct(real, .5) / pct(base, .5):7.2f}x     p99 "
          f"{pct(real, .99) / pct(base, .99):7.2f}x")


async def intake_costs() -> None:
    policy = load_policy(ROOT / "policy")
    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(f"sqlite:///{scratch}/bench.sqlite3")
        requests: list[str] = []

        async def count(request: httpx.Request) -> None:
            requests.append(f"{request.method} {request.url.path}")

        world = await build_world(policy, store, request_hook=count)
        windows = []
        for n in range(5):
            requests.clear()
            reporter = world.as_user("reporter-1")
            issue = await reporter.create_issue(policy.roles.places.intake, "Help request", "help", [],
                                                key=f"bench-{n}")
            start = time.perf_counter()
            await world.settle()
            windows.append(time.perf_counter() - start)
            public = world.state.repo(policy.roles.places.intake).issues[issue.number]
            assert public.state == "closed" and public.locked
        print(f"GitHub requests per public-issue intake: {len(requests)} "
              f"({sum(r.startswith(('POST', 'PATCH', 'PUT', 'DELETE')) for r in requests)} writes)")
        print(f"redaction window (delivery to public issue closed and locked, in-process stand-in, writes not "
              f"paced): median {statistics.median(windows) * 1000:.1f} ms, max {max(windows) * 1000:.1f} ms")
        print("  with GitHub's one-second pacing between writes, add about one second per write after the first")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    acknowledgement(args.deliveries, args.concurrency)
    asyncio.run(intake_costs())


if __name__ == "__main__":
    main()
