"""Reads a case's state from the one comment the app recorded writing, and writes it back."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from app.core.case import Case
from app.core.state_block import StateUnreadable, decode, encode
from app.github.errors import GitHubError, NotFound
from app.github.port import Comment, GitHubPort
from app.render import render
from app.service.once import first_try, newest, once

log = logging.getLogger("conduct.casefile")
_CODE_TITLE = re.compile(r"^(C-\d{4}-\d{3,})\b")

# Where the state is: the id of the comment the app wrote it in, kept in the service's store when the app
# writes it. Nothing on GitHub says which comment holds the state, so no comment anyone else writes (nor
# one of the app's own that quotes them) can be taken for it. The store's ledger is write-once per key, so
# each new state comment (the first, or one put back after a deletion) takes the next generation's key.
_GENERATIONS = 1000


@dataclass(frozen=True)
class Identity:
    """How the app recognises its own comments: by its App id, or by its bot login as a fallback."""

    app_id: int | None
    bot_login: str

    def wrote(self, comment: Comment) -> bool:
        if self.app_id is not None and comment.app_id is not None:
            return comment.app_id == self.app_id
        return comment.author == self.bot_login and comment.author_type == "Bot"


@dataclass(frozen=True)
class CaseFile:
    repo: str
    number: int
    case: Case
    state_comment_id: int | None

    @property
    def ref(self) -> str:
        """`owner/name#number`: the case's name in the store's keys (its outbox, its lock)."""
        return case_ref(self.repo, self.number)


def case_ref(repo: str, number: int) -> str:
    return f"{repo}#{number}"


def ref_number(ref: str, repo: str) -> int | None:
    """The issue number of a `case_ref` in `repo`, else None."""
    head, _, number = ref.rpartition("#")
    return int(number) if head == repo and number.isdigit() else None


def code_from_title(title: str) -> str | None:
    match = _CODE_TITLE.match(title or "")
    return match.group(1) if match else None


def _key(repo: str, number: int, generation: int) -> str:
    return f"state-comment:{repo}#{number}:{generation}"


def state_comment_id(store, repo: str, number: int) -> int | None:
    """The id of the comment holding the case's state on issue `number`, as the app recorded it."""
    found = newest(store, lambda generation: _key(repo, number, generation), _GENERATIONS)
    return int(found) if found is not None else None


def record_state_comment(store, repo: str, number: int, comment_id: int) -> None:
    """Make `comment_id` the case's state comment from now on."""
    for generation in range(_GENERATIONS):
        key = _key(repo, number, generation)
        if store.claim_effect(key):
            store.complete_effect(key, str(comment_id))
            return
        if store.effect_result(key) == str(comment_id) and store.effect_result(_key(repo, number, generation + 1)) \
                is None:
            return  # recorded already, and still the newest
    raise RuntimeError("too many state comments recorded for one case")


async def load(github: GitHubPort, store, repo: str, number: int, me: Identity) -> CaseFile | None:
    """The case on issue `number`, from the comment the app recorded as its state; None if it has none.

    A state that cannot be read (the comment gone, not the app's, or no valid case in it) is said once on
    the case issue and the case is skipped (None): one damaged case never stops the others."""
    comment_id = state_comment_id(store, repo, number)
    if comment_id is None:
        return None
    try:
        comment = await github.get_comment(repo, comment_id)
    except NotFound:
        await unreadable(github, store, repo, number, comment_id, "the state comment is gone")
        return None
    problem = None
    if not me.wrote(comment):
        problem = "the state comment was not written by the app"
    elif comment.issue_number is not None and comment.issue_number != number:
        problem = "the state comment is on another issue"
    else:
        try:
            case = decode(comment.body)
        except StateUnreadable as error:
            problem = str(error)
        else:
            if case is None:
                problem = "the state comment holds no state block"
            else:
                return CaseFile(repo, number, case, comment.id)
    await unreadable(github, store, repo, number, comment_id, problem)
    return None


async def unreadable(github: GitHubPort, store, repo: str, number: int, comment_id: int, problem: str) -> None:
    """Say on the case, once per state comment, that its state cannot be read and the case is skipped."""
    log.warning("case state unreadable issue=%s problem=%s", number, problem)

    async def post() -> str:
        body = render("state-unreadable.md.j2", {"problem": problem, "comment_id": comment_id})
        return str((await github.create_comment(repo, number, body, key=f"state-unreadable:{number}:{comment_id}")).id)

    try:
        await once(store, f"state-unreadable:{repo}#{number}:{comment_id}", post)
    except GitHubError as error:
        # Saying so can fail too (the issue deleted, GitHub down); the case is skipped either way.
        log.warning("could not report the unreadable state issue=%s error=%s", number, type(error).__name__)


def _state_in(body: str) -> Case | None:
    try:
        return decode(body)
    except StateUnreadable:
        return None


async def save(github: GitHubPort, store, file: CaseFile, case: Case) -> CaseFile:
    body = encode(case, render("state.md.j2", {"case": case}))
    if file.state_comment_id is None:
        # An earlier attempt (a worker that died after GitHub posted it) may have made it: look first.
        comment = await github.create_comment(file.repo, file.number, body, key=f"{case.code}:state",
                                              look_first=not first_try(store, f"tried:state:{file.ref}"))
        record_state_comment(store, file.repo, file.number, comment.id)
        if _state_in(comment.body) != case:
            await github.update_comment(file.repo, comment.id, body)  # found from the earlier attempt: bring it up
        return CaseFile(file.repo, file.number, case, comment.id)
    if case != file.case:
        await github.update_comment(file.repo, file.state_comment_id, body)
    return CaseFile(file.repo, file.number, case, file.state_comment_id)
