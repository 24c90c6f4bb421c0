"""GET /search/issues for the stand-in: the few qualifiers Conduct Desk sends (author, commenter, repo,
is:issue/is:pr/is:merged), sorted by creation time, in GitHub's search result shape."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .events import issue_json
from .http import context, invalid, page

_KNOWN = ("author", "commenter", "repo", "is")


def _terms(q: str) -> dict[str, list[str]]:
    terms: dict[str, list[str]] = {}
    for word in q.split():
        key, sep, value = word.partition(":")
        if not sep or key not in _KNOWN or not value:
            raise invalid("Search", "q")
        terms.setdefault(key, []).append(value)
    return terms


async def search_issues(request: Request) -> Response:
    ctx = context(request)
    terms = _terms(request.query_params.get("q", ""))
    repos = [ctx.state.repos[name] for name in terms.get("repo", []) if name in ctx.state.repos] if "repo" in terms \
        else list(ctx.state.repos.values())
    found = []
    for repo in repos:
        if not ctx.state.can_see_repo(ctx.grant, repo):
            continue
        for issue in repo.issues.values():
            flags = set(terms.get("is", []))
            # The stand-in has no pull requests: a search for them finds nothing, as on a repo without any.
            if flags & {"pr", "merged"}:
                continue
            if any(issue.user != who for who in terms.get("author", [])):
                continue
            commenters = {c.user for c in ctx.state.comments_of(repo, issue.number)}
            if any(who not in commenters for who in terms.get("commenter", [])):
                continue
            found.append((repo, issue))
    descending = request.query_params.get("order", "desc") != "asc"
    found.sort(key=lambda pair: (pair[1].created_at, pair[1].id), reverse=descending)
    chunk, headers = page(request, found)
    items = [issue_json(ctx.state, ctx.base, repo, issue) | {"score": 1.0} for repo, issue in chunk]
    return JSONResponse({"total_count": len(found), "incomplete_results": False, "items": items,
                         "search_type": "lexical"}, headers=headers)


routes = [Route("/search/issues", search_issues, methods=["GET"])]
