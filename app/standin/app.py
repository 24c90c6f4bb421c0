"""Assemble the stand-in: API routes (also under `/api/v3`), web routes, control plane and edge middleware."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount

from . import (
    auth,
    control,
    graphql_api,
    oidc,
    rest_actions,
    rest_admin,
    rest_issues,
    rest_orgs,
    rest_pulls,
    rest_search,
)
from .edge import Edge
from .http import GitHubError
from .state import SandboxState


async def _github_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GitHubError)
    return exc.response()


async def _http_error(_request: Request, exc: Exception) -> Response:
    # Unknown paths and methods answer like GitHub's API does, not with Starlette's plain text.
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = "Not Found" if status in (404, 405) else "Server Error"
    return JSONResponse(
        {
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": str(404 if status == 405 else status),
        },
        status_code=404 if status == 405 else status,
    )


def create_app(
    state: SandboxState | None = None,
    *,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The stand-in as an ASGI app; `webhook_transport` lets tests deliver webhooks in-process."""
    state = state if state is not None else SandboxState()
    state.webhooks.configure(webhook_url, webhook_secret, webhook_transport)
    api = [
        *auth.api_routes,
        *rest_issues.routes,
        *rest_pulls.routes,
        *rest_orgs.routes,
        *rest_search.routes,
        *rest_admin.routes,  # before the Actions routes: it wraps their environment route
        *rest_actions.routes,
        *graphql_api.routes,
    ]
    routes = [*control.routes, *oidc.routes, *auth.web_routes, *graphql_api.web_routes, Mount("/api/v3", routes=api),
              *api]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Edge, state=state)],
        exception_handlers={GitHubError: _github_error, HTTPException: _http_error},
    )
    app.state.sandbox = state
    return app
