"""The report by venue and by criterion, the mediators' note, and the period grid published reports keep to."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from app.core.case import Case, Entry
from app.core.report import build_report, grid_problem
from app.core.stages import Stage
from app.core.summary import ActionPoint, Summary
from app.entry.cli import main
from app.render.report import render_report
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def signal(n: int, venue: str | None) -> Case:
    return Case(code=f"C-2026-{n:03d}", channel="signal", venue=venue, opened_at=T0 + timedelta(days=n),
                acknowledge_by=T0 + timedelta(days=n, hours=24))


def escalated(n: int, criteria: tuple[str, ...]) -> Case:
    at = T0 + timedelta(days=n)
    summary = Summary(what_happened="x", course="x", why_unresolved="x",
                      action_points=(ActionPoint(action="warning", criteria=criteria),))
    return Case(code=f"C-2026-{n:03d}", channel="form", opened_at=at, acknowledge_by=at, stage=Stage.ESCALATED,
                summary=summary, history=(Entry(at=at, actor="m", kind="escalate", target=Stage.ESCALATED),))


def rows(report):
    return {row.id: row.current for row in report.rows}


def test_signals_are_counted_by_venue_and_escalations_by_criterion():
    cases = [*(signal(n, "review-comment") for n in range(1, 5)), signal(5, None), signal(6, "discussion-comment"),
             *(escalated(10 + n, ("harassment",)) for n in range(4)), escalated(20, ("trolling", "harassment"))]
    figures = rows(build_report(cases, POLICY, date(2026, 1, 1), date(2027, 1, 1)))
    assert figures["venue.review-comment"].value == 4
    assert figures["criterion.harassment"].value == 5
    assert figures["criterion.trolling"].value is None  # one case: suppressed
    assert figures["venue.issue-comment"].value is None and figures["venue.discussion-comment"].value is None


def test_a_published_report_keeps_to_the_policys_grid(tmp_path, capsys):
    assert POLICY.process.report.period == "year"
    assert grid_problem(date(2026, 1, 1), date(2027, 1, 1), "year") is None
    assert "would end on 2027-01-01" in grid_problem(date(2026, 1, 1), date(2026, 7, 1), "year")
    assert "first day" in grid_problem(date(2026, 3, 1), date(2027, 3, 1), "year")
    assert grid_problem(date(2026, 4, 1), date(2026, 7, 1), "quarter") is None
    assert main(["report", "--from", "2026-03-01", "--to", "2026-05-01", "--demo", "--post"]) == 2
    assert "not posted: the policy's reports are by year" in capsys.readouterr().err


def test_the_mediators_note_is_published_with_the_figures(tmp_path):
    note = "Most requests this year were resolved in a first conversation."
    text = render_report([signal(1, None)], POLICY, date(2026, 1, 1), date(2027, 1, 1), "md", note)
    assert "## The state of things, from the mediators" in text and note in text
    assert text.index(note) < text.index("## Figures")
    html = render_report([], POLICY, date(2026, 1, 1), date(2027, 1, 1), "html", "<b>bold</b>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
