"""The path back: lift a sanction whose time has come, restore what it took, and say what is left to do."""
from __future__ import annotations

import logging

from app.core.decide import URGENT_BAN
from app.github.errors import NotFound
from app.sanctions import posts
from app.sanctions.desk import Desk, SanctionBusy
from app.store.ledger import Sanction

log = logging.getLogger("conduct.sanctions")
# Kinds that take teams away: while one of them is in force, no other sanction's lift gives teams back.
TEAM_KINDS = ("org_block", "team_removal")


async def lift_sanction(desk: Desk, decision_id: str) -> Sanction | None:
    """Lift once; None if the decision was never applied. A failure is recorded, shown on the case in
    one comment that is updated (not repeated), and raised, so the next sweep tries again."""
    store = desk.store
    record = store.get_sanction(decision_id)
    if record is None or record.state == "lifted":
        return record
    if not store.claim_sanction(decision_id, "lifting", desk.now, desk.stale_before):
        raise SanctionBusy(f"{decision_id} is being applied or lifted by another run")
    record = store.get_sanction(decision_id)
    number = record.details["case_issue"]
    try:
        facts = await _UNDO[record.kind](desk, record, _restores(desk, record))
        await posts.post_once(desk.github, desk.cases_repo, number, f"sanction:{decision_id}:lifted",
                              "sanction-lifted.md.j2", _lifted_context(record, facts))
    except Exception as error:
        record = store.fail_sanction(decision_id, type(error).__name__, desk.now)
        log.warning("lift failed decision=%s error=%s attempts=%s", decision_id, type(error).__name__,
                    record.attempts)
        await posts.notice(desk, record, number, "Lifting", done=False)
        raise
    if facts.get("reinvite"):
        store.update_details(decision_id, desk.now, reinvite=True)  # the mediators must re-invite them
    store.set_sanction_state(decision_id, "lifted", desk.now, from_states=("lifting",))
    if record.details.get("notice:Lifting") is not None:
        await posts.notice(desk, store.get_sanction(decision_id), number, "Lifting", done=True)
    log.info("lifted decision=%s kind=%s", decision_id, record.kind)
    return store.get_sanction(decision_id)


def _restores(desk: Desk, record: Sanction) -> bool:
    if record.action_id == URGENT_BAN:
        return True
    if not desk.policy.has_action(record.action_id):
        return False  # the action left the policy since: restoring is for the mediators to decide
    return desk.policy.action(record.action_id).restore


def _in_force(desk: Desk, record: Sanction, kinds: tuple[str, ...]) -> Sanction | None:
    """Another sanction on the same person, of one of `kinds`, that is still in force."""
    for other in desk.store.active_sanctions(record.subject):
        if other.decision_id == record.decision_id or other.kind not in kinds:
            continue
        if other.state in ("applying", "applied") and (other.ends_at is None or other.ends_at > desk.now):
            return other
    return None


async def _give_back_teams(desk: Desk, record: Sanction, restore: bool) -> dict:
    teams = list(record.teams or ())
    successor = _in_force(desk, record, TEAM_KINDS)
    if successor is not None:
        if teams or record.was_member:
            desk.store.merge_teams(successor.decision_id, teams, bool(record.was_member), desk.now)
        return {"handed_to": successor.decision_id}
    if not restore:
        return {"not_restored": teams, "reinvite": bool(record.was_member)}
    for team in teams:
        # For someone who had to leave the org, GitHub turns this into an invitation (pending until accepted).
        await desk.github.add_team_member(desk.org, team, record.subject)
    return {"restored": teams, "invited": bool(record.was_member) and bool(teams),
            "reinvite": bool(record.was_member) and not teams}


async def _org_block(desk: Desk, record: Sanction, restore: bool) -> dict:
    still = _in_force(desk, record, ("org_block",))
    if still is not None:
        await _give_back_teams(desk, record, restore)
        _hand_over_access(desk, record, still)
        return {"still_blocked": still.decision_id}
    try:
        await desk.github.unblock_user(desk.org, record.subject)
    except NotFound:
        pass  # not blocked (unblocked by hand, or never got that far): the wanted end state holds
    return {"unblocked": True, **await _give_back_teams(desk, record, restore),
            **await _give_back_access(desk, record, restore)}


def _hand_over_access(desk: Desk, record: Sanction, successor: Sanction) -> None:
    """The collaborator access this block took away goes to the block still in force, to be given back when
    that one ends (its own record found none: the person was already blocked when it was applied)."""
    recorded = dict(record.details.get("collaborators") or {})
    if recorded:
        theirs = dict(successor.details.get("collaborators") or {})
        desk.store.update_details(successor.decision_id, desk.now, collaborators={**recorded, **theirs})


async def _give_back_access(desk: Desk, record: Sanction, restore: bool) -> dict:
    """Direct collaborator access the block took away, given back where the action restores; for someone
    outside the organisation GitHub makes it an invitation they accept."""
    recorded = dict(record.details.get("collaborators") or {})
    if not recorded:
        return {}
    if not restore:
        return {"access_not_restored": sorted(recorded)}
    invited = []
    for repo, permission in sorted(recorded.items()):
        if not await desk.github.grant_direct_access(repo, record.subject, permission):
            invited.append(repo)
    return {"access_restored": sorted(recorded), "access_invited": invited}


async def _team_removal(desk: Desk, record: Sanction, restore: bool) -> dict:
    return await _give_back_teams(desk, record, restore)


async def _interaction_limit(desk: Desk, record: Sanction, restore: bool) -> dict:
    repo = record.details.get("repo")
    if repo is None:
        return {}  # the apply never got as far as setting a limit
    try:
        await desk.github.remove_interaction_limit(repo)
    except NotFound:
        pass
    return {"limit_removed": repo}


async def _manual(desk: Desk, record: Sanction, restore: bool) -> dict:
    comment = await posts.post_once(desk.github, desk.cases_repo, record.details["case_issue"],
                                    f"sanction:{record.decision_id}:lift-checklist", "sanction-lift-manual.md.j2",
                                    {"decision": record.decision_id, "subject": record.subject})
    desk.store.update_details(record.decision_id, desk.now, lift_checklist=comment.id)
    return {}


async def _nothing(desk: Desk, record: Sanction, restore: bool) -> dict:
    return {}  # a warning or an education restricts nothing; lifting it only closes the record


_UNDO = {
    "org_block": _org_block, "team_removal": _team_removal, "interaction_limit": _interaction_limit,
    "manual": _manual, "warning": _nothing, "educate": _nothing,
}


def _lifted_context(record: Sanction, facts: dict) -> dict:
    return {
        "decision": record.decision_id, "subject": record.subject,
        "unblocked": facts.get("unblocked", False), "still_blocked": facts.get("still_blocked"),
        "limit_removed": facts.get("limit_removed"), "restored": facts.get("restored", []),
        "invited": facts.get("invited", False), "reinvite": facts.get("reinvite", False),
        "not_restored": facts.get("not_restored", []),
        "access_restored": facts.get("access_restored", []), "access_invited": facts.get("access_invited", []),
        "access_not_restored": facts.get("access_not_restored", []),
    }
