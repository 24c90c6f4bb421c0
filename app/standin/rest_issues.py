"""REST routes for issues, issue comments, labels and comment reactions."""

from __future__ import annotations

import json
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import shapes
from .events import comment_json, emit, issue_json
from .http import Ctx, GitHubError, body_of, context, forbidden, invalid, no_content, not_found, page
from .ids import iso, node_id
from .model import Comment, Grant, Issue, Reaction, Repo

STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")
LOCK_REASONS = ("off-topic", "too heated", "resolved", "spam")


def _repo(request: Request) -> tuple[Ctx, Repo]:
    ctx = context(request)
    return ctx, ctx.repo(request.path_params["owner"], request.path_params["repo"])


def _issue(ctx: Ctx, repo: Repo, raw: str) -> Issue:
    try:
        number = int(raw)
    except ValueError:
        raise not_found() from None
    if number in repo.gone:
        raise GitHubError(410, "This issue was deleted")
    if number in repo.moved:
        target, new_number = repo.moved[number]
        url = f"{ctx.base.api}/repos/{target}/issues/{new_number}"
        raise GitHubError(301, "Moved Permanently", headers={"Location": url})
    found = repo.issues.get(number)
    if found is None:
        raise not_found()
    return found


def _comment(ctx: Ctx, repo: Repo, raw: str) -> Comment:
    try:
        wanted = int(raw)
    except ValueError:
        raise not_found() from None
    for comments in ctx.state.comments.values():
        for c in comments:
            if c.id == wanted and c.repo == repo.full_name:
                return c
    raise not_found()


def _names(data: dict | list, key: str = "labels") -> list[str]:
    raw = data if isinstance(data, list) else data.get(key, [])
    names = [x["name"] if isinstance(x, dict) else x for x in raw]
    if not all(isinstance(n, str) and n for n in names):
        raise invalid("Label", "name", "invalid")
    return names


def _ensure_labels(ctx: Ctx, repo: Repo, names: list[str]) -> list[str]:
    """GitHub creates a label that does not exist yet when it is applied to an issue."""
    out = []
    for name in names:
        if name.lower() not in repo.labels:
            ctx.state.new_label(repo, name, "ededed", None)
        out.append(repo.labels[name.lower()].name)
    return out


def _assignees(ctx: Ctx, logins: list) -> list[str]:
    for login in logins:
        if login not in ctx.state.users:
            raise invalid(
                "Issue", "assignees", "invalid", f"Could not resolve to a User with the login of '{login}'."
            )
    return list(dict.fromkeys(logins))


def _relabel(ctx: Ctx, repo: Repo, issue: Issue, names: list[str]) -> None:
    """Set the issue's labels and send labeled/unlabeled for each difference, as GitHub does."""
    before = {n.lower(): n for n in issue.labels}
    after = {n.lower(): n for n in names}
    issue.labels = list(after.values())
    for key in before:
        if key not in after and key in repo.labels:
            _emit_issue(ctx, repo, issue, "unlabeled", label=shapes.label(ctx.base, repo, repo.labels[key]))
    for key in after:
        if key not in before:
            _emit_issue(ctx, repo, issue, "labeled", label=shapes.label(ctx.base, repo, repo.labels[key]))


def _emit_issue(ctx: Ctx, repo: Repo, issue: Issue, action: str, **extra) -> None:
    emit(
        ctx.state,
        ctx.base,
        "issues",
        action,
        repo,
        ctx.grant.login,
        issue=issue_json(ctx.state, ctx.base, repo, issue),
        **extra,
    )


def _touch(ctx: Ctx, issue: Issue) -> None:
    issue.updated_at = ctx.state.now()


def _json_issue(ctx: Ctx, repo: Repo, issue: Issue, status: int = 200) -> Response:
    return JSONResponse(issue_json(ctx.state, ctx.base, repo, issue), status_code=status)


def _may_edit(ctx: Ctx, repo: Repo, author: str) -> None:
    if ctx.grant.login != author and not ctx.state.can_triage(ctx.grant, repo):
        raise forbidden("Must have admin rights to Repository.")


def _may_triage(ctx: Ctx, repo: Repo) -> None:
    if not ctx.state.can_triage(ctx.grant, repo):
        raise forbidden("Must have admin rights to Repository.")


# -- issues -----------------------------------------------------------------------------------------
# GitHub refuses an issue or comment body longer than 65,536 characters with this 422 (as recorded in
# public reports since 2023: resource IssueComment, code "unprocessable", field "data").
MAX_BODY = 65_536


