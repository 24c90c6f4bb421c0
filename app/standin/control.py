"""The `/_sandbox/` control plane: seed, inject faults, read state and deliveries from another process."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .http import base_of, state_of
from .ids import iso
from .oidc import start_job
from .state import SandboxError

# The seeding helpers another process may call through POST /_sandbox/call.
CALLABLE = (
    "add_org",
    "add_user",
    "add_org_member",
    "add_team",
    "add_repo",
    "add_discussion_category",
    "add_environment",
    "add_workflow",
    "register_app",
    "install_app",
    "user_token",
    "complete_run",
    "schedule_run",
)


def plain(value):
    """Make records JSON-ready: dataclasses to dicts, datetimes to ISO, sets and tuples to lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, re.Pattern):
        return value.pattern
    return value


async def inject(request: Request) -> Response:
    data = await request.json()
    try:
        state_of(request).inject(
            data["method"],
            data["path_regex"],
            data.get("status"),
            times=int(data.get("times", 1)),
            retry_after=data.get("retry_after"),
            delay=data.get("delay"),
            kind=data.get("kind", "error"),
        )
    except (KeyError, SandboxError, re.error) as exc:
        return JSONResponse({"message": str(exc)}, status_code=422)
    return JSONResponse({"faults": plain(state_of(request).faults)}, status_code=201)


async def clear_faults(request: Request) -> Response:
    state_of(request).faults.clear()
    return Response(status_code=204)


async def read_state(request: Request) -> Response:
    s = state_of(request)
    return JSONResponse(
        {
            "users": plain(s.users),
            "orgs": plain(s.orgs),
            "repos": plain(s.repos),
            "comments": {f"{repo}#{number}": plain(items) for (repo, number), items in s.comments.items()},
            "installations": plain(s.installations),
            "faults": plain(s.faults),
            "deliveries": [d.summary() for d in s.deliveries],
        }
    )


async def deliveries(request: Request) -> Response:
    return JSONResponse([d.summary() for d in state_of(request).deliveries])


async def drain(request: Request) -> Response:
    await state_of(request).drain_webhooks()
    return JSONResponse([d.summary() for d in state_of(request).deliveries])


async def redeliver(request: Request) -> Response:
    again = state_of(request).webhooks.redeliver(request.path_params["delivery_id"])
    if again is None:
        return JSONResponse({"message": "Not Found"}, status_code=404)
    return JSONResponse(again.summary(), status_code=202)


async def call(request: Request) -> Response:
    data = await request.json()
    name = data.get("method")
    if name not in CALLABLE:
        return JSONResponse({"message": f"method must be one of {CALLABLE}"}, status_code=422)
    kwargs = data.get("args") or {}
    if name == "add_environment" and "reviewers" in kwargs:
        kwargs["reviewers"] = [tuple(r) for r in kwargs["reviewers"]]
    try:
        result = getattr(state_of(request), name)(**kwargs)
    except (TypeError, SandboxError, KeyError) as exc:
        return JSONResponse({"message": str(exc)}, status_code=422)
    return JSONResponse({"result": plain(result)})


async def start_job_route(request: Request) -> Response:
    """What GitHub's runner puts in a starting job's environment (its OIDC token URL and request token), for
    a test in another process that plays the runner; a job behind an unapproved environment is refused."""
    data = await request.json()
    try:
        values = start_job(state_of(request), data["repo"], int(data["run_id"]), data["job"],
                           data.get("environment"), bool(data.get("id_token", True)),
                           base=base_of(request).web)
    except (KeyError, TypeError, ValueError, SandboxError) as exc:
        return JSONResponse({"message": str(exc)}, status_code=422)
    return JSONResponse(values, status_code=201)


routes = [
    Route("/_sandbox/jobs", start_job_route, methods=["POST"]),
    Route("/_sandbox/inject", inject, methods=["POST"]),
    Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
    Route("/_sandbox/state", read_state, methods=["GET"]),
    Route("/_sandbox/deliveries", deliveries, methods=["GET"]),
    Route("/_sandbox/drain", drain, methods=["POST"]),
    Route("/_sandbox/redeliver/{delivery_id}", redeliver, methods=["POST"]),
    Route("/_sandbox/call", call, methods=["POST"]),
]
