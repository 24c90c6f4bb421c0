"""REST routes `conduct setup` needs: org and repo settings, access, files, Actions variables and secrets."""

from __future__ import annotations

import base64
import hashlib
import json
import weakref
from urllib.parse import quote

from nacl.public import PrivateKey, SealedBox
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import auth, rest_actions, shapes
from .http import Ctx, GitHubError, body_of, context, forbidden, invalid, no_content, not_found, page
from .ids import iso, node_id
from .model import Installation, Org, Repo, Team
from .state import SandboxState

# GitHub's repository roles, weakest first; `permission` in the permission-level answer is the legacy name.
ROLES = ("read", "triage", "write", "maintain", "admin")
_LEGACY = {"read": "read", "triage": "read", "write": "write", "maintain": "write", "admin": "admin"}
# The names the team and collaborator PUTs accept, mapped to role names.
_ACCEPTED = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain", "admin": "admin"}

# One Actions secrets key pair per stand-in (GitHub has one per repository; one per world is enough here).
_KEYS: weakref.WeakKeyDictionary[SandboxState, PrivateKey] = weakref.WeakKeyDictionary()


def secrets_key(state: SandboxState) -> PrivateKey:
    if state not in _KEYS:
        _KEYS[state] = PrivateKey.generate()
    return _KEYS[state]


def open_secret(state: SandboxState, repo: str, name: str) -> str:
    """What a workflow would read: the stand-in can unseal what it stored (tests check the encryption)."""
    return SealedBox(secrets_key(state)).decrypt(state.repo(repo).secrets[name]).decode()


def _key_id(state: SandboxState) -> str:
    return hashlib.sha256(bytes(secrets_key(state).public_key)).hexdigest()[:20]


# --------------------------------------------------------------------------- helpers


def _repo(request: Request, admin: bool = False) -> tuple[Ctx, Repo]:
    ctx = context(request)
    repo = ctx.repo(request.path_params["owner"], request.path_params["repo"])
    if admin and not ctx.state.can_admin_org(ctx.grant, repo.owner):
        raise forbidden("Must have admin rights to Repository.")
    return ctx, repo


def _org(request: Request, admin: bool = False) -> tuple[Ctx, Org]:
    ctx = context(request)
    org = ctx.state.orgs.get(request.path_params["org"])
    if org is None:
        raise not_found()
    if admin and not ctx.state.can_admin_org(ctx.grant, org.account.login):
        raise forbidden("You must be an organization owner to do that.")
    return ctx, org


def _team(request: Request, org: Org) -> Team:
    team = org.teams.get(request.path_params["team_slug"])
    if team is None:
        raise not_found()
    return team


def _full_repo(ctx: Ctx, repo: Repo) -> dict:
    out = shapes.repo(ctx.base, ctx.state.users[repo.owner], repo, len(repo.issues))
    out.update(network_count=0, subscribers_count=0)
    org = ctx.state.orgs.get(repo.owner)
    if org is not None:
        out["organization"] = shapes.user(ctx.base, org.account)
    return out


def _permissions(role: str) -> dict:
    rank = ROLES.index(role)
    return {
        "admin": rank >= 4,
        "maintain": rank >= 3,
        "push": rank >= 2,
        "triage": rank >= 1,
        "pull": True,
    }


def _role(data: dict, default: str) -> str:
    raw = data.get("permission", default)
    role = _ACCEPTED.get(raw, raw if raw in ROLES else None)
    if role is None:
        raise invalid("Permission", "permission")
    return role


def _role_of(ctx: Ctx, repo: Repo, login: str) -> str | None:
    """The strongest role `login` holds on `repo`: directly, through a team, or as an org owner/member."""
    found: list[str] = []
    if login in repo.collaborators:
        found.append(_ACCEPTED.get(repo.collaborators[login], repo.collaborators[login]))
    org = ctx.state.orgs.get(repo.owner)
    if org is not None:
        if org.members.get(login) == "admin":
            found.append("admin")
        elif login in org.members and org.base_permission in ROLES:
            found.append(org.base_permission)
        for slug, permission in repo.team_access.items():
            team = org.teams.get(slug)
            if team is not None and login in team.members:
                found.append(_ACCEPTED.get(permission, permission))
    if not repo.private and not found:
        return "read"
    return max(found, key=ROLES.index) if found else None


