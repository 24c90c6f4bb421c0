"""The published policy validates, and each kind of mistake is named with its file, line and key."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.core.policy import PolicyInvalid
from app.entry.cli import main
from app.render.policy_page import render_policy_page
from app.wiring.policy_files import load_policy

POLICY = Path(__file__).resolve().parent.parent / "policy"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(POLICY, target)
    return target


def edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / f"{name}.yml"
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}.yml"
    path.write_text(text.replace(old, new, 1))


def problems(directory: Path) -> list[str]:
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(directory)
    return [str(p) for p in caught.value.problems]


def line_of(directory: Path, name: str, needle: str) -> int:
    for number, line in enumerate((directory / f"{name}.yml").read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_shipped_policy_passes_and_check_command_says_so(capsys):
    policy = load_policy(POLICY)
    assert [a.severity for a in policy.actions_by_severity()] == sorted({a.severity for a in policy.actions.actions})
    assert main(["policy", "check", str(POLICY)]) == 0
    assert "policy ok" in capsys.readouterr().out


def test_unknown_key_is_named_with_file_and_line(policy_dir):
    edit(policy_dir, "actions", "    kind: warning\n", "    kind: warning\n    colour: red\n")
    found = problems(policy_dir)
    line = line_of(policy_dir, "actions", "colour: red")
    assert any(p.startswith(f"actions.yml:{line}:") and "unknown key 'colour'" in p for p in found), found


def test_unknown_key_at_top_level_of_process(policy_dir):
    edit(policy_dir, "process", "cooling_off:", "cooling_of:")
    found = problems(policy_dir)
    assert any("process.yml" in p and "cooling_of" in p for p in found), found
    assert any("cooling_off" in p and "Field required" in p for p in found), found


def test_duplicate_criterion_id(policy_dir):
    edit(policy_dir, "criteria", "  - id: trolling", "  - id: harassment")
    found = problems(policy_dir)
    assert any("criteria.yml" in p and "duplicate id 'harassment'" in p for p in found), found


def test_duplicate_action_id(policy_dir):
    edit(policy_dir, "actions", "  - id: long-ban", "  - id: temporary-ban")
    assert any("duplicate id 'temporary-ban'" in p for p in problems(policy_dir))


def test_two_actions_with_the_same_severity(policy_dir):
    edit(policy_dir, "actions", "severity: 6", "severity: 5")
    found = problems(policy_dir)
    line = line_of(policy_dir, "actions", "  - id: long-ban") + 6
    assert any("severity 5 is also that of 'temporary-ban'" in p for p in found), found
    assert any(p.startswith(f"actions.yml:{line}:") for p in found), (line, found)


def test_ban_without_a_path_back(policy_dir):
    edit(policy_dir, "actions", "    review_after: {default: 52w, max: 104w}\n", "")
    found = problems(policy_dir)
    assert any("a ban without a path back" in p and "actions.yml" in p for p in found), found


def test_criterion_referenced_but_not_defined(policy_dir):
    edit(policy_dir, "actions", "criteria: [harassment, sexual-content, private-information]",
         "criteria: [harassment, doxxing]")
    found = problems(policy_dir)
    assert any("'doxxing' is referenced but not defined" in p for p in found), found


def test_every_problem_is_listed_not_just_the_first(policy_dir, capsys):
    edit(policy_dir, "actions", "severity: 6", "severity: 5")
    edit(policy_dir, "criteria", "  - id: trolling", "  - id: harassment")
    edit(policy_dir, "roles", "organization:", "organisation:")
    assert main(["policy", "check", str(policy_dir)]) == 1
    err = capsys.readouterr().err
    assert "severity 5" in err and "duplicate id 'harassment'" in err and "organisation" in err
    assert "3 problem(s)" in err or "4 problem(s)" in err


def test_duration_and_fraction_errors(policy_dir):
    edit(policy_dir, "process", 'threshold: "2/3"', "threshold: 0.66")
    edit(policy_dir, "process", "acknowledge_within: 24h", "acknowledge_within: 1 day")
    found = problems(policy_dir)
    assert any("threshold" in p and "not a fraction" in p for p in found), found
    assert any("acknowledge_within" in p and "not a duration" in p for p in found), found


def test_no_action_is_built_in(policy_dir):
    edit(policy_dir, "actions", "  - id: education", "  - id: no-action")
    assert any("'no-action' is built in" in p for p in problems(policy_dir))


def test_yaml_key_written_twice(policy_dir):
    edit(policy_dir, "process", "cooling_off: 30d", "cooling_off: 30d\ncooling_off: 60d")
    assert any("key written twice" in p for p in problems(policy_dir))


def test_rendered_page_lists_every_criterion_and_action():
    policy = load_policy(POLICY)
    page = render_policy_page(policy)
    for criterion in policy.criteria.criteria:
        assert criterion.title in page and f"`{criterion.id}`" in page
    for action in policy.actions.actions:
        assert f"`{action.id}`" in page
    assert "No action (`no-action`)" in page
    assert policy.criteria.source in page


def test_the_decisions_place_must_be_apart_from_the_cases(policy_dir):
    # One repository for both would show every report to the Steering Council.
    edit(policy_dir, "roles", "decisions: example-org/conduct-decisions", "decisions: example-org/conduct-cases")
    found = problems(policy_dir)
    assert any("cases and decisions must be different repositories" in p for p in found), found


def test_the_decisions_place_is_required(policy_dir):
    edit(policy_dir, "roles", "  decisions: example-org/conduct-decisions", "")
    assert any("decisions" in p for p in problems(policy_dir))
