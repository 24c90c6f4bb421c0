"""`conduct demo` runs to the end and its timeline shows each stage change and who caused it."""
from __future__ import annotations

import io
import json

from app.entry.cli import main
from app.entry.demo import main as demo_main


def test_demo_prints_every_stage_change_with_its_cause(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("CONDUCT_POLICY_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # from any directory: the policy is found beside the code, not in the cwd
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    # Long posts are wrapped at word boundaries, so phrases are looked for with the line breaks folded.
    flat = " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 120
    for line in ("[C-2026-001] new → intake  (by reporter-1, opened)",
                 "[C-2026-001] intake → mediation  (by mediator-1, take)",
                 "[C-2026-001] mediation → resolved  (by mediator-1, resolve)",
                 "[C-2026-001] resolved → closed  (by mediator-1, close)",
                 "[C-2026-002] mediation → hold  (by mediator-2, hold)",
                 "[C-2026-002] mediation → escalated  (by mediator-2, escalate)"):
        assert " ".join(line.split()) in flat
    assert "the part 'Course of mediation' is missing or empty" in flat
    assert "`/conduct escalate` is for the mediator" in flat
    assert "has not been acknowledged" in flat
    assert "**Context for `participant-2`**" in flat and "| C-2026-002 | subject |" in flat
    assert "Standing: newcomer (< 90 days)" in flat
    assert "[C-2026-002] escalated → polling (by system, poll-opened)" in flat
    assert "refused: You are not in this poll's electorate" in flat
    assert "replaced=True" in flat
    assert "[C-2026-002] polling → awaiting-approval (by system, poll-sanction)" in flat
    assert "conduct poll recount: exit 0" in flat
    assert "closed and locked" in flat
    # One environment review releases the job, which holds the apply until a second SC member approves.
    assert "POST /actions/sanction-apply: HTTP 202: held: C-2026-002-d1 has 1 of the 2" in flat
    assert "[C-2026-002] awaiting-approval → action (by sc-3, sc-approve)" in flat
    assert "**Applied `C-2026-002-d1`**" in flat and "until **2026-04-06" in flat  # shortened to 3w in the review
    assert "POST /actions/poll-open: HTTP 200" in flat and "POST /actions/sweep: HTTP 200" in flat
    assert "sc-approval.yml in example-org/conduct-decisions shows C-2026-002-d1" in flat
    assert "The SC rejected `C-2026-003-d1`" in flat and "**Applied `C-2026-003-d2`**" in flat
    assert "**Lifted `C-2026-003-d2`**" in flat and "**Lifted `C-2026-002-d1`**" in flat
    assert "[C-2026-002] action → closed (by system, sanction-ended)" in flat
    assert "in Conduct archive" in flat
    assert "**Locked example-org/project#1** as too heated" in flat and "**Unlocked example-org/project#1**" in flat
    assert "hidden by the conduct mediators: `a personal remark`" in flat
    asked = flat.index("/conduct context @participant-2")
    assert flat.index("**Context for `participant-2`**", asked) < flat.index("**Unlocked", asked)
    assert "the poll's discussion, under Standing:" in flat and "- `participant-2`: newcomer (< 90 days)" in flat
    assert "Standing: newcomer (< 90 days)" in flat
    # Case three's poll decides no action and its urgent ban is lifted there and then, days before its end.
    no_action = flat.index("[C-2026-003] polling → mediation (by system, poll-no-action)")
    assert flat.rindex("**Lifted `C-2026-003-d2`**", 0, no_action) > flat.index("Poll opened** (`C-2026-003/1`)")
    blocked = [line.strip() for line in out.splitlines() if "participant-2 blocked:" in line]
    assert blocked == ["↳ output: participant-2 blocked: True", "↳ output: participant-2 blocked: False"]


def test_demo_json_lines_are_the_same_story():
    out = io.StringIO()
    assert demo_main(out, as_json=True) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    stages = [(r["case"], r["from"], r["to"], r["by"]) for r in records if r["type"] == "stage"]
    assert ("C-2026-002", "mediation", "escalated", "mediator-2") in stages
    assert all(set(r) >= {"type"} for r in records)
    assert [r["at"] for r in records if r["type"] == "step"] == sorted(r["at"] for r in records if r["type"] == "step")


def test_an_app_with_another_name_recognises_its_own_comments_through_the_whole_story():
    # GitHub's App names are unique, so a community may have to call its App something else; the stand-in
    # then writes as `community-care[bot]`, with no `performed_via_github_app` on issue comments.
    out = io.StringIO()
    assert demo_main(out, app_slug="community-care") == 0
    text = out.getvalue()
    assert "[C-2026-002] escalated → polling  (by system, poll-opened)" in text
    assert "[C-2026-002] action → closed  (by system, sanction-ended)" in text
    assert "conduct-desk[bot]" not in text


def test_the_report_on_the_demo_s_data_suppresses_small_counts_and_names_nobody(capsys, tmp_path):
    out = tmp_path / "report.md"
    assert main(["report", "--from", "2026-03-01", "--to", "2026-05-01", "--demo", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| Help requests received | 3 |" in text and "fewer than 3" in text
    assert (tmp_path / "report-chart.svg").read_text().startswith("<svg")
    for secret in ("C-2026-", "participant-", "reporter-", "mediator-", "2026-03-16"):
        assert secret not in text
    assert main(["report", "--from", "2026-03-01", "--to", "2026-05-01", "--demo", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "C-2026-" not in json.dumps(document)
    assert {"suppressed": True, "below": 3} in _values(document)


def _values(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value)
