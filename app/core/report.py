"""The transparency report's figures, with small counts and what would reveal them suppressed. Pure."""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from app.core.case import Case, Entry
from app.core.policy import NO_ACTION, Policy
from app.core.stages import Stage

# Why the figures are suppressed the way they are (the heart of this module):
#
# 1. A count below `small_count` (k) could point at a person, so it is shown as "fewer than k".
#
# 2. Zero. A 0 on its own describes nobody, so it is published. But a 0 next to a suppressed figure
#    helps the reader count: "total fewer than 3 = form fewer than 3 + signal fewer than 3 + issue 0"
#    with zeros known to be published would tell the reader that form and signal are 1 each. So a 0
#    that shares an additive relation with a suppressed figure is itself shown as "fewer than k" (which
#    is true of it), and "fewer than k" always means "0 up to k-1" to the reader. With k <= 1 nothing is
#    suppressed: "fewer than 1" would mean exactly 0.
#
# 3. Complementary suppression. Published figures are tied together: channels add up to the total,
#    outcomes to the polls held, lifted on time + late to lifted, the chart's cells to the total, and the
#    chart (cases opened in the period, by where they stand at its end) can hold no more resolved,
#    sanctioned or "no action" cases than the period's events of that kind (inequalities). The change
#    against the previous period is current minus previous. We write these relations down (`relations`
#    below) and model what a reader knows exactly: published cells are fixed; "fewer than k" is 0..k-1;
#    a cell withheld to protect another is shown as "withheld (k or more)", so it is k..; a change is
#    any integer. A suppressed cell is safe when at least two integer values for it fit every relation
#    and bound; we prove that by finding a second solution (a witness), with an exact integer search
#    (bounds propagation and branching), not by the weaker "no relation has exactly one unknown" rule,
#    which misses combinations (x+y, x+z, y+z all known) and bounds (a published total of 4 split into
#    two "fewer than 3" parts: both must be 2). While any suppressed cell is determined we
#    withhold one more published cell next to it (the smallest, so the least is lost), and check again.
#    If everything tied to it is already suppressed and the bounds we disclose still pin it (k = 2:
#    "fewer than 2" + "fewer than 2" = "2 or more" means 1 + 1), the nearest one is shown as plain
#    "withheld", with no bound at all.
#
# 4. Each period is protected on its own (figures and its chart), so the previous period's cells are
#    suppressed exactly as they were in that period's own report, and two reports never disagree about
#    a cell. A change is published only when both its values are: then it tells nothing new.
#
# 5. Medians are published only over at least k cases, rounded to whole hours (whole days from 72h).
#
# Not covered, and said so in the report: overlapping periods (a quarter and two of its months) can
#    be subtracted from each other; reports should be published for a fixed grid of periods only.

CHANNELS = ("form", "issue", "signal")
RECORDS_ONLY = ("block",)  # cases that are records, not help requests
# Where an in-thread signal was written (a case from before venues were told apart was an issue comment).
VENUES = ("issue-comment", "review-comment", "review", "discussion-comment")
NO_DECISION = "no-decision"  # the same outcome name the decision core uses
OUTCOMES = ("resolved", "sanction", "no-action", "open")  # the chart's segments, bottom to top
SWEEP_GRACE = timedelta(hours=1)  # a lift counts as on time within one sweep interval of its end
POLL_CLOSINGS = ("poll-sanction", "poll-no-action", "poll-no-decision")


class Mark(StrEnum):
    PUBLISHED = "published"
    SMALL = "small"  # shown as "fewer than k": 0 .. k-1
    WITHHELD = "withheld"  # hidden to protect another cell: k or more (a change: any integer)
    HIDDEN = "hidden"  # hidden with no bound at all: only where the bounds above would pin a cell down


@dataclass(frozen=True)
class Relation:
    """sum(coefficient * cell) == 0 (equal) or <= 0: one thing a reader knows ties cells together."""

    name: str
    terms: tuple[tuple[str, int], ...]
    equal: bool = True


def _sum(name: str, whole: str, parts: Iterable[str]) -> Relation:
    return Relation(name, ((whole, -1), *((p, 1) for p in parts)))


def _at_most(name: str, parts: Iterable[str], bounds: Iterable[str]) -> Relation:
    return Relation(name, (*((p, 1) for p in parts), *((b, -1) for b in bounds)), equal=False)


