"""The sweep's share of sanctions: retry lifts and applies, remind of open checklists, renew limits."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from app.github.errors import GitHubError
from app.sanctions import posts
from app.sanctions.apply import apply_approved
from app.sanctions.desk import STALE_AFTER, CannotApply, Desk, SanctionBusy
from app.sanctions.kinds import interaction_expiry
from app.sanctions.lift import lift_sanction
from app.service import casefile
from app.service.casefile import Identity
from app.store.ledger import Sanction

log = logging.getLogger("conduct.sanctions")
_OPEN_BOX = re.compile(r"^\s*[-*] \[ \]", re.MULTILINE)
RETRYABLE = (GitHubError, SanctionBusy, CannotApply)
RENEW_EARLY = timedelta(days=1)


async def sweep(desk: Desk, me: Identity) -> list[str]:
    """One pass; returns a line per thing done or still failing (decision ids and error classes only).
    A failure in one sanction does not stop the others: each is tried again on the next pass."""
    lines: list[str] = []
    for record in desk.store.due_sanctions(desk.now):
        lines.append(await _try(f"lift {record.decision_id}", lift_sanction(desk, record.decision_id)))
    for record in desk.store.unfinished_applies(desk.now - STALE_AFTER):
        lines.append(await _try(f"apply {record.decision_id}", _resume_apply(desk, me, record)))
    for record in desk.store.sanctions_in_state("applied", "lifted", kind="manual"):
        lines += await _remind(desk, record)
    for record in desk.store.sanctions_in_state("applied", kind="interaction_limit"):
        lines += await _renew(desk, record)
    return [line for line in lines if line]


async def _try(what: str, work) -> str:
    try:
        await work
    except RETRYABLE as error:
        return f"{what}: failed ({type(error).__name__}), retried next sweep"
    return f"{what}: done"


async def _resume_apply(desk: Desk, me: Identity, record: Sanction) -> None:
    """A ledger row exists only once the gate has passed, so a resumed apply does not need the run's
    review again; it re-reads the case for what the apply needs (the thread, the decision)."""
    file = await casefile.load(desk.github, desk.cases_repo, record.details["case_issue"], me)
    decision = file.case.decision(record.decision_id) if file else None
    if decision is None or decision.approved_at is None:
        raise CannotApply(f"{record.decision_id} is no longer an approved decision of its case")
    await apply_approved(desk, file, decision)


async def _remind(desk: Desk, record: Sanction) -> list[str]:
    field = "checklist" if record.state == "applied" else "lift_checklist"
    comment_id = record.details.get(field)
    if comment_id is None or record.details.get(f"{field}_done"):
        return []
    number = record.details["case_issue"]
    comments = await desk.github.list_comments(desk.cases_repo, number)
    checklist = next((c for c in comments if c.id == comment_id), None)
    if checklist is None:
        return [f"remind {record.decision_id}: the checklist comment is gone"]
    open_boxes = len(_OPEN_BOX.findall(checklist.body))
    if open_boxes == 0:
        desk.store.update_details(record.decision_id, desk.now, **{f"{field}_done": desk.now.isoformat()})
        return [f"remind {record.decision_id}: checklist complete"]
    # At most one reminder a day, whatever the sweep's schedule.
    key = f"sanction:{record.decision_id}:remind:{field}:{desk.now:%Y-%m-%d}"
    await posts.post_once(desk.github, desk.cases_repo, number, key, "sanction-reminder.md.j2",
                          {"decision": record.decision_id, "open": open_boxes, "url": checklist.html_url})
    return [f"remind {record.decision_id}: {open_boxes} open"]


async def _renew(desk: Desk, record: Sanction) -> list[str]:
    """GitHub's longest fitting expiry can end before the decision does; then the limit is set again."""
    until = record.details.get("limit_until")
    repo = record.details.get("repo")
    if not until or not repo or record.ends_at is None or record.ends_at <= desk.now:
        return []
    limit_ends = datetime.fromisoformat(until)
    # Renewed a day early, so the thread is never open between GitHub's expiry and the next sweep.
    if limit_ends >= record.ends_at or limit_ends - RENEW_EARLY > desk.now:
        return []
    expiry, span = interaction_expiry(record.ends_at - desk.now)
    try:
        await desk.github.set_interaction_limit(repo, "collaborators_only", expiry)
    except GitHubError as error:
        return [f"renew {record.decision_id}: failed ({type(error).__name__}), retried next sweep"]
    desk.store.update_details(record.decision_id, desk.now, limit_until=(desk.now + span).isoformat())
    return [f"renew {record.decision_id}: {expiry}"]
