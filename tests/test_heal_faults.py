"""One GitHub fault anywhere in the demo, of either kind (the write never lands; it lands but the answer is a
502), and a few mixed profiles: after a few sweeps, with nobody doing anything, GitHub and every case end
exactly as in the run without faults.

Every write position of the demo takes about 2 × 130 runs of the whole demo (over half an hour on two
cores), so by default positions are sampled: evenly spread over the run, the same ones every time.
CONDUCT_FAULTS_EVERY=1 runs them all; CONDUCT_FAULTS_SAMPLE=N spreads N positions."""
from __future__ import annotations

import os

import pytest
from heal_support import demo_with, differences, run

SAMPLE = int(os.environ.get("CONDUCT_FAULTS_SAMPLE", "5"))


@pytest.fixture(scope="module")
def clean():
    state, proxy, _world = run(demo_with({"writes_only": True}))
    return state, proxy.count


def positions(total: int) -> list[int]:
    if os.environ.get("CONDUCT_FAULTS_EVERY") == "1" or SAMPLE >= total:
        return list(range(1, total + 1))
    # Evenly spread and deterministic; the last write (a late sweep's) is always among them.
    return sorted({1 + round(i * (total - 1) / (SAMPLE - 1)) for i in range(SAMPLE)})


def test_one_fault_at_sampled_write_positions_heals_to_the_clean_outcome(clean):
    expected, total = clean
    assert total > 100  # the demo's writes: cases, posts, labels, polls, sanctions, lifts
    for position in positions(total):
        for kind in ("before", "after"):
            state, proxy, _world = run(demo_with({"writes_only": True, "plan": {position: kind}}))
            assert proxy.log and proxy.log[0][2] == kind, (position, kind)  # the fault really happened
            assert state == expected, (f"write {position} ({proxy.log[0][1]}) failing {kind} did not heal:\n"
                                       + differences(expected, state))


PROFILES = {
    # GitHub acts on every ninth write and answers 502.
    "lands-then-502": lambda n, request: "after" if n % 9 == 0 else None,
    # Outages and both rate limits, now and then, each failing before GitHub acts.
    "503-429-secondary": lambda n, request: {4: "503", 15: "429", 26: "secondary", 37: "after"}.get(n % 44),
}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_mixed_fault_profiles_heal_to_the_clean_outcome(clean, profile):
    expected, _total = clean
    state, proxy, _world = run(demo_with({"writes_only": True, "rule": PROFILES[profile]}))
    assert len(proxy.log) >= 3
    assert state == expected, f"{profile}: {proxy.log}\n" + differences(expected, state)
