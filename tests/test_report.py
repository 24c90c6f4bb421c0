"""The transparency report: its counts are right, and no suppressed figure can be worked out from the rest."""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.decide import decide, open_case
from app.core.events import (
    MEDIATOR,
    SC,
    Actor,
    Commented,
    HelpRequested,
    PollClosed,
    PollOpened,
    SCReviewed,
    Tick,
)
from app.core.policy import ReportRules
from app.core.report import (
    Mark,
    Relation,
    build_report,
    determined,
    period_values,
    protect,
    span_unit,
)
from app.render.report import render, render_chart_svg, render_report
from app.wiring.policy_files import load_policy

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
HOUR = timedelta(hours=1)


MED = Actor("mediator-1", frozenset({MEDIATOR}))
SC1 = Actor("sc-1", frozenset({SC}))
SC2 = Actor("sc-2", frozenset({SC}))
SUMMARY = """/conduct summary
## What happened
Repeated insults in review threads.
## Course of mediation
Both parties were contacted; one declined to talk.
## Why mediation did not resolve it
The insults continued after two requests.
## Action points
- warning: personal-attack
- temporary-ban: harassment, personal-attack
"""

# The paths a case can take, as the steps of a script; each step waits `gap` before it happens.
PATHS = ("untouched", "taken", "resolved", "closed", "escalated", "no-action", "no-decision", "rejected",
         "sanctioned", "lifted", "lifted-late", "urgent")


class Driver:
    """Feeds one case through the core on a simulated clock."""

    def __init__(self, policy, code: str, channel: str, at: datetime, reporter: str, subject: str):
        self.policy, self.now, self.n = policy, at, 0
        event = HelpRequested(f"{code}-open", channel, reporter, None, (subject,))
        self.case = open_case(code, event, policy, at).case

    def send(self, event, gap: timedelta) -> Driver:
        self.now += gap
        self.case = decide(self.case, event, self.policy, self.now).case
        return self

    def say(self, body: str, gap: timedelta, actor: Actor = MED) -> Driver:
        self.n += 1
        return self.send(Commented(f"{self.case.code}-c{self.n}", actor, body, comment_id=self.n), gap)

    def tick(self, gap: timedelta) -> Driver:
        self.n += 1
        return self.send(Tick(f"{self.case.code}-t{self.n}"), gap)


def make_case(policy, index: int, channel: str, path: str, at: datetime, gap: timedelta):
    """Case number `index` opened at `at` by `channel`, taken along `path`, one step every `gap`."""
    code = f"C-{at.year}-{index + 1:03d}"
    d = Driver(policy, code, channel, at, f"reporter-{index + 1}", f"participant-{index + 1}")
    if path == "untouched":
        return d.case
    d.say("/conduct assign @mediator-1", gap)
    if path == "taken":
        return d.case
    if path in ("resolved", "closed"):
        d.say("/conduct resolve agreed how to go on", gap)
        if path == "closed":
            d.say("/conduct stage closed", gap)
        return d.case
    if path == "urgent":
        d.say(f"/conduct urgent-ban @participant-{index + 1} 7d threats", gap)
        d.say("/conduct sc approve", gap, SC1)
        return d.say("/conduct sc approve", gap, Actor("sc-2", frozenset({SC}))).case
    d.say(SUMMARY, gap).say("/conduct escalate", gap)
    if path == "escalated":
        return d.case
    poll = f"{code}/1"
    d.send(PollOpened(f"{code}-po", poll, "in three days"), gap)
    outcome = {"no-action": "no-action", "no-decision": "no-decision"}.get(path, "temporary-ban")
    d.send(PollClosed(f"{code}-pc", poll, outcome, {outcome: 3}), gap)
    if path in ("no-action", "no-decision"):
        return d.case
    decision = d.case.decisions[-1].id
    approved = path != "rejected"
    if approved:  # the first of the two SC approvals the policy asks for, a moment before the second
        d.send(SCReviewed(f"{code}-sc0", SC2, decision, True), timedelta(0))
    d.send(SCReviewed(f"{code}-sc", SC1, decision, approved, comment="" if approved else "too harsh",
                      shorten_to=gap * 2 if approved else None), gap)
    if path == "lifted":
        d.tick(gap * 2 + timedelta(minutes=10))
    elif path == "lifted-late":
        d.tick(gap * 2 + timedelta(hours=5))
    return d.case


