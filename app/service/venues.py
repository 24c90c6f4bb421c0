"""`/conduct help` in every venue of a watched repository beyond issue comments: review comments, review
bodies and discussion comments, each redacted as an issue comment is; and blocks made by hand, put on record."""
from __future__ import annotations

from app.core.commands import Command, new_commands, parse_commands
from app.core.events import HelpRequested
from app.github.payloads import DiscussionCommentEvent, OrgBlockEvent, ReviewCommentEvent, ReviewEvent
from app.render import render
from app.service import intake
from app.service.context import Context
from app.service.once import newest, remember

Venue = ReviewCommentEvent | ReviewEvent | DiscussionCommentEvent


def _parts(payload: Venue):
    """(the comment-like object, the thread it is in, the venue's name, the action that posts it)."""
    if isinstance(payload, ReviewCommentEvent):
        return payload.comment, payload.pull_request, "review-comment", "created"
    if isinstance(payload, ReviewEvent):
        return payload.review, payload.pull_request, "review", "submitted"
    return payload.comment, payload.discussion, "discussion-comment", "created"


async def help_in_venue(ctx: Context, delivery_id: str, repo: str, payload: Venue) -> None:
    comment, thread, venue, posted = _parts(payload)
    body = comment.body or ""
    if payload.action == posted:
        found = parse_commands(body)
    elif payload.action == "edited" and payload.changes and payload.changes.body:
        found = new_commands(payload.changes.body.before, body)
    else:
        return
    helps = [c for c in found if isinstance(c, Command) and c.verb == "help"]
    if not helps:
        return
    await intake.from_signal(ctx, delivery_id, repo, thread, comment, helps[0].text, venue=venue)


async def block_on_record(ctx: Context, delivery_id: str, payload: OrgBlockEvent) -> None:
    """A block an organisation owner made by hand opens a private case for the mediators: who was blocked,
    when and by whom, so that every block is on record and gets a path back (the app's own blocks are
    recorded by their sanction already). Lifting it by hand is written on that case."""
    if payload.sender is None:
        return
    blocked, owner = payload.blocked_user.login, payload.sender.login
    key = f"org-block:{blocked.lower()}"
    if payload.action == "unblocked":
        number = _latest_block_case(ctx.store, key)
        if number is not None:
            note = render("block-lifted-by-hand.md.j2", {"owner": owner, "blocked": blocked, "at": ctx.now})
            await ctx.github.create_comment(ctx.cases_repo, int(number), note, key=f"{key}:lifted:{delivery_id}")
        return
    if payload.action != "blocked":
        return
    request = HelpRequested(delivery_id, "block", owner, None, (blocked,))
    note = (f"`{owner}` blocked `{blocked}` from the organisation by hand, outside Conduct Desk. "
            "Please record why, agree the path back with them, and unblock when it ends "
            "(or ask the SC to approve a sanction for it).")
    file = await intake.open_private_case(ctx, f"org-block:{blocked}:{delivery_id}", request, report=note,
                                          report_is_neutral=True)
    _record_block_case(ctx.store, key, file.number)


# Each block made by hand is its own case: the ledger is write-once per key, so the n-th block of a person
# is recorded under the n-th key, and an unblock is noted on the latest one.
_MOST_BLOCKS = 1000


def _block_key(key: str, n: int) -> str:
    return key if n == 0 else f"{key}:{n}"  # the first block's key, as it was always written


def _latest_block_case(store, key: str) -> str | None:
    return newest(store, lambda n: _block_key(key, n), _MOST_BLOCKS)


def _record_block_case(store, key: str, number: int) -> None:
    for n in range(_MOST_BLOCKS):
        which = _block_key(key, n)
        recorded = store.effect_result(which)
        if recorded == str(number):
            return  # a redelivery of the same block
        if recorded is None:
            remember(store, which, str(number))
            return
