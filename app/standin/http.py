"""Request plumbing shared by the routes: GitHub-style errors, auth, base URLs, pagination."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .model import Grant, Repo, User
from .shapes import Base
from .state import SandboxState

DOCS = "https://docs.github.com/rest"


class GitHubError(Exception):
    """Raised by a handler; rendered as GitHub renders its errors."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list | None = None,
        headers: dict[str, str] | None = None,
        doc: str = DOCS,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers, self.doc = status, message, errors, headers, doc

    def response(self) -> Response:
        body: dict = {"message": self.message, "documentation_url": self.doc, "status": str(self.status)}
        if self.errors is not None:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def not_found() -> GitHubError:
    return GitHubError(404, "Not Found")


def forbidden(message: str = "Resource not accessible by integration") -> GitHubError:
    return GitHubError(403, message)


def invalid(resource: str, field: str, code: str = "invalid", message: str | None = None) -> GitHubError:
    error = {"resource": resource, "field": field, "code": code}
    if message:
        error["message"] = message
    return GitHubError(422, "Validation Failed", [error])


def state_of(request: Request) -> SandboxState:
    return request.app.state.sandbox


def base_of(request: Request) -> Base:
    web = f"{request.url.scheme}://{request.url.netloc}"
    api = web + "/api/v3" if request.url.path.startswith("/api/") else web
    return Base(api, web)


def bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, credential = value.partition(" ")
    if scheme.lower() in ("bearer", "token") and credential.strip():
        return credential.strip()
    return None


@dataclass
class Ctx:
    """One authenticated request: who acts, and the URLs to build links with."""

    state: SandboxState
    base: Base
    grant: Grant

    @property
    def actor(self) -> User:
        return self.state.users[self.grant.login]

    def repo(self, owner: str, name: str) -> Repo:
        found = self.state.repos.get(f"{owner}/{name}")
        # GitHub answers 404, not 403, for a private repository you cannot see.
        if found is None or not self.state.can_see_repo(self.grant, found):
            raise not_found()
        return found


def context(request: Request) -> Ctx:
    state = state_of(request)
    state.base_url = base_of(request).web
    token = bearer(request)
    grant = state.tokens.get(token) if token else None
    if token is None:
        raise GitHubError(401, "Requires authentication")
    if grant is None or (grant.expires_at is not None and grant.expires_at <= state.jwt_clock()):
        raise GitHubError(401, "Bad credentials")
    return Ctx(state, base_of(request), grant)


async def body_of(request: Request) -> dict:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise GitHubError(400, "Problems parsing JSON") from None
    if not isinstance(data, dict):
        raise GitHubError(400, "Body should be a JSON object")
    return data


def page(request: Request, items: list) -> tuple[list, dict[str, str]]:
    """Slice `items` by `page`/`per_page` and build GitHub's `Link` header."""
    try:
        per_page = max(1, min(100, int(request.query_params.get("per_page", "30"))))
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        raise invalid("Request", "page") from None
    last = max(1, -(-len(items) // per_page))
    chunk = items[(number - 1) * per_page : number * per_page]

    def link(n: int) -> str:
        params = dict(request.query_params) | {"per_page": str(per_page), "page": str(n)}
        return f"<{request.url.replace(query=urlencode(params))}>"

    rels = []
    if number > 1:
        rels += [f'{link(number - 1)}; rel="prev"', f'{link(1)}; rel="first"']
    if number < last:
        rels += [f'{link(number + 1)}; rel="next"', f'{link(last)}; rel="last"']
    return chunk, ({"Link": ", ".join(rels)} if rels else {})


def no_content() -> Response:
    return Response(status_code=204)