@pytest.fixture(scope="module")
def policy():
    return load_policy(Path(__file__).resolve().parent.parent / "policy")


def with_k(policy, k):
    return dataclasses.replace(policy, process=policy.process.model_copy(update={"report": ReportRules(small_count=k)}))


def at(day: date, hours: float = 10) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hours)


def cases_of(policy, specs):
    """Cases from (channel, path, opened at, gap between steps) specs, each driven by the real core."""
    return [make_case(policy, i, channel, path, when, gap) for i, (channel, path, when, gap) in enumerate(specs)]


# --- an independent reader: what can be worked out from the published JSON alone -------------------------
#
# This does not use the module's relations or its search: it states again, from the meaning of the figures,
# what a reader knows, and looks for solutions by plain backtracking.


def reader_model(data: dict, cap: int) -> tuple[dict[str, object], list[tuple[str, dict[str, int]]]]:
    k = data["small_count"]
    cells: dict[str, object] = {}
    for figure in data["figures"]:
        for column in ("current", "previous", "change"):
            cells[f"{column}.{figure['id']}"] = figure[column]
    for month, row in data["chart"]["months"].items():
        for outcome, cell in row.items():
            cells[f"chart.{month}.{outcome}"] = cell
    domains: dict[str, object] = {}
    for name, cell in cells.items():
        if isinstance(cell, int):
            domains[name] = cell
        elif "below" in cell:
            assert cell["below"] == k
            domains[name] = range(0, k)
        elif "at_least" in cell:
            domains[name] = range(k, cap + 1)
        elif name.startswith("change."):
            domains[name] = range(-cap, cap + 1)
        else:  # withheld with no bound: any count
            domains[name] = range(0, cap + 1)
    ids = [f["id"] for f in data["figures"]]
    rules: list[tuple[str, dict[str, int]]] = []
    for column in ("current", "previous"):
        for whole in ("received", "polls", "lifted"):
            parts = {f"{column}.{i}": 1 for i in ids if i.startswith(whole + ".")}
            rules.append(("=", {f"{column}.{whole}": -1, **parts}))
    for i in ids:
        rules.append(("=", {f"change.{i}": -1, f"current.{i}": 1, f"previous.{i}": -1}))
    chart = [n for n in cells if n.startswith("chart.")]

    def segment(outcome):
        return {n: 1 for n in chart if n.endswith("." + outcome)}

    rules.append(("=", {"current.received": -1, **{n: 1 for n in chart}}))
    rules.append(("<=", {**segment("resolved"), "current.resolved": -1}))
    rules.append(("<=", {**segment("sanction"), "current.sanctions": -1}))
    rules.append(("<=", {**segment("no-action"), "current.polls.no-action": -1, "current.polls.no-decision": -1}))
    rules.append(("<=", {**segment("no-action"), "current.escalated": -1}))
    return domains, rules


