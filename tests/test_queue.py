"""The mediators' queue and the operator's status: open cases soonest deadline first, the service's backlog."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.service.context import Context
from app.service.queue import next_sweep, open_cases, render_queue, render_status
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
INTAKE, CASES = POLICY.roles.places.intake, POLICY.roles.places.cases


class Clock:
    def __init__(self):
        self.now = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


def test_open_cases_are_listed_soonest_deadline_first_and_a_dry_run_changes_nothing(store):
    clock = Clock()

    async def story():
        world = await build_world(POLICY, store, now=clock)
        first = world.as_user("reporter-1")
        await first.create_issue(INTAKE, "Help request", "- [X] please contact me", [], key="a")
        await world.settle()
        clock.now += timedelta(hours=5)
        second = world.as_user("reporter-2")
        await second.create_issue(INTAKE, "Help request", "- [X] please contact me", [], key="b")
        await world.settle()
        numbers = sorted(world.state.repo(CASES).issues)
        # The first case is taken: its acknowledgement is no longer a deadline; the second one's is.
        await world.as_user("mediator-1").create_comment(CASES, numbers[0], "/conduct assign @mediator-1", key="m")
        await world.settle()
        clock.now += timedelta(days=3)  # the second case's acknowledgement is now overdue
        ctx = Context.make(world.github, POLICY, store, world.router.me, clock.now)
        rows = await open_cases(ctx)
        before = {n: list(world.state.comments_of(world.state.repo(CASES), n)) for n in numbers}
        work = await next_sweep(ctx)
        after = {n: list(world.state.comments_of(world.state.repo(CASES), n)) for n in numbers}
        return rows, work, before, after, ctx

    rows, work, before, after, ctx = asyncio.run(story())
    assert [r.code for r in rows] == ["C-2026-002", "C-2026-001"]
    assert rows[0].what == "acknowledge" and rows[0].deadline < ctx.now and rows[1].assignees == ("mediator-1",)
    assert rows[1].deadline is None and rows[1].stage == "mediation"
    text = render_queue(rows, ctx.now)
    assert text.splitlines()[1].startswith("C-2026-002") and "overdue by" in text and "(nobody yet)" in text
    assert work["case deadlines passed"] == 1 and work["polls to close"] == 0
    assert before == after  # reading what the sweep would do changes nothing on GitHub
    status = render_status(store, work, ctx.now)
    assert "deliveries: waiting 0, deferred 0, in progress 0, failed 0" in status
    assert "notices: waiting 0" in status and "next sweep: polls to close 0" in status


def test_delivery_counts_tell_waiting_deferred_and_failed_apart(store):
    now = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    for name in ("a", "b", "c"):
        store.record_delivery(name, "issues", b"{}", now)
    claimed = store.claim_delivery("w", now, timedelta(minutes=5))
    store.defer_delivery(claimed.delivery_id, "w", now + timedelta(hours=1), "RateLimited")
    failed = store.claim_delivery("w", now, timedelta(minutes=5))
    store.fail_delivery(failed.delivery_id, "w", "Boom")
    assert store.delivery_counts(now) == {"waiting": 1, "deferred": 1, "in progress": 0, "failed": 1}