def _within_limit(resource: str, body) -> None:
    if isinstance(body, str) and len(body) > MAX_BODY:
        raise invalid(resource, "data", "unprocessable", f"Body is too long (maximum is {MAX_BODY} characters)")


async def create_issue(request: Request) -> Response:
    ctx, repo = _repo(request)
    data = await body_of(request)
    title = data.get("title")
    if title is None or title == "":
        raise invalid("Issue", "title", "missing_field")
    if not isinstance(title, str | int):
        raise invalid("Issue", "title")
    _within_limit("Issue", data.get("body"))
    now = ctx.state.now()
    new_id = ctx.state.next_id()
    issue = Issue(
        new_id,
        node_id("Issue", new_id),
        repo.full_name,
        repo.next_number,
        str(title),
        data.get("body"),
        ctx.grant.login,
        now,
        now,
    )
    repo.next_number += 1
    triager = ctx.state.can_triage(ctx.grant, repo)
    # Without push access GitHub silently drops labels and assignees on a new issue.
    labels = _ensure_labels(ctx, repo, _names(data)) if triager else []
    wanted = list(data.get("assignees") or []) + ([data["assignee"]] if data.get("assignee") else [])
    issue.assignees = _assignees(ctx, wanted) if triager else []
    repo.issues[issue.number] = issue
    _emit_issue(ctx, repo, issue, "opened")
    _relabel(ctx, repo, issue, labels)
    return _json_issue(ctx, repo, issue, 201)


def _event(ctx: Ctx, kind: str, **details) -> dict:
    """An issue event as GET .../issues/{n}/events lists it (here: the `renamed` events GitHub keeps)."""
    event_id = ctx.state.next_id()
    return {"id": event_id, "node_id": f"RTE_{event_id}", "url": f"{ctx.base.api}/events/{event_id}",
            "actor": ctx.grant.login, "event": kind, "commit_id": None, "commit_url": None,
            "created_at": ctx.state.now(), "performed_via_github_app": None, **details}


async def list_events(request: Request) -> Response:
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    chunk, headers = page(request, issue.events)
    return JSONResponse([{**e, "actor": shapes.user(ctx.base, ctx.state.users[e["actor"]]),
                          "created_at": iso(e["created_at"])} for e in chunk], headers=headers)


async def get_issue(request: Request) -> Response:
    ctx, repo = _repo(request)
    return _json_issue(ctx, repo, _issue(ctx, repo, request.path_params["issue_number"]))


async def update_issue(request: Request) -> Response:
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    data = await body_of(request)
    _may_edit(ctx, repo, issue.user)
    _within_limit("Issue", data.get("body"))
    changes: dict = {}
    if "title" in data and data["title"] != issue.title:
        if not data["title"]:
            raise invalid("Issue", "title", "missing_field")
        changes["title"] = {"from": issue.title}
        issue.events.append(_event(ctx, "renamed", rename={"from": issue.title, "to": str(data["title"])}))
        issue.title = str(data["title"])
    if "body" in data and data["body"] != issue.body:
        changes["body"] = {"from": issue.body or ""}
        ctx.state.record_edit(issue, issue.body or "", data["body"] or "", ctx.grant.login)
        issue.body = data["body"]
    new_state = data.get("state")
    if new_state not in (None, "open", "closed"):
        raise invalid("Issue", "state")
    reason = data.get("state_reason")
    if reason is not None and reason not in STATE_REASONS:
        raise invalid("Issue", "state_reason")
    if changes:
        _touch(ctx, issue)
        _emit_issue(ctx, repo, issue, "edited", changes=changes)
    if "labels" in data:
        _may_triage(ctx, repo)
        _relabel(ctx, repo, issue, _ensure_labels(ctx, repo, _names(data)))
        _touch(ctx, issue)
    if "assignees" in data:
        _may_triage(ctx, repo)
        issue.assignees = _assignees(ctx, list(data["assignees"] or []))
        _touch(ctx, issue)
    if new_state == "closed" and issue.state == "open":
        issue.state, issue.state_reason = "closed", reason or "completed"
        issue.closed_at, issue.closed_by = ctx.state.now(), ctx.grant.login
        _touch(ctx, issue)
        _emit_issue(ctx, repo, issue, "closed")
    elif new_state == "open" and issue.state == "closed":
        issue.state, issue.state_reason, issue.closed_at = "open", "reopened", None
        _touch(ctx, issue)
        _emit_issue(ctx, repo, issue, "reopened")
    elif reason is not None and issue.state == "closed":
        issue.state_reason = reason
    return _json_issue(ctx, repo, issue)


