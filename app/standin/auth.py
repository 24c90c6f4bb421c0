"""App authentication (RS256 JWT → installation token) and the OAuth web flow for signing in users."""

from __future__ import annotations

import html
import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from . import shapes
from .http import GitHubError, base_of, bearer, not_found, state_of
from .ids import iso, node_id
from .model import App, Installation
from .state import SandboxState

# What the stand-in grants every installation: the permissions Conduct Desk's app asks for.
PERMISSIONS = {
    "actions": "write",
    "deployments": "write",
    "discussions": "write",
    "environments": "write",
    "issues": "write",
    "members": "write",
    "metadata": "read",
    "organization_administration": "read",
    "organization_user_blocking": "write",
    "interaction_limits": "write",
}
EVENTS = ["issues", "issue_comment", "discussion", "workflow_run", "deployment_review"]
OAUTH_DOCS = (
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
)


def _app_from_jwt(request: Request) -> App:
    """Verify the app's JWT as GitHub does: RS256 with the registered key, `iss` the app, exp ≤ 10 min."""
    state = state_of(request)
    token = bearer(request)
    if token is None:
        raise GitHubError(401, "A JSON web token could not be decoded")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        issuer = str(claims.get("iss", ""))
        app = next((a for a in state.apps.values() if issuer in (str(a.id), a.client_id)), None)
        if app is None:
            raise GitHubError(401, "A JSON web token could not be decoded")
        claims = jwt.decode(
            token,
            app.public_key_pem,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "require": ["iat", "exp", "iss"]},
        )
    except jwt.InvalidTokenError:
        raise GitHubError(401, "A JSON web token could not be decoded") from None
    now = state.jwt_clock().timestamp()
    # A JWT is stamped by the client's own clock, which a simulated stand-in clock cannot move; so the
    # claims are checked against `jwt_clock` (the OS clock unless a test sets it), not the stand-in's.
    if claims["exp"] <= now:
        raise GitHubError(
            401,
            "'Expiration time' claim ('exp') must be a numeric value representing the "
            "future time at which the assertion expires",
        )
    if claims["exp"] - claims["iat"] > 600 or claims["exp"] > now + 600 + 60:
        raise GitHubError(401, "'Expiration time' claim ('exp') is too far in the future")
    if claims["iat"] > now + 60:
        raise GitHubError(
            401,
            "'Issued at' claim ('iat') must be an Integer representing the time that the "
            "assertion was issued",
        )
    return app


def installation_json(request: Request, inst: Installation) -> dict:
    state, b = state_of(request), base_of(request)
    account = state.users[inst.account]
    app = state.apps[inst.app_id]
    return {
        "id": inst.id,
        "client_id": app.client_id or f"Iv1.{app.id:016x}",
        "account": shapes.user(b, account),
        "repository_selection": "all",
        "access_tokens_url": f"{b.api}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{b.api}/installation/repositories",
        "html_url": f"{b.web}/organizations/{inst.account}/settings/installations/{inst.id}",
        "app_id": inst.app_id,
        "app_slug": app.slug,
        "target_id": account.id,
        "target_type": account.type,
        "permissions": inst.permissions if inst.permissions is not None else PERMISSIONS,
        "events": inst.events if inst.events is not None else EVENTS,
        "created_at": iso(inst.created_at),
        "updated_at": iso(inst.created_at),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }


async def authenticated_app(request: Request) -> Response:
    """`GET /app`: the App the JWT belongs to, as GitHub describes an `integration`."""
    app = _app_from_jwt(request)
    state, b = state_of(request), base_of(request)
    installed = next((i for i in state.installations.values() if i.app_id == app.id), None)
    owner = state.users[installed.account if installed else app.bot]
    return JSONResponse(
        {
            "id": app.id,
            "slug": app.slug,
            "node_id": node_id("Integration", app.id),
            "client_id": app.client_id or f"Iv1.{app.id:016x}",
            "owner": shapes.user(b, owner),
            "name": app.slug,
            "description": None,
            "external_url": f"{b.web}/apps/{app.slug}",
            "html_url": f"{b.web}/apps/{app.slug}",
            "created_at": iso(owner.created_at),
            "updated_at": iso(owner.created_at),
            "permissions": PERMISSIONS,
            "events": EVENTS,
            "installations_count": sum(1 for i in state.installations.values() if i.app_id == app.id),
        }
    )


