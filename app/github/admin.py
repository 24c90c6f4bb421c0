"""Setup's GitHub operations, with an org owner's token: settings, access, files, variables, secrets."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .adapter import GitHubAdapter, _segment, _split
from .errors import NotFound
from .port import Label, Reviewer

# GitHub's repository roles, weakest first (team and collaborator APIs also accept the old pull/push names).
ROLES = ("read", "triage", "write", "maintain", "admin")
_TEAM_PERMISSION = {
    "read": "pull",
    "triage": "triage",
    "write": "push",
    "maintain": "maintain",
    "admin": "admin",
}
_REPOSITORY_MEDIA = "application/vnd.github.v3.repository+json"


def at_least(role: str | None, wanted: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(wanted)  # type: ignore[arg-type]


@dataclass(frozen=True)
class OrgSettings:
    login: str
    # Only an owner sees these two; None means the token could not see them.
    default_repository_permission: str | None
    plan: str | None


@dataclass(frozen=True)
class RepoSettings:
    full_name: str
    private: bool
    has_discussions: bool
    default_branch: str


@dataclass(frozen=True)
class InstallationGrant:
    app_id: int
    app_slug: str
    permissions: Mapping[str, str]
    events: tuple[str, ...]
    html_url: str


@dataclass(frozen=True)
class EnvironmentSettings:
    name: str
    reviewers: tuple[Reviewer, ...]
    prevent_self_review: bool
    # GitHub returns this field although its REST description does not document it; None when absent.
    can_admins_bypass: bool | None
    protected_branches_only: bool


@dataclass(frozen=True)
class FileContent:
    text: str
    sha: str


def _environment_settings(data: Mapping[str, Any]) -> EnvironmentSettings:
    reviewers: list[Reviewer] = []
    prevent = False
    for rule in data.get("protection_rules") or ():
        if rule.get("type") == "required_reviewers":
            prevent = bool(rule.get("prevent_self_review"))
            reviewers += [Reviewer(r["type"], int(r["reviewer"]["id"])) for r in rule.get("reviewers") or ()]
    policy = data.get("deployment_branch_policy") or {}
    bypass = data.get("can_admins_bypass")
    return EnvironmentSettings(
        data["name"],
        tuple(reviewers),
        prevent,
        bypass if isinstance(bypass, bool) else None,
        bool(policy.get("protected_branches")) and not policy.get("custom_branch_policies"),
    )


class AdminAdapter(GitHubAdapter):
    """The adapter plus what only setup does. Setup runs with an org owner's token, not as the App."""

    # -- org and repositories -----------------------------------------------------------------------------
    async def org_settings(self, org: str) -> OrgSettings:
        data = (await self._call("orgs/get", lambda: self._gh.rest.orgs.async_get(org))).json()
        plan = data.get("plan") or {}
        return OrgSettings(data["login"], data.get("default_repository_permission"), plan.get("name"))

    async def repo_settings(self, repo: str) -> RepoSettings:
        owner, name = _split(repo)
        data = (await self._call("repos/get", lambda: self._gh.rest.repos.async_get(owner, name))).json()
        return RepoSettings(
            data["full_name"],
            bool(data["private"]),
            bool(data.get("has_discussions")),
            data["default_branch"],
        )

    async def installations(self, org: str) -> tuple[InstallationGrant, ...]:
        """The org's App installations with what each was granted (`GET /orgs/{org}/installations`)."""
        pages = await self._paged_dict(
            "orgs/list-app-installations",
            lambda page: self._gh.rest.orgs.async_list_app_installations(org, per_page=100, page=page),
            "installations",
        )
        return tuple(
            InstallationGrant(
                int(i["app_id"]),
                i["app_slug"],
                dict(i.get("permissions") or {}),
                tuple(i.get("events") or ()),
                i["html_url"],
            )
            for i in pages
        )

    async def _paged_dict(self, operation: str, fetch: Any, key: str) -> list[Any]:
        items: list[Any] = []
        for page in range(1, 51):
            response = await self._call(operation, lambda page=page: fetch(page))
            items += response.json()[key]
            if 'rel="next"' not in response.headers.get("link", ""):
                break
        return items

    # -- labels (a read that never writes, for --check) --------------------------------------------------
    async def find_label(self, repo: str, name: str) -> Label | None:
        owner, repo_name = _split(repo)
        try:
            data = (
                await self._call(
                    "issues/get-label",
                    lambda: self._gh.rest.issues.async_get_label(owner, repo_name, _segment(name)),
                )
            ).json()
        except NotFound:
            return None
        return Label(data["name"], data["color"], data.get("description"))

    # -- access ---------------------------------------------------------------------------------------------
    async def team_id(self, org: str, team_slug: str) -> int | None:
        try:
            response = await self._call(
                "teams/get-by-name", lambda: self._gh.rest.teams.async_get_by_name(org, team_slug)
            )
        except NotFound:
            return None
        return int(response.json()["id"])

    async def team_role(self, org: str, team_slug: str, repo: str) -> str | None:
        """The team's role on `repo` (read, triage, write, maintain, admin), or None without access."""
        owner, name = _split(repo)
        try:
            response = await self._call(
                "teams/check-permissions-for-repo-in-org",
                lambda: self._gh.rest.teams.async_check_permissions_for_repo_in_org(
                    org, team_slug, owner, name, headers={"Accept": _REPOSITORY_MEDIA}
                ),
            )
        except NotFound:
            return None
        data = response.json() if response.content else {}
        role = data.get("role_name")
        if role in ROLES:
            return role
        granted = data.get("permissions") or {}
        # Older answers carry only the flags; the strongest one set is the role.
        for candidate, flag in (
            ("admin", "admin"),
            ("maintain", "maintain"),
            ("write", "push"),
            ("triage", "triage"),
            ("read", "pull"),
        ):
            if granted.get(flag):
                return candidate
        return "read"

    async def grant_team(self, org: str, team_slug: str, repo: str, role: str) -> None:
        owner, name = _split(repo)
        await self._call(
            "teams/add-or-update-repo-permissions-in-org",
            lambda: self._gh.rest.teams.async_add_or_update_repo_permissions_in_org(
                org, team_slug, owner, name, data={"permission": _TEAM_PERMISSION[role]}
            ),
        )

    async def user_role(self, repo: str, login: str) -> str | None:
        owner, name = _split(repo)
        data = (
            await self._call(
                "repos/get-collaborator-permission-level",
                lambda: self._gh.rest.repos.async_get_collaborator_permission_level(owner, name, login),
            )
        ).json()
        role = data.get("role_name")
        return role if role in ROLES else None

    async def pending_invitations(self, repo: str) -> dict[str, str]:
        """Invited logins -> the role they were offered, for invitations not yet accepted."""
        owner, name = _split(repo)
        invitations = await self._pages(
            "repos/list-invitations",
            lambda page: self._gh.rest.repos.async_list_invitations(owner, name, per_page=100, page=page),
        )
        return {i["invitee"]["login"]: i["permissions"] for i in invitations if i.get("invitee")}

    async def add_collaborator(self, repo: str, login: str, role: str) -> bool:
        """Give `login` direct access; True if it holds now, False if an invitation awaits acceptance."""
        owner, name = _split(repo)
        response = await self._call(
            "repos/add-collaborator",
            lambda: self._gh.rest.repos.async_add_collaborator(
                owner, name, login, data={"permission": _TEAM_PERMISSION[role]}
            ),
        )
        return response.status_code == 204

    # -- files ----------------------------------------------------------------------------------------------
    async def get_file(self, repo: str, path: str) -> FileContent | None:
        owner, name = _split(repo)
        try:
            data = (
                await self._call(
                    "repos/get-content", lambda: self._gh.rest.repos.async_get_content(owner, name, path)
                )
            ).json()
        except NotFound:
            return None
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        return FileContent(base64.b64decode(data.get("content") or "").decode(), data["sha"])

    async def put_file(self, repo: str, path: str, text: str, message: str, sha: str | None = None) -> None:
        owner, name = _split(repo)
        data: dict[str, Any] = {"message": message, "content": base64.b64encode(text.encode()).decode()}
        if sha is not None:
            data["sha"] = sha
        await self._call(
            "repos/create-or-update-file-contents",
            lambda: self._gh.rest.repos.async_create_or_update_file_contents(owner, name, path, data=data),
        )

    # -- Actions variables and secrets (listed: GitHub's description documents no 404 for a single one) ------
    async def variables(self, repo: str) -> dict[str, str]:
        owner, name = _split(repo)
        found = await self._paged_dict(
            "actions/list-repo-variables",
            lambda page: self._gh.rest.actions.async_list_repo_variables(owner, name, per_page=30, page=page),
            "variables",
        )
        return {v["name"]: v["value"] for v in found}

    async def set_variable(self, repo: str, variable: str, value: str, exists: bool) -> None:
        owner, name = _split(repo)
        if not exists:
            await self._call(
                "actions/create-repo-variable",
                lambda: self._gh.rest.actions.async_create_repo_variable(
                    owner, name, data={"name": variable, "value": value}
                ),
            )
            return
        await self._call(
            "actions/update-repo-variable",
            lambda: self._gh.rest.actions.async_update_repo_variable(
                owner, name, variable, data={"value": value}
            ),
        )

    async def secret_names(self, repo: str) -> frozenset[str]:
        """The names of the repository's Actions secrets (GitHub never returns their values)."""
        owner, name = _split(repo)
        found = await self._paged_dict(
            "actions/list-repo-secrets",
            lambda page: self._gh.rest.actions.async_list_repo_secrets(owner, name, per_page=100, page=page),
            "secrets",
        )
        return frozenset(s["name"] for s in found)

    async def set_secret(self, repo: str, secret: str, value: str) -> None:
        """Seal `value` for the repository (a libsodium sealed box, as GitHub requires) and store it."""
        from nacl.public import PublicKey, SealedBox  # PyNaCl: only setup needs it

        owner, name = _split(repo)
        key = (
            await self._call(
                "actions/get-repo-public-key",
                lambda: self._gh.rest.actions.async_get_repo_public_key(owner, name),
            )
        ).json()
        sealed = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(value.encode())
        data = {"encrypted_value": base64.b64encode(sealed).decode(), "key_id": key["key_id"]}
        await self._call(
            "actions/create-or-update-repo-secret",
            lambda: self._gh.rest.actions.async_create_or_update_repo_secret(owner, name, secret, data=data),
        )

    # -- the steering-council environment --------------------------------------------------------------------
    async def environments(self, repo: str) -> dict[str, EnvironmentSettings]:
        owner, name = _split(repo)
        found = await self._paged_dict(
            "repos/get-all-environments",
            lambda page: self._gh.rest.repos.async_get_all_environments(owner, name, per_page=100, page=page),
            "environments",
        )
        return {e["name"]: _environment_settings(e) for e in found}

    async def configure_environment(self, repo: str, env: str, reviewers: Sequence[Reviewer]) -> None:
        """Required reviewers who may not approve their own run, deployable from protected branches only.

        `can_admins_bypass` is not sent: GitHub's published description of this operation has no such field
        (so a request carrying it fails our contract check); setup tells the owner to untick it instead.
        """
        owner, name = _split(repo)
        data = {
            "wait_timer": 0,
            "prevent_self_review": True,
            "reviewers": [{"type": r.type, "id": r.id} for r in reviewers],
            "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
        }
        await self._call(
            "repos/create-or-update-environment",
            lambda: self._gh.rest.repos.async_create_or_update_environment(
                owner, name, _segment(env), data=data
            ),
        )


__all__ = [
    "AdminAdapter",
    "EnvironmentSettings",
    "FileContent",
    "InstallationGrant",
    "OrgSettings",
    "RepoSettings",
    "at_least",
]
