"""No report text, comment body or token reaches a log line, at any level, on the intake paths."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
SECRET = "zq-private-detail-4711"


def test_intake_and_commands_log_no_text(store, caplog):
    async def story():
        world = await build_world(POLICY, store)
        thread = await world.as_user("participant-1").create_issue(POLICY.roles.places.watched[0], "A thread",
                                                                   "body", [], key="t")
        await world.as_user("reporter-1").create_comment(POLICY.roles.places.watched[0], thread.number,
                                                         f"/conduct help {SECRET}", key="s")
        await world.as_user("reporter-2").create_issue(POLICY.roles.places.intake, "Help request",
                                                       f"https://example.org/{SECRET}", [], key="i")
        await world.settle()
        await world.as_user("mediator-1").create_comment(POLICY.roles.places.cases, 1,
                                                         f"/conduct note {SECRET}\n/conduct hold {SECRET}", key="n")
        await world.settle()
        return world

    with caplog.at_level(logging.DEBUG):
        world = asyncio.run(story())
    cases = world.state.repo(POLICY.roles.places.cases)
    assert any(SECRET in (issue.body or "") for issue in cases.issues.values())  # the text did flow
    assert caplog.records, "nothing was logged: the test would prove nothing"
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert SECRET not in logged
    for token in world.state.tokens:
        assert token not in logged
