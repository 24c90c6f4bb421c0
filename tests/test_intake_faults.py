"""A failure at every GitHub call of the intake path: afterwards the case exists once, the report is
intact, and the public request was never closed before its private copy existed."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from test_sanctions_support import case_issues

from app.core.state_block import decode
from app.store import open_store
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
INTAKE, CASES = POLICY.roles.places.intake, POLICY.roles.places.cases
KINDS = ("5xx-before", "5xx-after", "timeout-after", "secondary-rate-limit")
BODY = "### I need help\n\n- [X] Please contact me\n\n### Link\n\nhttps://github.com/example-org/project/issues/77"


class Faulty(httpx.AsyncBaseTransport):
    """Lets requests through, except the `fail_at`-th one after arming, which fails as `kind` says."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner, self.armed, self.count, self.fail_at, self.kind = inner, False, 0, -1, ""
        self.failed: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.armed:
            return await self.inner.handle_async_request(request)
        self.count += 1
        if self.count != self.fail_at:
            return await self.inner.handle_async_request(request)
        self.failed.append(f"{request.method} {request.url.path}")
        if self.kind == "5xx-before":
            return httpx.Response(502, json={"message": "Server Error"}, request=request)
        if self.kind == "secondary-rate-limit":
            return httpx.Response(403, headers={"retry-after": "3"}, request=request, json={
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})
        landed = await self.inner.handle_async_request(request)
        await landed.aread()
        if self.kind == "5xx-after":
            return httpx.Response(502, json={"message": "Server Error"}, request=request)
        raise httpx.ReadTimeout("timed out", request=request)


def calls_in_a_clean_intake(tmp_path) -> int:
    async def story():
        box = {}

        def wrap(inner):
            box["t"] = Faulty(inner)
            return box["t"]

        world = await build_world(POLICY, open_store(f"sqlite:///{tmp_path}/count.sqlite3"), wrap_transport=wrap)
        box["t"].armed = True
        await world.as_user("reporter-1").create_issue(INTAKE, "Help request", BODY, [], key="r")
        await world.settle()
        return box["t"].count

    return asyncio.run(story())


async def intake_with_fault(db: str, fail_at: int, kind: str):
    box = {}

    def wrap(inner):
        box["t"] = Faulty(inner)
        return box["t"]

    store = open_store(db)
    clock = Clock()
    world = await build_world(POLICY, store, wrap_transport=wrap, now=clock)
    faulty = box["t"]
    faulty.fail_at, faulty.kind, faulty.armed = fail_at, kind, True
    public = await world.as_user("reporter-1").create_issue(INTAKE, "Help request", BODY, [], key="r")
    await world.settle()
    for _ in range(3):
        # A delivery deferred by a rate limit or an outage waits in the queue: let the time pass.
        if any(store.get_status(d.id) == "pending" for d in world.state.deliveries):
            clock.advance(hours=1)
            world.service_app.state.worker.kick()
        # One that failed outright is processed again when GitHub redelivers it, with the same id.
        for delivery in [d for d in world.state.deliveries if store.get_status(d.id) == "failed"]:
            world.state.webhooks.redeliver(delivery.id)
        await world.settle()
    return world, store, public, faulty


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def test_every_call_of_the_intake_path_can_fail_and_the_outcome_is_the_same(tmp_path):
    total = calls_in_a_clean_intake(tmp_path)
    assert total >= 8
    for fail_at in range(1, total + 1):
        for kind in KINDS:
            db = f"sqlite:///{tmp_path}/{fail_at}-{kind}.sqlite3"
            world, store, public, faulty = asyncio.run(intake_with_fault(db, fail_at, kind))
            where = f"call {fail_at} ({faulty.failed}) failing as {kind}"
            issues = list(case_issues(world).values())
            assert len(issues) == 1, where
            (case,) = issues
            assert "https://github.com/example-org/project/issues/77" in case.body, where
            states = [decode(c.body) for c in world.state.comments_of(world.state.repo(CASES), case.number)
                      if "conduct-desk:state" in c.body]
            assert len(states) == 1 and states[0].code == case.title, where
            # The public request left whole, once, after the private copy: moved into the cases repository.
            assert public.number not in world.state.repo(INTAKE).issues, where
            (moved,) = [i for i in world.state.repo(CASES).issues.values() if i.node_id == public.node_id]
            assert moved.state == "closed" and moved.locked, where
            log = [(d.event, json.loads(d.body).get("repository", {}).get("full_name"), d.action)
                   for d in world.state.deliveries]
            opened_private = log.index(("issues", CASES, "opened"))
            moved_out = log.index(("issues", INTAKE, "transferred"))
            assert opened_private < moved_out and log.count(("issues", INTAKE, "transferred")) == 1, where
            notes = [c for c in world.state.comments_of(world.state.repo(CASES), moved.number)
                     if case.title in c.body]
            assert len(notes) == 1, where
            assert all(store.get_status(d.id) in ("done", None) for d in world.state.deliveries), where


@pytest.mark.parametrize("kind", KINDS)
def test_the_fault_really_happens(tmp_path, kind):
    """The injection is real: the first call of the intake fails, and the delivery is retried later."""
    world, store, public, faulty = asyncio.run(intake_with_fault(f"sqlite:///{tmp_path}/x.sqlite3", 1, kind))
    assert faulty.failed and faulty.failed[0].startswith(("GET", "POST", "PATCH", "PUT"))
    (delivery,) = [d for d in world.state.deliveries if json.loads(d.body).get("repository", {}).get(
        "full_name") == INTAKE and d.action == "opened"]
    assert store.get_status(delivery.id) == "done"
