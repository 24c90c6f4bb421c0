"""REST routes for users, org membership, teams, org blocks and interaction limits."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import events, shapes
from .events import emit_org
from .http import Ctx, GitHubError, body_of, context, forbidden, invalid, no_content, not_found, page
from .ids import iso
from .model import Limit, Org, Team

LIMITS = ("existing_users", "contributors_only", "collaborators_only")
EXPIRY = {"one_day": 1, "three_days": 3, "one_week": 7, "one_month": 30, "six_months": 180}


def _org(request: Request, admin: bool = False) -> tuple[Ctx, Org]:
    ctx = context(request)
    org = ctx.state.orgs.get(request.path_params["org"])
    if org is None:
        raise not_found()
    if admin and not ctx.state.can_admin_org(ctx.grant, org.account.login):
        raise forbidden(
            "You must be an organization owner to do that."
            if ctx.grant.kind == "user"
            else "Resource not accessible by integration"
        )
    return ctx, org


def _team(request: Request, admin: bool = False) -> tuple[Ctx, Org, Team]:
    ctx, org = _org(request, admin)
    team = org.teams.get(request.path_params["team_slug"])
    if team is None:
        raise not_found()
    return ctx, org, team


def _user(ctx: Ctx, login: str):
    found = ctx.state.users.get(login)
    if found is None:
        raise not_found()
    return found


async def get_user(request: Request) -> Response:
    ctx = context(request)
    return JSONResponse(shapes.full_user(ctx.base, _user(ctx, request.path_params["username"])))


async def get_authenticated_user(request: Request) -> Response:
    ctx = context(request)
    if ctx.grant.kind != "user":
        raise forbidden()
    return JSONResponse(shapes.full_user(ctx.base, ctx.actor, private=True))


# What Conduct Desk's App asks of a signed-in person: their e-mail addresses, read-only, for notices.
USER_PERMISSIONS = {"email_addresses": "read"}


async def list_emails(request: Request) -> Response:
    """GET /user/emails. A GitHub App's user token gets them only if the App holds the "Email addresses" user
    permission; otherwise GitHub answers 403 "Resource not accessible by integration"."""
    ctx = context(request)
    if ctx.grant.kind != "user":
        raise forbidden()
    app = ctx.state.apps.get(ctx.grant.app_id) if ctx.grant.app_id is not None else None
    granted = USER_PERMISSIONS if app is None or app.user_permissions is None else app.user_permissions
    if granted.get("email_addresses") not in ("read", "write"):
        raise forbidden()
    chunk, headers = page(request, ctx.state.emails.get(ctx.actor.login, []))
    return JSONResponse(chunk, headers=headers)


async def team_members(request: Request) -> Response:
    ctx, _org_, team = _team(request)
    chunk, headers = page(request, sorted(team.members))
    return JSONResponse([shapes.user(ctx.base, ctx.state.users[m]) for m in chunk], headers=headers)


def _membership(ctx: Ctx, org: Org, team: Team, login: str) -> dict:
    active = login in team.members
    return {
        "url": f"{ctx.base.api}/organizations/{org.account.id}/team/{team.id}/memberships/{login}",
        "role": team.members[login] if active else team.pending[login],
        "state": "active" if active else "pending",
    }


async def team_membership(request: Request) -> Response:
    ctx, org, team = _team(request, admin=request.method != "GET")
    login = request.path_params["username"]
    if request.method == "GET":
        if login not in team.members and login not in team.pending:
            raise not_found()
        return JSONResponse(_membership(ctx, org, team, login))
    _user(ctx, login)
    if request.method == "DELETE":
        was = team.members.pop(login, None)
        team.pending.pop(login, None)
        if was is not None:
            events.membership(ctx.state, ctx.base, org, team, login, "removed", ctx.actor.login)
        return no_content()
    role = (await body_of(request)).get("role", "member")
    if role not in ("member", "maintainer"):
        raise invalid("TeamMember", "role")
    if login in org.members:
        joined = login not in team.members
        team.members[login] = role
        if joined:
            events.membership(ctx.state, ctx.base, org, team, login, "added", ctx.actor.login)
    elif login in org.blocks:
        raise GitHubError(422, "The user is blocked by the organization.")
    else:
        # As on GitHub: someone outside the org is invited, and is "pending" until they accept.
        team.pending[login] = role
    return JSONResponse(_membership(ctx, org, team, login))


async def org_member(request: Request) -> Response:
    ctx, org = _org(request, admin=request.method == "DELETE")
    login = request.path_params["username"]
    if request.method == "GET":
        return no_content() if login in org.members else Response(status_code=404)
    if org.members.get(login) == "admin" and sum(1 for r in org.members.values() if r == "admin") == 1:
        raise forbidden("Cannot remove the last owner of an organization.")
    org.members.pop(login, None)
    _leave_teams(ctx, org, login)
    return no_content()


def _leave_teams(ctx: Ctx, org: Org, login: str) -> None:
    """Someone who leaves the organisation (removed or blocked) leaves its teams, each with a webhook."""
    for team in org.teams.values():
        team.pending.pop(login, None)
        if team.members.pop(login, None) is not None:
            events.membership(ctx.state, ctx.base, org, team, login, "removed", ctx.actor.login)


async def blocks(request: Request) -> Response:
    ctx, org = _org(request, admin=True)
    chunk, headers = page(request, sorted(org.blocks))
    return JSONResponse([shapes.user(ctx.base, ctx.state.users[login]) for login in chunk], headers=headers)


async def block(request: Request) -> Response:
    ctx, org = _org(request, admin=True)
    login = request.path_params["username"]
    user = _user(ctx, login)
    if request.method == "GET":
        if login not in org.blocks:
            raise GitHubError(404, "User is not blocked")
        return no_content()
    if request.method == "DELETE":
        if org.blocks.pop(login, None) is not None:
            emit_org(ctx.state, ctx.base, "org_block", "unblocked", org.account.login, ctx.grant.login,
                     blocked_user=shapes.user(ctx.base, user))
        return no_content()
    if login in org.members or user.type != "User":
        raise GitHubError(422, "Blocking a member of the organization is not allowed.")
    org.blocks[login] = ctx.state.now()
    # GitHub drops a blocked user from the organisation's teams and membership, and ("Blocking a user from
    # your organization") removes them as a collaborator on the organisation's repositories.
    org.members.pop(login, None)
    _leave_teams(ctx, org, login)
    for repo in ctx.state.repos.values():
        if repo.owner == org.account.login:
            repo.collaborators.pop(login, None)
    emit_org(ctx.state, ctx.base, "org_block", "blocked", org.account.login, ctx.grant.login,
             blocked_user=shapes.user(ctx.base, user))
    return no_content()


def _limit_json(limit: Limit | None) -> dict:
    if limit is None:
        return {}
    return {"limit": limit.limit, "origin": limit.origin, "expires_at": iso(limit.expires_at)}


async def _read_limit(request: Request, ctx: Ctx, origin: str) -> Limit:
    data = await body_of(request)
    if data.get("limit") not in LIMITS:
        raise invalid("InteractionLimit", "limit")
    expiry = data.get("expiry", "one_day")
    if expiry not in EXPIRY:
        raise invalid("InteractionLimit", "expiry")
    return Limit(data["limit"], origin, ctx.state.now() + timedelta(days=EXPIRY[expiry]))


def _live(ctx: Ctx, limit: Limit | None) -> Limit | None:
    return limit if limit is not None and limit.expires_at > ctx.state.now() else None


async def org_limits(request: Request) -> Response:
    ctx, org = _org(request, admin=True)
    if request.method == "GET":
        return JSONResponse(_limit_json(_live(ctx, org.interaction_limit)))
    if request.method == "DELETE":
        org.interaction_limit = None
        return no_content()
    org.interaction_limit = await _read_limit(request, ctx, "organization")
    return JSONResponse(_limit_json(org.interaction_limit))


async def repo_limits(request: Request) -> Response:
    ctx = context(request)
    repo = ctx.repo(request.path_params["owner"], request.path_params["repo"])
    org = ctx.state.orgs.get(repo.owner)
    org_limit = _live(ctx, org.interaction_limit) if org is not None else None
    if request.method == "GET":
        return JSONResponse(_limit_json(org_limit or _live(ctx, repo.interaction_limit)))
    if not ctx.state.can_triage(ctx.grant, repo):
        raise forbidden()
    if org_limit is not None:
        # GitHub refuses a repository limit while an organisation-wide one is in force.
        raise GitHubError(409, "Interaction limits are already set at the organization level.")
    if request.method == "DELETE":
        repo.interaction_limit = None
        return no_content()
    repo.interaction_limit = await _read_limit(request, ctx, "repository")
    return JSONResponse(_limit_json(repo.interaction_limit))


ORG = "/orgs/{org}"
routes = [
    Route("/user", get_authenticated_user, methods=["GET"]),
    Route("/user/emails", list_emails, methods=["GET"]),
    Route("/users/{username}", get_user, methods=["GET"]),
    Route(f"{ORG}/teams/{{team_slug}}/members", team_members, methods=["GET"]),
    Route(
        f"{ORG}/teams/{{team_slug}}/memberships/{{username}}",
        team_membership,
        methods=["GET", "PUT", "DELETE"],
    ),
    Route(f"{ORG}/members/{{username}}", org_member, methods=["GET", "DELETE"]),
    Route(f"{ORG}/blocks", blocks, methods=["GET"]),
    Route(f"{ORG}/blocks/{{username}}", block, methods=["GET", "PUT", "DELETE"]),
    Route(f"{ORG}/interaction-limits", org_limits, methods=["GET", "PUT", "DELETE"]),
    Route("/repos/{owner}/{repo}/interaction-limits", repo_limits, methods=["GET", "PUT", "DELETE"]),
]