# --------------------------------------------------------------------------- org


async def get_org(request: Request) -> Response:
    ctx, org = _org(request)
    out = _org_full(ctx, org)
    # GitHub shows owners the plan and the base permission; others do not see them.
    if ctx.state.can_admin_org(ctx.grant, org.account.login):
        out["default_repository_permission"] = org.base_permission
        out["plan"] = {"name": org.plan, "space": 976562499, "private_repos": 999999}
    return JSONResponse(out)


def _installation(request: Request, inst: Installation) -> dict:
    out = auth.installation_json(request, inst)
    if inst.permissions is not None:
        out["permissions"] = dict(inst.permissions)
    if inst.events is not None:
        out["events"] = list(inst.events)
    return out


async def org_installations(request: Request) -> Response:
    ctx, org = _org(request, admin=True)
    found = [i for i in ctx.state.installations.values() if i.account == org.account.login]
    chunk, headers = page(request, found)
    body = {"total_count": len(found), "installations": [_installation(request, i) for i in chunk]}
    return JSONResponse(body, headers=headers)


async def get_team(request: Request) -> Response:
    ctx, org = _org(request)
    team = _team(request, org)
    out = shapes.team(ctx.base, org, team) | {
        "created_at": iso(org.account.created_at),
        "updated_at": iso(org.account.created_at),
        "members_count": len(team.members),
        "repos_count": sum(1 for r in ctx.state.repos.values() if team.slug in r.team_access),
        "organization": _org_full(ctx, org),
    }
    return JSONResponse(out)


def _org_full(ctx: Ctx, org: Org) -> dict:
    login = org.account.login
    return shapes.org(ctx.base, org) | {
        "html_url": f"{ctx.base.web}/{login}",
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": sum(1 for r in ctx.state.repos.values() if r.owner == login and not r.private),
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "created_at": iso(org.account.created_at),
        "updated_at": iso(org.account.created_at),
        "archived_at": None,
    }


async def team_repo(request: Request) -> Response:
    ctx, org = _org(request, admin=request.method == "PUT")
    team = _team(request, org)
    repo = ctx.repo(request.path_params["owner"], request.path_params["repo"])
    if request.method == "PUT":
        repo.team_access[team.slug] = _role(await body_of(request), "read")
        return no_content()
    if team.slug not in repo.team_access:
        return Response(status_code=404)  # documented without a body
    role = _ACCEPTED.get(repo.team_access[team.slug], repo.team_access[team.slug])
    # Without the repository media type GitHub answers 204; with it, the repository and the team's role.
    if "application/vnd.github.v3.repository+json" not in request.headers.get("accept", ""):
        return no_content()
    out = _full_repo(ctx, repo) | {"permissions": _permissions(role), "role_name": role}
    return JSONResponse(out)


# --------------------------------------------------------------------------- repo and access


async def get_repo(request: Request) -> Response:
    ctx, repo = _repo(request)
    return JSONResponse(_full_repo(ctx, repo))


async def collaborator_permission(request: Request) -> Response:
    ctx, repo = _repo(request)
    user = ctx.state.users.get(request.path_params["username"])
    if user is None:
        raise not_found()
    role = _role_of(ctx, repo, user.login)
    body = {
        "permission": _LEGACY[role] if role else "none",
        "role_name": role or "none",
        "user": shapes.user(ctx.base, user)
        | {"permissions": _permissions(role or "read"), "role_name": role or "none"},
    }
    return JSONResponse(body)


def _invitation(ctx: Ctx, repo: Repo, login: str) -> dict:
    invite_id = int(hashlib.sha256(f"{repo.full_name}/{login}".encode()).hexdigest()[:8], 16)
    role = repo.invitations[login]
    return {
        "id": invite_id,
        "node_id": node_id("RepositoryInvitation", invite_id),
        "repository": shapes.repo(ctx.base, ctx.state.users[repo.owner], repo, len(repo.issues)),
        "invitee": shapes.user(ctx.base, ctx.state.users[login]),
        "inviter": shapes.user(ctx.base, ctx.actor),
        "permissions": role,
        "created_at": iso(repo.created_at),
        "expired": False,
        "url": f"{ctx.base.api}/user/repository_invitations/{invite_id}",
        "html_url": f"{ctx.base.web}/{repo.full_name}/invitations",
    }


