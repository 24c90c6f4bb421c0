"""Renders the transparency report as Markdown, JSON or HTML, and its chart as a hand-written SVG."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from app.core.case import Case
from app.core.policy import Policy
from app.core.report import OUTCOMES, Cell, Mark, Report, build_report, span_unit

FORMATS = ("md", "json", "html")
CHART_FILE = "report-chart.svg"
OUTCOME_LABELS = {"resolved": "resolved in mediation", "sanction": "sanction", "no-action": "no action",
                  "open": "still open"}
# Okabe-Ito colours: told apart with the common colour-vision deficiencies.
OUTCOME_COLOURS = {"resolved": "#009E73", "sanction": "#D55E00", "no-action": "#0072B2", "open": "#7F7F7F"}


# --- cells as words and as data ------------------------------------------------------------------------


def cell_text(cell: Cell, k: int, change: bool = False) -> str:
    if cell.mark is Mark.SMALL:
        return f"fewer than {k}"
    if cell.mark is Mark.HIDDEN:
        return "withheld"
    if cell.mark is Mark.WITHHELD:
        return "withheld" if change else f"withheld ({k} or more)"
    assert cell.value is not None
    return f"{cell.value:+d}" if change and cell.value else str(cell.value)


def cell_json(cell: Cell, k: int, change: bool = False) -> int | dict:
    if cell.mark is Mark.SMALL:
        return {"suppressed": True, "below": k}
    if cell.mark is Mark.HIDDEN:
        return {"suppressed": True}
    if cell.mark is Mark.WITHHELD:
        # A withheld change says nothing about its size; a withheld count is k or more (its label says so).
        return {"suppressed": True} if change else {"suppressed": True, "at_least": k}
    assert cell.value is not None
    return cell.value


def span_text(hours: int | None, k: int, change: bool = False) -> str:
    if hours is None:
        return "withheld" if change else f"not published (fewer than {k} cases)"
    value, unit = span_unit(hours)
    unit = unit[:-1] if abs(value) == 1 else unit
    return f"{value:+d} {unit}" if change and value else f"{value} {unit}"


def span_json(hours: int | None, k: int, change: bool = False) -> dict:
    if hours is None:
        return {"suppressed": True} if change else {"suppressed": True, "cases_below": k}
    value, unit = span_unit(hours)
    return {unit: value}


def _inclusive_end(report: Report) -> date:
    return report.end - timedelta(days=1)


def report_data(report: Report) -> dict:
    """The machine-readable report: every figure, the chart's cells, and the relations between them."""
    k = report.small_count
    return {
        "period": {"from": report.start.isoformat(), "until": report.end.isoformat(),
                   "previous_from": report.previous_start.isoformat()},
        "small_count": k,
        "figures": [{"id": r.id, "label": r.label, "part_of": r.id.split(".")[0] if r.level else None,
                     "current": cell_json(r.current, k), "previous": cell_json(r.previous, k),
                     "change": cell_json(r.change, k, change=True)} for r in report.rows],
        "medians": [{"id": m.id, "label": m.label, "current": span_json(m.current, k),
                     "previous": span_json(m.previous, k), "change": span_json(m.change, k, change=True)}
                    for m in report.medians],
        "chart": {"unit": "cases opened in the month, by where they stand at the end of the period",
                  "outcomes": {o: OUTCOME_LABELS[o] for o in OUTCOMES},
                  "months": {m: {o: cell_json(c, k) for o, c in cells.items()} for m, cells in report.chart.items()}},
        "relations": [{"name": rel.name, "terms": [[n, c] for n, c in rel.terms],
                       "holds": "sum == 0" if rel.equal else "sum <= 0"} for rel in report.relations],
    }


# --- the chart -----------------------------------------------------------------------------------------

_W, _H, _LEFT, _TOP, _BOTTOM, _RIGHT = 640, 340, 48, 56, 40, 16
_HATCH_LABELS = {Mark.SMALL: "&lt;{k}", Mark.WITHHELD: "&#8805;{k}", Mark.HIDDEN: "?"}
_MIN_HATCH_PX = 18  # a suppressed segment is always tall enough for its label


def _nice_ceiling(value: int) -> int:
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor * 4:
                return step * factor * 4
        step *= 10


