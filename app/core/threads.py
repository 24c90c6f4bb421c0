"""Where a case's messages point: a thread's (repository, number) from its URL, and the party message marker."""
from __future__ import annotations

import hashlib
import re

# Host, owner and name as GitHub allows them: nothing else (a space, "|", "@", "!") can ride along.
_THREAD = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d+)?/(?:api/v3/)?([A-Za-z0-9-]+)/([A-Za-z0-9._-]+)/(?:issues|pull)/(\d+)")
# Marks a comment on the case issue as a message for one party's inbox.
MESSAGE_MARKER = "<!-- conduct-desk:message to={login} -->"
# Marks a party's own reply, written through their inbox, so the inbox can show both sides.
REPLY_MARKER = "<!-- conduct-desk:reply from={login} -->"


def canonical_thread(text: str) -> str | None:
    """Just the issue or pull request URL at the start of `text` (what a reporter typed), or None."""
    match = _THREAD.match(text or "")
    return match.group(0) if match else None


def thread_of(url: str) -> tuple[str, int] | None:
    """(owner/repo, number) of an issue or pull request URL, or None."""
    match = _THREAD.match(url or "")
    return (f"{match.group(1)}/{match.group(2)}", int(match.group(3))) if match else None


def public_key(key: str) -> str:
    """The marker key for a post in a public thread: effect keys start with the case code, which must never
    be readable in public (a comment's raw body shows its hidden marker), so the thread gets a digest."""
    return "t-" + hashlib.sha256(key.encode()).hexdigest()[:32]
