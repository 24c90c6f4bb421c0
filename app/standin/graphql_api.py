"""The GraphQL endpoint: discussions, locking, minimizing, issue delete/transfer, and `node(id:)`."""

from __future__ import annotations

from functools import cache

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import shapes
from .events import comment_json, discussion_comment_json, discussion_json, emit, issue_json
from .graphql_sdl import SDL
from .http import Ctx, GitHubError, context
from .ids import iso, node_id, parse_node_id
from .model import Discussion, DiscussionComment, Issue, Repo

REST_LOCK = {"OFF_TOPIC": "off-topic", "RESOLVED": "resolved", "SPAM": "spam", "TOO_HEATED": "too heated"}
GQL_LOCK = {v: k for k, v in REST_LOCK.items()}
# `minimizedReason` uses GitHub's lower-case, dashed spelling of the classifier.
MINIMIZED = {
    "ABUSE": "abuse",
    "DUPLICATE": "duplicate",
    "OFF_TOPIC": "off-topic",
    "OUTDATED": "outdated",
    "RESOLVED": "resolved",
    "SPAM": "spam",
}


class GqlError(Exception):
    """A resolver failure, reported with GitHub's error `type` (NOT_FOUND, FORBIDDEN, UNPROCESSABLE)."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_


@cache
def schema() -> GraphQLSchema:
    return build_schema(SDL)


def _not_found(global_id: str) -> GqlError:
    return GqlError("NOT_FOUND", f"Could not resolve to a node with the global id of '{global_id}'")


# -- objects ------------------------------------------------------------------------------------------
def user_obj(ctx: Ctx, login: str) -> dict:
    u = ctx.state.users[login]
    return {
        "__typename": "Bot" if u.type == "Bot" else "User",
        "id": u.node_id,
        "databaseId": u.id,
        "login": u.login,
        "url": f"{ctx.base.web}/{u.login}",
    }


def repo_obj(ctx: Ctx, repo: Repo) -> dict:
    def categories(_info, first=None, last=None, **_kw):
        if first is None and last is None:
            raise GqlError(
                "MISSING_PAGINATION_BOUNDARIES",
                "You must provide a `first` or `last` value to properly paginate the "
                "`discussionCategories` connection.",
            )
        if not repo.has_discussions:
            return {"nodes": [], "totalCount": 0, "pageInfo": _page_info(False)}
        items = repo.categories[:first] if first is not None else repo.categories[-last:]
        return {
            "nodes": [category_obj(c) for c in items],
            "totalCount": len(repo.categories),
            "pageInfo": _page_info(len(items) < len(repo.categories)),
        }

    def discussions(_info, first=None, last=None, categoryId=None, orderBy=None, states=None, **_kw):  # noqa: N803
        if first is None and last is None:
            raise GqlError("MISSING_PAGINATION_BOUNDARIES", "You must provide a `first` or `last` value to "
                           "properly paginate the `discussions` connection.")
        if (first or 0) > 100 or (last or 0) > 100:
            raise GqlError("EXCESSIVE_PAGINATION", "Requesting more than 100 records on the `discussions` "
                           "connection exceeds the `first` limit of 100 records.")
        items = [d for d in repo.discussions.values()
                 if (categoryId is None or _category_node(repo, d) == categoryId)
                 and (not states or ("CLOSED" if d.state == "closed" else "OPEN") in states)]
        order = orderBy or {"field": "UPDATED_AT", "direction": "DESC"}
        items.sort(key=lambda d: (d.created_at if order["field"] == "CREATED_AT" else d.updated_at, d.id),
                   reverse=order["direction"] == "DESC")
        chunk = items[:first] if first is not None else items[-last:]
        return {"nodes": [discussion_obj(ctx, repo, d) for d in chunk], "totalCount": len(items),
                "pageInfo": _page_info(len(chunk) < len(items))}

    def discussion(_info, number):
        found = repo.discussions.get(number)
        if found is None:
            raise GqlError("NOT_FOUND", f"Could not resolve to a Discussion with the number of {number}.")
        return discussion_obj(ctx, repo, found)

    def issue(_info, number):
        found = repo.issues.get(number)
        if found is None:
            raise GqlError("NOT_FOUND", f"Could not resolve to an Issue with the number of {number}.")
        return issue_obj(ctx, repo, found)

    return {
        "__typename": "Repository",
        "id": repo.node_id,
        "databaseId": repo.id,
        "name": repo.name,
        "nameWithOwner": repo.full_name,
        "url": f"{ctx.base.web}/{repo.full_name}",
        "isPrivate": repo.private,
        "discussionCategories": categories,
        "discussions": discussions,
        "discussion": discussion,
        "issue": issue,
    }


def org_obj(ctx: Ctx, org) -> dict:
    def teams(_info, first=None, after=None, userLogins=None):  # noqa: N803 - GraphQL's argument name
        if first is None:
            raise GqlError(
                "MISSING_PAGINATION_BOUNDARIES",
                "You must provide a `first` or `last` value to properly paginate the `teams` connection.",
            )
        found = sorted(org.teams.values(), key=lambda t: t.slug)
        if userLogins is not None:
            found = [t for t in found if any(login in t.members for login in userLogins)]
        start = int(after) if after else 0
        chunk = found[start : start + first]
        more = start + first < len(found)
        return {
            "nodes": [team_obj(t) for t in chunk],
            "totalCount": len(found),
            # Cursors are opaque to clients; here they are the offset of the next page.
            "pageInfo": dict(_page_info(more), endCursor=str(start + len(chunk)) if chunk else None),
        }

    account = org.account
    return {
        "__typename": "Organization",
        "id": account.node_id,
        "databaseId": account.id,
        "login": account.login,
        "url": f"{ctx.base.web}/{account.login}",
        "teams": teams,
    }


def team_obj(t) -> dict:
    return {"__typename": "Team", "id": t.node_id, "databaseId": t.id, "name": t.name, "slug": t.slug}


def _page_info(more: bool) -> dict:
    return {"hasNextPage": more, "hasPreviousPage": False, "startCursor": None, "endCursor": None}


def category_obj(c) -> dict:
    return {
        "__typename": "DiscussionCategory",
        "id": c.node_id,
        "name": c.name,
        "slug": c.slug,
        "emoji": f":{c.slug}:",
        "description": c.description,
        "isAnswerable": c.is_answerable,
    }


def _category_node(repo: Repo, d: Discussion) -> str:
    return next(c.node_id for c in repo.categories if c.id == d.category_id)


def discussion_obj(ctx: Ctx, repo: Repo, d: Discussion) -> dict:
    cat = next(c for c in repo.categories if c.id == d.category_id)

    def comments(_info, first=None, last=None, **_kw):
        if first is None and last is None:
            raise GqlError("MISSING_PAGINATION_BOUNDARIES", "You must provide a `first` or `last` value to "
                           "properly paginate the `comments` connection.")
        chunk = d.comments[:first] if first is not None else d.comments[-last:]
        return {"nodes": [discussion_comment_obj(ctx, repo, d, c) for c in chunk], "totalCount": len(d.comments),
                "pageInfo": _page_info(len(chunk) < len(d.comments))}

    return {
        "__typename": "Discussion",
        "id": d.node_id,
        "databaseId": d.id,
        "number": d.number,
        "title": d.title,
        "body": d.body,
        "url": f"{ctx.base.web}/{repo.full_name}/discussions/{d.number}",
        "closed": d.state == "closed",
        "closedAt": iso(d.closed_at),
        "stateReason": d.state_reason.upper() if d.state_reason else None,
        "locked": d.locked,
        "activeLockReason": GQL_LOCK.get(d.lock_reason or ""),
        "category": category_obj(cat),
        "comments": comments,
        "createdAt": iso(d.created_at),
        "updatedAt": iso(d.updated_at),
        "repository": lambda _info: repo_obj(ctx, repo),
        "author": user_obj(ctx, d.user),
    }


def discussion_comment_obj(ctx: Ctx, repo: Repo, d: Discussion, c: DiscussionComment) -> dict:
    return {
        "__typename": "DiscussionComment",
        "id": c.node_id,
        "databaseId": c.id,
        "body": c.body,
        "url": f"{ctx.base.web}/{repo.full_name}/discussions/{d.number}#discussioncomment-{c.id}",
        "isMinimized": c.minimized is not None,
        "minimizedReason": c.minimized,
        "viewerCanMinimize": ctx.state.can_triage(ctx.grant, repo),
        "author": user_obj(ctx, c.user),
        "createdAt": iso(c.created_at),
        "discussion": lambda _info: discussion_obj(ctx, repo, d),
    }


def issue_obj(ctx: Ctx, repo: Repo, i: Issue) -> dict:
    return {
        "__typename": "Issue",
        "id": i.node_id,
        "databaseId": i.id,
        "number": i.number,
        "title": i.title,
        "url": f"{ctx.base.web}/{repo.full_name}/issues/{i.number}",
        "locked": i.locked,
        "activeLockReason": GQL_LOCK.get(i.lock_reason or ""),
        "state": i.state.upper(),
        "repository": lambda _info: repo_obj(ctx, repo),
        "body": i.body or "",
        "userContentEdits": _edits(ctx, i),
    }


def issue_comment_obj(ctx: Ctx, repo: Repo, c) -> dict:
    return {
        "__typename": "IssueComment",
        "id": c.node_id,
        "databaseId": c.id,
        "body": c.body,
        "url": f"{ctx.base.web}/{repo.full_name}/issues/{c.issue_number}#issuecomment-{c.id}",
        "isMinimized": c.minimized is not None,
        "minimizedReason": c.minimized,
        "viewerCanMinimize": ctx.state.can_triage(ctx.grant, repo),
        "author": user_obj(ctx, c.user),
        "userContentEdits": _edits(ctx, c),
    }


def _edits(ctx: Ctx, target):
    """`userContentEdits`: every version of an edited body, newest first, readable by every reader."""
    def resolve(_info, first=None, last=None, **_kw):
        nodes = [{"__typename": "UserContentEdit", "id": node_id("UserContentEdit", e.id), "diff": e.text,
                  "editedAt": iso(e.at), "createdAt": iso(e.at), "updatedAt": iso(e.at),
                  "editor": user_obj(ctx, e.editor)} for e in reversed(target.edits)]
        shown = nodes[:first] if first is not None else nodes[-last:] if last else nodes
        return {"nodes": shown, "totalCount": len(nodes), "pageInfo": _page_info(len(shown) < len(nodes))}
    return resolve


# -- lookups by global id -----------------------------------------------------------------------------
def _lookup(ctx: Ctx, global_id: str):
    """(type, repo, object[, parent]) for a node id the viewer may see, else NOT_FOUND."""
    parsed = parse_node_id(global_id)
    if parsed is None:
        raise _not_found(global_id)
    kind, number = parsed
    state = ctx.state
    found = None
    if kind == "Repository":
        repo = next((r for r in state.repos.values() if r.id == number), None)
        found = (kind, repo, repo) if repo else None
    elif kind == "Discussion":
        hit = state.find_discussion(number)
        found = (kind, hit[0], hit[1]) if hit else None
    elif kind == "DiscussionComment":
        hit = state.find_discussion_comment(number)
        found = (kind, hit[0], hit[2], hit[1]) if hit else None
    elif kind == "DiscussionCategory":
        for repo in state.repos.values():
            cat = next((c for c in repo.categories if c.id == number), None)
            if cat is not None:
                found = (kind, repo, cat)
    elif kind == "Issue":
        hit = state.find_issue(number)
        found = (kind, hit[0], hit[1]) if hit else None
    elif kind == "IssueComment":
        hit = state.find_comment(number)
        found = (kind, hit[0], hit[2]) if hit else None
    elif kind in ("PullRequestReviewComment", "PullRequestReview"):
        hit = state.find_review_item(number)
        found = (kind, hit[0], hit[1]) if hit else None
    elif kind in ("User", "Bot"):
        user = next((u for u in state.users.values() if u.id == number), None)
        found = (kind, None, user) if user else None
    if found is None or (found[1] is not None and not state.can_see_repo(ctx.grant, found[1])):
        raise _not_found(global_id)
    return found


def _expect(ctx: Ctx, global_id: str, *kinds: str):
    found = _lookup(ctx, global_id)
    if found[0] not in kinds:
        raise _not_found(global_id)
    return found


def _node(ctx: Ctx, global_id: str) -> dict:
    found = _lookup(ctx, global_id)
    kind, repo, obj = found[0], found[1], found[2]
    if kind == "Repository":
        return repo_obj(ctx, obj)
    if kind == "Discussion":
        return discussion_obj(ctx, repo, obj)
    if kind == "DiscussionComment":
        return discussion_comment_obj(ctx, repo, found[3], obj)
    if kind == "DiscussionCategory":
        return category_obj(obj)
    if kind == "Issue":
        return issue_obj(ctx, repo, obj)
    if kind == "IssueComment":
        return issue_comment_obj(ctx, repo, obj)
    return user_obj(ctx, obj.login)


def _must_triage(ctx: Ctx, repo: Repo) -> None:
    if not ctx.state.can_triage(ctx.grant, repo):
        raise GqlError(
            "FORBIDDEN",
            "Resource not accessible by integration"
            if ctx.grant.kind == "installation"
            else "You do not have permission to do that.",
        )


def _emit_discussion(ctx: Ctx, repo: Repo, d: Discussion, action: str, **extra) -> None:
    emit(
        ctx.state,
        ctx.base,
        "discussion",
        action,
        repo,
        ctx.grant.login,
        discussion=discussion_json(ctx.state, ctx.base, repo, d),
        **extra,
    )


# -- mutations ----------------------------------------------------------------------------------------
def create_discussion(ctx: Ctx, inp: dict) -> dict:
    _, repo, _obj = _expect(ctx, inp["repositoryId"], "Repository")
    if not repo.has_discussions:
        raise GqlError("UNPROCESSABLE", "Repository does not have discussions enabled.")
    cat = next((c for c in repo.categories if c.node_id == inp["categoryId"]), None)
    if cat is None:
        raise _not_found(inp["categoryId"])
    now = ctx.state.now()
    new_id = ctx.state.next_id()
    d = Discussion(
        new_id,
        node_id("Discussion", new_id),
        repo.full_name,
        repo.next_number,
        cat.id,
        inp["title"],
        inp["body"],
        ctx.grant.login,
        now,
        now,
    )
    repo.next_number += 1
    repo.discussions[d.number] = d
    _emit_discussion(ctx, repo, d, "created")
    return {"clientMutationId": inp.get("clientMutationId"), "discussion": discussion_obj(ctx, repo, d)}


def add_discussion_comment(ctx: Ctx, inp: dict) -> dict:
    _, repo, d = _expect(ctx, inp["discussionId"], "Discussion")
    if d.locked and not ctx.state.can_triage(ctx.grant, repo):
        raise GqlError("FORBIDDEN", "Discussion is locked.")
    new_id = ctx.state.next_id()
    c = DiscussionComment(
        new_id, node_id("DiscussionComment", new_id), d.id, ctx.grant.login, inp["body"], ctx.state.now()
    )
    d.comments.append(c)
    emit(ctx.state, ctx.base, "discussion_comment", "created", repo, ctx.grant.login,
         comment=discussion_comment_json(ctx.state, ctx.base, repo, d, c),
         discussion=discussion_json(ctx.state, ctx.base, repo, d))
    return {
        "clientMutationId": inp.get("clientMutationId"),
        "comment": discussion_comment_obj(ctx, repo, d, c),
    }


def close_discussion(ctx: Ctx, inp: dict) -> dict:
    _, repo, d = _expect(ctx, inp["discussionId"], "Discussion")
    _must_triage(ctx, repo)
    if d.state != "closed":
        d.state, d.state_reason = "closed", (inp.get("reason") or "RESOLVED").lower()
        d.closed_at = d.updated_at = ctx.state.now()
        _emit_discussion(ctx, repo, d, "closed")
    return {"clientMutationId": inp.get("clientMutationId"), "discussion": discussion_obj(ctx, repo, d)}


def lock_lockable(ctx: Ctx, inp: dict) -> dict:
    kind, repo, obj = _expect(ctx, inp["lockableId"], "Discussion", "Issue")
    _must_triage(ctx, repo)
    reason = REST_LOCK.get(inp.get("lockReason") or "")
    was_locked = obj.locked
    obj.locked, obj.lock_reason, obj.updated_at = True, reason, ctx.state.now()
    if kind == "Discussion":
        if not was_locked:
            _emit_discussion(ctx, repo, obj, "locked")
        record = discussion_obj(ctx, repo, obj)
    else:
        if not was_locked:
            emit(
                ctx.state,
                ctx.base,
                "issues",
                "locked",
                repo,
                ctx.grant.login,
                issue=issue_json(ctx.state, ctx.base, repo, obj),
            )
        record = issue_obj(ctx, repo, obj)
    return {
        "clientMutationId": inp.get("clientMutationId"),
        "lockedRecord": record,
        "actor": user_obj(ctx, ctx.grant.login),
    }


def update_discussion(ctx: Ctx, inp: dict) -> dict:
    _, repo, d = _expect(ctx, inp["discussionId"], "Discussion")
    if ctx.grant.login != d.user:
        _must_triage(ctx, repo)
    changes: dict = {}
    if inp.get("title") is not None and inp["title"] != d.title:
        changes["title"] = {"from": d.title}
        d.title = inp["title"]
    if inp.get("body") is not None and inp["body"] != d.body:
        changes["body"] = {"from": d.body}
        d.body = inp["body"]
    old_cat = next(c for c in repo.categories if c.id == d.category_id)
    if inp.get("categoryId") is not None and inp["categoryId"] != old_cat.node_id:
        new_cat = next((c for c in repo.categories if c.node_id == inp["categoryId"]), None)
        if new_cat is None:
            raise _not_found(inp["categoryId"])
        d.category_id = new_cat.id
        d.updated_at = ctx.state.now()
        _emit_discussion(
            ctx,
            repo,
            d,
            "category_changed",
            changes={"category": {"from": shapes.category(old_cat, repo.id)}},
        )
    if changes:
        d.updated_at = ctx.state.now()
        _emit_discussion(ctx, repo, d, "edited", changes=changes)
    return {"clientMutationId": inp.get("clientMutationId"), "discussion": discussion_obj(ctx, repo, d)}


def delete_discussion(ctx: Ctx, inp: dict) -> dict:
    _, repo, d = _expect(ctx, inp["id"], "Discussion")
    _must_triage(ctx, repo)
    snapshot = discussion_obj(ctx, repo, d)
    _emit_discussion(ctx, repo, d, "deleted")
    del repo.discussions[d.number]
    return {"clientMutationId": inp.get("clientMutationId"), "discussion": snapshot}


def delete_discussion_comment(ctx: Ctx, inp: dict) -> dict:
    """GitHub's `deleteDiscussionComment`: its author, or triage access (discussion moderation)."""
    _, repo, comment, d = _expect(ctx, inp["id"], "DiscussionComment")
    if ctx.grant.login != comment.user:
        _must_triage(ctx, repo)
    snapshot = discussion_comment_obj(ctx, repo, d, comment)
    d.comments.remove(comment)
    emit(ctx.state, ctx.base, "discussion_comment", "deleted", repo, ctx.grant.login,
         comment=discussion_comment_json(ctx.state, ctx.base, repo, d, comment),
         discussion=discussion_json(ctx.state, ctx.base, repo, d))
    return {"clientMutationId": inp.get("clientMutationId"), "comment": snapshot}