def _tighten(box: dict[str, tuple[int, int]], rules) -> bool:
    """Narrow every unknown's (low, high) to what the rules allow; False if nothing fits."""
    changed = True
    while changed:
        changed = False
        for kind, terms in rules:
            for sign in ((1,) if kind == "<=" else (1, -1)):
                # sign * sum(c * x) <= 0: each term can be at most what the others leave over.
                least = {n: min(sign * c * box[n][0], sign * c * box[n][1]) for n, c in terms.items()}
                total = sum(least.values())
                if total > 0:
                    return False
                for name, c in terms.items():
                    room = least[name] - total  # the most sign * c * x may be
                    low, high = box[name]
                    if sign * c > 0:
                        high = min(high, room // (sign * c))
                    else:
                        low = max(low, -(room // -(sign * c)))
                    if (low, high) != box[name]:
                        if low > high:
                            return False
                        box[name], changed = (low, high), True
    return True


def _solvable(box: dict[str, tuple[int, int]], rules) -> bool:
    box = dict(box)
    if not _tighten(box, rules):
        return False
    loose = [n for n, (low, high) in box.items() if low < high]
    if not loose:
        return True
    name = min(loose, key=lambda n: box[n][1] - box[n][0])
    low, high = box[name]
    return any(_solvable({**box, name: (v, v)}, rules) for v in range(low, high + 1))


def readable_values(name, domains, rules, enough=2) -> set[int]:
    """The values of `name` that fit everything a reader knows (stops once `enough` are found)."""
    unknown = {n for n, d in domains.items() if not isinstance(d, int)}
    group, todo = {name}, [name]
    while todo:  # only the rules tied to `name` through unknowns can say anything about it
        current = todo.pop()
        for _, terms in rules:
            if current in terms:
                fresh = [n for n in terms if n in unknown and n not in group]
                group.update(fresh)
                todo.extend(fresh)
    mine = [(kind, terms) for kind, terms in rules if group & terms.keys()]
    box = {n: (d, d) if isinstance(d, int) else (d[0], d[-1]) for n, d in domains.items()
           if any(n in terms for _, terms in mine) or n == name}
    found = set()
    for value in domains[name]:
        if _solvable({**box, name: (value, value)}, mine):
            found.add(value)
            if len(found) >= enough:
                break
    return found


def assert_nothing_derivable(cases, policy, start, end):
    data = json.loads(render_report(cases, policy, start, end, "json"))
    k = data["small_count"]
    truth = {**{f"current.{n}": v for n, v in period_values(cases, policy, start, end).items()},
             **{f"previous.{n}": v for n, v in period_values(cases, policy, start - (end - start), start).items()}}
    cap = max([k, *map(abs, truth.values())]) + k  # any cap above the true values keeps the check sound
    domains, rules = reader_model(data, cap)
    truth.update({n.replace("current.", "change.", 1): v - truth[n.replace("current.", "previous.", 1)]
                  for n, v in list(truth.items()) if n.startswith("current.") and not n.startswith("current.chart")})
    truth.update({n.replace("current.", "", 1): v for n, v in truth.items() if n.startswith("current.chart.")})
    for kind, terms in rules:  # the reader's rules are true of the real figures
        total = sum(c * truth[n] for n, c in terms.items())
        assert total == 0 if kind == "=" else total <= 0, (kind, terms)
    suppressed = [n for n, d in domains.items() if not isinstance(d, int)]
    for name in suppressed:
        assert truth[name] in domains[name], name  # the label tells the truth
        assert len(readable_values(name, domains, rules)) >= 2, f"{name} can be worked out from the report"
    for name, domain in domains.items():
        if isinstance(domain, int):
            assert domain == truth[name], name
            small = 0 < domain < k and not name.startswith("change.")
            assert not small, f"{name} = {domain} is published though below {k}"
    return data, suppressed


# --- hand-built edge cases ---------------------------------------------------------------------------------


def test_one_request_through_one_channel_is_shown_as_fewer_than_three(policy):
    cases = cases_of(policy, [("signal", "taken", at(date(2026, 3, 9)), HOUR)])
    data, suppressed = assert_nothing_derivable(cases, policy, MARCH, APRIL)
    figures = {f["id"]: f for f in data["figures"]}
    assert figures["received"]["current"] == {"suppressed": True, "below": 3}
    assert figures["received.signal"]["current"] == {"suppressed": True, "below": 3}
    # The zeros beside it would let a reader count, so they are "fewer than 3" too.
    assert figures["received.form"]["current"] == {"suppressed": True, "below": 3}


def test_a_total_of_three_from_two_channels_hides_the_total_too(policy):
    specs = [("form", "taken", at(date(2026, 3, d)), HOUR) for d in (3, 4)]
    specs.append(("issue", "taken", at(date(2026, 3, 5)), HOUR))
    data, suppressed = assert_nothing_derivable(cases_of(policy, specs), policy, MARCH, APRIL)
    assert "current.received.issue" in suppressed
    # With the total of 3 published, "form" (2) would be 3 minus the rest: something more is withheld.
    assert len([n for n in suppressed if n.startswith("current.received")]) >= 3


def test_a_zero_beside_two_small_parts_is_hidden_so_they_are_not_pinned(policy):
    # 2 by form, 2 by signal, 0 by issue, total 4: with the 0 shown, both parts would have to be 2.
    specs = [(ch, "taken", at(date(2026, 3, d)), HOUR) for ch, d in
             (("form", 2), ("form", 3), ("signal", 4), ("signal", 5))]
    data, suppressed = assert_nothing_derivable(cases_of(policy, specs), policy, MARCH, APRIL)
    figures = {f["id"]: f for f in data["figures"]}
    assert figures["received"]["current"] == 4
    assert figures["received.issue"]["current"] == {"suppressed": True, "below": 3}


def test_two_small_parts_of_a_published_four_are_pinned_by_their_bounds_alone():
    values = {"total": 4, "a": 2, "b": 2}
    rels = [Relation("t", (("total", -1), ("a", 1), ("b", 1)))]
    # Each relation has two unknowns, the naive rule's test, yet "fewer than 3" + "fewer than 3" = 4.
    assert determined(values, {"total": Mark.PUBLISHED, "a": Mark.SMALL, "b": Mark.SMALL}, rels, 3) == ["a", "b"]
    marks = protect(values, rels, 3)
    assert marks["total"] is Mark.WITHHELD and determined(values, marks, rels, 3) == []


def test_the_change_never_reveals_a_suppressed_value(policy):
    specs = [("form", "taken", at(date(2026, 2, d)), HOUR) for d in (2, 3, 4, 5, 6)]
    specs.append(("form", "taken", at(date(2026, 3, 7)), HOUR))
    data, _ = assert_nothing_derivable(cases_of(policy, specs), policy, MARCH, APRIL)
    received = next(f for f in data["figures"] if f["id"] == "received")
    assert received["previous"] == 5
    assert received["current"] == {"suppressed": True, "below": 3}
    assert received["change"] == {"suppressed": True}


def test_a_single_poll_outcome_is_protected_across_outcomes_chart_and_escalations(policy):
    specs = [("form", "sanctioned", at(date(2026, 3, 2)), HOUR)]
    specs += [("issue", "no-action", at(date(2026, 3, d)), HOUR) for d in (3, 4, 5)]
    specs += [("signal", "resolved", at(date(2026, 3, d)), HOUR) for d in (6, 7, 8, 9)]
    data, suppressed = assert_nothing_derivable(cases_of(policy, specs), policy, MARCH, APRIL)
    assert "current.polls.temporary-ban" in suppressed
    assert "chart.2026-03.sanction" in suppressed


def test_with_nothing_small_everything_is_published(policy):
    specs = [(ch, "resolved", at(date(2026, m, d)), HOUR) for m in (2, 3) for ch in ("form", "issue", "signal")
             for d in (10, 11, 12)]
    data, suppressed = assert_nothing_derivable(cases_of(policy, specs), policy, MARCH, APRIL)
    figures = {f["id"]: f for f in data["figures"]}
    assert figures["received"]["current"] == 9 and figures["received.issue"]["current"] == 3
    assert figures["received"]["change"] == 0
    assert figures["polls"]["current"] == 0 and figures["polls.warning"]["current"] == 0
    assert suppressed == []


def test_small_count_one_publishes_everything_and_two_hides_zero_and_one(policy):
    specs = [("form", "taken", at(date(2026, 3, 2)), HOUR), ("form", "taken", at(date(2026, 3, 3)), HOUR),
             ("signal", "taken", at(date(2026, 3, 4)), HOUR)]
    cases = cases_of(policy, specs)
    everything = {f["id"]: f["current"] for f in json.loads(render_report(cases, with_k(policy, 1), MARCH, APRIL,
                                                                          "json"))["figures"]}
    assert everything["received.signal"] == 1 and everything["received"] == 3
    data, suppressed = assert_nothing_derivable(cases, with_k(policy, 2), MARCH, APRIL)
    figures = {f["id"]: f["current"] for f in data["figures"]}
    assert figures["received.form"] == 2
    assert figures["received.signal"] == {"suppressed": True, "below": 2}


# --- the search itself, on relations written by hand -------------------------------------------------------


def test_pairwise_sums_pin_down_all_three_cells_so_more_is_withheld():
    # x+y, x+z and y+z published: no relation has a single unknown, yet all three follow.
    values = {"x": 1, "y": 5, "z": 6, "xy": 6, "xz": 7, "yz": 11}
    rels = [Relation("xy", (("x", 1), ("y", 1), ("xy", -1))), Relation("xz", (("x", 1), ("z", 1), ("xz", -1))),
            Relation("yz", (("y", 1), ("z", 1), ("yz", -1)))]
    naive = {n: Mark.SMALL if n == "x" else Mark.PUBLISHED for n in values}
    naive.update(y=Mark.WITHHELD, z=Mark.WITHHELD)
    assert set(determined(values, naive, rels, 3)) == {"x", "y", "z"}
    marks = protect(values, rels, 3)
    assert marks["x"] is Mark.SMALL
    assert determined(values, marks, rels, 3) == []


def test_protect_withholds_the_smallest_neighbour():
    values = {"total": 20, "a": 1, "b": 4, "c": 15}
    marks = protect(values, [Relation("t", (("total", -1), ("a", 1), ("b", 1), ("c", 1)))], 3)
    assert marks == {"total": Mark.PUBLISHED, "a": Mark.SMALL, "b": Mark.WITHHELD, "c": Mark.PUBLISHED}


# --- many random case sets --------------------------------------------------------------------------------

PERIODS = [(MARCH, APRIL), (date(2026, 2, 1), APRIL)]
case_spec = st.tuples(st.sampled_from(("form", "issue", "signal")), st.sampled_from(PATHS),
                      st.integers(0, 24 * 120 - 1), st.integers(1, 240))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(case_spec, max_size=12), k=st.sampled_from((2, 3, 3, 4)), period=st.sampled_from(PERIODS))
def test_no_suppressed_figure_can_be_worked_out_from_random_case_sets(policy, specs, k, period):
    first = datetime(2025, 12, 1, tzinfo=UTC)
    cases = cases_of(policy, [(ch, path, first + timedelta(hours=h), timedelta(hours=g))
                              for ch, path, h, g in specs])
    assert_nothing_derivable(cases, with_k(policy, k), *period)


# --- what each figure counts ----------------------------------------------------------------------------


def test_figures_count_what_happened_in_the_period(policy):
    specs = [("form", "resolved", at(date(2026, 2, 27)), timedelta(days=1)),  # opened before, resolved in March
             ("issue", "lifted", at(date(2026, 3, 2)), timedelta(hours=10)),
             ("issue", "lifted-late", at(date(2026, 3, 3)), timedelta(hours=10)),
             ("signal", "rejected", at(date(2026, 3, 4)), HOUR),
             ("signal", "no-decision", at(date(2026, 3, 5)), HOUR),
             ("form", "urgent", at(date(2026, 3, 6)), HOUR),
             ("form", "taken", at(date(2026, 3, 31), 23), timedelta(hours=5))]  # acknowledged in April
    values = period_values(cases_of(policy, specs), policy, MARCH, APRIL)
    assert values["received"] == 6 and values["received.form"] == 2 and values["received.issue"] == 2
    assert values["resolved"] == 1 and values["escalated"] == 4
    assert values["polls"] == 4 and values["polls.temporary-ban"] == 3 and values["polls.no-decision"] == 1
    assert values["sc-rejections"] == 1 and values["sanctions"] == 3
    assert (values["lifted"], values["lifted.on-time"], values["lifted.late"]) == (2, 1, 1)
    assert values["chart.2026-03.sanction"] == 3 and values["chart.2026-03.no-action"] == 1
    assert values["chart.2026-03.open"] == 2 and values["chart.2026-03.resolved"] == 0


def test_medians_need_enough_cases_and_are_rounded(policy):
    gaps = (timedelta(hours=2, minutes=20), timedelta(hours=5, minutes=40), timedelta(hours=30))
    specs = [("form", "resolved", at(date(2026, 3, 2 + i)), gap) for i, gap in enumerate(gaps)]
    three = build_report(cases_of(policy, specs), policy, MARCH, APRIL)
    medians = {m.id: m for m in three.medians}
    assert medians["first-response"].current == 6  # 5h40 rounds to 6
    assert medians["resolution"].current == 11  # 2 steps of 5h40
    two = build_report(cases_of(policy, specs[:2]), policy, MARCH, APRIL)
    assert all(m.current is None for m in two.medians)
    assert span_unit(71) == (71, "hours") and span_unit(72) == (3, "days") and span_unit(-100) == (-4, "days")


# --- what the outputs may never contain -------------------------------------------------------------------


def test_no_format_contains_a_login_a_code_name_or_a_full_date(policy):
    specs = [(ch, path, at(date(2026, 3, 2 + i), 7 + i), timedelta(hours=3 + i))
             for i, (ch, path) in enumerate(zip(("form", "issue", "signal") * 4, PATHS, strict=False))]
    cases = cases_of(policy, specs)
    report = build_report(cases, policy, MARCH, APRIL)
    outputs = {fmt: render(report, fmt) for fmt in ("md", "json", "html")}
    outputs["svg"] = render_chart_svg(report)
    logins = {c.reporter for c in cases} | {p for c in cases for p in c.parties} | {
        e.actor for c in cases for e in c.history}
    codes = {c.code for c in cases} | {d.id for c in cases for d in c.decisions}
    moments = [e.at for c in cases for e in c.history]
    period_days = {MARCH, APRIL, APRIL - timedelta(days=1), report.previous_start, MARCH - timedelta(days=1)}
    days = {m.date() for m in moments} - period_days
    assert days, "the test needs event dates that are not the period's own"
    for fmt, text in outputs.items():
        for login in logins:
            assert not re.search(rf"(?<![\w-]){re.escape(login)}(?![\w-])", text), (fmt, login)
        for code in codes:
            assert code not in text, (fmt, code)
        for day in days:
            for form in (day.isoformat(), day.strftime("%d %B %Y"), day.strftime("%B %d")):
                assert form not in text, (fmt, form)
        for moment in moments:
            assert moment.strftime("%H:%M") not in text, (fmt, moment)


def test_html_is_self_contained_and_escapes_policy_text(policy):
    actions = policy.actions.model_copy(update={"actions": [
        a.model_copy(update={"title": "<script>alert(1)</script>"}) if a.id == "warning" else a
        for a in policy.actions.actions]})
    hostile = dataclasses.replace(policy, actions=actions)
    html = render_report([], hostile, MARCH, APRIL, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<svg" in html and "<title id=\"chart-title\">" in html and "<desc id=\"chart-desc\">" in html
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)


def test_markdown_points_at_the_chart_file(policy):
    text = render_report([], policy, MARCH, APRIL, "md")
    assert "](report-chart.svg)" in text and "| Help requests received | 0 | 0 | 0 |" in text


def test_unknown_format_is_refused(policy):
    with pytest.raises(ValueError, match="unknown report format"):
        render_report([], policy, MARCH, APRIL, "pdf")


# --- the chart ------------------------------------------------------------------------------------------


def _segments(svg: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', m)) for m in re.findall(r"<rect ([^>]*data-suppressed[^>]*)/>", svg)]


def test_suppressed_chart_cells_are_hatched_at_one_height_whatever_their_value(policy):
    def chart_for(resolved: int) -> str:
        specs = [("form", "taken", at(date(2026, 3, 2 + d)), HOUR) for d in range(10)]
        specs += [("form", "resolved", at(date(2026, 3, 20 + d)), HOUR) for d in range(resolved)]
        specs += [("form", "taken", at(date(2026, 4, 1 + d)), HOUR) for d in range(2 - resolved)]
        return render_chart_svg(build_report(cases_of(policy, specs), policy, MARCH, APRIL))

    one, two = chart_for(1), chart_for(2)
    hatched = [s for s in _segments(one) if s["data-suppressed"] == "true"]
    assert hatched and all(s["fill"].startswith("url(#hatch-") for s in hatched)
    assert "&lt;3" in one
    # Only the true value differs between the two: the drawing is the same.
    assert one == two
    assert "<title" in one and "<desc" in one and 'role="img"' in one


def test_published_chart_cells_are_drawn_to_scale(policy):
    specs = [("form", "taken", at(date(2026, 3, 2 + d)), HOUR) for d in range(8)]
    specs += [("form", "resolved", at(date(2026, 4, 2 + d)), HOUR) for d in range(4)]
    report = build_report(cases_of(policy, specs), policy, MARCH, date(2026, 5, 1))
    drawn = {(s["x"], s["fill"]): float(s["height"]) for s in _segments(render_chart_svg(report))}
    heights = sorted(drawn.values())
    assert heights[1] == pytest.approx(heights[0] * 2)  # 4 resolved in April, 8 open in March


def test_when_disclosed_bounds_alone_pin_a_cell_one_bound_is_dropped():
    # k = 2: on time 1 + late 1 = lifted 2. Withholding lifted as "2 or more" still leaves 1 + 1.
    values = {"lifted": 2, "on-time": 1, "late": 1}
    rels = [Relation("lifted", (("lifted", -1), ("on-time", 1), ("late", 1)))]
    marks = protect(values, rels, 2)
    assert Mark.HIDDEN in marks.values()
    assert determined(values, marks, rels, 2) == []


def test_the_reader_check_catches_a_report_without_complementary_suppression(policy):
    # Four by form and one by issue. Put every withheld or hidden cell back, leaving only the small one
    # suppressed (primary suppression alone): the reader's check must now find it.
    specs = [("form", "taken", at(date(2026, 3, d)), HOUR) for d in (3, 4, 5, 6)]
    specs.append(("issue", "taken", at(date(2026, 3, 7)), HOUR))
    cases = cases_of(policy, specs)
    data = json.loads(render_report(cases, policy, MARCH, APRIL, "json"))
    truth = period_values(cases, policy, MARCH, APRIL)
    assert len([f for f in data["figures"] if isinstance(f["current"], dict)]) > 1
    for figure in data["figures"]:
        if figure["id"] != "received.issue":
            figure["current"] = truth[figure["id"]]
    domains, rules = reader_model(data, cap=10)
    assert readable_values("current.received.issue", domains, rules) == {1}


def test_a_reviewed_ban_lifted_by_the_sc_after_its_review_counts_as_kept_when_the_review_opened_on_time(policy):
    from app.core.case import Case, Decision, Entry

    review = at(date(2026, 3, 2))

    def case(opened_after: timedelta) -> Case:
        decision = Decision(id="C-2026-001-d1", action="long-ban", subject="participant-1",
                            duration=timedelta(weeks=52), requested_at=review - timedelta(weeks=53),
                            approved_at=review - timedelta(weeks=52), ends_at=review, reviewed_not_ended=True)
        return Case(code="C-2026-001", channel="form", opened_at=review - timedelta(weeks=54),
                    acknowledge_by=review - timedelta(weeks=53), decisions=(decision,), history=(
                        Entry(at=review + opened_after, actor="system", kind="review-opened", detail=decision.id),
                        Entry(at=review + timedelta(days=20), actor="sc-2", kind="lifted", detail=decision.id)))

    kept = period_values([case(timedelta(minutes=10))], policy, MARCH, APRIL)
    late = period_values([case(timedelta(days=3))], policy, MARCH, APRIL)
    assert (kept["lifted"], kept["lifted.on-time"], kept["lifted.late"]) == (1, 1, 0)
    assert (late["lifted"], late["lifted.on-time"], late["lifted.late"]) == (1, 0, 1)
