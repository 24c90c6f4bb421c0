"""Assemble webhook payloads the way GitHub frames them and hand them to the dispatcher."""

from __future__ import annotations

import re
from typing import Any, Protocol

from . import shapes
from .ids import iso, node_id
from .model import Comment, Discussion, Issue, Repo, Run, Workflow
from .shapes import Base


class World(Protocol):
    """What the payload builders read of the stand-in's state (kept here so events.py needs no state.py)."""

    orgs: dict[str, Any]
    users: dict[str, Any]
    webhooks: Any

    def installation_for(self, owner: str) -> Any: ...


def open_issues(repo: Repo) -> int:
    return sum(1 for i in repo.issues.values() if i.state == "open")


def association(state: World, repo: Repo, login: str) -> str:
    if login == repo.owner:
        return "OWNER"
    org = state.orgs.get(repo.owner)
    return "MEMBER" if org is not None and login in org.members else "NONE"


def repository(state: World, b: Base, repo: Repo) -> dict:
    return shapes.repo(b, state.users[repo.owner], repo, open_issues(repo))


def issue_json(state: World, b: Base, repo: Repo, issue: Issue) -> dict:
    return shapes.issue(b, state.users, repo, issue, association(state, repo, issue.user))


def comment_json(state: World, b: Base, repo: Repo, comment: Comment) -> dict:
    return shapes.comment(b, state.users, repo, comment, association(state, repo, comment.user))


def discussion_comment_json(state: World, b: Base, repo: Repo, disc: Discussion, comment) -> dict:
    """A discussion comment as the `discussion_comment` webhook carries it."""
    return {"id": comment.id, "node_id": comment.node_id, "body": comment.body, "parent_id": None,
            "discussion_id": disc.id, "user": shapes.user(b, state.users[comment.user]),
            "html_url": f"{b.web}/{repo.full_name}/discussions/{disc.number}#discussioncomment-{comment.id}",
            "repository_url": f"{b.api}/repos/{repo.full_name}", "child_comment_count": 0,
            "author_association": association(state, repo, comment.user),
            "reactions": shapes.reactions(f"{b.api}/repos/{repo.full_name}/discussions/comments/{comment.id}/reactions",
                                          []),
            "created_at": iso(comment.created_at), "updated_at": iso(comment.created_at)}


def discussion_json(state: World, b: Base, repo: Repo, disc: Discussion) -> dict:
    return shapes.discussion(b, state.users, repo, disc, association(state, repo, disc.user))


# The permission GitHub requires of an App for each event ("Webhook events and payloads": "To subscribe to
# this event, a GitHub App must have at least read-level access for the ... permission").
EVENT_PERMISSION = {
    "issues": "issues", "issue_comment": "issues", "discussion": "discussions",
    "discussion_comment": "discussions", "workflow_run": "actions", "deployment_review": "deployments",
    "pull_request_review": "pull_requests", "pull_request_review_comment": "pull_requests",
    "org_block": "organization_administration",
    "membership": "members", "team": "members",
}


def delivered(inst: Any, event: str) -> bool:
    """GitHub sends the App only events it subscribed to and holds the permission for; an installation
    with the stand-in's defaults (no recorded choice) gets everything."""
    if inst is None:
        return True
    if inst.events is not None and event not in inst.events:
        return False
    needed = EVENT_PERMISSION.get(event)
    return needed is None or inst.permissions is None or needed in inst.permissions


def emit(
    state: World, b: Base, event: str, action: str | None, repo: Repo, sender: str, **body
) -> None:
    """Send `event` for something that happened in `repo`, done by `sender`."""
    inst = state.installation_for(repo.owner)
    if not delivered(inst, event):
        return
    payload: dict = ({"action": action} if action else {}) | body
    payload["repository"] = repository(state, b, repo)
    if repo.owner in state.orgs:
        payload["organization"] = shapes.org(b, state.orgs[repo.owner])
    payload["sender"] = shapes.user(b, state.users[sender])
    if inst is not None:
        payload["installation"] = {"id": inst.id, "node_id": node_id("IntegrationInstallation", inst.id)}
    state.webhooks.emit(event, payload)


def emit_org(state: World, b: Base, event: str, action: str, org: str, sender: str, **body) -> None:
    """Send an organisation-level event (no repository in it), such as `org_block`."""
    inst = state.installation_for(org)
    if not delivered(inst, event):
        return
    payload: dict = {"action": action} | body
    payload["organization"] = shapes.org(b, state.orgs[org])
    payload["sender"] = shapes.user(b, state.users[sender])
    if inst is not None:
        payload["installation"] = {"id": inst.id, "node_id": node_id("IntegrationInstallation", inst.id)}
    state.webhooks.emit(event, payload)


def membership(state: World, b: Base, org: Any, team: Any, login: str, action: str, sender: str) -> None:
    """`membership` (added/removed, scope team): what GitHub sends when someone joins or leaves a team."""
    emit_org(state, b, "membership", action, org.account.login, sender, scope="team",
             member=shapes.user(b, state.users[login]), team=shapes.team(b, org, team))


_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
_OTHER = re.compile(r"\$\{\{.*?\}\}")


def display_title(wf: Workflow, run: Run) -> str:
    """GitHub shows a run under its workflow's `run-name`, with `${{ inputs.X }}` filled in. The stand-in
    fills in plain input references and drops any other expression."""
    if not wf.run_name:
        return wf.name
    filled = _INPUT.sub(lambda m: str(run.inputs.get(m.group(1), "")), wf.run_name)
    return _OTHER.sub("", filled)


def run_json(state: World, b: Base, repo: Repo, run: Run) -> dict:
    wf = next(w for w in repo.workflows.values() if w.id == run.workflow_id)
    data = shapes.workflow_run(
        b, state.users, repo, state.users[repo.owner], run, wf.path, wf.name, open_issues(repo)
    )
    data["display_title"] = display_title(wf, run)
    return data


def workflow_json(b: Base, repo: Repo, wf: Workflow) -> dict:
    a = f"{b.api}/repos/{repo.full_name}/actions/workflows/{wf.id}"
    return {
        "badge_url": f"{b.web}/{repo.full_name}/workflows/{wf.name}/badge.svg",
        "created_at": iso(wf.created_at),
        "html_url": f"{b.web}/{repo.full_name}/blob/main/.github/workflows/{wf.path}",
        "id": wf.id,
        "name": wf.name,
        "node_id": wf.node_id,
        "path": f".github/workflows/{wf.path}",
        "state": "active",
        "updated_at": iso(wf.created_at),
        "url": a,
    }
