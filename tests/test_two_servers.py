"""Two `conduct serve` processes on one PostgreSQL database receive the same deliveries at once; each
delivery's effects are applied exactly once."""
from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from test_sanctions_support import case_issues

from app.service.router import Router
from app.store import open_store
from app.web.server import create_app
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
INTAKE, CASES = POLICY.roles.places.intake, POLICY.roles.places.cases


class FanOut(httpx.AsyncBaseTransport):
    """GitHub's delivery reaching both servers at the same moment (a retry landing on the other one)."""

    def __init__(self, apps):
        self.transports = [httpx.ASGITransport(app=app) for app in apps]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        copies = [httpx.Request(request.method, request.url, headers=request.headers, content=body)
                  for _ in self.transports]
        answers = await asyncio.gather(*(t.handle_async_request(c) for t, c in zip(self.transports, copies,
                                                                                   strict=True)))
        for answer in answers:
            await answer.aread()
        return answers[0]


@pytest.mark.postgres
def test_two_servers_on_one_postgres_apply_each_delivery_once(postgres_url):
    async def story():
        first = open_store(postgres_url)
        world = await build_world(POLICY, first)
        second = open_store(postgres_url)
        other = create_app(secret=world.webhook_secret, store=second,
                           handle=Router(world.github, POLICY, second, world.router.me, now=world.now))
        world.state.webhooks.transport = FanOut([world.service_app, other])
        for n in range(3):
            await world.as_user(f"reporter-{n + 1}").create_issue(INTAKE, "Help request", "help", [], key=f"r{n}")
        for _ in range(20):
            await world.state.drain_webhooks()
            await asyncio.gather(world.service_app.state.worker.drain(), other.state.worker.drain(),
                                 world.service_app.state.worker.wait_idle(), other.state.worker.wait_idle())
            if first.pending_count() == 0:
                break
        return world

    world = asyncio.run(story())
    cases = list(case_issues(world).values())
    moved = [i for n, i in world.state.repo(CASES).issues.items() if n not in case_issues(world)]
    assert len({c.title for c in cases}) == len(cases) == 3
    for case in cases:
        comments = world.state.comments_of(world.state.repo(CASES), case.number)
        assert sum("conduct-desk:state" in c.body for c in comments) == 1
        assert sum(c.body.startswith("**New help request") for c in comments) == 1
    # Each public request moved into the cases repository once, closed, locked, with one note on it.
    assert world.state.repo(INTAKE).issues == {} and len(moved) == 3
    for request in moved:
        notes = [c for c in world.state.comments_of(world.state.repo(CASES), request.number) if "moved here" in c.body]
        assert len(notes) == 1 and request.state == "closed" and request.locked
    statuses = [world.store.get_status(d.id) for d in world.state.deliveries if d.event == "issues"]
    assert statuses and all(status in ("done", None) for status in statuses)
