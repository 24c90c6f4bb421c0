"""Comments on the private case that a resumed apply or lift must not repeat: found by marker first."""
from __future__ import annotations

import logging

from app.github.adapter import marker
from app.github.errors import GitHubError
from app.github.port import Comment, GitHubPort
from app.render import render
from app.service.once import first_try

log = logging.getLogger("conduct.sanctions")


async def post_once(github: GitHubPort, repo: str, number: int, key: str, template: str, context: dict,
                    store=None) -> Comment:
    """Post the rendered template under `key`, unless a comment with that key's marker is already there.

    The adapter only looks for its marker after an unclear failure; a process that died after posting
    but before recording it needs this look first, or the resumed run would post a second copy. Given the
    store, the look is made only when an earlier try is on its ledger: a first try cannot find anything."""
    if store is None or not first_try(store, f"tried:post:{key}"):
        tag = marker(key)
        for comment in await github.list_comments(repo, number):
            if tag in comment.body:
                return comment
    return await github.create_comment(repo, number, render(template, context), key=key)


async def upsert(github: GitHubPort, repo: str, number: int, key: str, comment_id: int | None, template: str,
                 context: dict) -> int:
    """One comment kept up to date (a notice), created on first use; returns its id."""
    if comment_id is not None:
        body = f"{render(template, context).rstrip()}\n\n{marker(key)}"
        await github.update_comment(repo, comment_id, body)
        return comment_id
    return (await post_once(github, repo, number, key, template, context)).id


async def notice(desk, record, number: int, phase: str, done: bool) -> None:
    """The one comment that shows an unfinished apply or lift ("Applying", "Lifting") on the case:
    written on the first failure, updated on each later one, and once more when it is done."""
    field = f"notice:{phase}"
    context = {"decision": record.decision_id, "error": record.error_class, "attempts": record.attempts,
               "done": done, "phase": phase}
    key = f"sanction:{record.decision_id}:{phase.lower()}-notice"
    try:
        comment_id = await upsert(desk.github, desk.cases_repo, number, key, record.details.get(field),
                                  "sanction-notice.md.j2", context)
    except GitHubError as error:
        # GitHub failing is most likely why the step failed too; the next attempt writes the notice.
        log.warning("notice not written decision=%s error=%s", record.decision_id, type(error).__name__)
        return
    if record.details.get(field) != comment_id:
        desk.store.update_details(record.decision_id, desk.now, **{field: comment_id})
