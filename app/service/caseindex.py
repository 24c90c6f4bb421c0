"""Keeps the case index in step with GitHub and answers from it: which cases may need work, whose cases."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

from app.core.case import Case
from app.core.decide import decide
from app.core.events import Tick
from app.core.policy import Policy
from app.core.retention import due_to_forget
from app.core.stages import Stage
from app.core.state_block import StateUnreadable, decode
from app.github.errors import GitHubError
from app.github.payloads import IssueCommentEvent, IssuesEvent
from app.github.port import GitHubPort
from app.service import casefile
from app.service.casefile import CaseFile, Identity, ref_number
from app.service.once import remember
from app.store.case_index import BUILT_KEY, IndexedCase


class Context(Protocol):
    """What this module reads of app/service/context.py's Context (which imports the executor, and the
    executor posts cards from this index: so not imported here)."""

    github: GitHubPort
    store: object
    policy: Policy
    me: Identity
    now: datetime

    @property
    def cases_repo(self) -> str: ...

log = logging.getLogger("conduct.caseindex")
# Each sweep also re-reads this many open cases from GitHub, the longest-unchecked first, so an index
# that missed a webhook heals within a few sweeps at a constant cost.
RECHECK_PER_SWEEP = 1


def people_of(case: Case) -> set[str]:
    """Everyone a case names: whose context card it belongs on."""
    return {login for login in (case.reporter, case.subject, *case.parties, *(d.subject for d in case.decisions))
            if login}


def record(store, file: CaseFile, now: datetime, issue_open: bool | None = None) -> None:
    """Index the case as the app just wrote or read it from GitHub."""
    case = file.case
    store.index_case(file.number, case.code, case.stage.value, case.model_dump_json(), file.state_comment_id,
                     people_of(case), now, issue_open)


def case_of(row: IndexedCase) -> Case:
    return Case.model_validate_json(row.state)


def tick_id(now: datetime) -> str:
    """The sweep's clock event for this minute (the same in every process, so one minute ticks once)."""
    return f"tick:{now.isoformat(timespec='minutes')}"


def observe(ctx: Context, payload) -> None:
    """Keep the index in step from a cases-repository webhook, without a request: the app's own state
    comments (written by any process or workflow), and issues closed, reopened or deleted."""
    store = ctx.store
    if isinstance(payload, IssuesEvent):
        number = payload.issue.number
        if payload.action in ("closed", "reopened"):
            store.set_case_issue_open(number, payload.action == "reopened")
        elif payload.action in ("deleted", "transferred"):
            found = store.indexed_case(number)
            if found is not None:
                store.drop_indexed_case(found.code)
        return
    if not isinstance(payload, IssueCommentEvent) or payload.action not in ("created", "edited"):
        return
    author, sender = payload.comment.user, payload.sender
    # Only the app's own write counts: a comment by someone else, or an edit of the app's comment by
    # someone else (which the router puts back), is never taken for the case's state.
    if not author or not sender or author.type != "Bot" or author.login != ctx.me.bot_login or \
            sender.login != ctx.me.bot_login:
        return
    if payload.comment.id != casefile.state_comment_id(store, ctx.cases_repo, payload.issue.number):
        return  # only the comment the app recorded as the case's state holds it (app/service/casefile.py)
    try:
        case = decode(payload.comment.body or "")
    except StateUnreadable:
        return
    if case is None:
        return
    known = store.indexed_case(payload.issue.number)
    # Webhooks may come in any order: the issue's state in a comment's payload may be older than a
    # `closed` event already seen, so it is used only for a case the index did not know yet.
    record(store, CaseFile(ctx.cases_repo, payload.issue.number, case, payload.comment.id), ctx.now,
           None if known is not None else payload.issue.state == "open")


async def build(ctx: Context) -> list[tuple[int, str]]:
    """Index every case on file, once (a deployment that started before the index existed)."""
    return await build_index(ctx.github, ctx.store, ctx.cases_repo, ctx.me, ctx.now)


async def build_index(github: GitHubPort, store, repo: str, me: Identity, now: datetime) -> list[tuple[int, str]]:
    """The first pass over every case issue, indexing each; later calls cost nothing.

    Returns the cases that could not be read now, with their issue's state: the sweep gives each its job
    (which reports the failure), and the index is built again on the next pass until every case is in."""
    if store.effect_result(BUILT_KEY):
        return []
    unread: list[tuple[int, str]] = []
    for issue in await github.list_issues(repo, state="all"):
        if casefile.code_from_title(issue.title) is None:
            continue
        try:
            file = await casefile.load(github, store, repo, issue.number, me)
        except (GitHubError, StateUnreadable) as error:
            log.warning("index build could not read issue=%s error=%s", issue.number, type(error).__name__)
            unread.append((issue.number, issue.state))
            continue
        if file is not None:
            record(store, file, now, issue.state == "open")
    if not unread:
        remember(store, BUILT_KEY, now.isoformat())
    return unread