def _must_write(ctx: Ctx, repo: Repo) -> None:
    if not ctx.state.can_write(ctx.grant, repo):
        raise GqlError("FORBIDDEN", "Resource not accessible by integration" if ctx.grant.kind == "installation"
                       else "You do not have permission to do that.")


def minimize_comment(ctx: Ctx, inp: dict) -> dict:
    found = _expect(ctx, inp["subjectId"], "IssueComment", "DiscussionComment", "PullRequestReviewComment",
                    "PullRequestReview")
    repo, comment = found[1], found[2]
    _must_triage(ctx, repo)
    comment.minimized = MINIMIZED[inp["classifier"]]
    if found[0] in ("PullRequestReviewComment", "PullRequestReview"):
        obj = {"__typename": found[0], "id": comment.node_id, "body": comment.body, "isMinimized": True,
               "minimizedReason": comment.minimized, "viewerCanMinimize": True}
    elif found[0] == "IssueComment":
        obj = issue_comment_obj(ctx, repo, comment)
    else:
        obj = discussion_comment_obj(ctx, repo, found[3], comment)
    return {"clientMutationId": inp.get("clientMutationId"), "minimizedComment": obj}


def delete_issue(ctx: Ctx, inp: dict) -> dict:
    _, repo, issue = _expect(ctx, inp["issueId"], "Issue")
    _must_triage(ctx, repo)
    emit(
        ctx.state,
        ctx.base,
        "issues",
        "deleted",
        repo,
        ctx.grant.login,
        issue=issue_json(ctx.state, ctx.base, repo, issue),
    )
    del repo.issues[issue.number]
    ctx.state.comments.pop((repo.full_name, issue.number), None)
    repo.gone.add(issue.number)
    return {"clientMutationId": inp.get("clientMutationId"), "repository": repo_obj(ctx, repo)}


