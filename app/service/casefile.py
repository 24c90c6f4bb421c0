"""Reads a case's state from its private issue and writes it back, trusting only the app's own comment."""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.case import Case
from app.core.state_block import decode, encode
from app.github.port import Comment, GitHubPort
from app.render import render

_CODE_TITLE = re.compile(r"^(C-\d{4}-\d{3,})\b")


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


def code_from_title(title: str) -> str | None:
    match = _CODE_TITLE.match(title or "")
    return match.group(1) if match else None


async def load(github: GitHubPort, repo: str, number: int, me: Identity) -> CaseFile | None:
    """The case on issue `number`, from the newest state block the app itself wrote; None if none.

    A state block in anyone else's comment is ignored: text a reporter pastes can never forge state."""
    for comment in reversed(await github.list_comments(repo, number)):
        if not me.wrote(comment):
            continue
        case = decode(comment.body)
        if case is not None:
            return CaseFile(repo, number, case, comment.id)
    return None


async def save(github: GitHubPort, file: CaseFile, case: Case) -> CaseFile:
    body = encode(case, render("state.md.j2", {"case": case}))
    if file.state_comment_id is None:
        comment = await github.create_comment(file.repo, file.number, body, key=f"{case.code}:state")
        return CaseFile(file.repo, file.number, case, comment.id)
    if case != file.case:
        await github.update_comment(file.repo, file.state_comment_id, body)
    return CaseFile(file.repo, file.number, case, file.state_comment_id)
