"""`conduct serve`: the service against a real GitHub (or a stand-in), configured from the environment."""
from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from app.config import Settings
from app.github.adapter import GitHubAdapter
from app.github.client import GitHubSettings, app_client
from app.github.signin import authorize_url, login_from_code
from app.policy_files import load_policy
from app.service.casefile import Identity
from app.service.context import Context
from app.service.router import Router
from app.store import open_store
from app.web.auth import SignIn
from app.web.pages import Pages
from app.web.server import create_app

REQUIRED = ("CONDUCT_GITHUB_API_URL", "CONDUCT_APP_ID", "CONDUCT_APP_PRIVATE_KEY", "CONDUCT_WEBHOOK_SECRET",
            "CONDUCT_SESSION_SECRET", "CONDUCT_OAUTH_CLIENT_ID", "CONDUCT_OAUTH_CLIENT_SECRET")


async def build(settings: Settings, env: dict[str, str]):
    """The ASGI app for these settings (used by `serve` and by tests that run it on a real port)."""
    policy = load_policy(settings.policy_dir)
    store = open_store(settings.database_url)
    github_settings = GitHubSettings(api_url=settings.github_api_url, app_id=int(settings.app_id),
                                     private_key=settings.app_private_key)
    client, installation_id = await app_client(policy.roles.organization, github_settings.app_id,
                                               github_settings.private_key, github_settings.api_url)
    github = GitHubAdapter(client, installation_id=installation_id)
    me = Identity(int(settings.app_id), env.get("CONDUCT_APP_BOT_LOGIN", "conduct-desk[bot]"))
    router = Router(github, policy, store, me)
    client_id, client_secret = env["CONDUCT_OAUTH_CLIENT_ID"], env["CONDUCT_OAUTH_CLIENT_SECRET"]
    api = settings.github_api_url
    sign_in = SignIn(
        settings.session_secret, settings.public_url,
        authorize=lambda redirect, state: authorize_url(api, client_id, redirect, state),
        exchange=lambda code, redirect: login_from_code(api, client_id, client_secret, code, redirect),
    )
    pages = Pages(sign_in, lambda: Context.make(github, policy, store, me, datetime.now(UTC)),
                  Path(env.get("CONDUCT_FORMS_DIR", ".github/ISSUE_TEMPLATE")), settings.session_secret)
    return create_app(secret=settings.webhook_secret, store=store, handle=router,
                      routes=[*sign_in.routes(), *pages.routes()])


def serve(host: str, port: int) -> int:
    env = dict(os.environ)
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        print("conduct serve needs: " + ", ".join(missing), file=sys.stderr)
        print("To try it locally, start `conduct sandbox github` and use the values it prints.", file=sys.stderr)
        return 2
    settings = Settings.from_env(env)

    async def main():
        # The app is built inside the server's event loop: its GitHub client and worker belong to it.
        app = await build(settings, env)
        await uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info")).serve()

    asyncio.run(main())
    return 0
