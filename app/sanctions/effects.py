"""The executor's way in: the core's ApplySanction and LiftSanction effects, through the gate."""
from __future__ import annotations

import logging

from app.github.errors import GitHubError
from app.sanctions import decision_issue, gate, runs
from app.sanctions.apply import apply_approved
from app.sanctions.desk import CannotApply, Desk, SanctionBusy
from app.sanctions.lift import lift_sanction
from app.sanctions.reviews import environment_history
from app.service.casefile import CaseFile
from app.service.roles import RoleBook

log = logging.getLogger("conduct.sanctions")
DEFERRED = "left to the approval workflow"


async def apply_effect(desk: Desk, roles: RoleBook, file: CaseFile, decision_id: str) -> str:
    """Apply a decision the core has just approved, on whichever path the last approval came: the gate
    takes GitHub's evidence from both (the decision's own run's review history and the `/conduct sc
    approve` comments), as the approval job does. Short of it, the job is left to apply it."""
    sc_members = await roles.members("steering_council")
    asked = file.case.decision(decision_id)
    # The SC writes its commands on the decision's issue in the decisions repository (it cannot see the case).
    comments = await decision_issue.sc_comments(desk.github, desk.store, desk.policy, decision_id) if asked else ()
    history = await environment_history(desk.github, desk.policy, runs.run_of(desk.store, decision_id)) if asked else ()
    try:
        decision = gate.check(file.case, decision_id, desk.policy, sc_members,
                              environment=gate.environment_approvers(history),
                              commands=gate.command_approvers(comments, asked.requested_at) if asked else frozenset())
    except gate.NotApproved:
        log.info("apply deferred decision=%s", decision_id)
        return DEFERRED
    try:
        record = await apply_approved(desk, file, decision)
    except (GitHubError, CannotApply, SanctionBusy) as error:
        # The SC's approval is a fact the case keeps whatever GitHub does now: the failure is in the
        # ledger and on the case (one notice), and the sweep resumes the apply from there.
        return f"failed: {type(error).__name__}"
    return record.state


async def lift_effect(desk: Desk, decision_id: str) -> str:
    record = await lift_sanction(desk, decision_id)
    return "not applied" if record is None else record.state