async def add_collaborator(request: Request) -> Response:
    ctx, repo = _repo(request, admin=True)
    login = request.path_params["username"]
    if login not in ctx.state.users:
        raise not_found()
    role = _role(await body_of(request), "write")
    org = ctx.state.orgs.get(repo.owner)
    # GitHub adds org members and existing collaborators at once (204); anyone else gets an invitation (201).
    if login in repo.collaborators or (org is not None and login in org.members):
        repo.collaborators[login] = role
        return no_content()
    repo.invitations[login] = role
    return JSONResponse(_invitation(ctx, repo, login), status_code=201)


async def list_collaborators(request: Request) -> Response:
    ctx, repo = _repo(request)
    # affiliation=direct: outside collaborators and members given access to this repository themselves.
    affiliation = request.query_params.get("affiliation", "all")
    if affiliation not in ("outside", "direct", "all"):
        raise invalid("Collaborator", "affiliation")
    org = ctx.state.orgs.get(repo.owner)
    logins = sorted(login for login in repo.collaborators
                    if affiliation != "outside" or org is None or login not in org.members)
    chunk, headers = page(request, logins)
    rank = ("read", "triage", "write", "maintain", "admin")
    out = []
    for login in chunk:
        role = _ACCEPTED.get(repo.collaborators[login], repo.collaborators[login])
        held = rank.index(role) if role in rank else 0
        out.append(shapes.user(ctx.base, ctx.state.users[login]) | {
            "role_name": role,
            "permissions": {"pull": True, "triage": held >= 1, "push": held >= 2, "maintain": held >= 3,
                            "admin": held >= 4}})
    return JSONResponse(out, headers=headers)


async def list_org_repos(request: Request) -> Response:
    ctx = context(request)
    org = request.path_params["org"]
    if org not in ctx.state.orgs:
        raise not_found()
    repos = sorted((r for r in ctx.state.repos.values() if r.owner == org and ctx.state.can_see_repo(ctx.grant, r)),
                   key=lambda r: r.full_name)
    chunk, headers = page(request, repos)
    return JSONResponse([shapes.repo(ctx.base, ctx.state.users[r.owner], r, len(r.issues)) for r in chunk],
                        headers=headers)


async def list_invitations(request: Request) -> Response:
    ctx, repo = _repo(request, admin=True)
    chunk, headers = page(request, sorted(repo.invitations))
    return JSONResponse([_invitation(ctx, repo, login) for login in chunk], headers=headers)


async def accept_invitation(request: Request) -> Response:
    ctx = context(request)
    if ctx.grant.kind != "user":
        raise forbidden()
    wanted = int(request.path_params["invitation_id"])
    for repo in ctx.state.repos.values():
        role = repo.invitations.get(ctx.grant.login)
        if role is not None and _invitation(ctx, repo, ctx.grant.login)["id"] == wanted:
            del repo.invitations[ctx.grant.login]
            repo.collaborators[ctx.grant.login] = role
            return no_content()
    raise not_found()


# --------------------------------------------------------------------------- contents


def _blob_sha(text: str) -> str:
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id


def _content(ctx: Ctx, repo: Repo, path: str) -> dict:
    text = repo.files[path]
    a = f"{ctx.base.api}/repos/{repo.full_name}"
    quoted = quote(path)
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(text.encode()),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": base64.b64encode(text.encode()).decode(),
        "sha": _blob_sha(text),
        "url": f"{a}/contents/{quoted}?ref=main",
        "git_url": f"{a}/git/blobs/{_blob_sha(text)}",
        "html_url": f"{ctx.base.web}/{repo.full_name}/blob/main/{quoted}",
        "download_url": f"{ctx.base.web}/raw/{repo.full_name}/main/{quoted}",
        "_links": {
            "self": f"{a}/contents/{quoted}?ref=main",
            "git": f"{a}/git/blobs/{_blob_sha(text)}",
            "html": f"{ctx.base.web}/{repo.full_name}/blob/main/{quoted}",
        },
    }


