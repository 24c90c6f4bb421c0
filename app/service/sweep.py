"""`conduct sweep`: many small jobs, lifts first, then due polls, then one job per case; none waits on another."""
from __future__ import annotations

import hashlib
import json
import logging
from functools import partial

from app.core.events import PollClosed, Tick
from app.core.stages import Stage
from app.polls.closing import close_due_polls
from app.render import render
from app.sanctions.desk import Desk
from app.sanctions.sweep import units as sanction_units
from app.service import casefile, caseindex, outbox
from app.service.context import Context
from app.service.executor import finish_close
from app.service.forget import forget_if_due
from app.service.once import Busy, remember
from app.service.polling import Apply, archive_when_cool, publish, remind_voters
from app.service.units import CASE, CHORE, POLL, Unit, busy, failed, run_units

log = logging.getLogger("conduct.sweep")


async def sweep(ctx: Context, apply: Apply) -> dict[str, int]:
    """One pass. Each job is keyed, so two sweeps at once, or a sweep after one that died, change nothing
    twice; a job that fails is reported on its case and runs again on the next pass, and the others go on."""
    counts = {"closed": 0, "published": 0, "ticked": 0, "archived": 0, "sanctions": 0}
    desk = Desk(ctx.github, ctx.store, ctx.policy, ctx.now)
    jobs = sanction_units(desk, ctx.me)
    jobs.append(Unit("close due polls", POLL, partial(_close_polls, ctx, counts)))
    jobs.append(Unit("remind voters", POLL, partial(remind_voters, ctx)))
    lines = await run_units(jobs, partial(_report, ctx))
    # What was done: a unit that failed or was busy says so on its line, and did nothing this pass.
    counts["sanctions"] = sum(1 for line in lines if line.startswith(("lift ", "apply ", "remind ", "renew "))
                              and not failed(line) and not busy(line))
    # The cases' jobs come after the polls closed above, so a poll due now is published in this pass.
    issues = await case_issues(ctx)
    cases = [Unit(f"case #{number}", CASE, partial(_case, ctx, apply, counts, number, state), number)
             for number, state in issues]
    # Forgetting is its own job per case, after every case's timers: a case that cannot be forgotten yet
    # (GitHub refused a deletion) delays nothing else, and is finished on the next pass.
    cases += [Unit(f"forget case #{number}", CHORE, partial(_forget, ctx, counts, number), number)
              for number, _state in issues]
    lines += await run_units(cases, partial(_report, ctx))
    if ctx.notices is not None:
        # E-mails a mail server turned away for now: each is tried again, up to a limit (app/notices).
        counts["notices"] = sum((await ctx.notices.retry()).values())
    failures = sum(1 for line in lines if failed(line))
    if failures:
        counts["failed"] = failures
    held = sum(1 for line in lines if busy(line))
    if held:
        counts["busy"] = held
    return counts


async def case_issues(ctx: Context) -> list[tuple[int, str]]:
    """The case issues that may need work now, with their GitHub state ("open" or "closed"): from the case
    index, re-checked against GitHub's open issues, so a pass with nothing due costs the same few requests
    however many cases were ever filed. Closed ones too, when a state says closed but its issue is open, a
    closed poll's discussion is due for archiving, or a case for forgetting."""
    return await caseindex.cases_to_visit(ctx)


async def _close_polls(ctx: Context, counts: dict[str, int]) -> None:
    for closed in close_due_polls(ctx.store, ctx.now):
        counts["closed"] += 1
        remember(ctx.store, f"poll-result:{closed.poll_id}", closed.result_json)


async def _case(ctx: Context, apply: Apply, counts: dict[str, int], number: int, issue_state: str) -> None:
    """One case: publish its closed poll, archive cooled-off discussions, let its timers fire, and finish
    a close whose GitHub step failed. Each step re-reads what it needs, so a rerun picks up where it stopped."""
    file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, number, ctx.me)
    if file is None:
        return
    # Effects a crash or a failed call left after the state was saved come first, whatever the stage.
    await outbox.carry_out(ctx, file)
    poll_id = file.case.current_poll
    result_json = ctx.store.effect_result(f"poll-result:{poll_id}") if poll_id else None
    if file.case.stage is Stage.POLLING and result_json:
        await publish(ctx, poll_id, result_json)
        result = json.loads(result_json)
        event = PollClosed(f"poll-closed:{poll_id}", poll_id, result["outcome"], dict(result["totals"]))
        file = await apply(ctx, file, event)
        counts["published"] += 1
    for poll in range(1, file.case.polls + 1):
        counts["archived"] += await archive_when_cool(ctx, f"{file.case.code}/{poll}")
    if file.case.forgotten_at is not None:
        return
    # A thread the case locked is unlocked on time even after the case closed: the time-out is a promise.
    locked = any(lock.unlocked_at is None for lock in file.case.locks)
    if file.case.stage is Stage.CLOSED:
        if issue_state == "open":
            await finish_close(ctx.github, file)
        if not locked:
            return
    if issue_state == "open" or locked:
        await apply(ctx, file, Tick(f"tick:{ctx.now.isoformat(timespec='minutes')}"))
        counts["ticked"] += 1


async def _forget(ctx: Context, counts: dict[str, int], number: int) -> None:
    """Forget the case if its retention has ended (or finish a forgetting a pass left halfway)."""
    file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, number, ctx.me)
    if file is not None and await forget_if_due(ctx, file):
        counts["forgotten"] = counts.get("forgotten", 0) + 1


async def _report(ctx: Context, unit: Unit, error: Exception) -> None:
    """Say on the case that one of its jobs failed and is retried: once a day at most, by class name."""
    if unit.case_issue is None or isinstance(error, Busy):
        return  # not the case's job, or another worker is on it right now: nothing failed
    job = hashlib.sha256(unit.what.encode()).hexdigest()[:12]  # a marker key allows no spaces
    key = f"sweep-failed:{unit.case_issue}:{job}:{ctx.now:%Y-%m-%d}"
    if ctx.store.effect_result(key):
        return
    body = render("sweep-failed.md.j2", {"what": unit.what, "error": type(error).__name__})
    await ctx.github.create_comment(ctx.cases_repo, unit.case_issue, body, key=key)
    remember(ctx.store, key, "posted")
