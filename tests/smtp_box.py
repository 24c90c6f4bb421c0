"""A real SMTP server for tests (aiosmtpd on a free local port) that keeps every message it accepts."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Keep:
    def __init__(self, box: Mailbox):
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address in self.box.refuse:
            return "550 5.1.1 no such mailbox"
        if address in self.box.defer:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append((tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"


class Mailbox:
    """Start with `start()`; `messages` holds (recipients, message); `refuse`/`defer` hold addresses to turn
    away with a 5xx or 4xx answer. `env` is what the service needs to send through it."""

    def __init__(self):
        self.port = _free_port()
        self.messages: list[tuple[tuple[str, ...], EmailMessage]] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.lock = threading.Lock()
        self.running = False
        self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)

    @property
    def env(self) -> dict[str, str]:
        return {"CONDUCT_SMTP_HOST": "127.0.0.1", "CONDUCT_SMTP_PORT": str(self.port), "CONDUCT_SMTP_TLS": "none",
                "CONDUCT_SMTP_FROM": "desk@conduct.example"}

    def start(self) -> Mailbox:
        self.controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]