async def contents(request: Request) -> Response:
    path = request.path_params["path"]
    if request.method == "GET":
        ctx, repo = _repo(request)
        if path not in repo.files:
            raise not_found()
        return JSONResponse(_content(ctx, repo, path))
    ctx, repo = _repo(request)
    if not ctx.state.can_triage(ctx.grant, repo):
        raise forbidden()
    data = await body_of(request)
    if not isinstance(data.get("message"), str) or not isinstance(data.get("content"), str):
        raise invalid("Content", "content", "missing_field")
    current = repo.files.get(path)
    # GitHub refuses to overwrite without the current blob's sha, and refuses a stale one.
    if current is not None and data.get("sha") != _blob_sha(current):
        raise GitHubError(
            409 if data.get("sha") else 422, f"{path} does not match {data.get('sha') or 'a sha'}"
        )
    try:
        repo.files[path] = base64.b64decode(data["content"], validate=True).decode()
    except ValueError:
        raise invalid("Content", "content") from None
    commit_sha = hashlib.sha256(f"{path}{repo.files[path]}".encode()).hexdigest()[:40]
    commit = {
        "sha": commit_sha,
        "node_id": node_id("Commit", int(commit_sha[:8], 16)),
        "url": f"{ctx.base.api}/repos/{repo.full_name}/git/commits/{commit_sha}",
        "html_url": f"{ctx.base.web}/{repo.full_name}/commit/{commit_sha}",
        "message": data["message"],
    }
    return JSONResponse(
        {"content": _content(ctx, repo, path), "commit": commit},
        status_code=200 if current is not None else 201,
    )


# --------------------------------------------------------------------------- Actions variables and secrets


def _variable(ctx: Ctx, repo: Repo, name: str) -> dict:
    stamp = iso(repo.created_at)
    return {"name": name, "value": repo.variables[name], "created_at": stamp, "updated_at": stamp}


async def variables(request: Request) -> Response:
    ctx, repo = _repo(request, admin=True)
    data = await body_of(request)
    name, value = data.get("name"), data.get("value")
    if not isinstance(name, str) or not isinstance(value, str):
        raise invalid("Variable", "name", "missing_field")
    name = name.upper()
    if name in repo.variables:
        raise GitHubError(409, "Already exists - Variable already exists")
    repo.variables[name] = value
    return JSONResponse({}, status_code=201)


async def list_variables(request: Request) -> Response:
    ctx, repo = _repo(request, admin=True)
    names = sorted(repo.variables)
    chunk, headers = page(request, names)
    body = {"total_count": len(names), "variables": [_variable(ctx, repo, n) for n in chunk]}
    return JSONResponse(body, headers=headers)


async def variable(request: Request) -> Response:
    ctx, repo = _repo(request, admin=True)
    name = request.path_params["name"].upper()
    if name not in repo.variables:
        raise not_found()
    if request.method == "GET":
        return JSONResponse(_variable(ctx, repo, name))
    data = await body_of(request)
    if not isinstance(data.get("value"), str):
        raise invalid("Variable", "value", "missing_field")
    repo.variables[name] = data["value"]
    return no_content()


async def list_secrets(request: Request) -> Response:
    ctx, repo = _repo(request, admin=True)
    names = sorted(repo.secrets)
    chunk, headers = page(request, names)
    stamp = iso(repo.created_at)
    body = {
        "total_count": len(names),
        "secrets": [{"name": n, "created_at": stamp, "updated_at": stamp} for n in chunk],
    }
    return JSONResponse(body, headers=headers)


async def public_key(request: Request) -> Response:
    ctx, _repo_ = _repo(request, admin=True)
    key = base64.b64encode(bytes(secrets_key(ctx.state).public_key)).decode()
    return JSONResponse({"key_id": _key_id(ctx.state), "key": key})