# --- the period's figures ---------------------------------------------------------------------------


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _entries(case: Case, kinds: Sequence[str], start: datetime, end: datetime) -> list[Entry]:
    return [e for e in case.history if e.kind in kinds and start <= e.at < end]


def outcome_keys(policy: Policy, cases: Iterable[Case] = ()) -> list[str]:
    """Poll outcomes in severity order, then no action and no decision (plus any retired action seen)."""
    ids = [a.id for a in policy.actions_by_severity()]
    for case in cases:
        for entry in case.history:
            if entry.kind == "poll-sanction" and entry.detail.split()[-1] not in ids:
                ids.append(entry.detail.split()[-1])
    return [f"polls.{i}" for i in (*ids, NO_ACTION, NO_DECISION)]


def months(start: date, end: date) -> list[str]:
    """The calendar months [start, end) touches, as YYYY-MM: the chart's only dates."""
    found, day = [], date(start.year, start.month, 1)
    while day < end:
        found.append(f"{day.year:04d}-{day.month:02d}")
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return found


def chart_key(month: str, outcome: str) -> str:
    return f"chart.{month}.{outcome}"


def _stage_at(case: Case, end: datetime) -> Stage:
    stage = Stage.INTAKE
    for entry in case.history:
        if entry.at < end and entry.target is not None:
            stage = entry.target
    return stage


def standing(case: Case, end: datetime) -> str:
    """Where a case stands at the end of the period: one of OUTCOMES."""
    before = [e for e in case.history if e.at < end]
    if any(e.kind == "sc-approve" for e in before):
        return "sanction"
    stage = _stage_at(case, end)
    if stage in (Stage.RESOLVED, Stage.CLOSED):
        return "resolved"
    closings = [e.kind for e in before if e.kind in POLL_CLOSINGS]
    if closings and closings[-1] != "poll-sanction" and stage in (Stage.MEDIATION, Stage.HOLD):
        return "no-action"
    return "open"


def _lifted_on_time(case: Case, entry: Entry) -> bool:
    decision = case.decision(entry.detail)
    # An unknown end can never be shown as kept: count it as late rather than overstate.
    if decision is None or decision.ends_at is None:
        return False
    if decision.reviewed_not_ended:
        # Its date promised a review, not an end: kept if the review opened on time, whenever the SC lifted.
        opened = next((e.at for e in case.history if e.kind == "review-opened" and e.detail == decision.id), None)
        return opened is not None and opened <= decision.ends_at + SWEEP_GRACE
    return entry.at <= decision.ends_at + SWEEP_GRACE


def period_values(cases: Sequence[Case], policy: Policy, start: date, end: date) -> dict[str, int]:
    """Every count of the period [start, end), true values (never rendered as such), keyed by cell id."""
    s, e = _moment(start), _moment(end)
    # A block made by hand is put on record as a case, but nobody asked for help: it is not a request.
    opened = [c for c in cases if s <= c.opened_at < e and c.channel not in RECORDS_ONLY]
    values: dict[str, int] = {"received": len(opened)}
    for channel in CHANNELS:
        values[f"received.{channel}"] = sum(c.channel == channel for c in opened)
    unknown = {c.channel for c in opened} - set(CHANNELS)
    if unknown:
        raise ValueError(f"cases from unknown channels: {', '.join(sorted(unknown))}")
    for venue in VENUES:
        values[f"venue.{venue}"] = sum(c.channel == "signal" and (c.venue or VENUES[0]) == venue for c in opened)
    values["resolved"] = sum(bool(_entries(c, ("resolve",), s, e)) for c in cases)
    escalated = [c for c in cases if _entries(c, ("escalate",), s, e)]
    values["escalated"] = len(escalated)
    for criterion in policy.criteria.criteria:
        values[f"criterion.{criterion.id}"] = sum(
            c.summary is not None and any(criterion.id in p.criteria for p in c.summary.action_points)
            for c in escalated)
    keys = outcome_keys(policy, cases)
    counts = dict.fromkeys(keys, 0)
    for case in cases:
        for entry in _entries(case, POLL_CLOSINGS, s, e):
            outcome = {"poll-no-action": NO_ACTION, "poll-no-decision": NO_DECISION}.get(entry.kind)
            counts[f"polls.{outcome or entry.detail.split()[-1]}"] += 1
    values["polls"] = sum(counts.values())
    values.update(counts)
    values["sc-rejections"] = sum(len(_entries(c, ("sc-reject",), s, e)) for c in cases)
    values["sanctions"] = sum(len(_entries(c, ("sc-approve",), s, e)) for c in cases)
    lifts = [(c, entry) for c in cases for entry in _entries(c, ("lifted",), s, e)]
    values["lifted.on-time"] = sum(_lifted_on_time(c, entry) for c, entry in lifts)
    values["lifted.late"] = len(lifts) - values["lifted.on-time"]
    values["lifted"] = len(lifts)
    for month in months(start, end):
        for outcome in OUTCOMES:
            values[chart_key(month, outcome)] = 0
    for case in opened:
        values[chart_key(f"{case.opened_at:%Y-%m}", standing(case, e))] += 1
    return values


