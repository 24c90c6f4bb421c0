"""Servers the benchmarks start as their own processes, so no client shares their event loop or their CPU time.

Run as `python tests/bench/servers.py KIND PORT [ARGS]`; prints `ready` once it listens, stops on SIGTERM.
KIND is one of:
  bare PORT                 an endpoint that reads the body and answers 200
  gidgethub PORT DB         a gidgethub receiver (sansio.Event.from_http) that stores each delivery in SQLite
                            (WAL, synchronous=FULL) on the event loop before it answers 202: the reference
  service PORT DB           Conduct Desk's service (POST /webhooks/github) on a SQLite store
  standin PORT KEYFILE N    the GitHub stand-in seeded from the policy, with the App installed and N closed
                            cases and 2 open ones on file (their state comment ids in KEYFILE.states.json)
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def bare_app() -> Starlette:
    async def hook(request: Request):
        await request.body()
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def gidgethub_app(db: str) -> Starlette:
    from gidgethub import BadRequest, sansio

    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, event TEXT, payload BLOB)")

    async def hook(request: Request):
        body = await request.body()
        try:
            event = sansio.Event.from_http(dict(request.headers), body, secret=SECRET)
        except BadRequest as error:
            return PlainTextResponse(str(error.status_code), status_code=error.status_code)
        conn.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?)", (event.delivery_id, event.event, body))
        return JSONResponse({"message": "accepted"}, status_code=202)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def service_app(db: str) -> Starlette:
    from app.store import open_store
    from app.web.server import create_app

    async def noop(delivery) -> None:
        return None

    return create_app(secret=SECRET, store=open_store(f"sqlite:///{db}"), handle=noop)


def a_case(number: int, stage: str, issue_open: bool):
    from app.core.case import Case
    from app.core.stages import Stage

    opened = T0 - timedelta(days=30, minutes=number)
    case = Case(code=f"C-2025-{number:04d}", stage=Stage(stage), channel="form", opened_at=opened,
                acknowledge_by=opened + timedelta(days=2), acknowledged_at=opened + timedelta(hours=3),
                reporter=f"reporter-{number % 3 + 1}", parties=(f"reporter-{number % 3 + 1}", "participant-2"),
                mediators=("mediator-1",))
    if issue_open:
        case = case.model_copy(update={"opened_at": T0 - timedelta(hours=1), "acknowledge_by": T0 + timedelta(days=2)})
    return case


async def seed_cases(app, state, count: int) -> dict[int, int]:
    """File `count` closed cases and two open ones as the App would have, through the stand-in's own API.
    Returns each case issue's state comment id, which the service's store records when the app writes it."""
    import httpx

    from app.core.state_block import encode
    from app.github.adapter import GitHubAdapter
    from app.github.client import ClientOptions, WritePacer, token_client
    from app.wiring.local import INSTALLATION_ID

    options = ClientOptions(transport=httpx.ASGITransport(app=app), pacer=WritePacer(0))
    gh = GitHubAdapter(token_client(state.installation_token(INSTALLATION_ID), "http://seed.local/", options))
    cases_repo = "example-org/conduct-cases"
    states: dict[int, int] = {}
    for number in range(1, count + 3):
        issue_open = number > count
        case = a_case(number, "mediation" if issue_open else "closed", issue_open)
        issue = await gh.create_issue(cases_repo, case.code, "", [case.stage.label], key=f"seed-{case.code}")
        states[issue.number] = (await gh.create_comment(cases_repo, issue.number, encode(case, "state"),
                                                        key=f"{case.code}:state")).id
        if not issue_open:
            await gh.update_issue(cases_repo, issue.number, state="closed", state_reason="completed")
    state.rate_used.clear()  # the seeding is history, not the benchmark's traffic
    return states


def standin_app(keyfile: str, count: int):
    from app.standin import SandboxState, create_app
    from app.wiring.local import APP_ID, install, seed
    from app.wiring.policy_files import load_policy

    policy = load_policy(ROOT / "policy")
    state = SandboxState(clock=lambda: T0)
    seed(state, policy)
    public = Path(keyfile).with_suffix(".pub").read_text()
    state.register_app(APP_ID, public, slug="conduct-desk", client_id="Iv1.bench", client_secret="bench")
    install(state, policy)
    app = create_app(state)
    states = asyncio.run(seed_cases(app, state, count))
    Path(keyfile).with_suffix(".states.json").write_text(json.dumps(states))
    return app


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "bare":
        app = bare_app()
    elif kind == "gidgethub":
        app = gidgethub_app(sys.argv[3])
    elif kind == "service":
        app = service_app(sys.argv[3])
    elif kind == "standin":
        app = standin_app(sys.argv[3], int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown server kind {kind!r}")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets=None):
        await original(sockets)
        print("ready", flush=True)

    server.startup = startup
    server.run()


if __name__ == "__main__":
    main()
