"""Benchmark: webhook acknowledgement latency under a burst, GitHub requests per intake, redaction window.

Run: .venv/bin/python tests/bench/bench_webhooks.py [--deliveries 1000] [--concurrency 20]
Prints numbers; asserts nothing. Each server runs in its own process (tests/bench/servers.py), the client
in this one: a bare endpoint, gidgethub's receiver storing each delivery in SQLite before it answers (the
reference), and Conduct Desk's /webhooks/github, all on the same burst.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from processes import server  # noqa: E402

from app.store import open_store  # noqa: E402
from app.wiring.local import build_world  # noqa: E402
from app.wiring.policy_files import load_policy  # noqa: E402

SECRET = "bench-secret"
ROOT = Path(__file__).resolve().parents[2]


async def burst(url: str, count: int, concurrency: int, path: str, tag: str) -> list[float]:
    body = json.dumps({"action": "opened", "issue": {"number": 1, "title": "x"},
                       "repository": {"full_name": "elsewhere/repo"}}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(client: httpx.AsyncClient, n: int) -> None:
        async with gate:
            start = time.perf_counter()
            response = await client.post(path, content=body, headers={
                "X-GitHub-Event": "issues", "X-GitHub-Delivery": f"bench-{tag}-{n}",
                "X-Hub-Signature-256": signature, "Content-Type": "application/json"})
            latencies.append(time.perf_counter() - start)
            assert response.status_code in (200, 202), response.status_code

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(one(client, n) for n in range(min(50, count))))  # warm up, not counted
        latencies.clear()
        await asyncio.gather(*(one(client, n) for n in range(50, 50 + count)))
    return latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def acknowledgement(count: int, concurrency: int) -> None:
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for label, kind, path, args in (
                ("bare endpoint (answers 200)", "bare", "/hook", ()),
                ("gidgethub + SQLite (reference)", "gidgethub", "/hook", (f"{scratch}/gidgethub.sqlite3",)),
                ("/webhooks/github", "service", "/webhooks/github", (f"{scratch}/service.sqlite3",))):
            with server(kind, *args) as url:
                results[label] = asyncio.run(burst(url, count, concurrency, path, kind))
    print(f"webhook acknowledgement, {count} deliveries, {concurrency} at a time, loopback, SQLite "
          "(synchronous=FULL), each server in its own process:")
    for label, values in results.items():
        print(f"  {label:32s} p50 {pct(values, .5):7.2f} ms   p99 {pct(values, .99):7.2f} ms")
    ours, reference = results["/webhooks/github"], results["gidgethub + SQLite (reference)"]
    bare = results["bare endpoint (answers 200)"]
    print(f"  against the gidgethub reference  p50 {pct(ours, .5) / pct(reference, .5):5.2f}x   "
          f"p99 {pct(ours, .99) / pct(reference, .99):5.2f}x")
    print(f"  against the bare endpoint        p50 {pct(ours, .5) / pct(bare, .5):5.2f}x   "
          f"p99 {pct(ours, .99) / pct(bare, .99):5.2f}x")


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
            assert issue.number not in world.state.repo(policy.roles.places.intake).issues  # moved out whole
        print(f"GitHub requests per public-issue intake: {len(requests)} "
              f"({sum(r.startswith(('POST', 'PATCH', 'PUT', 'DELETE')) for r in requests)} writes)")
        print(f"redaction window (delivery to public issue moved out, in-process stand-in, writes not "
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
