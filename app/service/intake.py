"""Private intake: a form answer, a public issue form, or an in-thread signal becomes one private case."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from app.core.case import code_name
from app.core.decide import open_case
from app.core.events import HelpRequested
from app.core.neutralise import neutralise_block, neutralise_inline
from app.core.stages import Stage
from app.github.errors import Forbidden, NotFound
from app.render import render
from app.service import casefile
from app.service.casefile import CaseFile
from app.service.context import Context
from app.service.once import once, remember

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
        created = await ctx.github.create_issue(ctx.cases_repo, code, body, [Stage.INTAKE.label],
                                                key=f"case:{source}")
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
        file = await casefile.save(ctx.github, ctx.store, CaseFile(ctx.cases_repo, number, outcome.case, None),
                                   outcome.case)
    if once_confirmed is not None:
        await once_confirmed(file)
    await ctx.executor.run(file, outcome.effects)
    log.info("case opened case=%s channel=%s", code, request.channel)
    return file


async def from_public_issue(ctx: Context, delivery_id: str, repo: str, issue) -> CaseFile:
    """Channel 2: the public "I need help" form. Copied first, confirmed, and only then redacted."""
    source = f"issue:{repo}:{issue.number}"
    link = _first_link(issue.body or "")
    request = HelpRequested(delivery_id, "issue", issue.user.login if issue.user else "ghost", link)

    async def redact(file: CaseFile) -> None:
        ack = render("acknowledge.md.j2", {"code": file.case.code, "due": file.case.acknowledge_by,
                                           "channel": "issue"})

        async def close_lock_delete() -> None:
            await ctx.github.update_issue(repo, issue.number, title="Help request (moved to a private case)",
                                          body="This request was moved to a private case.", state="closed",
                                          state_reason="completed")
            await ctx.github.lock_issue(repo, issue.number, "resolved")
            if ctx.policy.roles.places.delete_intake_issues:
                try:
                    await ctx.github.delete_issue(issue.node_id)
                    return
                except (Forbidden, NotFound):
                    log.info("public request not deleted (not permitted) case=%s", file.case.code)
            # A locked issue still takes the app's comment, so the reporter sees where their request went.
            await ctx.github.create_comment(repo, issue.number, ack, key=f"{source}:ack")

        await once(ctx.store, f"{source}:redact", close_lock_delete)

    return await open_private_case(ctx, source, request, once_confirmed=redact)


async def from_signal(ctx: Context, delivery_id: str, repo: str, issue, comment, text: str,
                      venue: str = "issue-comment",
                      answer: Callable[[str, str], Awaitable[object]] | None = None) -> CaseFile:
    """Channel 3: `/conduct help` in a watched thread. The case links the thread; the signal is hidden.

    `venue` says where it was written: an issue or pull request conversation comment, an inline review
    comment, a review's body or a discussion comment; each is minimized the same way, and the person is
    answered in the same conversation (`answer(body, key)`; by default a comment on the issue or PR)."""
    source = f"signal:{repo}:{comment.id}" if venue == "issue-comment" else f"signal:{repo}:{venue}:{comment.id}"
    reporter = comment.user.login if comment.user else "ghost"
    request = HelpRequested(delivery_id, "signal", reporter, comment.html_url or issue.html_url, venue=venue)

    async def post_answer(body: str, key: str) -> object:
        return await ctx.github.create_comment(repo, issue.number, body, key=key)

    async def hide(file: CaseFile) -> None:
        async def minimize_and_answer() -> None:
            await ctx.github.minimize_comment(comment.node_id, "RESOLVED")
            ack = render("acknowledge-signal.md.j2", {"reporter": reporter, "due": file.case.acknowledge_by})
            await (answer or post_answer)(ack, f"{source}:ack")

        await once(ctx.store, f"{source}:hide", minimize_and_answer)

    return await open_private_case(ctx, source, request, report=text, once_confirmed=hide)


async def from_form(ctx: Context, source: str, reporter: str, report: str, about: tuple[str, ...] = (),
                    thread: str | None = None) -> CaseFile:
    """Channel 1: the private form behind sign-in; `report` is the formatted, neutralised answers."""
    request = HelpRequested(source, "form", reporter, thread, about)
    return await open_private_case(ctx, source, request, report=report, report_is_neutral=True)


def _first_link(body: str) -> str | None:
    for word in body.split():
        if word.startswith(("https://", "http://")):
            return neutralise_inline(word[:500])
    return None
