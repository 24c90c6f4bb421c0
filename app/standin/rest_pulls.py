"""REST routes for pull requests' review venues: inline review comments and reviews, with their webhooks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import shapes
from .events import association, emit
from .http import Ctx, body_of, context, forbidden, invalid, not_found
from .ids import node_id
from .model import Issue, Repo, ReviewItem

R = "/repos/{owner}/{repo}"


def _pull(request: Request) -> tuple[Ctx, Repo, Issue]:
    ctx = context(request)
    repo = ctx.repo(request.path_params["owner"], request.path_params["repo"])
    try:
        found = repo.issues.get(int(request.path_params["pull_number"]))
    except ValueError:
        found = None
    if found is None or not found.pull:
        raise not_found()
    return ctx, repo, found


def _item_json(ctx: Ctx, repo: Repo, item: ReviewItem) -> dict:
    return shapes.review_item(ctx.base, ctx.state.users, repo, item, association(ctx.state, repo, item.user))


def _add(ctx: Ctx, repo: Repo, pull: Issue, kind: str, body: str) -> ReviewItem:
    if pull.locked and not ctx.state.can_triage(ctx.grant, repo):
        raise forbidden("Unable to comment because the conversation is locked.")
    new_id = ctx.state.next_id()
    item = ReviewItem(new_id, node_id("PullRequestReviewComment" if kind == "comment" else "PullRequestReview",
                                      new_id), repo.full_name, pull.number, kind, ctx.grant.login, body,
                      ctx.state.now())
    ctx.state.review_items[new_id] = item
    event, action, key = (("pull_request_review_comment", "created", "comment") if kind == "comment"
                          else ("pull_request_review", "submitted", "review"))
    pr = shapes.pull(ctx.base, ctx.state.users, repo, pull, association(ctx.state, repo, pull.user))
    emit(ctx.state, ctx.base, event, action, repo, ctx.grant.login, pull_request=pr,
         **{key: _item_json(ctx, repo, item)})
    return item


async def create_review_comment(request: Request) -> Response:
    ctx, repo, pull = _pull(request)
    data = await body_of(request)
    if not isinstance(data.get("body"), str) or not data["body"]:
        raise invalid("PullRequestReviewComment", "body", "missing_field")
    return JSONResponse(_item_json(ctx, repo, _add(ctx, repo, pull, "comment", data["body"])), status_code=201)


async def create_review(request: Request) -> Response:
    ctx, repo, pull = _pull(request)
    data = await body_of(request)
    # A review submitted with a body (event COMMENT, APPROVE or REQUEST_CHANGES); the stand-in keeps the body.
    if data.get("event") not in ("COMMENT", "APPROVE", "REQUEST_CHANGES"):
        raise invalid("PullRequestReview", "event")
    return JSONResponse(_item_json(ctx, repo, _add(ctx, repo, pull, "review", data.get("body") or "")))


def _review_comment(request: Request) -> tuple[Ctx, Repo, ReviewItem]:
    ctx = context(request)
    repo = ctx.repo(request.path_params["owner"], request.path_params["repo"])
    try:
        item = ctx.state.review_items.get(int(request.path_params["comment_id"]))
    except ValueError:
        item = None
    if item is None or item.kind != "comment" or item.repo != repo.full_name:
        raise not_found()
    return ctx, repo, item


async def get_review_comment(request: Request) -> Response:
    ctx, repo, item = _review_comment(request)
    return JSONResponse(_item_json(ctx, repo, item))


async def delete_review_comment(request: Request) -> Response:
    """Gone for everyone, edit history with it: its author, or write access ("Managing disruptive comments")."""
    ctx, repo, item = _review_comment(request)
    if ctx.grant.login != item.user and not ctx.state.can_write(ctx.grant, repo):
        raise forbidden("Must have write access to Repository.")
    del ctx.state.review_items[item.id]
    pr = shapes.pull(ctx.base, ctx.state.users, repo, repo.issues[item.pull_number],
                     association(ctx.state, repo, repo.issues[item.pull_number].user))
    emit(ctx.state, ctx.base, "pull_request_review_comment", "deleted", repo, ctx.grant.login, pull_request=pr,
         comment=_item_json(ctx, repo, item))
    return Response(status_code=204)


routes = [
    Route(f"{R}/pulls/{{pull_number}}/comments", create_review_comment, methods=["POST"]),
    Route(f"{R}/pulls/{{pull_number}}/reviews", create_review, methods=["POST"]),
    Route(f"{R}/pulls/comments/{{comment_id}}", get_review_comment, methods=["GET"]),
    Route(f"{R}/pulls/comments/{{comment_id}}", delete_review_comment, methods=["DELETE"]),
]
