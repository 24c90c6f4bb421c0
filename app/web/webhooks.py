"""POST /webhooks/github: verify, store durably, acknowledge at once; the worker processes afterwards."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.web.bounded import BadBody, loads, read_body
from app.web.signature import signature_ok

log = logging.getLogger("conduct.webhooks")

# Events the app acts on. Anything else is acknowledged and dropped, logged by name only.
# `membership` and `team` only drop the cached role lists (app/service/roles.py).
HANDLED_EVENTS = frozenset({"issues", "issue_comment", "deployment_review", "workflow_run",
                            "pull_request_review_comment", "pull_request_review", "discussion_comment", "org_block",
                            "membership", "team"})
_MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def webhook_endpoint(secret: str, record: Callable[[str, str, bytes, datetime], Awaitable[bool]],
                     kick: Callable[[], None], now: Callable[[], datetime] = lambda: datetime.now(UTC)):
    """Build the endpoint. `record` stores a delivery durably (True if it is new work); `kick` wakes the
    worker. Nothing here parses more of the payload than "is it a JSON object"."""

    async def receive(request: Request) -> JSONResponse:
        try:
            body = await read_body(request, _MAX_BODY)
        except BadBody as refusal:
            return _answer(refusal.status, str(refusal))
        if not signature_ok(secret, body, request.headers.get("x-hub-signature-256")):
            # Missing, malformed, SHA-1-only or wrong: all the same answer, and nothing is stored.
            return _answer(401, "missing or invalid X-Hub-Signature-256")
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        if not event or not delivery or len(delivery) > 100:
            return _answer(400, "missing X-GitHub-Event or X-GitHub-Delivery header")
        try:
            payload = loads(body)
        except BadBody as refusal:
            return _answer(refusal.status, str(refusal))
        if not isinstance(payload, dict):
            return _answer(400, "body is not a JSON object")
        if event not in HANDLED_EVENTS:
            log.info("ignored event=%s delivery=%s", event, delivery)
            return _answer(202, "ignored")
        # The durable write runs off the event loop (app/web/group_commit.py): the answer still waits for it.
        queued = await record(delivery, event, body, now())
        log.info("stored event=%s delivery=%s new=%s", event, delivery, queued)
        if queued:
            kick()
        return _answer(202, "accepted" if queued else "already received")

    return receive
