"""Apply an approved decision through the GitHub port: by kind, once, and resumable after a failure."""
from __future__ import annotations

import logging

from app.core.case import Decision
from app.core.retention import action_retention
from app.core.threads import thread_of
from app.github.errors import Invalid, NotFound
from app.sanctions import posts
from app.sanctions.desk import CannotApply, Desk, SanctionBusy
from app.sanctions.kinds import Plan, interaction_expiry, plan_for
from app.service.casefile import CaseFile
from app.store.ledger import Sanction

log = logging.getLogger("conduct.sanctions")
DONE = ("applied", "lifting", "lifted")


async def apply_approved(desk: Desk, file: CaseFile, decision: Decision) -> Sanction:
    """Carry out `decision`, which the gate has passed. A second call finds it applied and does nothing;
    a call after a failure resumes where the ledger says it stopped, repeating no step's effect."""
    plan = plan_for(decision, desk.policy)
    store = desk.store
    record, created = store.begin_sanction(_record(file, decision, plan), desk.now)
    if record.state in DONE or (record.state == "failed" and record.failed_from != "applying"):
        return record
    if not created and not store.claim_sanction(decision.id, "applying", desk.now, desk.stale_before):
        raise SanctionBusy(f"{decision.id} is being applied by another run")
    try:
        details = await _STEPS[plan.kind](desk, file, decision, plan, store.get_sanction(decision.id))
        record = store.get_sanction(decision.id)
        await posts.post_once(desk.github, file.repo, file.number, f"sanction:{decision.id}:applied",
                              "sanction-applied.md.j2", {
                                  "decision": decision.id, "title": plan.title, "action": plan.action_id,
                                  "subject": decision.subject, "ends": plan.ends, "until": decision.ends_at,
                                  "teams": list(record.teams or ()), "restore": plan.restore,
                                  "removed_from_org": bool(record.was_member), "repo": None,
                                  "expiry": None, **details})
    except Exception as error:
        failed = store.fail_sanction(decision.id, type(error).__name__, desk.now)
        log.warning("apply failed decision=%s error=%s", decision.id, type(error).__name__)
        await posts.notice(desk, failed, file.number, "Applying", done=False)
        raise
    store.set_sanction_state(decision.id, "applied", desk.now, from_states=("applying",))
    log.info("applied decision=%s kind=%s", decision.id, plan.kind)
    record = store.get_sanction(decision.id)
    if record.details.get("notice:Applying") is not None:
        await posts.notice(desk, record, file.number, "Applying", done=True)
    return record


def _record(file: CaseFile, decision: Decision, plan: Plan) -> Sanction:
    return Sanction(
        decision_id=decision.id, case_code=file.case.code, action_id=plan.action_id, kind=plan.kind,
        subject=decision.subject, approved_by=decision.approved_by, starts_at=decision.approved_at,
        ends_at=decision.ends_at if plan.ends else None, review_at=None if plan.ends else decision.ends_at,
        details={"case_issue": file.number},
    )


async def _record_teams(desk: Desk, decision: Decision, record: Sanction) -> Sanction:
    """Note the person's teams (and membership) before anything takes them away; first record wins."""
    if record.teams is not None:
        return record
    login = decision.subject
    teams = await desk.github.user_teams(desk.org, login)
    member = await desk.github.is_org_member(desk.org, login)
    return desk.store.record_teams(decision.id, teams, member, desk.now)


async def _org_block(desk: Desk, file: CaseFile, decision: Decision, plan: Plan, record: Sanction) -> dict:
    gh, org, login = desk.github, desk.org, decision.subject
    await _record_teams(desk, decision, record)
    if "collaborators" not in desk.store.get_sanction(decision.id).details:
        # GitHub removes a blocked user as a collaborator on the organisation's repositories ("Blocking a
        # user from your organization"): the direct access is recorded first, so the path back restores it.
        desk.store.update_details(decision.id, desk.now, collaborators=await gh.direct_access(org, login))
    # GitHub refuses to block a member: they leave the organisation (and so every team) first.
    if await gh.is_org_member(org, login):
        await gh.remove_org_member(org, login)
    try:
        await gh.block_user(org, login)
    except Invalid:
        if not await gh.is_blocked(org, login):
            raise
    return {}


async def _team_removal(desk: Desk, file: CaseFile, decision: Decision, plan: Plan, record: Sanction) -> dict:
    record = await _record_teams(desk, decision, record)
    for team in record.teams or ():
        try:
            await desk.github.remove_team_member(desk.org, team, decision.subject)
        except NotFound:
            pass  # already out of the team (an earlier try, or by hand): the wanted end state holds
    return {}


async def _interaction_limit(desk: Desk, file: CaseFile, decision: Decision, plan: Plan,
                             record: Sanction) -> dict:
    target = thread_of(file.case.thread or "")
    if target is None:
        raise CannotApply(f"{file.case.code} links no public thread, so there is no repository to limit")
    repo = target[0]
    expiry, span = interaction_expiry(decision.duration)
    await desk.github.set_interaction_limit(repo, "collaborators_only", expiry)
    desk.store.update_details(decision.id, desk.now, repo=repo,
                              limit_until=(desk.now + span).isoformat())
    return {"repo": repo, "expiry": expiry.replace("_", " ")}


async def _warning(desk: Desk, file: CaseFile, decision: Decision, plan: Plan, record: Sanction) -> dict:
    await posts.post_once(desk.github, file.repo, file.number, f"sanction:{decision.id}:warning",
                          "sanction-warning.md.j2", {
                              "subject": decision.subject, "decision": decision.id,
                              "until": _on_record_until(desk, decision)})
    return {}


async def _educate(desk: Desk, file: CaseFile, decision: Decision, plan: Plan, record: Sanction) -> dict:
    await posts.post_once(desk.github, file.repo, file.number, f"sanction:{decision.id}:educate",
                          "sanction-educate.md.j2",
                          {"subject": decision.subject, "decision": decision.id,
                           "until": _on_record_until(desk, decision)})
    return {}


def _on_record_until(desk: Desk, decision: Decision):
    """The date the message promises: the action's retention from the day it was given, as the sweep
    forgets it (the same field, so the text and the code cannot disagree)."""
    return decision.approved_at + action_retention(desk.policy, decision.action)


async def _manual(desk: Desk, file: CaseFile, decision: Decision, plan: Plan, record: Sanction) -> dict:
    comment = await posts.post_once(desk.github, file.repo, file.number, f"sanction:{decision.id}:checklist",
                                    "sanction-manual.md.j2", {
                                        "decision": decision.id, "title": plan.title,
                                        "subject": decision.subject, "until": decision.ends_at})
    desk.store.update_details(decision.id, desk.now, checklist=comment.id)
    return {}


_STEPS = {
    "org_block": _org_block, "team_removal": _team_removal, "interaction_limit": _interaction_limit,
    "warning": _warning, "educate": _educate, "manual": _manual,
}
