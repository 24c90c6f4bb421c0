"""Each command costs no more than the minimum it needs plus one request, and the hand-over note's guard
looks on GitHub only when an earlier try may have posted it."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from test_case_index import CASES, T0, Counter, a_case, file_case, run

from app.core.stages import Stage
from app.sanctions import posts
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

BENCH = Path(__file__).parent / "bench" / "bench_cost.py"
POLICY = load_policy(Path(__file__).resolve().parents[1] / "policy")


def bench_cost():
    spec = importlib.util.spec_from_file_location("bench_cost", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_command_costs_at_most_its_minimum_plus_one():
    rows = run(bench_cost().command_costs())
    costs = {what: (sent, minimum) for what, sent, minimum in rows}
    assert costs["a plain comment"] == (0, 0)
    commands = {what: cost for what, cost in costs.items() if what != "a plain comment"}
    assert {"assign", "note", "hold", "unhold", "resolve", "commands"} <= set(commands)
    for what, (sent, minimum) in commands.items():
        assert minimum > 0, what  # every command reads the state and writes it back
        assert sent <= minimum + 1, f"{what}: {sent} requests, minimum {minimum}"


def test_a_first_hand_over_note_is_posted_without_a_listing_and_a_retry_finds_it(store):
    async def story():
        counter = Counter()
        world = await build_world(POLICY, store, now=lambda: T0, request_hook=counter)
        number = await file_case(world, a_case(1, Stage.MEDIATION, mediators=("mediator-1",)), True)
        await world.settle()
        key = "C-2025-001:hand-over:participant-2"
        context = {"login": "participant-2", "reason": "no-address", "code": "C-2025-001", "link": "x",
                   "addresses": "y"}
        taken = counter.during()
        first = await posts.post_once(world.github, CASES, number, key, "notice-hand-over.md.j2", context,
                                      store=store)
        first_requests = taken()
        # The worker died before recording the Notify effect as done: the resumed run posts again.
        taken = counter.during()
        again = await posts.post_once(world.github, CASES, number, key, "notice-hand-over.md.j2", context,
                                      store=store)
        again_requests = taken()
        on_github = [c for c in await world.github.list_comments(CASES, number) if posts.marker(key) in c.body]
        return first, first_requests, again, again_requests, on_github

    first, first_requests, again, again_requests, on_github = run(story())
    first_requests = [r for r in first_requests if not r[1].endswith("/access_tokens")]
    assert [method for method, _ in first_requests] == ["POST"]  # no listing before a first try
    assert again.id == first.id and len(on_github) == 1  # the retry looked, found it, posted nothing
    assert [method for method, _ in again_requests if not _.endswith("/access_tokens")] == ["GET"]
