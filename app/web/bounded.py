"""Request bodies read within their limit, and JSON parsed within bounds: a clear 4xx for anything else.

Content-Length is checked before a byte is read, and a body without one is read in chunks only up to
the limit, so an oversized request costs no memory. JSON that nests deeper or carries larger integers
than any real request is refused after parsing, before anything walks it again."""
from __future__ import annotations

import json

from starlette.requests import Request

MAX_DEPTH = 48  # GitHub's webhook payloads nest about a dozen levels
MAX_INT = 2**63  # every id GitHub hands out fits in 64 bits


class BadBody(Exception):
    """A body refused as it is: `status` is the HTTP answer (400 or 413)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or BadBody(413) as soon as it is known to pass `limit` bytes."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise BadBody(400, "Content-Length is not a number")
        if int(length) > limit:
            raise BadBody(413, "payload too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadBody(413, "payload too large")
        chunks.append(chunk)
    return b"".join(chunks)


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> object:
    """Parse JSON, refusing (BadBody 400) what is not JSON, nests deeper than `max_depth`, or holds an
    integer beyond 64 bits. Python's own limits (recursion, 4,300-digit integers) answer 400 too."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise BadBody(400, "body is not JSON within bounds") from None
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
            continue
        if isinstance(value, int):
            if not -MAX_INT <= value < MAX_INT:
                raise BadBody(400, "body holds an integer out of bounds")
            continue
        if depth > max_depth:
            raise BadBody(400, "body nests too deeply")
        items = value.values() if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in items)
    return data