async def add_assignees(request: Request) -> Response:
    """POST .../issues/{n}/assignees: adds to the assignees; like GitHub, people who cannot be assigned
    in this repository are left out without an error."""
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    data = await body_of(request)
    _may_triage(ctx, repo)
    wanted = [login for login in _assignees(ctx, list(data.get("assignees") or []))
              if ctx.state.can_see_repo(Grant("user", login, None, None), repo)]
    added = [login for login in wanted if login not in issue.assignees]
    if added:
        issue.assignees = [*issue.assignees, *added]
        _touch(ctx, issue)
    return _json_issue(ctx, repo, issue, status=201)


async def list_issues(request: Request) -> Response:
    ctx, repo = _repo(request)
    q = request.query_params
    wanted_state = q.get("state", "open")
    if wanted_state not in ("open", "closed", "all"):
        raise invalid("Issue", "state")
    wanted_labels = {x.strip().lower() for x in q.get("labels", "").split(",") if x.strip()}
    since = _since(q.get("since"))
    items = [
        i
        for i in repo.issues.values()
        if (wanted_state == "all" or i.state == wanted_state)
        and wanted_labels <= {n.lower() for n in i.labels}
        and (since is None or i.updated_at >= since)
    ]
    items.sort(key=lambda i: i.number, reverse=q.get("direction", "desc") == "desc")
    chunk, headers = page(request, items)
    return JSONResponse([issue_json(ctx.state, ctx.base, repo, i) for i in chunk], headers=headers)


def _since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("Issue", "since") from None


async def lock_issue(request: Request) -> Response:
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    data = await body_of(request)
    _may_triage(ctx, repo)
    reason = data.get("lock_reason")
    if reason is not None and reason not in LOCK_REASONS:
        raise invalid("Issue", "lock_reason")
    issue.locked, issue.lock_reason = True, reason
    _touch(ctx, issue)
    _emit_issue(ctx, repo, issue, "locked")
    return no_content()


async def unlock_issue(request: Request) -> Response:
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    _may_triage(ctx, repo)
    issue.locked, issue.lock_reason = False, None
    _touch(ctx, issue)
    _emit_issue(ctx, repo, issue, "unlocked")
    return no_content()


# -- comments ---------------------------------------------------------------------------------------
def _emit_comment(ctx: Ctx, repo: Repo, c: Comment, action: str, **extra) -> None:
    issue = repo.issues[c.issue_number]
    emit(
        ctx.state,
        ctx.base,
        "issue_comment",
        action,
        repo,
        ctx.grant.login,
        issue=issue_json(ctx.state, ctx.base, repo, issue),
        comment=comment_json(ctx.state, ctx.base, repo, c),
        **extra,
    )


async def create_comment(request: Request) -> Response:
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    data = await body_of(request)
    if not isinstance(data.get("body"), str) or not data["body"]:
        raise invalid("IssueComment", "body", "missing_field")
    _within_limit("IssueComment", data["body"])
    if issue.locked and not ctx.state.can_triage(ctx.grant, repo):
        raise forbidden("Unable to create comment because issue is locked.")
    now = ctx.state.now()
    new_id = ctx.state.next_id()
    c = Comment(
        new_id,
        node_id("IssueComment", new_id),
        repo.full_name,
        issue.number,
        ctx.grant.login,
        data["body"],
        now,
        now,
    )
    ctx.state.comments_of(repo, issue.number).append(c)
    issue.comments += 1
    _touch(ctx, issue)
    _emit_comment(ctx, repo, c, "created")
    return JSONResponse(comment_json(ctx.state, ctx.base, repo, c), status_code=201)


async def list_comments(request: Request) -> Response:
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    since = _since(request.query_params.get("since"))
    items = [c for c in ctx.state.comments_of(repo, issue.number) if since is None or c.updated_at >= since]
    chunk, headers = page(request, items)
    return JSONResponse([comment_json(ctx.state, ctx.base, repo, c) for c in chunk], headers=headers)


async def get_comment(request: Request) -> Response:
    ctx, repo = _repo(request)
    c = _comment(ctx, repo, request.path_params["comment_id"])
    return JSONResponse(comment_json(ctx.state, ctx.base, repo, c))


