"""How long the report takes for a year of cases: building (with suppression) and rendering each format."""
from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_report import PATHS, make_case  # noqa: E402

from app.core.report import build_report  # noqa: E402
from app.render.report import render, render_chart_svg  # noqa: E402
from app.wiring.policy_files import load_policy  # noqa: E402


def main(count: int = 400) -> None:
    policy = load_policy(ROOT / "policy")
    rng = random.Random(7)
    first = datetime(2025, 1, 1, tzinfo=UTC)
    made = time.perf_counter()
    cases = [make_case(policy, i, rng.choice(("form", "issue", "signal")), rng.choice(PATHS),
                       first + timedelta(hours=rng.randrange(24 * 730)), timedelta(hours=rng.randrange(1, 200)))
             for i in range(count)]
    print(f"{count} cases made through the core in {time.perf_counter() - made:.2f}s")
    for start, end, what in ((date(2026, 3, 1), date(2026, 4, 1), "a month"),
                             (date(2026, 1, 1), date(2027, 1, 1), "a year (12 chart months)")):
        began = time.perf_counter()
        report = build_report(cases, policy, start, end)
        built = time.perf_counter() - began
        began = time.perf_counter()
        for fmt in ("md", "json", "html"):
            render(report, fmt)
        render_chart_svg(report)
        suppressed = sum(not c.published for r in report.rows for c in (r.current, r.previous))
        print(f"{what}: built in {built * 1000:.1f} ms, rendered all formats in "
              f"{(time.perf_counter() - began) * 1000:.1f} ms; {suppressed} figure cells suppressed")
    small = [make_case(policy, i, rng.choice(("form", "issue", "signal")), rng.choice(PATHS),
                       datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(24 * 30)),
                       timedelta(hours=rng.randrange(1, 200))) for i in range(12)]
    began = time.perf_counter()
    for _ in range(20):
        build_report(small, policy, date(2026, 3, 1), date(2026, 4, 1))
    print(f"a small month (12 cases, much suppression): {(time.perf_counter() - began) / 20 * 1000:.1f} ms per report")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
