"""The sweep's small jobs: each runs on its own, and a failure in one is counted and reported, never spread."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.service.once import Busy

log = logging.getLogger("conduct.sweep")
BUSY = "busy (another worker holds a step), taken up again after its lease"

# Lower runs first. A lift frees a person, so nothing may delay it; a poll's close and a case's timers
# come after, and each case is its own job.
LIFT, APPLY, POLL, CASE, CHORE = range(5)


@dataclass(frozen=True)
class Unit:
    """One job: `what` names it in the sweep's output (ids and code names only, never case text)."""

    what: str
    priority: int
    run: Callable[[], Awaitable[str | list[str] | None]]  # the lines to show for what it did, if anything
    case_issue: int | None = None  # the case to report a failure on, if the job belongs to one


Report = Callable[[Unit, Exception], Awaitable[None]]


def failed(line: str) -> bool:
    """Whether a line run_units gave says its unit failed (and did nothing this pass)."""
    return ": failed (" in line


def busy(line: str) -> bool:
    """Whether a line run_units gave says its unit was held by another worker (and did nothing this pass)."""
    return line.endswith(f": {BUSY}")


async def run_units(units: list[Unit], report: Report | None = None) -> list[str]:
    """Run every unit, lowest priority first; return the lines they gave, and one per failed unit.

    An exception in one unit is caught here, so the next unit runs regardless; the failing unit runs
    again on the next sweep, since every unit starts from what the store and GitHub say now."""
    lines = []
    for unit in sorted(units, key=lambda u: u.priority):
        try:
            done = await unit.run()
        except Busy:
            # Another worker holds one of its steps: done within its lease if that worker lives, taken over
            # once the claim goes stale if it died. Nothing failed; the sweep is run again for it (sweep_job).
            log.info("sweep unit busy unit=%s", unit.what)
            lines.append(f"{unit.what}: {BUSY}")
            continue
        except Exception as error:  # noqa: BLE001 - one job's failure must not stop the others
            log.warning("sweep unit failed unit=%s error=%s", unit.what, type(error).__name__)
            lines.append(f"{unit.what}: failed ({type(error).__name__}), retried next sweep")
            if report is not None:
                try:
                    await report(unit, error)
                except Exception as again:  # noqa: BLE001 - GitHub failing is most likely why the unit failed
                    log.warning("sweep failure not reported unit=%s error=%s", unit.what, type(again).__name__)
            continue
        did = [done] if isinstance(done, str) else list(done or ())
        for line in did:
            log.info("sweep action %s", line)  # the units' lines name ids and code names only
        lines += did
    return lines
