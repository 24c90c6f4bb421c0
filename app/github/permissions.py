"""The GitHub App permission each operation Conduct Desk sends needs, and the manifest's set from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Source for the REST rows marked S2S: GitHub's own table of server-to-server (installation) permissions,
# github/docs `src/github-apps/data/fpt-2022-11-28/server-to-server-permissions.json` (read at commit
# 058fa63bfe93d4d06889d0d18c601d6c56b66c56). It maps each permission to operations by `verb` and
# `requestPath`; the rows below are only the operations this code sends, keyed by the OpenAPI operationId
# that `verb requestPath` has in GitHub's REST description. Where the JSON lists an operation under two
# permissions with `additional-permissions: true` (issues *or* pull requests), the issues one is ours: we
# touch pull requests only to delete a help signal
# written in an inline review comment.
S2S = "server-to-server-permissions.json"
# Rows not in that file: GitHub's REST reference page of the operation states the permission instead.
REFERENCE = "REST reference page"
# GraphQL: GitHub publishes no per-field table; these follow the permission of the object the field
# touches (a discussion, an issue comment, an org's teams) as GitHub's "permissions for GitHub Apps" guide
# describes for the REST counterparts.
GRAPHQL = "GraphQL object permission"

ACCESS = ("read", "write", "admin")


@dataclass(frozen=True)
class Need:
    """What one operation needs of an installation: a permission at a level, or nothing at all."""

    permission: str | None  # None: no installation permission (public data, the App's own JWT, a user token)
    access: str = ""
    source: str = S2S
    # Sent only by `conduct setup` with an org owner's token, never by the App: kept out of the manifest.
    setup_only: bool = False
    # Sent only when the policy switches it on (the name of the switch); kept out of the default manifest.
    optional: str = ""


def _w(permission: str, source: str = S2S, **kw: object) -> Need:
    return Need(permission, "write", source, **kw)  # type: ignore[arg-type]


def _r(permission: str, source: str = S2S, **kw: object) -> Need:
    return Need(permission, "read", source, **kw)  # type: ignore[arg-type]


NONE = Need(None)

REST: Mapping[str, Need] = {
    # -- issues (the "issues" repository permission) --------------------------------------------------
    "issues/create": _w("issues"),
    "issues/list-for-repo": _r("issues"),
    "issues/get": _r("issues"),
    "issues/update": _w("issues"),
    "issues/lock": _w("issues"),
    "issues/unlock": _w("issues"),
    "issues/list-comments": _r("issues"),
    "issues/get-comment": _r("issues"),
    "issues/create-comment": _w("issues"),
    "issues/update-comment": _w("issues"),
    "issues/delete-comment": _w("issues"),
    "issues/add-labels": _w("issues"),
    "issues/set-labels": _w("issues"),
    "issues/remove-label": _w("issues"),
    "issues/list-labels-for-repo": _r("issues"),
    "issues/get-label": _r("issues"),
    "issues/create-label": _w("issues"),
    "issues/update-label": _w("issues"),
    "issues/add-assignees": _w("issues"),
    "reactions/create-for-issue-comment": _w("issues"),
    # -- pull requests: only to delete a `/conduct help` written in an inline review comment ------------
    "pulls/delete-review-comment": _w("pull_requests"),
    # -- people --------------------------------------------------------------------------------------
    "orgs/check-membership-for-user": _r("members"),
    "orgs/remove-member": _w("members"),
    "teams/list-members-in-org": _r("members", REFERENCE),
    "teams/get-membership-for-user-in-org": _r("members", REFERENCE),
    "teams/add-or-update-membership-for-user-in-org": _w("members", REFERENCE),
    "teams/remove-membership-for-user-in-org": _w("members", REFERENCE),
    "orgs/check-blocked-user": _r("organization_user_blocking"),
    "orgs/list-blocked-users": _r("organization_user_blocking"),
    "orgs/block-user": _w("organization_user_blocking"),
    "orgs/unblock-user": _w("organization_user_blocking"),
    # Public profile data: no permission (GitHub lists it under none).
    "users/get-by-username": Need(None, source=REFERENCE),
    # Search returns only what the installation may read; the watched repos' issues need "issues: read".
    "search/issues-and-pull-requests": _r("issues", REFERENCE),
    # -- interaction limits: repository "administration", organisation "organization_administration" --
    "interactions/get-restrictions-for-repo": _r("administration"),
    "interactions/set-restrictions-for-repo": _w("administration"),
    "interactions/remove-restrictions-for-repo": _w("administration"),
    "interactions/get-restrictions-for-org": _r("organization_administration"),
    "interactions/set-restrictions-for-org": _w("organization_administration"),
    "interactions/remove-restrictions-for-org": _w("organization_administration"),
    # -- Actions and environments ----------------------------------------------------------------------
    "actions/create-workflow-dispatch": _w("actions"),
    "actions/list-workflow-runs": _r("actions"),
    "actions/list-workflow-runs-for-repo": _r("actions"),
    "actions/get-workflow-run": _r("actions"),
    "actions/get-reviews-for-run": _r("actions"),
    "actions/get-pending-deployments-for-run": _r("actions"),
    "repos/get-environment": _r("actions"),
    "repos/create-or-update-environment": _w("administration"),
    # -- the App's own authentication (a JWT, not an installation token) -------------------------------
    "apps/get-authenticated": NONE,  # GET /app: the bot login from the App's own slug
    "apps/get-org-installation": NONE,
    "apps/get-repo-installation": NONE,
    "apps/create-installation-access-token": NONE,
    # -- a signed-in person's own token (the web sign-in), never the installation ----------------------
    "users/get-authenticated": NONE,
    # GitHub App user tokens need the App's "Email addresses" user permission (the operation's REST page).
    "users/list-emails-for-authenticated-user": _r("email_addresses", REFERENCE),
    # -- setup only: an org owner's token ---------------------------------------------------------------
    "orgs/get": _r("organization_administration", REFERENCE, setup_only=True),
    "orgs/list-app-installations": _r("organization_administration", setup_only=True),
    "repos/get": _r("metadata"),  # also the App's: a transfer names its target repository by node id
    "repos/get-all-environments": _r("actions", setup_only=True),
    "teams/get-by-name": _r("members", REFERENCE, setup_only=True),
    "teams/check-permissions-for-repo-in-org": _r("administration", REFERENCE, setup_only=True),
    "teams/add-or-update-repo-permissions-in-org": _w("administration", REFERENCE, setup_only=True),
    "repos/get-collaborator-permission-level": _r("metadata", setup_only=True),
    # The App gives back direct access a block took away (sanctions/lift.py); setup also uses it.
    "repos/add-collaborator": _w("administration"),
    "repos/list-for-org": _r("metadata"),
    "repos/list-collaborators": _r("metadata"),
    "repos/list-invitations": _r("administration", setup_only=True),
    "repos/accept-invitation-for-authenticated-user": Need(None, setup_only=True),
    "repos/get-content": _r("contents", setup_only=True),
    # Writing under .github/workflows/ needs "workflows" as well as "contents".
    "repos/create-or-update-file-contents": _w("contents", setup_only=True),
    "actions/list-repo-variables": _r("actions_variables", setup_only=True),
    "actions/create-repo-variable": _w("actions_variables", setup_only=True),
    "actions/update-repo-variable": _w("actions_variables", setup_only=True),
    "actions/get-repo-public-key": _r("secrets", setup_only=True),
    "actions/list-repo-secrets": _r("secrets", setup_only=True),
    "actions/create-or-update-repo-secret": _w("secrets", setup_only=True),
}

# GraphQL: the first field of each document the code sends (mutation name, or the query's root path).
GRAPHQL_OPS: Mapping[str, Need] = {
    "createDiscussion": _w("discussions", GRAPHQL),
    "addDiscussionComment": _w("discussions", GRAPHQL),
    "closeDiscussion": _w("discussions", GRAPHQL),
    "updateDiscussion": _w("discussions", GRAPHQL),
    "deleteDiscussion": _w("discussions", GRAPHQL),
    # Deleting a `/conduct help` written as a discussion comment.
    "deleteDiscussionComment": _w("discussions", GRAPHQL),
    # The code locks discussions over GraphQL (issues are locked over REST).
    "lockLockable": _w("discussions", GRAPHQL),
    "repository.discussionCategories": _r("discussions", GRAPHQL),
    # Finding a post that may have landed before a lost answer: the newest discussions, or a discussion's
    # comments through `node(id:) { ... on Discussion }`.
    "repository.discussions": _r("discussions", GRAPHQL),
    "node.comments": _r("discussions", GRAPHQL),
    # Hiding a comment in an issue thread is an edit of that thread: issues write (triage for a person).
    "minimizeComment": _w("issues", GRAPHQL),
    # Deleting an issue needs admin rights on the repository: only when the policy asks for it.
    "deleteIssue": _w("administration", GRAPHQL, optional="places.delete_intake_issues"),
    # Moving a public request into the private cases repository: GitHub asks for write on both repositories
    # ("Transferring an issue to another repository").
    "transferIssue": _w("issues", GRAPHQL),
    "organization.teams": _r("members", GRAPHQL),
}

# Events the manifest subscribes to, and the permission GitHub requires for each subscription (the event's
# entry in GitHub's "Webhook events and payloads": "To subscribe to this event, a GitHub App must have at
# least read-level access for the ... permission"). deployment_review needs "Deployments", not "Actions":
# without it GitHub never sends the SC's review, and a rejection would only be seen when it expires.
EVENT_PERMISSION: Mapping[str, str] = {
    "issues": "issues",
    "issue_comment": "issues",
    "deployment_review": "deployments",
    "workflow_run": "actions",
    "discussion": "discussions",
    "discussion_comment": "discussions",
    # "Webhook events and payloads": pull_request_review(_comment) need "Pull requests"; org_block needs the
    # organization "Administration" permission.
    "pull_request_review": "pull_requests",
    "pull_request_review_comment": "pull_requests",
    "org_block": "organization_administration",
    # "membership" and "team": the organisation's "Members" permission, read level.
    "membership": "members",
    "team": "members",
}


class UnknownOperation(KeyError):
    """An operation the code sends that the table does not cover: add a row (with its source)."""


def need(operation: str) -> Need:
    """The need of a REST operationId or a GraphQL field; raise UnknownOperation if the table lacks it."""
    found = REST.get(operation) or GRAPHQL_OPS.get(operation)
    if found is None:
        raise UnknownOperation(operation)
    return found


def _stronger(a: str, b: str) -> str:
    return a if ACCESS.index(a) >= ACCESS.index(b) else b


def union(needs: Iterable[Need]) -> dict[str, str]:
    """The smallest permission set that grants every need (metadata read is implied by any repo access)."""
    out: dict[str, str] = {}
    for item in needs:
        if item.permission is None:
            continue
        out[item.permission] = _stronger(out.get(item.permission, item.access), item.access)
    if out:
        # GitHub grants every App metadata read; the manifest names it so it is explicit.
        out.setdefault("metadata", "read")
    return dict(sorted(out.items()))


def app_permissions(operations: Iterable[str], *, events: Iterable[str] = (),
                    optional: Iterable[str] = ()) -> dict[str, str]:
    """What the App (not setup's person) needs for `operations` and to receive `events`; optional
    operations only if switched on. An event needs its permission at read level."""
    switched = set(optional)
    wanted = [n for n in map(need, operations) if not n.setup_only and (not n.optional or n.optional in switched)]
    wanted += [Need(EVENT_PERMISSION[event], "read", REFERENCE) for event in events]
    return union(wanted)


def satisfies(granted: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str]:
    """Of `wanted`, what `granted` lacks or grants too weakly (permission -> level wanted)."""
    short: dict[str, str] = {}
    for permission, level in wanted.items():
        have = granted.get(permission)
        if have is None or have not in ACCESS or ACCESS.index(have) < ACCESS.index(level):
            short[permission] = level
    return short
