"""Sends one e-mail through the operator's SMTP server (CONDUCT_SMTP_* settings), with aiosmtplib."""
from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

TLS_MODES = ("starttls", "tls", "none")


class MailNotConfigured(ValueError):
    """CONDUCT_SMTP_* settings that cannot be used; the message names the setting."""


class MailRefused(Exception):
    """The server refused the message for good (a 5xx answer): trying again would not help."""


class MailDeferred(Exception):
    """The message could not be handed over now (no connection, a 4xx answer): try again later."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    tls: str = "starttls"
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: dict[str, str]) -> SmtpSettings | None:
        """None when CONDUCT_SMTP_HOST is unset: the service then sends nothing and says so on each case."""
        host = env.get("CONDUCT_SMTP_HOST")
        if not host:
            return None
        tls = (env.get("CONDUCT_SMTP_TLS") or "starttls").lower()
        if tls not in TLS_MODES:
            raise MailNotConfigured(f"CONDUCT_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}")
        port_text = env.get("CONDUCT_SMTP_PORT") or {"tls": "465", "starttls": "587", "none": "25"}[tls]
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise MailNotConfigured(f"CONDUCT_SMTP_PORT must be a port number, not {port_text!r}")
        sender = env.get("CONDUCT_SMTP_FROM")
        if not sender or "@" not in sender:
            raise MailNotConfigured("CONDUCT_SMTP_FROM must be the address notices come from")
        return cls(host, int(port_text), sender, env.get("CONDUCT_SMTP_USERNAME") or None,
                   env.get("CONDUCT_SMTP_PASSWORD") or None, tls)


class Mailer:
    """One `send` per notice; a connection per message is plenty for the few notices a desk sends."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    async def send(self, to: str, subject: str, body: str) -> str:
        """Hand the message to the server; its Message-ID. Raises MailRefused or MailDeferred."""
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.sender, to, subject
        message["Message-ID"] = make_msgid(domain=s.sender.rsplit("@", 1)[1])
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to the desk
        message.set_content(body)
        try:
            await aiosmtplib.send(message, hostname=s.host, port=s.port, username=s.username, password=s.password,
                                  use_tls=s.tls == "tls", start_tls=True if s.tls == "starttls" else False,
                                  timeout=s.timeout)
        except aiosmtplib.SMTPRecipientsRefused as error:
            # One recipient per message: its own answer says whether to try again.
            code = min((refused.code for refused in error.recipients), default=550)
            raise (MailRefused if code >= 500 else MailDeferred)(str(code)) from error
        except aiosmtplib.SMTPResponseException as error:
            raise (MailRefused if error.code >= 500 else MailDeferred)(str(error.code)) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailDeferred(type(error).__name__) from error
        return message["Message-ID"]
