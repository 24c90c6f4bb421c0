"""Settings from the environment: the one place that reads CONDUCT_* variables."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from app.github.client import DEFAULT_API_VERSION as DEFAULT_GITHUB_API_VERSION
from app.github.client import DEFAULT_WRITE_INTERVAL
from app.notices.mailer import SmtpSettings
from app.service.worker import LEASE, WAKE_EVERY

DEFAULT_DATABASE_URL = "sqlite:///conduct.sqlite3"
DEFAULT_GITHUB_API_URL = "https://api.github.com/"
GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    github_api_url: str | None = None  # None: use the local GitHub stand-in where a command allows it
    github_api_version: str = DEFAULT_GITHUB_API_VERSION
    webhook_secret: str = ""
    app_id: str | None = None
    app_private_key: str | None = None
    policy_dir: str = "policy"
    public_url: str = "http://127.0.0.1:8000"
    session_secret: str = ""
    smtp: SmtpSettings | None = None  # None: no e-mail; each case tells the mediators to hand links over
    # Who signs the workflows' OIDC tokens: github.com's, a GHES host's `/_services/token`, or a stand-in's.
    oidc_issuer: str = GITHUB_OIDC_ISSUER
    # How long a claimed delivery is held before any process may take it up (a dead process's work resumes
    # after it), and how often an idle process looks for such work; the worker's defaults unless set.
    lease_seconds: float = LEASE.total_seconds()
    wake_seconds: float = WAKE_EVERY
    # GitHub asks for a second between an installation's writes; only a test against the stand-in goes faster.
    write_interval: float = DEFAULT_WRITE_INTERVAL

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        lease = _seconds(env, "CONDUCT_LEASE_SECONDS", LEASE.total_seconds())
        wake = _seconds(env, "CONDUCT_WAKE_SECONDS", WAKE_EVERY)
        if wake >= lease:
            # An idle process must look for a dead one's work well within the lease, or it waits a second one.
            raise ValueError("CONDUCT_WAKE_SECONDS must be shorter than CONDUCT_LEASE_SECONDS")
        return cls(
            database_url=env.get("CONDUCT_DATABASE_URL") or DEFAULT_DATABASE_URL,
            github_api_url=env.get("CONDUCT_GITHUB_API_URL") or None,
            github_api_version=env.get("CONDUCT_GITHUB_API_VERSION") or DEFAULT_GITHUB_API_VERSION,
            webhook_secret=env.get("CONDUCT_WEBHOOK_SECRET", ""),
            app_id=env.get("CONDUCT_APP_ID") or None,
            app_private_key=env.get("CONDUCT_APP_PRIVATE_KEY") or None,
            policy_dir=env.get("CONDUCT_POLICY_DIR") or "policy",
            public_url=(env.get("CONDUCT_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            session_secret=env.get("CONDUCT_SESSION_SECRET", ""),
            smtp=SmtpSettings.from_env(env),
            oidc_issuer=(env.get("CONDUCT_OIDC_ISSUER") or oidc_issuer_for(env.get("CONDUCT_GITHUB_API_URL"))),
            lease_seconds=lease,
            wake_seconds=wake,
            write_interval=_seconds(env, "CONDUCT_WRITE_INTERVAL_SECONDS", DEFAULT_WRITE_INTERVAL, zero=True),
        )


def _seconds(env: dict[str, str], name: str, default: float, zero: bool = False) -> float:
    """A positive (or, with `zero`, non-negative) number of seconds, or the default when unset; anything
    else is the operator's mistake."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {text!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise ValueError(f"{name} must be a {'non-negative' if zero else 'positive'} number of seconds")
    return value


def oidc_issuer_for(api_url: str | None) -> str:
    """GitHub's documented issuer: token.actions.githubusercontent.com, or `https://HOST/_services/token` on
    Enterprise Server (whose API is `https://HOST/api/v3`)."""
    base = (api_url or "").rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/api/v3")] + "/_services/token"
    return GITHUB_OIDC_ISSUER
