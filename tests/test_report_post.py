"""`conduct report --post` publishes the report as a discussion in the policy's public reports category."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.policy import Deliberation
from app.service.context import Context
from app.service.reports import post_report
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")


def with_reports(policy):
    places = policy.roles.places.model_copy(update={"reports": Deliberation(repo="example-org/community",
                                                                            category="Reports")})
    roles = policy.roles.model_copy(update={"places": places})
    return type(policy)(policy.criteria, policy.actions, policy.process, roles)


def test_the_report_is_posted_where_the_policy_says(store):
    policy = with_reports(POLICY)

    async def story():
        world = await build_world(policy, store)
        world.state.add_repo("example-org", "community", private=False, has_discussions=True)
        world.state.add_discussion_category("example-org/community", "Reports")
        ctx = Context.make(world.github, policy, store, world.router.me, datetime.now(UTC))
        url = await post_report(ctx, "Conduct report 2026-03", "| Help requests received | 3 |")
        return world, url

    world, url = asyncio.run(story())
    (discussion,) = world.state.repo("example-org/community").discussions.values()
    assert discussion.title == "Conduct report 2026-03" and "Help requests received" in discussion.body
    assert url.endswith(f"/discussions/{discussion.number}")


def test_without_a_reports_place_nothing_is_posted(store):
    async def story():
        world = await build_world(POLICY, store)
        ctx = Context.make(world.github, POLICY, store, world.router.me, datetime.now(UTC))
        await post_report(ctx, "t", "b")

    with pytest.raises(ValueError, match="places.reports"):
        asyncio.run(story())