async def create_access_token(request: Request) -> Response:
    app = _app_from_jwt(request)
    state = state_of(request)
    try:
        inst = state.installations.get(int(request.path_params["installation_id"]))
    except ValueError:
        inst = None
    if inst is None or inst.app_id != app.id:
        raise not_found()
    value = state.installation_token(inst.id)
    grant = state.tokens[value]
    return JSONResponse(
        {
            "token": value,
            "expires_at": iso(grant.expires_at),
            "permissions": inst.permissions if inst.permissions is not None else PERMISSIONS,
            "repository_selection": "all",
        },
        status_code=201,
    )


async def repo_installation(request: Request) -> Response:
    app = _app_from_jwt(request)
    state = state_of(request)
    repo = state.repos.get(f"{request.path_params['owner']}/{request.path_params['repo']}")
    inst = state.installation_for(repo.owner) if repo else None
    if inst is None or inst.app_id != app.id:
        raise not_found()
    return JSONResponse(installation_json(request, inst))


async def org_installation(request: Request) -> Response:
    app = _app_from_jwt(request)
    inst = state_of(request).installation_for(request.path_params["org"])
    if inst is None or inst.app_id != app.id:
        raise not_found()
    return JSONResponse(installation_json(request, inst))


# -- OAuth web flow -----------------------------------------------------------------------------------
def _client_known(state: SandboxState, client_id: str | None) -> App | None | bool:
    """The app owning `client_id`; True when no app declared client ids (any client is accepted)."""
    declared = [a for a in state.apps.values() if a.client_id]
    if not declared:
        return True
    return next((a for a in declared if a.client_id == client_id), None)


async def authorize(request: Request) -> Response:
    state = state_of(request)
    q = request.query_params
    if not _client_known(state, q.get("client_id")):
        return PlainTextResponse("Not Found", status_code=404)
    redirect_uri = q.get("redirect_uri")
    if not redirect_uri:
        return PlainTextResponse("redirect_uri is required by the sandbox", status_code=400)
    login = q.get("login") or request.headers.get("x-sandbox-login")
    if not login:
        return _chooser(state, request)
    if login not in state.users or state.users[login].type != "User":
        return PlainTextResponse("Unknown user", status_code=404)
    code = secrets.token_hex(10)
    state.oauth_codes[code] = (login, q.get("client_id") or "")
    params = {"code": code} | ({"state": q["state"]} if "state" in q else {})
    parts = urlsplit(redirect_uri)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)


def _chooser(state: SandboxState, request: Request) -> Response:
    """A page to pick who signs in, so the demo works in a browser without the test header."""
    items = []
    for user in state.users.values():
        if user.type == "User":
            url = request.url.include_query_params(login=user.login)
            items.append(f'<li><a href="{html.escape(str(url))}">{html.escape(user.login)}</a></li>')
    return HTMLResponse(
        "<!doctype html><title>Sign in to the GitHub sandbox</title>"
        f"<h1>Sign in as</h1><ul>{''.join(items)}</ul>"
    )


async def access_token(request: Request) -> Response:
    state = state_of(request)
    params = dict(request.query_params)
    if "json" in request.headers.get("content-type", ""):
        params |= await request.json()
    else:
        params |= dict(await request.form())
    app = _client_known(state, params.get("client_id"))
    if not app or (
        isinstance(app, App) and app.client_secret and app.client_secret != params.get("client_secret")
    ):
        return _oauth_reply(
            request,
            {
                "error": "incorrect_client_credentials",
                "error_description": "The client_id and/or client_secret passed are incorrect.",
                "error_uri": OAUTH_DOCS,
            },
        )
    found = state.oauth_codes.pop(str(params.get("code", "")), None)
    if found is None:
        return _oauth_reply(
            request,
            {
                "error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired.",
                "error_uri": OAUTH_DOCS,
            },
        )
    return _oauth_reply(
        request, {"access_token": state.user_token(found[0], app.id if isinstance(app, App) else None),
                  "token_type": "bearer", "scope": ""}
    )


def _oauth_reply(request: Request, body: dict) -> Response:
    # GitHub answers form-encoded unless the client asks for JSON, and errors still come back as 200.
    if "json" in request.headers.get("accept", ""):
        return JSONResponse(body)
    return PlainTextResponse(urlencode(body), media_type="application/x-www-form-urlencoded")


api_routes = [
    Route("/app", authenticated_app, methods=["GET"]),
    Route("/app/installations/{installation_id}/access_tokens", create_access_token, methods=["POST"]),
    Route("/repos/{owner}/{repo}/installation", repo_installation, methods=["GET"]),
    Route("/orgs/{org}/installation", org_installation, methods=["GET"]),
]
web_routes = [
    Route("/login/oauth/authorize", authorize, methods=["GET"]),
    Route("/login/oauth/access_token", access_token, methods=["POST"]),
]