def relations(keys: Sequence[str]) -> list[Relation]:
    """The additive ties between one period's cells (see the module comment)."""
    outcomes = [k for k in keys if k.startswith("polls.")]
    chart = [k for k in keys if k.startswith("chart.")]

    def segment(name: str) -> list[str]:
        return [k for k in chart if k.endswith(f".{name}")]

    found = [
        _sum("channels add up to the requests received", "received", [f"received.{c}" for c in CHANNELS]),
        _sum("venues add up to the signals", "received.signal", [f"venue.{v}" for v in VENUES]),
        *(_at_most("each criterion is cited by cases escalated in the period", [k], ["escalated"])
          for k in keys if k.startswith("criterion.")),
        _sum("outcomes add up to the polls held", "polls", outcomes),
        _sum("on time and late add up to the sanctions lifted", "lifted", ["lifted.on-time", "lifted.late"]),
    ]
    if not chart:
        return found
    return [
        *found,
        _sum("the chart's cells add up to the requests received", "received", chart),
        _at_most("the chart's resolved cases were resolved in the period", segment("resolved"), ["resolved"]),
        _at_most("the chart's sanctioned cases had sanctions applied in the period", segment("sanction"),
                 ["sanctions"]),
        _at_most("the chart's no-action cases had such a poll in the period", segment("no-action"),
                 [f"polls.{NO_ACTION}", f"polls.{NO_DECISION}"]),
        _at_most("the chart's no-action cases were escalated in the period", segment("no-action"), ["escalated"]),
    ]


# --- the exact check: can a reader pin a suppressed cell down? -------------------------------------------


