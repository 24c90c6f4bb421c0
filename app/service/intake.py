"""Private intake: a form answer, a public issue form, or an in-thread signal becomes one private case."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from app.core.case import code_name
from app.core.decide import open_case
from app.core.events import HelpRequested
from app.core.neutralise import neutralise_block
from app.core.stages import Stage
from app.github.errors import Forbidden, Moved, NotFound
from app.render import render
from app.service import casefile, outbox
from app.service.casefile import CaseFile
from app.service.context import Context
from app.service.once import first_try, once, remember

log = logging.getLogger("conduct.intake")


def allocate_code(store, source: str, year: int) -> str:
    """The case's code name, the same on every retry of the same request; numbers never reused."""
    known = store.effect_result(f"code:{source}")
    if known:
        return known
    number = 1
    # Claiming "case-number:YEAR:N" in the effect ledger is atomic on both databases, so two workers
    # never hand out the same number; a number claimed by a request that then failed is simply skipped.
    while not store.claim_effect(f"case-number:{year}:{number}"):
        number += 1
    store.complete_effect(f"case-number:{year}:{number}", source)
    return remember(store, f"code:{source}", code_name(year, number))


async def open_private_case(ctx: Context, source: str, request: HelpRequested, report: str = "",
                            report_is_neutral: bool = False,
                            once_confirmed: Callable[[CaseFile], Awaitable[None]] | None = None) -> CaseFile:
    """Create (or, on a retry, find) the private case issue, confirm it, save its state, then act.

    `once_confirmed` runs as soon as the private copy is confirmed and its state saved, before the
    slower notifications: that is when a public trace may be redacted, and the sooner the better."""
    code = allocate_code(ctx.store, source, ctx.now.year)
    outcome = open_case(code, request, ctx.policy, ctx.now)
    body = render("case-issue.md.j2", {
        "code": code, "channel": request.channel, "reporter": request.reporter, "thread": request.thread,
        "about": list(request.about),
        "report": "" if not report.strip() else report if report_is_neutral else neutralise_block(report),
    })
    known = ctx.store.effect_result(f"case-issue:{code}")
    if known:
        number = int(known)
    else:
        # An earlier attempt (a worker that died after GitHub created it) may have made the issue: look first.
        created = await ctx.github.create_issue(ctx.cases_repo, code, body, [Stage.INTAKE.label],
                                                key=f"case:{source}",
                                                look_first=not first_try(ctx.store, f"tried:case:{source}"))
        number = created.number
        # Recorded at once, so a retry after any later failure finds this issue instead of making another.
        remember(ctx.store, f"case-issue:{code}", str(number))
    # The private copy is confirmed by reading it back before anything public is touched.
    confirmed = await ctx.github.get_issue(ctx.cases_repo, number)
    if casefile.code_from_title(confirmed.title) != code:
        raise RuntimeError("the private case issue could not be confirmed")
    file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, number, ctx.me)
    if file is None and casefile.state_comment_id(ctx.store, ctx.cases_repo, number) is not None:
        raise RuntimeError("the new case's state cannot be read")  # said on the case; never written over
    if file is None:
        # As for every decision (router.py): the effects are recorded before the state that calls for them
        # is saved, so they are finished by whoever looks at the case next (a retry, the sweep), even if
        # this delivery is given up on.
        fresh = CaseFile(ctx.cases_repo, number, outcome.case, None)
        outbox.put(ctx.store, fresh, request.id, outcome.effects, ctx.now)
        file = await casefile.save(ctx.github, ctx.store, fresh, outcome.case.mark_applied(request.id))
    if once_confirmed is not None:
        await once_confirmed(file)
    await outbox.carry_out(ctx, file)
    log.info("case opened case=%s channel=%s", code, request.channel)
    return file


