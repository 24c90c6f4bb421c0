"""Where a case's messages point: a thread's (repository, number) from its URL, and the party message marker."""
from __future__ import annotations

import re

_THREAD = re.compile(r"^https?://[^/]+/(?:api/v3/)?([^/]+)/([^/]+)/(?:issues|pull)/(\d+)")
# Marks a comment on the case issue as a message for one party's inbox.
MESSAGE_MARKER = "<!-- conduct-desk:message to={login} -->"
# Marks a party's own reply, written through their inbox, so the inbox can show both sides.
REPLY_MARKER = "<!-- conduct-desk:reply from={login} -->"


def thread_of(url: str) -> tuple[str, int] | None:
    """(owner/repo, number) of an issue or pull request URL, or None."""
    match = _THREAD.match(url or "")
    return (f"{match.group(1)}/{match.group(2)}", int(match.group(3))) if match else None
