"""`conduct sanction show|apply DECISION`: what the SC approval workflow runs (the lead wires argparse)."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from app.core.durations import format_duration
from app.github.errors import GitHubError
from app.render import when
from app.sanctions import decision_issue, gate
from app.sanctions.apply import apply_approved
from app.sanctions.desk import CannotApply, Desk, SanctionBusy
from app.sanctions.kinds import plan_for
from app.sanctions.locate import case_code, case_file
from app.service.cards import standing_lines
from app.service.casefile import Identity
from app.service.roles import RoleBook

log = logging.getLogger("conduct.sanctions")
# Exit codes: 0 applied (or already), 1 refused, 2 not found or misconfigured, 75 busy/temporary failure.
OK, REFUSED, NOT_FOUND, TEMPORARY = 0, 1, 2, 75


async def show_text(desk: Desk, me: Identity, decision_id: str) -> str:
    """What the reviewers need on the run page: code name, action, duration, subject and poll totals.
    Never report text or comments, and no link to the private case (the SC cannot open it)."""
    file = await case_file(desk, me, decision_id)
    decision = file.case.decision(decision_id) if file else None
    if file is None or decision is None:
        return f"{decision_id}: no such decision on a private case"
    plan = plan_for(decision, desk.policy)
    lines = [
        f"Case:      {file.case.code}",
        f"Decision:  {decision.id}{' (urgent, until the poll decides)' if decision.urgent else ''}",
        f"Action:    {plan.title} ({plan.action_id}, {plan.kind.replace('_', ' ')})",
        f"Subject:   {decision.subject}",
        f"{'Duration' if plan.ends else 'Review in'}:  {format_duration(decision.duration)}",
    ]
    standing = file.case.standing.get(decision.subject)
    if standing is None:
        # An urgent ban comes before any poll: the SC reads the same line the voters would.
        lines_for = await standing_lines(desk.github, desk.store, desk.policy, me, desk.now, file.case,
                                         (decision.subject,))
        standing = lines_for[decision.subject]
    lines.append(f"Standing:  {standing}")
    if decision.poll:
        totals = ", ".join(f"{option} {count}" for option, count in decision.totals.items())
        lines.append(f"Poll:      {decision.poll}: {totals or 'no totals recorded'}")
    if decision.approved_at is None:
        lines.append("Status:    waiting for the SC")
    else:
        record = desk.store.get_sanction(decision.id)
        lines.append(f"Status:    approved {when(decision.approved_at)} by {', '.join(decision.approved_by)}"
                     f"; {record.state if record else 'not applied yet'}")
    return "\n".join(lines)


async def show_markdown(desk: Desk, me: Identity, decision_id: str) -> str:
    """The run page's summary for the SC, in the decisions repository: the decision as its issue there
    says it (summary and poll, never the report: the SC has no access to the case), and where it stands."""
    file = await case_file(desk, me, decision_id)
    if file is None:
        return f"## Decision {decision_id}\n\nNo such decision on a private case.\n"
    parts = [f"## Decision {decision_id}", decision_issue.fenced(await show_text(desk, me, decision_id)),
             *decision_issue.summary_parts(file.case)]
    return "\n\n".join(parts) + "\n"


async def apply_command(desk: Desk, me: Identity, decision_id: str, run_id: int | None,
                        err: TextIO = sys.stderr) -> int:
    """Apply inside the approval job. The job runs only after the SC approved the environment, but the
    app may not have processed that review yet: the run's review history is read from GitHub, and an
    approval not yet on the case is recorded through the core first. Then the gate decides."""
    file = await case_file(desk, me, decision_id)
    if file is None or case_code(decision_id) != file.case.code:
        print(f"{decision_id}: no such decision on a private case", file=err)
        return NOT_FOUND
    roles = RoleBook(desk.github, desk.policy)
    sc_members = await roles.members("steering_council")
    environment: frozenset[str] = frozenset()
    reviews = ()
    if run_id is not None:
        reviews = await desk.github.run_reviews(desk.decisions_repo, run_id)
        environment = gate.environment_approvers(reviews)
    pending = file.case.decision(decision_id)
    if pending is not None and pending.approved_at is None and environment:
        login = sorted(environment)[0]
        # The review's own comment too, so a "shorten 3w" counts the same whichever path records it first.
        comment = next((r.comment for r in reviews if r.user == login and r.state == "approved"), "") or ""
        file = await _record_review(desk, me, file, decision_id, run_id, login, comment, roles)
    decision = file.case.decision(decision_id)
    comments = await decision_issue.sc_comments(desk.github, desk.store, desk.policy, decision_id) if decision else ()
    try:
        approved = gate.check(file.case, decision_id, desk.policy, sc_members, environment=environment,
                              commands=gate.command_approvers(comments, decision.requested_at) if decision
                              else frozenset())
    except gate.NotApproved as refusal:
        print(f"not applied: {refusal}", file=err)
        return REFUSED
    try:
        record = await apply_approved(desk, file, approved)
    except SanctionBusy as busy:
        print(f"not applied now: {busy}", file=err)
        return TEMPORARY
    except CannotApply as refusal:
        print(f"not applied: {refusal}", file=err)
        return REFUSED
    except GitHubError as error:
        # The operation and status only: GitHub's message could quote content.
        print(f"apply failed at {error.operation} ({type(error).__name__}); run it again to resume", file=err)
        return TEMPORARY
    print(f"{decision_id}: {record.state}", file=err)
    return OK


async def _record_review(desk: Desk, me: Identity, file, decision_id: str, run_id: int, login: str, comment: str,
                         roles: RoleBook):
    from app.service.context import Context
    from app.service.router import Router, review_event

    router = Router(desk.github, desk.policy, desk.store, me, now=lambda: desk.now)
    ctx = Context.make(desk.github, desk.policy, desk.store, me, desk.now)
    event = review_event(f"run:{run_id}:{decision_id}", await roles.actor(login), decision_id, True, comment)
    await router.apply(ctx, file, event)
    return await case_file(desk, me, decision_id)


# --------------------------------------------------------------------------- from the environment


async def _desk_from_env(env: Mapping[str, str]) -> tuple[Desk, Identity]:
    from app.github.adapter import GitHubAdapter
    from app.github.client import settings_from_env
    from app.store import open_store
    from app.wiring.policy_files import load_policy
    from app.wiring.settings import DEFAULT_DATABASE_URL

    policy = load_policy(Path(env.get("CONDUCT_POLICY_DIR") or "policy"))
    settings = settings_from_env(env)
    github = await GitHubAdapter.for_org(settings, policy.roles.organization)
    # The same default as every other command: a SQLite file beside the command.
    store = open_store(env.get("CONDUCT_DATABASE_URL") or DEFAULT_DATABASE_URL)
    me = Identity(settings.app_id, github.bot_login or env.get("CONDUCT_APP_BOT_LOGIN", "conduct-desk[bot]"))
    return Desk(github, store, policy, datetime.now(UTC)), me


class UnknownDecision(LookupError):
    """`sanction show` or `apply` was given a decision id no private case carries."""


def show(decision_id: str, env: Mapping[str, str] | None = None) -> str:
    """`conduct sanction show DECISION`, configured like the workflow step (CONDUCT_* variables); raises
    UnknownDecision for an id no case carries."""
    env = os.environ if env is None else env

    async def main() -> str:
        desk, me = await _desk_from_env(env)
        try:
            file = await case_file(desk, me, decision_id)
            if file is None or file.case.decision(decision_id) is None:
                raise UnknownDecision(f"{decision_id}: no such decision on a private case")
            return await show_text(desk, me, decision_id)
        finally:
            desk.store.close()

    return asyncio.run(main())


def plan_text(decision_id: str, env: Mapping[str, str] | None = None) -> str:
    """`conduct sanction apply --dry-run`: what applying would do, changing nothing."""
    env = os.environ if env is None else env

    async def main() -> str:
        desk, me = await _desk_from_env(env)
        try:
            file = await case_file(desk, me, decision_id)
            decision = file.case.decision(decision_id) if file else None
            if decision is None:
                raise UnknownDecision(f"{decision_id}: no such decision on a private case")
            plan = plan_for(decision, desk.policy)
            record = desk.store.get_sanction(decision_id)
            if record is not None and record.state in ("applied", "lifting", "lifted"):
                return f"{decision_id}: already {record.state}; applying again changes nothing"
            if decision.approved_at is None:
                return f"{decision_id}: waiting for the SC; applying now would be refused"
            end = "ends" if plan.ends else "is reviewed"
            return (f"{decision_id}: would apply {plan.action_id} ({plan.kind.replace('_', ' ')}) to "
                    f"{decision.subject}, which {end} {when(decision.ends_at)}; nothing was changed")
        finally:
            desk.store.close()

    return asyncio.run(main())


def apply(decision_id: str, env: Mapping[str, str] | None = None) -> int:
    """`conduct sanction apply DECISION` (exit code); GITHUB_RUN_ID names the approval run, if any."""
    env = os.environ if env is None else env
    run = env.get("GITHUB_RUN_ID")

    async def main() -> int:
        desk, me = await _desk_from_env(env)
        try:
            return await apply_command(desk, me, decision_id, int(run) if run else None)
        finally:
            desk.store.close()

    return asyncio.run(main())
