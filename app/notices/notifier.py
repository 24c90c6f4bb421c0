"""Sends a notice to a person once per key: looks up their address, records the notice, tries to send it."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from app.notices.kinds import compose
from app.notices.mailer import MailDeferred, Mailer, MailRefused

log = logging.getLogger("conduct.notices")
MAX_ATTEMPTS = 8
# Outcomes for which nobody was e-mailed and the mediators should hand the link over themselves.
HAND_OVER = ("no-address", "no-mailer")


def notice_id(key: str) -> str:
    """A short id for logs: the key itself names people."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


class Notifier:
    """`notify(key, login, kind, link)`: 'sent', 'waiting' (retried by `retry`), 'failed', 'off',
    'no-address' or 'no-mailer'. A key seen before returns that notice's status and sends nothing."""

    def __init__(self, store, mailer: Mailer | None, public_url: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store, self.mailer, self.public_url, self.clock = store, mailer, public_url.rstrip("/"), clock

    @property
    def settings_link(self) -> str:
        return f"{self.public_url}/notices"

    def link(self, path: str) -> str:
        return f"{self.public_url}/{path.lstrip('/')}"

    async def notify(self, key: str, login: str, kind: str, link: str, case: str = "-") -> str:
        notice = compose(kind, link, self.settings_link)
        address = self.store.address(login)
        status = self._status(address)
        if not self.store.queue_notice(key, login, kind, notice.subject, notice.body, status, self.clock()):
            known = self.store.notice(key)
            return known.status if known else status
        if status != "waiting":
            log.info("notice %s notice=%s kind=%s case=%s", status, notice_id(key), kind, case)
            return status
        return await self._attempt(key, address.email, notice.subject, notice.body, kind, case, attempts=0)

    async def retry(self, limit: int = 100) -> dict[str, int]:
        """Try the waiting notices again (the sweep calls this); counts by outcome."""
        counts: dict[str, int] = {}
        for notice in self.store.notices_waiting(limit):
            address = self.store.address(notice.login)
            outcome = self._status(address)
            if outcome != "waiting":
                self.store.mark_notice(notice.key, outcome, self.clock())
            else:
                outcome = await self._attempt(notice.key, address.email, notice.subject, notice.body, notice.kind,
                                              "-", notice.attempts)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def _status(self, address) -> str:
        """What can be done for this person now: 'waiting' means an e-mail can be sent."""
        if address is not None and address.notices_off:
            return "off"
        if address is None or not address.email:
            return "no-address"
        return "no-mailer" if self.mailer is None else "waiting"

    async def _attempt(self, key: str, email: str, subject: str, body: str, kind: str, case: str,
                       attempts: int) -> str:
        assert self.mailer is not None
        try:
            await self.mailer.send(email, subject, body)
        except MailRefused as error:
            status, error_class = "failed", f"refused-{error}"
        except MailDeferred as error:
            status = "failed" if attempts + 1 >= MAX_ATTEMPTS else "waiting"
            error_class = f"deferred-{error}"
        else:
            status, error_class = "sent", None
        self.store.mark_notice(key, status, self.clock(), error_class)
        log.info("notice %s notice=%s kind=%s case=%s", status, notice_id(key), kind, case)
        return status
