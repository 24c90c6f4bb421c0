"""A case's poll discussion: opening it, publishing the result and closing it, archiving it when cool."""
from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from fractions import Fraction

from app.core.stages import Stage
from app.core.tally import Option, rule_in_words, support_in_words
from app.github.adapter import with_marker
from app.polls.ids import ballot_url, to_slug
from app.polls.opening import CannotOpen, open_poll
from app.render import render, when
from app.service import casefile
from app.service.cards import standing_lines
from app.service.casefile import CaseFile
from app.service.context import Context
from app.service.once import once

log = logging.getLogger("conduct.polling")
MAX_COMMENT = 60_000  # GitHub refuses a comment body over 65,536 characters
Apply = Callable[[Context, CaseFile, object], Awaitable[CaseFile]]


class SetupError(RuntimeError):
    """Something an administrator must do on GitHub first; the message says what."""


async def find_case(ctx: Context, code: str) -> CaseFile:
    """The case file for a code name: by the ledger, else by listing the cases repository."""
    known = ctx.store.effect_result(f"case-issue:{code}")
    numbers = [int(known)] if known else [
        issue.number for issue in await ctx.github.list_issues(ctx.cases_repo, state="all")
        if casefile.code_from_title(issue.title) == code]
    for number in numbers:
        file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, number, ctx.me)
        if file is not None and file.case.code == code:
            return file
    raise LookupError(f"no case {code} in {ctx.cases_repo}")


async def open_case_poll(ctx: Context, code: str, public_url: str, apply: Apply) -> str:
    """`conduct poll open CASE`: freeze the poll, post the summary as a discussion, move the case on."""
    file = await find_case(ctx, code)
    if file.case.stage is not Stage.ESCALATED:
        raise CannotOpen(f"{code} is in {file.case.stage.value}, not escalated")
    voters = await ctx.roles.members("voters")
    subjects = tuple(login for login in (file.case.subject,) if login)
    standing = await standing_lines(ctx.github, ctx.store, ctx.policy, ctx.me, ctx.now, file.case, subjects)
    opened = open_poll(file.case, ctx.policy, ctx.store, voters, ctx.now, public_url=public_url, standing=standing)
    place = ctx.policy.roles.places.deliberation
    found = await ctx.github.discussion_categories(place.repo)
    category = found.category(place.category)
    if category is None:
        # Discussion categories cannot be created through GitHub's API: an administrator adds it.
        raise SetupError(f"{place.repo} has no discussion category {place.category!r}: create it under "
                         "Discussions → Categories (conduct setup --check lists what is missing)")

    key = f"discussion:{opened.poll_id}"

    async def post() -> str:
        # Looked for first: an earlier attempt may have created it and then lost GitHub's answer.
        discussion = await ctx.github.find_discussion(place.repo, category.node_id, key)
        if discussion is None:
            discussion = await ctx.github.create_discussion(found.repo_node_id, category.node_id, opened.title,
                                                            with_marker(opened.body, key))
        return json.dumps({"id": discussion.node_id, "url": discussion.url})

    await once(ctx.store, key, post, busy="raise")
    await apply(ctx, file, opened.event)
    # The discussion mentions the voters; those whose address the service knows also get an e-mail.
    await _email(ctx, opened.poll_id, ctx.store.electorate_of(opened.poll_id), "poll", opened.ballot_url)
    log.info("poll opened case=%s poll=%s", code, opened.poll_id)
    return opened.poll_id


async def _email(ctx: Context, poll_id: str, logins: list[str], kind: str, link: str) -> None:
    if ctx.notices is None:
        return
    for login in logins:
        # Keyed per poll and person, so a rerun sends nothing twice.
        await ctx.notices.notify(f"{kind}:{poll_id}:{login}", login, kind, link)


