"""Settings from the environment: the one place that reads CONDUCT_* variables."""
from __future__ import annotations

import os
from dataclasses import dataclass

from app.github.client import DEFAULT_API_VERSION as DEFAULT_GITHUB_API_VERSION
from app.notices.mailer import SmtpSettings

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

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
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
        )


def oidc_issuer_for(api_url: str | None) -> str:
    """GitHub's documented issuer: token.actions.githubusercontent.com, or `https://HOST/_services/token` on
    Enterprise Server (whose API is `https://HOST/api/v3`)."""
    base = (api_url or "").rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/api/v3")] + "/_services/token"
    return GITHUB_OIDC_ISSUER
