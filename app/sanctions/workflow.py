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
from app.github.port import RunReview
from app.render import when
from app.sanctions import decision_issue, gate, reviews, runs
from app.sanctions.apply import apply_approved
from app.sanctions.desk import CannotApply, Desk, SanctionBusy
from app.sanctions.kinds import plan_for
from app.sanctions.locate import case_code, case_file
from app.service.cards import standing_lines
from app.service.casefile import CaseFile, Identity
from app.service.roles import RoleBook

log = logging.getLogger("conduct.sanctions")
# Exit codes: 0 applied (or already), 1 refused, 2 not found or misconfigured, 3 held (approved by fewer
# SC members than the quorum; the service applies it when the last approval arrives), 75 busy/temporary.
OK, REFUSED, NOT_FOUND, HELD, TEMPORARY = 0, 1, 2, 3, 75


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
    """Apply inside the approval job. The job runs once an SC member approved the environment, but the
    app may not have seen that review (or an earlier rejection) yet: the decision's own run's review
    history is read from GitHub, comments included, and each review the case lacks goes through the
    core's one rule first. Then the gate decides. Short of the policy's quorum the apply is held: the
    service applies it when the last approval arrives, on whichever path."""
    file = await case_file(desk, me, decision_id)
    if file is None or case_code(decision_id) != file.case.code:
        print(f"{decision_id}: no such decision on a private case", file=err)
        return NOT_FOUND
    bound = runs.run_of(desk.store, decision_id)
    if run_id is not None and run_id != bound:
        print(f"not applied: run {run_id} was not requested for {decision_id}", file=err)
        return REFUSED
    roles = RoleBook(desk.github, desk.policy)
    sc_members = await roles.members("steering_council")
    history = await reviews.environment_history(desk.github, desk.policy, bound)
    file = await record_run(desk, me, file, decision_id, bound, history)
    decision = file.case.decision(decision_id)
    comments = await decision_issue.sc_comments(desk.github, desk.store, desk.policy, decision_id) if decision else ()
    try:
        approved = gate.check(file.case, decision_id, desk.policy, sc_members,
                              environment=gate.environment_approvers(history),
                              commands=gate.command_approvers(comments, decision.requested_at) if decision
                              else frozenset())
    except gate.NotApproved as refusal:
        if decision is not None and decision.approved_at is None and decision.approved_by:
            print(f"held: {decision_id} has {len(decision.approved_by)} of the "
                  f"{desk.policy.process.approval.sc_quorum} SC approvals it needs; it is applied when the last "
                  f"one arrives (another SC member's `/conduct sc approve` on the decision's issue)", file=err)
            return HELD
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


async def record_run(desk: Desk, me: Identity, file: CaseFile, decision_id: str, run_id: int | None,
                     history: tuple[RunReview, ...]) -> CaseFile:
    """The router's review path, from the job: the same events the webhook would have brought."""
    from app.service.context import Context
    from app.service.router import Router

    if run_id is None or not history:
        return file
    router = Router(desk.github, desk.policy, desk.store, me, now=lambda: desk.now)
    ctx = Context.make(desk.github, desk.policy, desk.store, me, desk.now)
    return await router.record_history(ctx, file, decision_id, run_id, history)


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
