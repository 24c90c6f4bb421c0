"""The sweep's share of sanctions, as separate jobs: lifts, resumed applies, checklist reminders, limit renewals."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from functools import partial

from app.sanctions import posts
from app.sanctions.apply import apply_approved
from app.sanctions.desk import CannotApply, Desk
from app.sanctions.kinds import interaction_expiry
from app.sanctions.lift import lift_sanction
from app.service import casefile
from app.service.casefile import Identity
from app.service.units import APPLY, CHORE, LIFT, Unit, run_units
from app.store.ledger import Sanction

log = logging.getLogger("conduct.sanctions")
_OPEN_BOX = re.compile(r"^\s*[-*] \[ \]", re.MULTILINE)
RENEW_EARLY = timedelta(days=1)


def units(desk: Desk, me: Identity) -> list[Unit]:
    """The sanctions' jobs, each on its own: lifts first (nothing may delay freeing a person), then
    applies that failed halfway, checklist reminders and limit renewals."""
    jobs = [Unit(f"lift {r.decision_id}", LIFT, partial(_lift, desk, r.decision_id), r.details.get("case_issue"))
            for r in desk.store.due_sanctions(desk.now)]
    jobs += [Unit(f"apply {r.decision_id}", APPLY, partial(_resume_apply, desk, me, r), r.details.get("case_issue"))
             for r in desk.store.unfinished_applies(desk.stale_before)]
    jobs += [Unit(f"remind {r.decision_id}", CHORE, partial(_remind, desk, r), r.details.get("case_issue"))
             for r in desk.store.sanctions_in_state("applied", "lifted", kind="manual")]
    jobs += [Unit(f"renew {r.decision_id}", LIFT, partial(_renew, desk, r), r.details.get("case_issue"))
             for r in desk.store.sanctions_in_state("applied", kind="interaction_limit")]
    return jobs


async def sweep(desk: Desk, me: Identity) -> list[str]:
    """One pass over the sanctions alone; returns a line per thing done or still failing (decision ids
    and error classes only). A failure in one sanction does not stop the others: each is tried again on
    the next pass. (The lifts, applies and notices report their own failures on the case.)"""
    return await run_units(units(desk, me))


async def _lift(desk: Desk, decision_id: str) -> str:
    await lift_sanction(desk, decision_id)
    return f"lift {decision_id}: done"


async def _resume_apply(desk: Desk, me: Identity, record: Sanction) -> str:
    """A ledger row exists only once the gate has passed, so a resumed apply does not need the run's
    review again; it re-reads the case for what the apply needs (the thread, the decision)."""
    file = await casefile.load(desk.github, desk.store, desk.cases_repo, record.details["case_issue"], me)
    decision = file.case.decision(record.decision_id) if file else None
    if decision is None or decision.approved_at is None:
        raise CannotApply(f"{record.decision_id} is no longer an approved decision of its case")
    await apply_approved(desk, file, decision)
    return f"apply {record.decision_id}: done"


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
    await desk.github.set_interaction_limit(repo, "collaborators_only", expiry)
    desk.store.update_details(record.decision_id, desk.now, limit_until=(desk.now + span).isoformat())
    return [f"renew {record.decision_id}: {expiry}"]
