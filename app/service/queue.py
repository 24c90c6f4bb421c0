"""The mediators' queue (open cases, soonest deadline first) and the operator's view of the service's health."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.deadlines import next_deadline
from app.core.stages import Stage
from app.render import when
from app.service.caseindex import all_cases
from app.service.context import Context


@dataclass(frozen=True)
class Row:
    code: str
    stage: str
    assignees: tuple[str, ...]
    deadline: datetime | None
    what: str


async def open_cases(ctx: Context) -> list[Row]:
    """Every case not closed, soonest deadline first (cases without one last)."""
    rows = []
    for case in await all_cases(ctx.github, ctx.store, ctx.cases_repo, ctx.me):
        if case.stage is Stage.CLOSED:
            continue
        poll = ctx.store.get_poll(case.current_poll) if case.current_poll else None
        found = next_deadline(case, ctx.policy, poll.deadline if poll else None)
        rows.append(Row(case.code, case.stage.value, case.mediators, *(found or (None, ""))))
    return sorted(rows, key=lambda r: (r.deadline is None, r.deadline or ctx.now, r.code))


def _in(deadline: datetime, now: datetime) -> str:
    hours = (deadline - now).total_seconds() / 3600
    span = f"{abs(hours):.0f}h" if abs(hours) < 48 else f"{abs(hours) / 24:.0f}d"
    return f"overdue by {span}" if hours < 0 else f"in {span}"


def render_queue(rows: list[Row], now: datetime) -> str:
    if not rows:
        return "no open cases"
    lines = [f"{'case':<14} {'stage':<18} {'assignees':<28} next deadline"]
    for r in rows:
        who = ", ".join(r.assignees) or "(nobody yet)"
        due = f"{when(r.deadline)} {r.what} ({_in(r.deadline, now)})" if r.deadline else "none"
        lines.append(f"{r.code:<14} {r.stage:<18} {who:<28} {due}")
    return "\n".join(lines)


async def next_sweep(ctx: Context) -> dict[str, int]:
    """What a sweep run now would do, read without changing anything."""
    cases = await open_cases(ctx)
    return {"polls to close": len(ctx.store.due_polls(ctx.now)),
            "sanctions to lift": len(ctx.store.due_sanctions(ctx.now)),
            "case deadlines passed": sum(1 for r in cases if r.deadline is not None and r.deadline <= ctx.now),
            "notices to retry": ctx.store.notice_counts()["waiting"]}


def render_status(store, work: dict[str, int], now: datetime) -> str:
    deliveries = store.delivery_counts(now)
    notices = store.notice_counts()
    return "\n".join([
        "deliveries: " + ", ".join(f"{name} {count}" for name, count in deliveries.items()),
        "notices: " + ", ".join(f"{name} {count}" for name, count in notices.items()),
        "next sweep: " + ", ".join(f"{name} {count}" for name, count in work.items()),
    ])
