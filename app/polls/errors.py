"""The one refusal every ballot step raises: an HTTP status and a message fit to show the voter."""
from __future__ import annotations


class BallotRefused(Exception):
    """A request for a ballot, or a cast, that is refused; nothing was recorded."""

    def __init__(self, status: int, message: str, **details):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details  # machine-readable extras for the answer (the recorded seq of a stale cast)