def delete_issue_comment(ctx: Ctx, inp: dict) -> dict:
    """GitHub's `deleteIssueComment`: the comment, and with it its edit history, is gone for everyone."""
    _, repo, comment = _expect(ctx, inp["id"], "IssueComment")
    if ctx.grant.login != comment.user:
        _must_triage(ctx, repo)
    ctx.state.comments_of(repo, comment.issue_number).remove(comment)
    repo.issues[comment.issue_number].comments -= 1
    emit(ctx.state, ctx.base, "issue_comment", "deleted", repo, ctx.grant.login,
         issue=issue_json(ctx.state, ctx.base, repo, repo.issues[comment.issue_number]),
         comment=comment_json(ctx.state, ctx.base, repo, comment))
    return {"clientMutationId": inp.get("clientMutationId")}


def transfer_issue(ctx: Ctx, inp: dict) -> dict:
    _, source, issue = _expect(ctx, inp["issueId"], "Issue")
    _, target, _obj = _expect(ctx, inp["repositoryId"], "Repository")
    # "Transferring an issue to another repository": write access to both repositories, not triage.
    _must_write(ctx, source)
    _must_write(ctx, target)
    if source.owner != target.owner:
        raise GqlError(
            "UNPROCESSABLE", "Issues can only be transferred between repositories of the same owner."
        )
    if target is source:
        raise GqlError("UNPROCESSABLE", "The issue is already in that repository.")
    if source.private and not target.private:
        # GitHub's docs: "You can't transfer an issue from a private repository to a public repository."
        raise GqlError("UNPROCESSABLE", "Issues cannot be transferred from a private to a public repository.")
    old_number = issue.number
    comments = ctx.state.comments.pop((source.full_name, old_number), [])
    kept = []
    for name in issue.labels:
        if name.lower() not in target.labels and inp.get("createLabelsIfMissing"):
            old = source.labels[name.lower()]
            ctx.state.new_label(target, old.name, old.color, old.description)
        if name.lower() in target.labels:
            kept.append(target.labels[name.lower()].name)
    del source.issues[old_number]
    issue.repo, issue.number, issue.labels = target.full_name, target.next_number, kept
    issue.updated_at = ctx.state.now()
    target.next_number += 1
    target.issues[issue.number] = issue
    for c in comments:
        c.repo, c.issue_number = target.full_name, issue.number
    ctx.state.comments[(target.full_name, issue.number)] = comments
    source.moved[old_number] = (target.full_name, issue.number)
    new_issue = issue_json(ctx.state, ctx.base, target, issue)
    old_view = dict(
        new_issue,
        number=old_number,
        url=f"{ctx.base.api}/repos/{source.full_name}/issues/{old_number}",
        html_url=f"{ctx.base.web}/{source.full_name}/issues/{old_number}",
    )
    emit(
        ctx.state,
        ctx.base,
        "issues",
        "transferred",
        source,
        ctx.grant.login,
        issue=old_view,
        changes={
            "new_issue": new_issue,
            "new_repository": shapes.repo(ctx.base, ctx.state.users[target.owner], target, 0),
        },
    )
    emit(ctx.state, ctx.base, "issues", "opened", target, ctx.grant.login, issue=new_issue)
    return {"clientMutationId": inp.get("clientMutationId"), "issue": issue_obj(ctx, target, issue)}