async def secret(request: Request) -> Response:
    ctx, repo = _repo(request, admin=True)
    name = request.path_params["secret_name"].upper()
    if request.method == "GET":
        if name not in repo.secrets:
            raise not_found()
        stamp = iso(repo.created_at)
        return JSONResponse({"name": name, "created_at": stamp, "updated_at": stamp})
    data = await body_of(request)
    if data.get("key_id") != _key_id(ctx.state) or not isinstance(data.get("encrypted_value"), str):
        raise invalid("Secret", "key_id")
    sealed = base64.b64decode(data["encrypted_value"])
    try:
        SealedBox(secrets_key(ctx.state)).decrypt(sealed)
    except Exception:  # noqa: BLE001 - nacl raises CryptoError; any failure means it was not sealed for us
        raise GitHubError(422, "Bad request - encrypted_value could not be decrypted") from None
    created = name not in repo.secrets
    repo.secrets[name] = sealed
    return JSONResponse({}, status_code=201) if created else no_content()


# --------------------------------------------------------------------------- environments


def _environment_extras(ctx: Ctx, repo: Repo, name: str, body: dict) -> dict:
    # GitHub returns `can_admins_bypass` (undocumented in the REST description) and the branch policy.
    env = repo.environments[name]
    return body | {
        "can_admins_bypass": env.can_admins_bypass,
        "deployment_branch_policy": env.deployment_branch_policy,
    }


async def list_environments(request: Request) -> Response:
    ctx, repo = _repo(request)
    names = sorted(repo.environments)
    chunk, headers = page(request, names)
    envs = [
        _environment_extras(
            ctx,
            repo,
            n,
            shapes.environment(ctx.base, ctx.state.users, ctx.state.orgs, repo, repo.environments[n]),
        )
        for n in chunk
    ]
    return JSONResponse({"total_count": len(names), "environments": envs}, headers=headers)


async def environment(request: Request) -> Response:
    """The Actions routes' environment, plus what setup reads: the branch policy and the admin bypass."""
    answer = await rest_actions.environment(request)
    if answer.status_code != 200:
        return answer
    ctx, repo = _repo(request)
    name = request.path_params["environment_name"]
    if request.method == "PUT":
        policy = (await body_of(request)).get("deployment_branch_policy")
        if policy is not None and (
            not isinstance(policy, dict)
            or policy.get("protected_branches") == policy.get("custom_branch_policies")
        ):
            raise invalid("Environment", "deployment_branch_policy")
        repo.environments[name].deployment_branch_policy = policy
    return JSONResponse(_environment_extras(ctx, repo, name, json.loads(answer.body)))


R = "/repos/{owner}/{repo}"
routes = [
    Route("/orgs/{org}", get_org, methods=["GET"]),
    Route("/orgs/{org}/installations", org_installations, methods=["GET"]),
    Route("/orgs/{org}/teams/{team_slug}", get_team, methods=["GET"]),
    Route("/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}", team_repo, methods=["GET", "PUT"]),
    Route(R, get_repo, methods=["GET"]),
    Route(f"{R}/collaborators/{{username}}/permission", collaborator_permission, methods=["GET"]),
    Route(f"{R}/collaborators/{{username}}", add_collaborator, methods=["PUT"]),
    Route(f"{R}/collaborators", list_collaborators, methods=["GET"]),
    Route("/orgs/{org}/repos", list_org_repos, methods=["GET"]),
    Route(f"{R}/invitations", list_invitations, methods=["GET"]),
    Route("/user/repository_invitations/{invitation_id:int}", accept_invitation, methods=["PATCH"]),
    Route(f"{R}/contents/{{path:path}}", contents, methods=["GET", "PUT"]),
    Route(f"{R}/actions/variables", variables, methods=["POST"]),
    Route(f"{R}/actions/variables", list_variables, methods=["GET"]),
    Route(f"{R}/actions/secrets", list_secrets, methods=["GET"]),
    Route(f"{R}/environments", list_environments, methods=["GET"]),
    Route(f"{R}/actions/variables/{{name}}", variable, methods=["GET", "PATCH"]),
    Route(f"{R}/actions/secrets/public-key", public_key, methods=["GET"]),
    Route(f"{R}/actions/secrets/{{secret_name}}", secret, methods=["GET", "PUT"]),
    # Listed before the Actions routes' own environment route, which it wraps.
    Route(f"{R}/environments/{{environment_name}}", environment, methods=["GET", "PUT"]),
]
