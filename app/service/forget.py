"""Forgetting a case when its retention ends: a tombstone on GitHub, nothing left in the service."""
from __future__ import annotations

import json
import logging

from app.core.retention import due_to_forget, ended_at, tombstone
from app.core.state_block import encode
from app.github.errors import NotFound
from app.render import render
from app.service.casefile import CaseFile, record_state_comment
from app.service.context import Context
from app.service.once import remember

log = logging.getLogger("conduct.forget")


def poll_forgotten(store, poll_id: str) -> str | None:
    """When the poll's case was forgotten (its published result is then gone for good), or None."""
    return store.effect_result(f"poll-forgotten:{poll_id}")


async def forget_if_due(ctx: Context, file: CaseFile) -> bool:
    """Forget the case if its retention has ended; True if this call did (or finished) it.

    Every step can be repeated, and a pass that dies halfway is finished by the next one: the store is
    purged before the tombstone state is written, and the old comments (the old state among them, whose
    edit history GitHub keeps) are deleted after it, until `forgotten:CODE` records that all are gone."""
    case = file.case
    if case.forgotten_at is not None:
        if ctx.store.effect_result(f"forgotten:{case.code}"):
            return False
    elif not due_to_forget(case, ctx.policy, ctx.now):
        return False
    else:
        file = await _tombstone(ctx, file)
    for comment in await ctx.github.list_comments(file.repo, file.number):
        if comment.id != file.state_comment_id:
            await ctx.github.delete_comment(file.repo, comment.id)
    remember(ctx.store, f"forgotten:{case.code}", ctx.now.isoformat())
    log.info("case forgotten case=%s", case.code)
    return True


async def _tombstone(ctx: Context, file: CaseFile) -> CaseFile:
    case = file.case
    polls = [f"{case.code}/{n}" for n in range(1, case.polls + 1)]
    for poll_id in polls:
        posted = ctx.store.effect_result(f"discussion:{poll_id}")
        if posted and ctx.store.effect_result(f"poll-archived:{poll_id}") != "deleted":
            try:
                await ctx.github.delete_discussion(json.loads(posted)["id"])
            except NotFound:
                pass  # deleted by hand, or by an earlier pass
    dead = tombstone(case, ctx.now)
    body = render("tombstone.md.j2", {"code": case.code, "channel": case.channel, "opened": case.opened_at,
                                      "ended": ended_at(case), "outcome": dead.outcome, "forgotten": ctx.now})
    await ctx.github.update_issue(file.repo, file.number, body=body, state="closed", state_reason="completed")
    ctx.store.forget_case(case.code, polls)
    for poll_id in polls:
        remember(ctx.store, f"poll-forgotten:{poll_id}", ctx.now.isoformat())
    # A new comment, not an edit: the old state's edit history would keep every note and the summary.
    state = await ctx.github.create_comment(file.repo, file.number,
                                            encode(dead, render("state.md.j2", {"case": dead})),
                                            key=f"{case.code}:tombstone")
    record_state_comment(ctx.store, file.repo, file.number, state.id)
    return CaseFile(file.repo, file.number, dead, state.id)