async def update_comment(request: Request) -> Response:
    ctx, repo = _repo(request)
    c = _comment(ctx, repo, request.path_params["comment_id"])
    data = await body_of(request)
    if not isinstance(data.get("body"), str) or not data["body"]:
        raise invalid("IssueComment", "body", "missing_field")
    _within_limit("IssueComment", data["body"])
    _may_edit(ctx, repo, c.user)
    old = c.body
    if old != data["body"]:
        ctx.state.record_edit(c, old, data["body"], ctx.grant.login)
    c.body, c.updated_at = data["body"], ctx.state.now()
    if old != c.body:
        _emit_comment(ctx, repo, c, "edited", changes={"body": {"from": old}})
    return JSONResponse(comment_json(ctx.state, ctx.base, repo, c))


async def delete_comment(request: Request) -> Response:
    ctx, repo = _repo(request)
    c = _comment(ctx, repo, request.path_params["comment_id"])
    _may_edit(ctx, repo, c.user)
    ctx.state.comments_of(repo, c.issue_number).remove(c)
    repo.issues[c.issue_number].comments -= 1
    _emit_comment(ctx, repo, c, "deleted")
    return no_content()


async def create_reaction(request: Request) -> Response:
    ctx, repo = _repo(request)
    c = _comment(ctx, repo, request.path_params["comment_id"])
    content = (await body_of(request)).get("content")
    if content not in shapes.REACTIONS:
        raise invalid("Reaction", "content")
    existing = next((r for r in c.reactions if r.user == ctx.grant.login and r.content == content), None)
    status = 200
    if existing is None:
        new_id = ctx.state.next_id()
        existing = Reaction(new_id, node_id("Reaction", new_id), ctx.grant.login, content, ctx.state.now())
        c.reactions.append(existing)
        status = 201
    return JSONResponse(_reaction(ctx, existing), status_code=status)


def _reaction(ctx: Ctx, r: Reaction) -> dict:
    return {
        "id": r.id,
        "node_id": r.node_id,
        "user": shapes.user(ctx.base, ctx.state.users[r.user]),
        "content": r.content,
        "created_at": iso(r.created_at),
    }


async def list_reactions(request: Request) -> Response:
    ctx, repo = _repo(request)
    c = _comment(ctx, repo, request.path_params["comment_id"])
    chunk, headers = page(request, c.reactions)
    return JSONResponse([_reaction(ctx, r) for r in chunk], headers=headers)


# -- labels -----------------------------------------------------------------------------------------
def _label_json(ctx: Ctx, repo: Repo, names: list[str]) -> list[dict]:
    return [shapes.label(ctx.base, repo, repo.labels[n.lower()]) for n in names if n.lower() in repo.labels]


async def create_label(request: Request) -> Response:
    ctx, repo = _repo(request)
    data = await body_of(request)
    _may_triage(ctx, repo)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise invalid("Label", "name", "missing_field")
    if name.lower() in repo.labels:
        raise invalid("Label", "name", "already_exists")
    color = str(data.get("color", "ededed")).lstrip("#")
    if len(color) != 6 or any(ch not in "0123456789abcdefABCDEF" for ch in color):
        raise invalid("Label", "color")
    lab = ctx.state.new_label(repo, name, color, data.get("description"))
    return JSONResponse(shapes.label(ctx.base, repo, lab), status_code=201)


async def list_labels(request: Request) -> Response:
    ctx, repo = _repo(request)
    chunk, headers = page(request, list(repo.labels.values()))
    return JSONResponse([shapes.label(ctx.base, repo, lab) for lab in chunk], headers=headers)


async def get_label(request: Request) -> Response:
    ctx, repo = _repo(request)
    lab = repo.labels.get(request.path_params["name"].lower())
    if lab is None:
        raise not_found()
    return JSONResponse(shapes.label(ctx.base, repo, lab))


async def update_label(request: Request) -> Response:
    ctx, repo = _repo(request)
    old_key = request.path_params["name"].lower()
    lab = repo.labels.get(old_key)
    if lab is None:
        raise not_found()
    data = await body_of(request)
    _may_triage(ctx, repo)
    new_name = data.get("new_name") or data.get("name")
    if new_name and new_name.lower() != old_key:
        if new_name.lower() in repo.labels:
            raise invalid("Label", "name", "already_exists")
        del repo.labels[old_key]
        for issue in repo.issues.values():
            issue.labels = [new_name if n.lower() == old_key else n for n in issue.labels]
        lab.name = new_name
        repo.labels[new_name.lower()] = lab
    if "color" in data:
        lab.color = str(data["color"]).lstrip("#").lower()
    if "description" in data:
        lab.description = data["description"]
    return JSONResponse(shapes.label(ctx.base, repo, lab))


