"""A worker that died holding an effect's key: the next one looks on GitHub before posting, so the post
happens exactly once whether or not the dead worker had sent it."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core import effects as fx
from app.service.casefile import load
from app.service.context import Context
from app.service.once import Busy
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
CASES = POLICY.roles.places.cases


async def a_case(store):
    world = await build_world(POLICY, store)
    await world.as_user("reporter-1").create_issue(POLICY.roles.places.intake, "Help request", "help", [], key="r")
    await world.settle()
    return world, await load(world.github, world.store, CASES, 1, world.router.me)


@pytest.mark.parametrize("posted_before_dying", [True, False])
def test_a_dead_worker_s_claim_is_taken_over_after_checking_github(store, posted_before_dying):
    async def story():
        world, file = await a_case(store)
        effect = fx.Post(key=f"{file.case.code}:dead:0", where="case", template="poll-opened.md.j2",
                         context={"poll": "C-2026-001/1", "deadline": "soon"})
        after = fx.Post(key=f"{file.case.code}:dead:1", where="case", template="poll-opened.md.j2",
                        context={"poll": "C-2026-001/1", "deadline": "later"})
        assert store.claim_effect(effect.key, datetime.now(UTC))  # the worker that died
        if posted_before_dying:
            await world.github.create_comment(CASES, file.number, "posted, then the worker died", key=effect.key)
        soon = Context.make(world.github, POLICY, store, world.router.me, datetime.now(UTC) + timedelta(minutes=1))
        # A live claim is waited for, never stepped over: the effect after it is not applied either.
        with pytest.raises(Busy):
            await soon.executor.run(file, (effect, after))
        after_a_minute = store.effect_result(effect.key), store.effect_result(after.key)
        later = Context.make(world.github, POLICY, store, world.router.me, datetime.now(UTC) + timedelta(hours=1))
        await later.executor.run(file, (effect, after))
        comments = world.state.comments_of(world.state.repo(CASES), file.number)
        return (after_a_minute, [c for c in comments if f"conduct-desk:key={effect.key}" in c.body],
                [c for c in comments if f"conduct-desk:key={after.key}" in c.body], effect.key)

    after_a_minute, marked, marked_after, key = asyncio.run(story())
    assert after_a_minute == (None, None)
    assert len(marked) == 1 and len(marked_after) == 1
    assert ("the worker died" in marked[0].body) is posted_before_dying
    assert store.effect_result(key) == str(marked[0].id)