async def remind_voters(ctx: Context) -> list[str]:
    """Once per poll, `remind_before` its deadline: mention in its discussion, and e-mail, the electorate
    members who have not taken a ballot. Only whether someone took a ballot is known, never how they voted."""
    lines = []
    for poll in ctx.store.open_polls():
        if not poll.deadline - ctx.policy.process.poll.remind_before <= ctx.now < poll.deadline:
            continue
        posted = ctx.store.effect_result(f"discussion:{poll.poll_id}")
        waiting = ctx.store.not_issued(poll.poll_id)
        if not posted or not waiting:
            continue
        link = ballot_url(ctx.public_url, poll.poll_id)
        body = render("poll-reminder.md.j2", {"poll": poll.poll_id, "deadline": when(poll.deadline), "link": link,
                                              "waiting": waiting})

        discussion = json.loads(posted)["id"]
        key = f"poll-reminder:{poll.poll_id}"

        async def comment(discussion=discussion, body=body, key=key) -> str:
            # With its key: after an unclear failure (a 5xx once GitHub posted it) it is looked for, not repeated.
            return (await ctx.github.add_discussion_comment(discussion, body, key=key)).url

        async def reminded(discussion=discussion, key=key) -> str | None:  # by a worker that died after posting
            found = await ctx.github.find_discussion_comment(discussion, key)
            return found.url if found is not None else None

        await once(ctx.store, key, comment, check=reminded)
        await _email(ctx, poll.poll_id, waiting, "poll-reminder", link)
        lines.append(f"reminded poll {poll.poll_id}: {len(waiting)} without a ballot")
    return lines


async def archive_when_cool(ctx: Context, poll_id: str) -> int:
    """After the cooling-off period, move a closed poll's discussion to the archive category, or delete
    it, as the policy says. Returns 1 if this call did it."""
    closed_at = ctx.store.effect_result(f"poll-discussion-closed:{poll_id}")
    posted = ctx.store.effect_result(f"discussion:{poll_id}")
    if not closed_at or not posted or ctx.store.effect_result(f"poll-archived:{poll_id}"):
        return 0
    if ctx.now < datetime.fromisoformat(closed_at) + ctx.policy.process.cooling_off:
        return 0
    discussion = json.loads(posted)
    place = ctx.policy.roles.places.deliberation

    async def archive() -> str:
        if ctx.policy.process.after_cooling_off == "delete":
            await ctx.github.delete_discussion(discussion["id"])
            return "deleted"
        category = (await ctx.github.discussion_categories(place.repo)).category(place.archive_category or "")
        if category is None:
            raise SetupError(f"{place.repo} has no discussion category {place.archive_category!r} to archive into")
        await ctx.github.move_discussion(discussion["id"], category.node_id)
        return "archived"

    await once(ctx.store, f"poll-archived:{poll_id}", archive, busy="raise")
    return 1


async def publish(ctx: Context, poll_id: str, result_json: str) -> None:
    """Post the result to the poll's discussion, then close and lock it: no endless shaming."""
    posted = ctx.store.effect_result(f"discussion:{poll_id}")
    if posted is None:
        return
    discussion = json.loads(posted)
    result = json.loads(result_json)
    options = [Option(option["id"], option["severity"]) for option in result["options"]]
    told = {"poll": poll_id, "result": result, "support": support_in_words(options, result["totals"], result["rule"]),
            "rule_words": rule_in_words(result["rule"], Fraction(result["threshold"]), Fraction(result["quorum"]))}
    body = render("poll-result.md.j2", {**told, "result_json": result_json, "result_url": None})
    if len(body) > MAX_COMMENT:
        # A large poll's record does not fit in one comment: the discussion links the service's copy, which
        # only the electorate can fetch (it names who took a ballot).
        url = f"{ctx.public_url}/ballot/{to_slug(poll_id)}/result.json"
        body = render("poll-result.md.j2", {**told, "result_json": None, "result_url": url})

    key = f"poll-published:{poll_id}"

    async def comment() -> str:
        found = await ctx.github.find_discussion_comment(discussion["id"], key)
        if found is not None:
            return found.url  # posted by an attempt whose answer was lost
        return (await ctx.github.add_discussion_comment(discussion["id"], with_marker(body, key))).url

    async def close() -> str:
        await ctx.github.close_discussion(discussion["id"], "RESOLVED")
        await ctx.github.lock(discussion["id"], "resolved")
        return ctx.now.isoformat()  # when it closed: the cooling-off period runs from here

    await once(ctx.store, key, comment, busy="raise")
    await once(ctx.store, f"poll-discussion-closed:{poll_id}", close, busy="raise")