async def delete_label(request: Request) -> Response:
    ctx, repo = _repo(request)
    _may_triage(ctx, repo)
    key = request.path_params["name"].lower()
    if repo.labels.pop(key, None) is None:
        raise not_found()
    for issue in repo.issues.values():
        issue.labels = [n for n in issue.labels if n.lower() != key]
    return no_content()


async def issue_labels(request: Request) -> Response:
    """GET (list), POST (add), PUT (set) and DELETE (remove all) on an issue's labels."""
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    if request.method == "GET":
        chunk, headers = page(request, issue.labels)
        return JSONResponse(_label_json(ctx, repo, chunk), headers=headers)
    _may_triage(ctx, repo)
    if request.method == "DELETE":
        _relabel(ctx, repo, issue, [])
        _touch(ctx, issue)
        return no_content()
    raw = await request.body()
    data = (await body_of(request)) if raw.strip().startswith(b"{") else _json_list(raw)
    names = _ensure_labels(ctx, repo, _names(data))
    if request.method == "POST":
        names = issue.labels + [n for n in names if n.lower() not in {x.lower() for x in issue.labels}]
    _relabel(ctx, repo, issue, names)
    _touch(ctx, issue)
    return JSONResponse(_label_json(ctx, repo, issue.labels))


def _json_list(raw: bytes) -> list:
    try:
        data = json.loads(raw or b"[]")
    except ValueError:
        raise GitHubError(400, "Problems parsing JSON") from None
    if not isinstance(data, list):
        raise invalid("Label", "labels")
    return data


async def remove_issue_label(request: Request) -> Response:
    ctx, repo = _repo(request)
    issue = _issue(ctx, repo, request.path_params["issue_number"])
    _may_triage(ctx, repo)
    key = request.path_params["name"].lower()
    if key not in {n.lower() for n in issue.labels}:
        raise GitHubError(404, "Label does not exist")
    _relabel(ctx, repo, issue, [n for n in issue.labels if n.lower() != key])
    _touch(ctx, issue)
    return JSONResponse(_label_json(ctx, repo, issue.labels))


R = "/repos/{owner}/{repo}"
routes = [
    Route(f"{R}/issues", create_issue, methods=["POST"]),
    Route(f"{R}/issues", list_issues, methods=["GET"]),
    Route(f"{R}/issues/comments/{{comment_id}}", get_comment, methods=["GET"]),
    Route(f"{R}/issues/comments/{{comment_id}}", update_comment, methods=["PATCH"]),
    Route(f"{R}/issues/comments/{{comment_id}}", delete_comment, methods=["DELETE"]),
    Route(f"{R}/issues/comments/{{comment_id}}/reactions", create_reaction, methods=["POST"]),
    Route(f"{R}/issues/comments/{{comment_id}}/reactions", list_reactions, methods=["GET"]),
    Route(f"{R}/issues/{{issue_number}}", get_issue, methods=["GET"]),
    Route(f"{R}/issues/{{issue_number}}", update_issue, methods=["PATCH"]),
    Route(f"{R}/issues/{{issue_number}}/assignees", add_assignees, methods=["POST"]),
    Route(f"{R}/issues/{{issue_number}}/lock", lock_issue, methods=["PUT"]),
    Route(f"{R}/issues/{{issue_number}}/lock", unlock_issue, methods=["DELETE"]),
    Route(f"{R}/issues/{{issue_number}}/comments", create_comment, methods=["POST"]),
    Route(f"{R}/issues/{{issue_number}}/comments", list_comments, methods=["GET"]),
    Route(f"{R}/issues/{{issue_number}}/events", list_events, methods=["GET"]),
    Route(f"{R}/issues/{{issue_number}}/labels", issue_labels, methods=["GET", "POST", "PUT", "DELETE"]),
    Route(f"{R}/issues/{{issue_number}}/labels/{{name}}", remove_issue_label, methods=["DELETE"]),
    Route(f"{R}/labels", create_label, methods=["POST"]),
    Route(f"{R}/labels", list_labels, methods=["GET"]),
    Route(f"{R}/labels/{{name}}", get_label, methods=["GET"]),
    Route(f"{R}/labels/{{name}}", update_label, methods=["PATCH"]),
    Route(f"{R}/labels/{{name}}", delete_label, methods=["DELETE"]),
]
