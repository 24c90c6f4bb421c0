"""The stage table: every legal step works, every other (stage, trigger, role) is refused unchanged."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from app.core.commands import VERBS
from app.core.stages import TRANSITIONS, IllegalStep, Stage, mediator_trigger_to, step, triggers_from
from app.render.readme import blocks, extract

ROLES = ("mediator", "sc", "system")
TRIGGERS = sorted({s.trigger for s in TRANSITIONS})


@pytest.mark.parametrize("rule", TRANSITIONS, ids=lambda s: f"{s.source.value}-{s.trigger}")
def test_every_legal_step(rule):
    held_from = Stage.MEDIATION if rule.target is None else None
    result = step(rule.source, rule.trigger, rule.role, held_from)
    assert result is (rule.target or Stage.MEDIATION)


def test_every_illegal_step_is_refused():
    legal = {(s.source, s.trigger, s.role) for s in TRANSITIONS}
    refused = 0
    for stage, trigger, role in itertools.product(Stage, TRIGGERS, ROLES):
        if (stage, trigger, role) in legal:
            continue
        with pytest.raises(IllegalStep):
            step(stage, trigger, role, Stage.MEDIATION)
        refused += 1
    assert refused == len(Stage) * len(TRIGGERS) * len(ROLES) - len(legal)


def test_unhold_returns_to_where_the_case_was_held():
    for source in (Stage.INTAKE, Stage.MEDIATION, Stage.ESCALATED):
        held = step(source, "hold", "mediator")
        assert held is Stage.HOLD
        assert step(held, "unhold", "mediator", held_from=source) is source


def test_closed_is_final():
    assert triggers_from(Stage.CLOSED) == []
    with pytest.raises(IllegalStep, match="final"):
        step(Stage.CLOSED, "reopen", "mediator")


def test_nothing_but_the_sc_approves_and_no_comment_drives_a_poll():
    approvals = [s for s in TRANSITIONS if s.target is Stage.ACTION]
    assert [s.role for s in approvals] == ["sc"]
    assert all(s.role == "system" for s in TRANSITIONS if s.trigger.startswith("poll-"))


def test_mediator_hand_moves():
    assert mediator_trigger_to(Stage.INTAKE, Stage.MEDIATION) == "take"
    assert mediator_trigger_to(Stage.RESOLVED, Stage.CLOSED) == "close"
    assert mediator_trigger_to(Stage.MEDIATION, Stage.ACTION) is None
    assert mediator_trigger_to(Stage.POLLING, Stage.MEDIATION) is None


def test_every_stage_is_reachable_from_intake():
    seen, frontier = {Stage.INTAKE}, [Stage.INTAKE]
    while frontier:
        current = frontier.pop()
        for rule in triggers_from(current):
            for target in ([rule.target] if rule.target else [s.source for s in TRANSITIONS if s.target is Stage.HOLD]):
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
    assert seen == set(Stage)


def test_readme_blocks_are_drawn_from_the_tables():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name, block in blocks().items():
        assert extract(readme, name) == block, f"stale {name} block: run `conduct stages --readme README.md`"
    stages = extract(readme, "stages")
    for rule in TRANSITIONS:
        assert f": {rule.trigger} ({rule.role})" in stages
    assert stages.count("\n") > len(TRANSITIONS)
    for verb in VERBS.values():
        assert f"`{verb.usage}`" in extract(readme, "commands")