async def from_public_issue(ctx: Context, delivery_id: str, repo: str, issue) -> CaseFile:
    """Channel 2: the public "I need help" form. Copied first, confirmed, and only then redacted."""
    source = f"issue:{repo}:{issue.number}"
    link = _first_link(issue.body or "")
    request = HelpRequested(delivery_id, "issue", issue.user.login if issue.user else "ghost", link)

    async def redact(file: CaseFile) -> None:
        # Nothing is edited in public first: GitHub keeps every earlier title (a `renamed` event) and body
        # (the edit history) readable to anyone who can read the issue. The request leaves the public
        # repository whole: deleted where the policy asks and the App may, else transferred into the cases
        # repository, where it and its history are as private as the case. No case code goes in public.
        async def move_out() -> str:
            if ctx.policy.roles.places.delete_intake_issues:
                try:
                    await ctx.github.delete_issue(issue.node_id)
                    return "deleted"
                except (Forbidden, NotFound):
                    log.info("public request not deleted (not permitted), transferring case=%s", file.case.code)
            try:
                # A transfer whose answer was lost (a 5xx after it took effect) shows as a move: look first.
                await ctx.github.get_issue(repo, issue.number)
                return f"transferred:{await ctx.github.transfer_issue(issue.node_id, ctx.cases_repo)}"
            except Moved as moved:
                number = _moved_into(moved.location, ctx.cases_repo)
                if number is None:
                    raise
                return f"transferred:{number}"
            except NotFound:
                return "gone"  # deleted meanwhile, by its author or a moderator: nothing is left in public

        # move_out looks before it moves, so a dead worker's claim is simply taken over and run again.
        moved = await once(ctx.store, f"{source}:redact", move_out) or ""
        if moved.startswith("transferred:"):
            number = int(moved.removeprefix("transferred:"))
            # Where the original is kept, so that forgetting the case can forget it too.
            remember(ctx.store, f"moved-request:{file.case.code}", str(number))

            async def note() -> str:
                text = render("request-moved.md.j2", {"code": file.case.code, "case_number": file.number})
                return str((await ctx.github.create_comment(ctx.cases_repo, number, text, key=f"{source}:moved")).id)

            async def noted() -> str | None:  # a worker that died may have posted it
                found = await ctx.github.find_comment(ctx.cases_repo, number, f"{source}:moved")
                return str(found.id) if found else None

            async def close_and_lock() -> str:
                await ctx.github.update_issue(ctx.cases_repo, number, state="closed", state_reason="completed")
                await ctx.github.lock_issue(ctx.cases_repo, number, "resolved")
                return "closed"

            await once(ctx.store, f"{source}:moved-note", note, check=noted)
            await once(ctx.store, f"{source}:moved-closed", close_and_lock)  # both steps safe to repeat

    return await open_private_case(ctx, source, request, once_confirmed=redact)


async def from_signal(ctx: Context, delivery_id: str, repo: str, issue, comment, text: str,
                      venue: str = "issue-comment") -> CaseFile:
    """Channel 3: `/conduct help` in a watched thread. The case links the thread; the signal is deleted.

    `venue` says where it was written: an issue or pull request conversation comment, an inline review
    comment, a review's body or a discussion comment (then `issue` is the discussion). Every one is deleted
    (a minimized comment stays readable to every reader) but a review's body, which GitHub's API cannot
    delete: it is minimized. The person is answered in the same conversation: a comment on the issue or
    PR, or a top-level comment on the discussion, carrying its marker either way."""
    source = f"signal:{repo}:{comment.id}" if venue == "issue-comment" else f"signal:{repo}:{venue}:{comment.id}"
    reporter = comment.user.login if comment.user else "ghost"
    request = HelpRequested(delivery_id, "signal", reporter, comment.html_url or issue.html_url, venue=venue)
    key = f"{source}:ack"

    async def post_answer(body: str) -> object:
        if venue == "discussion-comment":
            return await ctx.github.add_discussion_comment(issue.node_id, body, key=key)
        return await ctx.github.create_comment(repo, issue.number, body, key=key)

    async def find_answer() -> object | None:
        if venue == "discussion-comment":
            return await ctx.github.find_discussion_comment(issue.node_id, key)
        return await ctx.github.find_comment(repo, issue.number, key)

    async def hide(file: CaseFile) -> None:
        async def delete_and_answer() -> None:
            # Deleted, not minimized: a minimized comment stays readable to everyone who can read the thread.
            # Each delete counts a comment already gone (by its author or a moderator) as deleted.
            if venue == "issue-comment":
                await ctx.github.delete_comment(repo, comment.id)
            elif venue == "review-comment":
                await ctx.github.delete_review_comment(repo, comment.id)
            elif venue == "discussion-comment":
                await ctx.github.delete_discussion_comment(comment.node_id)
            else:
                await ctx.github.minimize_comment(comment.node_id, "RESOLVED")  # a review's body: no delete
            # The answer names no one and no case; the reporter hears the rest in private.
            await post_answer(render("acknowledge-signal.md.j2"))

        async def answered() -> str | None:
            # A worker that died after answering had deleted the signal first; one that died before
            # answering is taken over and runs again (deleting what is gone counts as deleted).
            return "done" if await find_answer() is not None else None

        await once(ctx.store, f"{source}:hide", delete_and_answer, check=answered)

    return await open_private_case(ctx, source, request, report=text, once_confirmed=hide)


async def from_form(ctx: Context, source: str, reporter: str, report: str, about: tuple[str, ...] = (),
                    thread: str | None = None) -> CaseFile:
    """Channel 1: the private form behind sign-in; `report` is the formatted, neutralised answers."""
    request = HelpRequested(source, "form", reporter, thread, about)
    return await open_private_case(ctx, source, request, report=report, report_is_neutral=True)


def _moved_into(location: str, repo: str) -> int | None:
    """The issue's number in `repo` from a 301's API URL (…/repos/OWNER/NAME/issues/N), else None."""
    head, _, number = location.rpartition("/issues/")
    return int(number) if number.isdigit() and head.endswith(f"/repos/{repo}") else None


def _first_link(body: str) -> str | None:
    for word in body.split():
        if word.startswith(("https://", "http://")):
            return word[:500]  # kept as written; every template shows it as code
    return None
