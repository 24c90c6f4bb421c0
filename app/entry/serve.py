"""`conduct serve`: the service against a real GitHub (or a stand-in), configured from the environment."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from app.entry import logs
from app.github.signin import authorize_url, signed_in_from_code
from app.polls.pool import CastPool
from app.web.auth import SignIn
from app.web.ballot import ballot_routes
from app.web.notice_pages import NoticePages
from app.web.oidc import Verifier, json_getter
from app.web.pages import Pages
from app.web.results import result_routes
from app.web.server import create_app
from app.web.workflow_calls import WorkflowCalls
from app.wiring import runtime

log = logging.getLogger("conduct.serve")
REQUIRED = (*runtime.NEEDED, "CONDUCT_WEBHOOK_SECRET", "CONDUCT_SESSION_SECRET", "CONDUCT_OAUTH_CLIENT_ID",
            "CONDUCT_OAUTH_CLIENT_SECRET")


async def build(env: dict[str, str]):
    """The ASGI app for this environment (used by `serve`, and by tests that run it on a real port)."""
    rt = await runtime.from_env(env)
    settings = rt.settings
    client_id, client_secret = env["CONDUCT_OAUTH_CLIENT_ID"], env["CONDUCT_OAUTH_CLIENT_SECRET"]
    api = settings.github_api_url
    sign_in = SignIn(
        settings.session_secret, settings.public_url,
        authorize=lambda redirect, state: authorize_url(api, client_id, redirect, state),
        exchange=lambda code, redirect: signed_in_from_code(api, client_id, client_secret, code, redirect),
        remember_email=lambda login, email: rt.store.set_address(login, email, "github", datetime.now(UTC)),
    )
    pages = Pages(sign_in, rt.context, Path(env.get("CONDUCT_FORMS_DIR", ".github/ISSUE_TEMPLATE")),
                  settings.session_secret)
    # The workflows' calls: each run's OIDC token, for this service's URL, checked against the issuer's keys.
    calls = WorkflowCalls(Verifier(settings.public_url, json_getter(), issuer=settings.oidc_issuer), rt.policy,
                          rt.context, rt.router.apply, settings.public_url)
    # Casts are held in memory and written in one batch before each deadline (app/polls/pool.py).
    pool = CastPool(rt.store)
    # A stop or restart writes the casts the pool held (a process killed outright loses them: README).
    app = create_app(secret=settings.webhook_secret, store=rt.store, handle=rt.router, worker=rt.worker(),
                     on_stop=[pool.write_all],
                     routes=[*calls.routes(), *sign_in.routes(), *pages.routes(),
                             *NoticePages(sign_in, rt.context, settings.session_secret).routes(),
                             *result_routes(rt.store, sign_in),
                             *ballot_routes(rt.store, sign_in, pool=pool)])
    calls.wake = app.state.worker.kick
    return app


def with_public_url(env: dict[str, str], host: str, port: int) -> dict[str, str]:
    """Sign-in sends people back to CONDUCT_PUBLIC_URL; unset, it follows the address the service listens on."""
    if env.get("CONDUCT_PUBLIC_URL"):
        return env
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{shown}:{port}"
    log.info("CONDUCT_PUBLIC_URL is unset: using %s (set it to the address people reach)", url)
    return {**env, "CONDUCT_PUBLIC_URL": url}


def serve(host: str, port: int, log_level: str = "INFO") -> int:
    env = dict(os.environ)
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        print("conduct serve needs: " + ", ".join(missing) + " (to try it locally, `conduct sandbox github` prints "
              "them)", file=sys.stderr)
        return 2
    env = with_public_url(env, host, port)

    async def main():
        # The app is built inside the server's event loop: its GitHub client and worker belong to it.
        app = await build(env)
        # No access log: a line per request with its time and address would let whoever reads the logs
        # pair a ballot's signing request with its cast. The app logs delivery ids and code names only.
        config = uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(), access_log=False,
                                proxy_headers=False, server_header=False, log_config=logs.uvicorn_config())
        await uvicorn.Server(config).serve()

    asyncio.run(main())
    return 0
