"""The few failures the GitHub adapter raises; their messages never carry request or response bodies."""

from __future__ import annotations

from datetime import datetime


class GitHubError(Exception):
    """A GitHub call failed. `operation` names the call (e.g. `issues/create-comment`), never its content."""

    retryable = False

    def __init__(self, operation: str, status: int | None = None, detail: str = "") -> None:
        self.operation = operation
        self.status = status
        # `detail` is for fixed, adapter-written words only (an error *type*, "timeout"), not GitHub's text.
        self.detail = detail
        parts = [operation]
        if status is not None:
            parts.append(f"HTTP {status}")
        if detail:
            parts.append(detail)
        super().__init__(": ".join(parts))


class NotFound(GitHubError):
    """404 or 410: the thing is not there, or this installation may not see it."""


class Moved(GitHubError):
    """301 on an issue: it was transferred; `location` is its API URL in the repository it is in now."""

    def __init__(self, operation: str, location: str) -> None:
        self.location = location
        super().__init__(operation, 301, "moved")


class Forbidden(GitHubError):
    """401 or 403 (not a rate limit): the credentials lack a permission."""


class Invalid(GitHubError):
    """400, 409 or 422: GitHub refused the request as it was written; retrying it unchanged will not help."""


class Unavailable(GitHubError):
    """5xx, a timeout or a dropped connection: the request may or may not have taken effect; retry later."""

    retryable = True


class RateLimited(GitHubError):
    """A primary or secondary rate limit: do not retry before `retry_at` (UTC). The caller reschedules."""

    retryable = True

    def __init__(self, operation: str, retry_at: datetime, status: int | None = None) -> None:
        self.retry_at = retry_at
        super().__init__(operation, status, f"retry at {retry_at.isoformat()}")