MUTATIONS = {
    "createDiscussion": create_discussion,
    "addDiscussionComment": add_discussion_comment,
    "closeDiscussion": close_discussion,
    "lockLockable": lock_lockable,
    "updateDiscussion": update_discussion,
    "deleteDiscussion": delete_discussion,
    "deleteDiscussionComment": delete_discussion_comment,
    "minimizeComment": minimize_comment,
    "deleteIssue": delete_issue,
    "transferIssue": transfer_issue,
    "deleteIssueComment": delete_issue_comment,
}


def _root(ctx: Ctx) -> dict:
    def repository(_info, owner, name, **_kw):
        repo = ctx.state.repos.get(f"{owner}/{name}")
        if repo is None or not ctx.state.can_see_repo(ctx.grant, repo):
            raise GqlError("NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return repo_obj(ctx, repo)

    def organization(_info, login):
        org = ctx.state.orgs.get(login)
        if org is None:
            raise GqlError("NOT_FOUND", f"Could not resolve to an Organization with the login of '{login}'.")
        return org_obj(ctx, org)

    root: dict = {"repository": repository, "organization": organization,
                  "node": lambda _info, id: _node(ctx, id)}
    for name, fn in MUTATIONS.items():
        root[name] = (lambda f: lambda _info, input: f(ctx, input))(fn)
    return root


def _error(err: GraphQLError) -> dict:
    out: dict = {}
    original = err.original_error
    if isinstance(original, GqlError):
        out["type"] = original.type
    if err.path is not None:
        out["path"] = list(err.path)
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    out["message"] = err.message
    return out


async def endpoint(request: Request) -> Response:
    try:
        ctx = context(request)
    except GitHubError as exc:
        exc.doc = "https://docs.github.com/graphql"
        raise
    try:
        payload = await request.json()
    except ValueError:
        return JSONResponse(
            {"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"},
            status_code=400,
        )
    query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        return JSONResponse(
            {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
        )
    result = await graphql(
        schema(),
        query,
        root_value=_root(ctx),
        context_value=ctx,
        variable_values=payload.get("variables"),
        operation_name=payload.get("operationName"),
    )
    body: dict = {}
    if result.errors and result.data is None and all(e.path is None for e in result.errors):
        # A document that does not parse or validate gets no `data` key at all, as on GitHub.
        return JSONResponse({"errors": [_error(e) for e in result.errors]})
    body["data"] = result.data
    if result.errors:
        body["errors"] = [_error(e) for e in result.errors]
    return JSONResponse(body)


routes = [Route("/graphql", endpoint, methods=["POST"])]
web_routes = [Route("/api/graphql", endpoint, methods=["POST"])]