async def recheck_open(ctx: Context) -> list[IndexedCase]:
    """The open cases, re-checked against GitHub's own list of open issues (one request per 100 open).

    An open issue the index does not know, or whose stage label disagrees with the index, is read again;
    an issue the index holds open but GitHub does not is marked closed; and the open case checked longest
    ago is read again, in case a webhook never came."""
    listed = {issue.number: issue for issue in await ctx.github.list_issues(ctx.cases_repo, state="open")
              if casefile.code_from_title(issue.title) is not None}
    known = {row.issue_number: row for row in ctx.store.indexed_cases(issue_open=True)}
    for number in set(known) - set(listed):
        ctx.store.set_case_issue_open(number, False)
    stale = sorted((row for number, row in known.items() if number in listed), key=lambda row: row.indexed_at)
    reread = {number for number, issue in listed.items()
              if number not in known or Stage(known[number].stage).label not in issue.labels}
    reread |= {row.issue_number for row in stale[:RECHECK_PER_SWEEP]}
    for number in sorted(reread):
        try:
            file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, number, ctx.me)
        except (GitHubError, StateUnreadable) as error:
            # One case that cannot be read now must not hold up the others; its own job reports it.
            log.warning("index recheck failed issue=%s error=%s", number, type(error).__name__)
            continue
        if file is not None:
            record(ctx.store, file, ctx.now, True)
        elif number in known:
            ctx.store.drop_indexed_case(known[number].code)
    return ctx.store.indexed_cases(issue_open=True)


def needs_visit(ctx: Context, case: Case, issue_open: bool) -> bool:
    """Whether the sweep's job for this case could do anything now, judged from the indexed state alone.

    It errs towards a visit: anything it cannot rule out (a tick the core refuses) counts as work."""
    store = ctx.store
    poll = case.current_poll
    if case.stage is Stage.POLLING and poll and store.effect_result(f"poll-result:{poll}"):
        return True
    for number in range(1, case.polls + 1):
        poll_id = f"{case.code}/{number}"
        closed_at = store.effect_result(f"poll-discussion-closed:{poll_id}")
        if closed_at and not store.effect_result(f"poll-archived:{poll_id}") and \
                ctx.now >= datetime.fromisoformat(closed_at) + ctx.policy.process.cooling_off:
            return True
    if case.forgotten_at is not None:
        return not store.effect_result(f"forgotten:{case.code}")
    if due_to_forget(case, ctx.policy, ctx.now):
        return True
    # A thread the case locked is unlocked on time even after the case closed (app/service/sweep.py).
    locked = any(lock.unlocked_at is None for lock in case.locks)
    if case.stage is Stage.CLOSED:
        if issue_open:
            return True
        if not locked:
            return False
    elif not issue_open and not locked:
        return False
    tick = Tick(tick_id(ctx.now))
    if tick.id in case.applied:
        return False
    try:
        outcome = decide(case, tick, ctx.policy, ctx.now)
    except Exception:  # noqa: BLE001 - a refused tick is for the real job to report
        return True
    return bool(outcome.effects) or outcome.case != case


async def cases_to_visit(ctx: Context) -> list[tuple[int, str]]:
    """The sweep's case jobs: (issue number, "open" or "closed") for each case that may need work now.

    Costs one listing of the open issues (per 100 open) and one re-read, however many closed cases exist."""
    visits = await build(ctx)
    # A case whose effects wait in the outbox (a crash or a failed call after its state was saved) is
    # visited whatever its state says: the state alone no longer shows that work is left.
    waiting = {ref_number(key, ctx.cases_repo) for key in ctx.store.outbox_case_keys()} - {None}
    for row in await recheck_open(ctx):
        if row.issue_number in waiting or needs_visit(ctx, case_of(row), True):
            visits.append((row.issue_number, "open"))
    for row in ctx.store.indexed_cases(issue_open=False):
        if row.issue_number in waiting or needs_visit(ctx, case_of(row), False):
            visits.append((row.issue_number, "closed"))
    return sorted(set(visits))


async def cases_about(ctx: Context, login: str) -> list[Case]:
    """Every case on file that names `login`, from the index: no request however many cases exist."""
    return await cases_naming(ctx.github, ctx.store, ctx.cases_repo, ctx.me, ctx.now, login)


async def cases_naming(github: GitHubPort, store, repo: str, me: Identity, now: datetime, login: str) -> list[Case]:
    await build_index(github, store, repo, me, now)
    return [case_of(row) for row in store.indexed_cases_about(login)]


async def all_cases(github: GitHubPort, store, repo: str, me: Identity, now: datetime | None = None) -> list[Case]:
    """Every case on file (for the transparency report), from the index."""
    await build_index(github, store, repo, me, now or datetime.now(UTC))
    return [case_of(row) for row in store.indexed_cases()]