class _Search:
    """Integer solutions of the relations, given what a reader knows of each cell (see the comment above)."""

    def __init__(self, values: Mapping[str, int], marks: Mapping[str, Mark], rels: Sequence[Relation], k: int,
                 free: frozenset[str] = frozenset()):
        self.names = [n for n in values if marks[n] is not Mark.PUBLISHED]
        self.index = {n: i for i, n in enumerate(self.names)}
        # Any cap at or above the true values is sound: a second solution under a cap is a second solution.
        cap = max([k, *(abs(v) for v in values.values())]) + k
        self.lo, self.hi = [], []
        for name in self.names:
            if name in free:
                lo, hi = -cap, cap
            elif marks[name] is Mark.SMALL:
                lo, hi = 0, k - 1
            elif marks[name] is Mark.HIDDEN:
                lo, hi = 0, cap
            else:
                lo, hi = k, cap
            self.lo.append(lo)
            self.hi.append(hi)
        self.rows: list[tuple[tuple[tuple[int, int], ...], int]] = []  # sum(c * x) + const <= 0
        self.touching: dict[int, list[int]] = {i: [] for i in range(len(self.names))}
        for rel in rels:
            const = sum(c * values[n] for n, c in rel.terms if n not in self.index)
            terms = tuple((self.index[n], c) for n, c in rel.terms if n in self.index)
            rows = [(terms, const)] + ([(tuple((i, -c) for i, c in terms), -const)] if rel.equal else [])
            for row in rows:
                for i, _ in row[0]:
                    self.touching[i].append(len(self.rows))
                self.rows.append(row)
        self.truth = [values[n] for n in self.names]

    def component(self, start: int) -> set[int]:
        seen, todo = {start}, [start]
        while todo:
            for r in self.touching[todo.pop()]:
                for j, _ in self.rows[r][0]:
                    if j not in seen:
                        seen.add(j)
                        todo.append(j)
        return seen

    def _propagate(self, lo: list[int], hi: list[int], rows: list[int]) -> bool:
        changed = True
        while changed:
            changed = False
            for r in rows:
                terms, const = self.rows[r]
                least = const + sum(c * (lo[i] if c > 0 else hi[i]) for i, c in terms)
                if least > 0:
                    return False
                for i, c in terms:
                    slack = -(least - c * (lo[i] if c > 0 else hi[i]))
                    if c > 0:
                        bound = slack // c
                        if bound < hi[i]:
                            hi[i], changed = bound, True
                    else:
                        bound = -(slack // -c)
                        if bound > lo[i]:
                            lo[i], changed = bound, True
                    if lo[i] > hi[i]:
                        return False
        return True

    def _solve(self, lo: list[int], hi: list[int], rows: list[int], vars_: list[int]) -> list[int] | None:
        if not self._propagate(lo, hi, rows):
            return None
        open_ = [i for i in vars_ if lo[i] < hi[i]]
        if not open_:
            return lo
        pick = min(open_, key=lambda i: hi[i] - lo[i])
        mid = (lo[pick] + hi[pick]) // 2
        for low, high in ((lo[pick], mid), (mid + 1, hi[pick])):
            lo2, hi2 = list(lo), list(hi)
            lo2[pick], hi2[pick] = low, high
            found = self._solve(lo2, hi2, rows, vars_)
            if found is not None:
                return found
        return None

    def witness(self, name: str) -> dict[str, int] | None:
        """Another solution where `name` differs from its true value, or None if the reader can pin it."""
        x = self.index[name]
        group = sorted(self.component(x))
        rows = sorted({r for i in group for r in self.touching[i]})
        for low, high in ((self.lo[x], self.truth[x] - 1), (self.truth[x] + 1, self.hi[x])):
            if low > high:
                continue
            lo, hi = list(self.lo), list(self.hi)
            lo[x], hi[x] = low, high
            found = self._solve(lo, hi, rows, group)
            if found is not None:
                return {self.names[i]: found[i] for i in group}
        return None


def determined(values: Mapping[str, int], marks: Mapping[str, Mark], rels: Sequence[Relation], k: int,
               free: frozenset[str] = frozenset()) -> list[str]:
    """The suppressed cells a reader could still work out exactly (empty when the marks are safe)."""
    search = _Search(values, marks, rels, k, free)
    return [n for n in search.names if search.witness(n) is None]


def protect(values: Mapping[str, int], rels: Sequence[Relation], k: int) -> dict[str, Mark]:
    """Mark small cells, then withhold more until no suppressed cell can be worked out from the rest."""
    if k <= 1:
        return {n: Mark.PUBLISHED for n in values}
    marks = {n: Mark.SMALL if 0 < v < k else Mark.PUBLISHED for n, v in values.items()}
    neighbours: dict[str, list[str]] = {n: [] for n in values}
    for rel in rels:
        for n, _ in rel.terms:
            neighbours[n].extend(m for m, _ in rel.terms if m != n)
    while True:
        _hide_zeros(values, marks, rels)
        stuck = determined(values, marks, rels, k)
        if not stuck:
            return marks
        target = _complement(stuck[0], values, marks, neighbours, (Mark.PUBLISHED,))
        if target is not None:
            marks[target] = Mark.SMALL if values[target] < k else Mark.WITHHELD
            continue
        # Everything tied to it is suppressed, and still the bounds we disclose pin it down (with k = 2,
        # "fewer than 2" + "fewer than 2" = "2 or more" means 1 + 1): drop the bound of the nearest one.
        target = _complement(stuck[0], values, marks, neighbours, (Mark.WITHHELD, Mark.SMALL))
        if target is None:
            raise RuntimeError(f"{stuck[0]} cannot be protected")  # not reached: unbounded cells add freedom
        marks[target] = Mark.HIDDEN


def _hide_zeros(values: Mapping[str, int], marks: dict[str, Mark], rels: Sequence[Relation]) -> None:
    changed = True
    while changed:
        changed = False
        for rel in rels:
            names = [n for n, _ in rel.terms]
            if rel.equal and any(marks[n] is not Mark.PUBLISHED for n in names):
                for n in names:
                    if values[n] == 0 and marks[n] is Mark.PUBLISHED:
                        marks[n], changed = Mark.SMALL, True


def _complement(cell: str, values: Mapping[str, int], marks: Mapping[str, Mark],
                neighbours: Mapping[str, list[str]], among: tuple[Mark, ...]) -> str | None:
    """The cell to hide next: the smallest of the nearest ones tied to `cell` that are marked `among`."""
    seen, ring = {cell}, [cell]
    while ring:
        nearest = sorted({m for n in ring for m in neighbours[n]} - seen)
        found = [m for m in nearest if marks[m] in among]
        if found:
            return min(found, key=lambda m: (values[m], m))
        seen.update(nearest)
        ring = nearest
    return cell if marks[cell] in among else None


# --- medians -------------------------------------------------------------------------------------------


def _median_hours(spans: list[timedelta]) -> float:
    return statistics.median(s.total_seconds() for s in spans) / 3600


def median_spans(cases: Sequence[Case], start: date, end: date) -> dict[str, list[timedelta]]:
    """Time to first response (acknowledgements in the period) and to resolution (resolutions in it)."""
    s, e = _moment(start), _moment(end)
    first = [c.acknowledged_at - c.opened_at for c in cases
             if c.acknowledged_at is not None and s <= c.acknowledged_at < e]
    resolution = []
    for case in cases:
        found = _entries(case, ("resolve",), s, e)
        if found:
            resolution.append(found[0].at - case.opened_at)
    return {"first-response": first, "resolution": resolution}


def round_hours(hours: float) -> int:
    """Whole hours, half up (the same input always gives the same published figure)."""
    return math.floor(hours + 0.5)


def span_unit(hours: int) -> tuple[int, str]:
    """How a published span reads: whole hours, or whole days from 72 hours on (either sign)."""
    if abs(hours) >= 72:
        days = math.floor(abs(hours) / 24 + 0.5)
        return (days if hours >= 0 else -days), "days"
    return hours, "hours"


# --- the report ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One published cell: its value only when published."""

    mark: Mark
    value: int | None = None

    @property
    def published(self) -> bool:
        return self.mark is Mark.PUBLISHED


@dataclass(frozen=True)
class Row:
    id: str
    label: str
    current: Cell
    previous: Cell
    change: Cell
    level: int = 0  # 1: a part of the row above it


@dataclass(frozen=True)
class Median:
    id: str
    label: str
    current: int | None  # whole hours, or None when over fewer than k cases
    previous: int | None
    change: int | None


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    previous_start: date
    small_count: int
    rows: tuple[Row, ...]
    medians: tuple[Median, ...]
    months: tuple[str, ...]
    chart: Mapping[str, Mapping[str, Cell]]  # month -> outcome -> cell
    relations: tuple[Relation, ...]  # between cells named "current.X", "previous.X", "change.X"


_LABELS = {
    "received": "Help requests received",
    "received.form": "through the private form",
    "received.issue": "through the public issue form",
    "received.signal": "by a signal in a thread",
    "venue.issue-comment": "in an issue or pull request conversation",
    "venue.review-comment": "in an inline review comment",
    "venue.review": "in a review's body",
    "venue.discussion-comment": "in a discussion comment",
    "resolved": "Cases resolved in mediation",
    "escalated": "Cases escalated to a poll",
    "polls": "Polls held (closed in the period)",
    f"polls.{NO_ACTION}": "outcome: no action",
    f"polls.{NO_DECISION}": "outcome: no decision (no quorum)",
    "sc-rejections": "Decisions the Steering Council rejected",
    "sanctions": "Sanctions applied (including urgent temporary bans)",
    "lifted": "Sanctions lifted",
    "lifted.on-time": "on time",
    "lifted.late": "late",
}
MEDIAN_LABELS = {"first-response": "Median time to first response",
                 "resolution": "Median time to resolution in mediation"}


def figure_order(policy: Policy, cases: Sequence[Case]) -> list[str]:
    return ["received", *(f"received.{c}" for c in CHANNELS), *(f"venue.{v}" for v in VENUES), "resolved",
            "escalated", *(f"criterion.{c.id}" for c in policy.criteria.criteria), "polls",
            *outcome_keys(policy, cases), "sc-rejections", "sanctions", "lifted", "lifted.on-time", "lifted.late"]


def _label(policy: Policy, key: str) -> str:
    if key in _LABELS:
        return _LABELS[key]
    if key.startswith("criterion."):
        criterion = key.removeprefix("criterion.")
        title = policy.criterion(criterion).title if policy.has_criterion(criterion) else criterion
        return f"citing: {title}"
    action = key.removeprefix("polls.")
    return f"outcome: {policy.action(action).title}" if policy.has_action(action) else f"outcome: {action}"


def _cell(value: int, mark: Mark) -> Cell:
    return Cell(mark, value if mark is Mark.PUBLISHED else None)


def _median(spans: list[timedelta], k: int) -> int | None:
    return round_hours(_median_hours(spans)) if spans and len(spans) >= max(k, 1) else None


def grid_problem(start: date, end: date, period: str) -> str | None:
    """Why [start, end) is not one period of the policy's grid, or None if it is. Published reports keep to
    the grid: reports for overlapping periods could be subtracted from each other (see the module comment)."""
    months_long = {"year": 12, "quarter": 3, "month": 1}[period]
    if start.day != 1 or (start.month - 1) % months_long:
        return f"the policy's reports are by {period}: a period starts on the first day of a {period}"
    months_after = start.month - 1 + months_long
    wanted = date(start.year + months_after // 12, months_after % 12 + 1, 1)
    if end != wanted:
        return f"the policy's reports are by {period}: this one would end on {wanted} (the day after the last)"
    return None


def last_period(today: date, period: str) -> tuple[date, date]:
    """The last whole period of the grid that has ended by `today`: [start, end)."""
    months_long = {"year": 12, "quarter": 3, "month": 1}[period]
    index = (today.year * 12 + today.month - 1) // months_long * months_long - months_long
    start = date(index // 12, index % 12 + 1, 1)
    after = index + months_long
    return start, date(after // 12, after % 12 + 1, 1)


def build_report(cases: Sequence[Case], policy: Policy, start: date, end: date) -> Report:
    """The whole report for [start, end) and the period of equal length before it, suppressed."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    k = policy.process.report.small_count
    previous_start = start - (end - start)
    periods = {}
    for name, (a, b) in {"current": (start, end), "previous": (previous_start, start)}.items():
        values = period_values(cases, policy, a, b)
        periods[name] = (values, protect(values, relations(list(values)), k))
    (now, now_marks), (then, then_marks) = periods["current"], periods["previous"]
    rows = []
    for key in figure_order(policy, cases):
        both = now_marks[key] is Mark.PUBLISHED and then_marks[key] is Mark.PUBLISHED
        change = Cell(Mark.PUBLISHED, now[key] - then[key]) if both else Cell(Mark.WITHHELD)
        rows.append(Row(key, _label(policy, key), _cell(now[key], now_marks[key]),
                        _cell(then[key], then_marks[key]), change, level=int("." in key)))
    spans_now, spans_then = median_spans(cases, start, end), median_spans(cases, previous_start, start)
    medians = []
    for key, label in MEDIAN_LABELS.items():
        current, previous = _median(spans_now[key], k), _median(spans_then[key], k)
        change = current - previous if current is not None and previous is not None else None
        medians.append(Median(key, label, current, previous, change))
    chart = {m: {o: _cell(now[chart_key(m, o)], now_marks[chart_key(m, o)]) for o in OUTCOMES}
             for m in months(start, end)}
    return Report(start, end, previous_start, k, tuple(rows), tuple(medians), tuple(months(start, end)), chart,
                  tuple(report_relations(list(now), rows)))


def report_relations(current_keys: Sequence[str], rows: Sequence[Row]) -> list[Relation]:
    """Every relation a reader of the whole report can use: both periods' own, and each change."""
    found = []
    for period in ("current", "previous"):
        keys = current_keys if period == "current" else [r.id for r in rows]
        # The previous period's chart is in its own report, not in this one.
        for rel in relations(keys):
            found.append(Relation(f"{period}: {rel.name}", tuple((f"{period}.{n}", c) for n, c in rel.terms),
                                  rel.equal))
    for row in rows:
        found.append(Relation(f"change: {row.id}", ((f"change.{row.id}", -1), (f"current.{row.id}", 1),
                                                    (f"previous.{row.id}", -1))))
    return found