def render_chart_svg(report: Report) -> str:
    """Stacked bars of cases per month by outcome. A suppressed cell is hatched at one fixed height,
    whatever its true value, and the scale is drawn from the drawn heights only, so nothing shows it."""
    k = report.small_count
    months = list(report.months)
    # Drawn units: a published cell its value, a suppressed one always k (labelled, hatched, not to scale).
    units = {m: [(o, c, c.value if c.published else k) for o, c in report.chart[m].items()] for m in months}
    tallest = max([sum(u for _, _, u in cells) for cells in units.values()] + [1])
    top = _nice_ceiling(tallest)
    plot_h, plot_w = _H - _TOP - _BOTTOM, _W - _LEFT - _RIGHT
    px = plot_h / top
    band = plot_w / max(len(months), 1)
    bar = min(64.0, band * 0.6)
    title = "Help requests per month, by where they stand at the end of the period"
    desc = " ".join(
        f"{m}: " + "; ".join(f"{OUTCOME_LABELS[o]} {cell_text(c, k)}" for o, c in report.chart[m].items()) + "."
        for m in months) + f" Hatched segments are suppressed (fewer than {k}, or withheld) and not drawn to scale."
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" '
           'role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="12">',
           f'<title id="chart-title">{escape(title)}</title>', f'<desc id="chart-desc">{escape(desc)}</desc>',
           '<defs>']
    for outcome, colour in OUTCOME_COLOURS.items():
        out.append(f'<pattern id="hatch-{outcome}" patternUnits="userSpaceOnUse" width="6" height="6" '
                   f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
                   f'<line x1="0" y1="0" x2="0" y2="6" stroke="{colour}" stroke-width="3"/></pattern>')
    out.append('</defs>')
    for i, outcome in enumerate(OUTCOMES):  # the legend
        x = _LEFT + i * 148
        out.append(f'<rect x="{x}" y="12" width="14" height="14" fill="{OUTCOME_COLOURS[outcome]}"/>'
                   f'<text x="{x + 20}" y="24">{escape(OUTCOME_LABELS[outcome])}</text>')
    out.append(f'<text x="{_LEFT}" y="44" fill="#333333">Hatched: suppressed, not to scale '
               f'(&lt;{k}: fewer than {k}; &#8805;{k}, ?: withheld)</text>')
    base = _TOP + plot_h
    for tick in (0, top // 2, top):  # the axis, from drawn heights only
        y = base - tick * px
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" stroke="#dddddd"/>'
                   f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for index, month in enumerate(months):
        x = _LEFT + band * index + (band - bar) / 2
        y = float(base)
        for outcome, cell, unit in units[month]:
            if cell.published and not cell.value:
                continue
            height = unit * px if cell.published else max(unit * px, _MIN_HATCH_PX)
            y -= height
            fill = OUTCOME_COLOURS[outcome] if cell.published else f"url(#hatch-{outcome})"
            label = str(cell.value) if cell.published else _HATCH_LABELS[cell.mark].format(k=k)
            tip = f"{month}, {OUTCOME_LABELS[outcome]}: {cell_text(cell, k)}"
            out.append(f'<g><title>{escape(tip)}</title><rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                       f'height="{height:.1f}" fill="{fill}" stroke="{OUTCOME_COLOURS[outcome]}" '
                       f'data-suppressed="{str(not cell.published).lower()}"/>')
            if height >= 14:
                colour = "#ffffff" if cell.published else "#000000"
                # On a hatch the label gets a white halo so it stays readable.
                weight = "" if cell.published else ' font-weight="bold" stroke="#ffffff" stroke-width="3" ' \
                    'paint-order="stroke"'
                out.append(f'<text x="{x + bar / 2:.1f}" y="{y + height / 2 + 4:.1f}" text-anchor="middle" '
                           f'fill="{colour}"{weight}>{label}</text>')
            out.append('</g>')
        out.append(f'<text x="{x + bar / 2:.1f}" y="{base + 18}" text-anchor="middle">{month}</text>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


# --- the formats ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # HTML escapes everything it is given; Markdown carries only our own labels and numbers.
    env = Environment(loader=PackageLoader("app.render", "templates"), undefined=StrictUndefined,
                      autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["cell"] = cell_text
    env.filters["span"] = span_text
    return env


def _context(report: Report, note: str = "") -> dict:
    return {"report": report, "note": note.strip(), "k": report.small_count, "until": _inclusive_end(report),
            "previous_until": report.start - timedelta(days=1), "outcomes": OUTCOMES,
            "outcome_labels": OUTCOME_LABELS, "chart_file": CHART_FILE}


def render(report: Report, fmt: str, note: str = "") -> str:
    """`note` is the mediators' own account of the period (the "state of things"), published as written."""
    if fmt == "json":
        return json.dumps({**report_data(report), **({"note": note.strip()} if note.strip() else {})},
                          indent=2) + "\n"
    if fmt == "md":
        return _environment().get_template("report.md.j2").render(**_context(report, note))
    if fmt == "html":
        svg = Markup(render_chart_svg(report))  # built here, every text in it escaped
        return _environment().get_template("report.html.j2").render(chart=svg, **_context(report, note))
    raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")


def render_report(cases: Sequence[Case], policy: Policy, start: date, end: date, fmt: str, note: str = "") -> str:
    """The report for [start, end) in `fmt` (md, json or html); with md, write render_chart_svg's output
    next to it as report-chart.svg."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    return render(build_report(cases, policy, start, end), fmt, note)


def render_report_chart(cases: Sequence[Case], policy: Policy, start: date, end: date) -> str:
    """The chart alone, for the report-chart.svg file that goes next to the Markdown report."""
    return render_chart_svg(build_report(cases, policy, start, end))
