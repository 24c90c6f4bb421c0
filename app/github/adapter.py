"""The githubkit implementation of the GitHub port: REST and GraphQL calls, parsed into small records."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

import pydantic
from githubkit import GitHub, Response
from githubkit.exception import GitHubException

from .client import (
    ClientOptions,
    GitHubSettings,
    app_bot_login,
    app_client,
    raise_for,
    token_client,
    utcnow,
)
from .errors import Forbidden, GitHubError, Invalid, Moved, NotFound, Unavailable
from .port import (
    Activity,
    Comment,
    Discussion,
    DiscussionCategory,
    DiscussionCloseReason,
    DiscussionComment,
    Environment,
    GitHubPort,
    InteractionExpiry,
    InteractionLimit,
    Issue,
    IssueState,
    Label,
    LockReason,
    MinimizeReason,
    Reaction,
    RepoDiscussions,
    Reviewer,
    RunReview,
    StateReason,
    TeamRole,
    User,
    WorkflowRun,
)

# The idempotency marker: an HTML comment GitHub renders invisibly. Keys are plain tokens, and may not
# contain "--" or ">", which would end or break the comment.
_KEY = re.compile(r"^[A-Za-z0-9._:/=+-]{1,200}$")
# After a failed create, look back this far for the marker: covers clock skew between us and GitHub.
MARKER_LOOKBACK = timedelta(minutes=10)
# How far back `look_first` looks: an attempt by a worker that died may be retried days later (its delivery
# deferred through an outage), and the thing it made is found by its marker however late.
LOOK_FIRST_LOOKBACK = timedelta(days=3)
PER_PAGE = 100
# Listings page on to the end (GitHub's list endpoints have no page limit); this many pages of 100 is a
# runaway, and is said as an error rather than cut short: a listing never stops silently.
MAX_PAGES = 1000


class TooManyPages(GitHubError):
    """A listing went on past MAX_PAGES pages; nothing was cut off silently."""
# How often a content-creating POST is tried in all (with a marker search between tries).
CREATE_ATTEMPTS = 3
_GQL_LOCK = {"off-topic": "OFF_TOPIC", "too heated": "TOO_HEATED", "resolved": "RESOLVED", "spam": "SPAM"}


def marker(key: str) -> str:
    """The invisible marker `<!-- conduct-desk:key=KEY -->` that makes a create findable after a failure."""
    if not _KEY.match(key) or "--" in key:
        raise ValueError("marker keys are 1-200 of [A-Za-z0-9._:/=+-] without '--'")
    return f"<!-- conduct-desk:key={key} -->"


def with_marker(body: str, key: str) -> str:
    tag = marker(key)
    return body if tag in body else f"{body.rstrip()}\n\n{tag}"


def _split(repo: str) -> tuple[str, str]:
    owner, sep, name = repo.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError("repository must be named 'owner/name'")
    return owner, name


def _segment(value: str) -> str:
    # githubkit puts path parameters into URLs as they are; a label such as "stage: intake" or one with
    # "/" or "#" must be escaped to stay one segment.
    return quote(value, safe="")


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _has_next(response: Response[Any]) -> bool:
    return 'rel="next"' in response.headers.get("link", "")


# --------------------------------------------------------------------------- parsing


def parse_issue(d: Mapping[str, Any]) -> Issue:
    return Issue(
        number=int(d["number"]),
        node_id=d["node_id"],
        title=d["title"],
        body=d.get("body") or "",
        state=d["state"],
        state_reason=d.get("state_reason"),
        labels=tuple(lab["name"] if isinstance(lab, Mapping) else str(lab) for lab in d.get("labels") or ()),
        assignees=tuple(a["login"] for a in d.get("assignees") or ()),
        locked=bool(d.get("locked")),
        author=(d.get("user") or {}).get("login", ""),
        html_url=d["html_url"],
    )


def parse_comment(d: Mapping[str, Any]) -> Comment:
    user = d.get("user") or {}
    app = d.get("performed_via_github_app") or {}
    return Comment(
        id=int(d["id"]),
        node_id=d["node_id"],
        body=d.get("body") or "",
        author=user.get("login", ""),
        author_type=user.get("type", ""),
        app_id=int(app["id"]) if app.get("id") is not None else None,
        created_at=_when(d["created_at"]),  # type: ignore[arg-type]
        updated_at=_when(d["updated_at"]),  # type: ignore[arg-type]
        html_url=d["html_url"],
        issue_number=int(d["issue_url"].rsplit("/", 1)[1]) if d.get("issue_url") else None,
    )


def parse_user(d: Mapping[str, Any]) -> User:
    return User(
        login=d["login"],
        id=int(d["id"]),
        node_id=d["node_id"],
        type=d["type"],
        created_at=_when(d.get("created_at")),
    )


def parse_environment(d: Mapping[str, Any]) -> Environment:
    reviewers: list[Reviewer] = []
    prevent_self_review = False
    wait_timer = 0
    for rule in d.get("protection_rules") or ():
        if rule.get("type") == "required_reviewers":
            prevent_self_review = bool(rule.get("prevent_self_review"))
            reviewers += [Reviewer(r["type"], int(r["reviewer"]["id"])) for r in rule.get("reviewers") or ()]
        elif rule.get("type") == "wait_timer":
            wait_timer = int(rule.get("wait_timer") or 0)
    return Environment(d["name"], int(d["id"]), tuple(reviewers), prevent_self_review, wait_timer)


def parse_run_review(d: Mapping[str, Any]) -> RunReview:
    return RunReview(
        state=d["state"],
        user=(d.get("user") or {}).get("login", ""),
        comment=d.get("comment") or "",
        environments=tuple(e["name"] for e in d.get("environments") or () if e.get("name")),
    )


def parse_discussion(d: Mapping[str, Any]) -> Discussion:
    return Discussion(
        node_id=d["id"],
        number=int(d["number"]),
        url=d["url"],
        closed=bool(d["closed"]),
        locked=bool(d["locked"]),
        category_id=d["category"]["id"],
    )


# --------------------------------------------------------------------------- GraphQL documents
# Every document starts with its keyword: the retry policy and the pacer tell queries from mutations by it.

_DISCUSSION_FIELDS = "id number url closed locked category { id }"

Q_CATEGORIES = """query DiscussionCategories($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { id discussionCategories(first: 100) { nodes { id name slug } } }
}"""
Q_USER_TEAMS = """query UserTeams($org: String!, $login: String!, $cursor: String) {
  organization(login: $org) {
    teams(first: 100, after: $cursor, userLogins: [$login]) {
      nodes { slug }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
M_DELETE_ISSUE = """mutation DeleteIssue($id: ID!) {
  deleteIssue(input: {issueId: $id}) { clientMutationId }
}"""
M_TRANSFER_ISSUE = """mutation TransferIssue($issue: ID!, $repo: ID!) {
  transferIssue(input: {issueId: $issue, repositoryId: $repo}) { issue { number } }
}"""
M_MINIMIZE = """mutation MinimizeComment($id: ID!, $classifier: ReportedContentClassifiers!) {
  minimizeComment(input: {subjectId: $id, classifier: $classifier}) { minimizedComment { isMinimized } }
}"""
M_CREATE_DISCUSSION = f"""mutation CreateDiscussion(
  $repo: ID!, $category: ID!, $title: String!, $body: String!
) {{
  createDiscussion(input: {{repositoryId: $repo, categoryId: $category, title: $title, body: $body}}) {{
    discussion {{ {_DISCUSSION_FIELDS} }}
  }}
}}"""
Q_FIND_DISCUSSION = f"""query FindDiscussion($owner: String!, $name: String!, $category: ID) {{
  repository(owner: $owner, name: $name) {{
    discussions(first: 50, categoryId: $category, orderBy: {{field: CREATED_AT, direction: DESC}}) {{
      nodes {{ {_DISCUSSION_FIELDS} body }}
    }}
  }}
}}"""
Q_FIND_DISCUSSION_COMMENT = """query FindDiscussionComment($id: ID!) {
  node(id: $id) { ... on Discussion { comments(last: 100) { nodes { id url body } } } }
}"""
M_DISCUSSION_COMMENT = """mutation AddDiscussionComment($id: ID!, $body: String!) {
  addDiscussionComment(input: {discussionId: $id, body: $body}) { comment { id url } }
}"""
M_CLOSE_DISCUSSION = """mutation CloseDiscussion($id: ID!, $reason: DiscussionCloseReason) {
  closeDiscussion(input: {discussionId: $id, reason: $reason}) { discussion { id } }
}"""
M_LOCK = """mutation Lock($id: ID!, $reason: LockReason) {
  lockLockable(input: {lockableId: $id, lockReason: $reason}) { clientMutationId }
}"""
M_MOVE_DISCUSSION = f"""mutation MoveDiscussion($id: ID!, $category: ID!) {{
  updateDiscussion(input: {{discussionId: $id, categoryId: $category}}) {{
    discussion {{ {_DISCUSSION_FIELDS} }}
  }}
}}"""
M_DELETE_DISCUSSION = """mutation DeleteDiscussion($id: ID!) {
  deleteDiscussion(input: {id: $id}) { clientMutationId }
}"""
M_DELETE_DISCUSSION_COMMENT = """mutation DeleteDiscussionComment($id: ID!) {
  deleteDiscussionComment(input: {id: $id}) { clientMutationId }
}"""


class GitHubAdapter(GitHubPort):
    """All of Conduct Desk's GitHub traffic, through one githubkit client acting as one installation."""

    def __init__(
        self,
        github: GitHub[Any],
        *,
        clock: Callable[[], datetime] = utcnow,
        installation_id: int | None = None,
        bot_login: str | None = None,
    ) -> None:
        self._gh = github
        self._clock = clock
        self.installation_id = installation_id
        # The App's own bot login, from `GET /app` (None when acting with a plain token).
        self.bot_login = bot_login

    # -- construction -----------------------------------------------------------------------------------
    @classmethod
    def with_token(
        cls, token: str, api_url: str, options: ClientOptions | None = None, **kw: Any
    ) -> GitHubAdapter:
        return cls(token_client(token, api_url, options), **kw)

    @classmethod
    async def for_org(
        cls, settings: GitHubSettings, org: str, options: ClientOptions | None = None, **kw: Any
    ) -> GitHubAdapter:
        """Act as the GitHub App's installation on `org` (or with `settings.token` when no App is set)."""
        options = replace(options or ClientOptions(), api_version=settings.api_version)
        if settings.app_id is not None and settings.private_key:
            github, installation_id = await app_client(
                org, settings.app_id, settings.private_key, settings.api_url, options
            )
            login = await app_bot_login(settings.app_id, settings.private_key, settings.api_url, options)
            return cls(github, installation_id=installation_id, bot_login=login, **kw)
        if settings.token:
            return cls(token_client(settings.token, settings.api_url, options), **kw)
        raise ValueError("GitHub settings name neither an App (id and private key) nor a token")

    # -- plumbing ---------------------------------------------------------------------------------------
    async def _call(self, operation: str, call: Callable[[], Awaitable[Response[Any]]]) -> Response[Any]:
        try:
            return await call()
        except GitHubException as exc:
            raise_for(exc, operation, self._clock)
        except pydantic.ValidationError:
            # githubkit checked the body against GitHub's description and refused it. Its message quotes
            # the input, which may be report text, so none of it is kept.
            raise Invalid(operation, detail="request body does not match GitHub's description") from None

    async def _graphql(self, operation: str, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return await self._gh.graphql.arequest(document, dict(variables))
        except GitHubException as exc:
            raise_for(exc, operation, self._clock)

    async def _pages(self, operation: str, fetch: Callable[[int], Awaitable[Response[Any]]]) -> list[Any]:
        items: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            response = await self._call(operation, lambda page=page: fetch(page))
            items += response.json()
            if not _has_next(response):
                return items
        raise TooManyPages(operation, detail=f"more than {MAX_PAGES} pages")

    async def _exists(self, operation: str, call: Callable[[], Awaitable[Response[Any]]]) -> bool:
        """For GitHub's yes/no endpoints: 204 yes, 404 no."""
        try:
            response = await self._call(operation, call)
        except NotFound:
            return False
        if response.status_code == 302:
            # GitHub redirects requesters who are not org members to the public list.
            raise Forbidden(operation, 302)
        return response.status_code == 204

    async def _create_once(
        self,
        create: Callable[[], Awaitable[Any]],
        find: Callable[[datetime], Awaitable[Any | None]],
        look_first: bool = False,
    ) -> Any:
        """Create (a REST POST or a GraphQL mutation), and after an unclear failure (5xx, timeout) look for
        the marker before creating again; `create` and `find` answer in the same shape.

        A create is never repeated blindly: GitHub may have created the thing and then failed to answer.
        With `look_first`, the caller knows of an earlier attempt (another process's, maybe): look first.
        """
        since = self._clock() - (LOOK_FIRST_LOOKBACK if look_first else MARKER_LOOKBACK)
        if look_first:
            found = await find(since)
            if found is not None:
                return found
        last: Unavailable | None = None
        for _attempt in range(CREATE_ATTEMPTS):
            try:
                return await create()
            except Unavailable as exc:
                last = exc
            found = await find(since)
            if found is not None:
                return found
        assert last is not None
        raise last

    # -- issues -----------------------------------------------------------------------------------------
    async def create_issue(self, repo: str, title: str, body: str, labels: Sequence[str], key: str,
                           look_first: bool = False) -> Issue:
        owner, name = _split(repo)
        text, tag = with_marker(body, key), marker(key)

        async def find(since: datetime) -> dict[str, Any] | None:
            return await self._find_issue(repo, tag, since)

        async def create() -> dict[str, Any]:
            return (await self._call("issues/create", lambda: self._gh.rest.issues.async_create(
                owner, name, title=title, body=text, labels=list(labels)
            ))).json()

        created = await self._create_once(create, find, look_first)
        return parse_issue(created)

    async def _find_issue(self, repo: str, tag: str, since: datetime) -> dict[str, Any] | None:
        owner, name = _split(repo)
        for item in await self._pages(
            "issues/list-for-repo",
            lambda page: self._gh.rest.issues.async_list_for_repo(
                owner,
                name,
                state="all",
                since=since,
                sort="created",
                direction="desc",
                per_page=PER_PAGE,
                page=page,
            ),
        ):
            if "pull_request" not in item and tag in (item.get("body") or ""):
                return item
        return None

    async def list_issues(
        self, repo: str, labels: Sequence[str] = (), state: Literal["open", "closed", "all"] = "open"
    ) -> tuple[Issue, ...]:
        owner, name = _split(repo)
        extra = {"labels": ",".join(labels)} if labels else {}
        items = await self._pages(
            "issues/list-for-repo",
            lambda page: self._gh.rest.issues.async_list_for_repo(
                owner, name, state=state, per_page=PER_PAGE, page=page, **extra
            ),
        )
        return tuple(parse_issue(item) for item in items if "pull_request" not in item)

    async def get_issue(self, repo: str, number: int) -> Issue:
        owner, name = _split(repo)
        response = await self._call("issues/get", lambda: self._gh.rest.issues.async_get(owner, name, number))
        if response.status_code == 301:  # transferred (GitHub's "Get an issue" documents the 301)
            raise Moved("issues/get", response.headers.get("location", ""))
        return parse_issue(response.json())

    async def update_issue(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: IssueState | None = None,
        state_reason: StateReason | None = None,
        labels: Sequence[str] | None = None,
    ) -> Issue:
        owner, name = _split(repo)
        fields: dict[str, Any] = {"title": title, "body": body, "state": state, "state_reason": state_reason}
        changes = {k: v for k, v in fields.items() if v is not None}
        if labels is not None:
            changes["labels"] = list(labels)
        response = await self._call(
            "issues/update", lambda: self._gh.rest.issues.async_update(owner, name, number, data=changes)
        )
        return parse_issue(response.json())

    async def lock_issue(self, repo: str, number: int, reason: LockReason | None = None) -> None:
        owner, name = _split(repo)
        data = {"lock_reason": reason} if reason else {}
        await self._call(
            "issues/lock", lambda: self._gh.rest.issues.async_lock(owner, name, number, data=data)
        )

    async def unlock_issue(self, repo: str, number: int) -> None:
        owner, name = _split(repo)
        await self._call("issues/unlock", lambda: self._gh.rest.issues.async_unlock(owner, name, number))

    async def delete_issue(self, issue_node_id: str) -> None:
        await self._graphql("deleteIssue", M_DELETE_ISSUE, {"id": issue_node_id})

    async def transfer_issue(self, issue_node_id: str, repo: str) -> int:
        owner, name = _split(repo)
        target = (await self._call("repos/get", lambda: self._gh.rest.repos.async_get(owner, name))).json()
        moved = await self._graphql("transferIssue", M_TRANSFER_ISSUE,
                                    {"issue": issue_node_id, "repo": target["node_id"]})
        return int(moved["transferIssue"]["issue"]["number"])

    # -- comments ---------------------------------------------------------------------------------------
    async def list_comments(self, repo: str, number: int) -> tuple[Comment, ...]:
        return tuple(parse_comment(c) for c in await self._list_comments(repo, number, None))

    async def _list_comments(self, repo: str, number: int, since: datetime | None) -> list[dict[str, Any]]:
        owner, name = _split(repo)
        extra = {"since": since} if since is not None else {}
        return await self._pages(
            "issues/list-comments",
            lambda page: self._gh.rest.issues.async_list_comments(
                owner, name, number, per_page=PER_PAGE, page=page, **extra
            ),
        )

    async def get_comment(self, repo: str, comment_id: int) -> Comment:
        owner, name = _split(repo)
        response = await self._call(
            "issues/get-comment", lambda: self._gh.rest.issues.async_get_comment(owner, name, comment_id)
        )
        return parse_comment(response.json())

    async def find_comment(self, repo: str, number: int, key: str) -> Comment | None:
        tag = marker(key)
        found = next((c for c in await self._list_comments(repo, number, None) if tag in (c.get("body") or "")), None)
        return parse_comment(found) if found is not None else None

    async def create_comment(self, repo: str, number: int, body: str, key: str, look_first: bool = False) -> Comment:
        owner, name = _split(repo)
        text, tag = with_marker(body, key), marker(key)

        async def find(since: datetime) -> dict[str, Any] | None:
            return next(
                (c for c in await self._list_comments(repo, number, since) if tag in (c.get("body") or "")),
                None,
            )

        async def create() -> dict[str, Any]:
            return (await self._call("issues/create-comment", lambda: self._gh.rest.issues.async_create_comment(
                owner, name, number, body=text
            ))).json()

        created = await self._create_once(create, find, look_first)
        return parse_comment(created)

    async def update_comment(self, repo: str, comment_id: int, body: str) -> Comment:
        owner, name = _split(repo)
        response = await self._call(
            "issues/update-comment",
            lambda: self._gh.rest.issues.async_update_comment(owner, name, comment_id, body=body),
        )
        return parse_comment(response.json())

    async def _delete(self, operation: str, call: Callable[[], Awaitable[Response[Any]]]) -> None:
        try:
            await self._call(operation, call)
        except NotFound:
            pass  # deleted by an earlier try, or by hand: the wanted end state holds

    async def delete_comment(self, repo: str, comment_id: int) -> None:
        owner, name = _split(repo)
        await self._delete("issues/delete-comment",
                           lambda: self._gh.rest.issues.async_delete_comment(owner, name, comment_id))

    async def delete_review_comment(self, repo: str, comment_id: int) -> None:
        owner, name = _split(repo)
        await self._delete("pulls/delete-review-comment",
                           lambda: self._gh.rest.pulls.async_delete_review_comment(owner, name, comment_id))

    async def add_reaction(self, repo: str, comment_id: int, content: Reaction) -> None:
        owner, name = _split(repo)
        await self._call(
            "reactions/create-for-issue-comment",
            lambda: self._gh.rest.reactions.async_create_for_issue_comment(
                owner, name, comment_id, content=content
            ),
        )

    async def minimize_comment(self, comment_node_id: str, reason: MinimizeReason) -> None:
        await self._graphql("minimizeComment", M_MINIMIZE, {"id": comment_node_id, "classifier": reason})

    # -- labels and assignees ---------------------------------------------------------------------------
    async def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> tuple[str, ...]:
        owner, name = _split(repo)
        response = await self._call(
            "issues/add-labels",
            lambda: self._gh.rest.issues.async_add_labels(owner, name, number, labels=list(labels)),
        )
        return tuple(lab["name"] for lab in response.json())

    async def remove_label(self, repo: str, number: int, label: str) -> tuple[str, ...]:
        owner, name = _split(repo)
        try:
            response = await self._call(
                "issues/remove-label",
                lambda: self._gh.rest.issues.async_remove_label(owner, name, number, _segment(label)),
            )
        except NotFound:
            # Not on the issue (or already removed by an earlier try): the wanted end state holds.
            return (await self.get_issue(repo, number)).labels
        return tuple(lab["name"] for lab in response.json())

    async def set_labels(self, repo: str, number: int, labels: Sequence[str]) -> tuple[str, ...]:
        owner, name = _split(repo)
        response = await self._call(
            "issues/set-labels",
            lambda: self._gh.rest.issues.async_set_labels(owner, name, number, labels=list(labels)),
        )
        return tuple(lab["name"] for lab in response.json())

    async def ensure_label(self, repo: str, name: str, color: str, description: str) -> Label:
        owner, repo_name = _split(repo)
        color = color.lstrip("#").lower()

        async def update() -> dict[str, Any]:
            response = await self._call(
                "issues/update-label",
                lambda: self._gh.rest.issues.async_update_label(
                    owner, repo_name, _segment(name), color=color, description=description
                ),
            )
            return response.json()

        # Read first (GitHub documents a 404 for get-label, not for update-label), and write only on a change.
        try:
            current = (
                await self._call(
                    "issues/get-label",
                    lambda: self._gh.rest.issues.async_get_label(owner, repo_name, _segment(name)),
                )
            ).json()
        except NotFound:
            try:
                current = (
                    await self._call(
                        "issues/create-label",
                        lambda: self._gh.rest.issues.async_create_label(
                            owner, repo_name, name=name, color=color, description=description
                        ),
                    )
                ).json()
            except Invalid:
                current = await update()  # created meanwhile (e.g. by a concurrent run)
        if current["color"].lower() != color or (current.get("description") or "") != description:
            current = await update()
        return Label(current["name"], current["color"], current.get("description"))

    async def add_assignees(self, repo: str, number: int, logins: Sequence[str]) -> tuple[str, ...]:
        owner, name = _split(repo)
        response = await self._call(
            "issues/add-assignees",
            lambda: self._gh.rest.issues.async_add_assignees(owner, name, number, assignees=list(logins)),
        )
        return parse_issue(response.json()).assignees

    # -- people: org, teams, blocks ---------------------------------------------------------------------
    async def team_members(self, org: str, team_slug: str) -> tuple[str, ...]:
        members = await self._pages(
            "teams/list-members-in-org",
            lambda page: self._gh.rest.teams.async_list_members_in_org(
                org, team_slug, per_page=PER_PAGE, page=page
            ),
        )
        return tuple(m["login"] for m in members)

    async def user_teams(self, org: str, login: str) -> tuple[str, ...]:
        slugs: list[str] = []
        cursor: str | None = None
        for _page in range(MAX_PAGES):
            data = await self._graphql(
                "organization.teams", Q_USER_TEAMS, {"org": org, "login": login, "cursor": cursor}
            )
            if data.get("organization") is None:
                raise NotFound("organization.teams")
            teams = data["organization"]["teams"]
            slugs += [t["slug"] for t in teams["nodes"] if t]
            if not teams["pageInfo"]["hasNextPage"]:
                return tuple(slugs)
            cursor = teams["pageInfo"]["endCursor"]
        raise TooManyPages("organization.teams", detail=f"more than {MAX_PAGES} pages")

    async def direct_access(self, org: str, login: str) -> dict[str, str]:
        repos = await self._pages(
            "repos/list-for-org",
            lambda page: self._gh.rest.repos.async_list_for_org(org, per_page=PER_PAGE, page=page))
        found: dict[str, str] = {}
        for repo in repos:
            owner, name = _split(repo["full_name"])
            people = await self._pages(
                "repos/list-collaborators",
                lambda page, owner=owner, name=name: self._gh.rest.repos.async_list_collaborators(
                    owner, name, affiliation="direct", per_page=PER_PAGE, page=page))
            for person in people:
                if person["login"].lower() == login.lower():
                    permissions = person.get("permissions") or {}
                    found[repo["full_name"]] = next(
                        (p for p in ("admin", "maintain", "push", "triage", "pull") if permissions.get(p)), "pull")
        return found

    async def grant_direct_access(self, repo: str, login: str, permission: str) -> bool:
        owner, name = _split(repo)
        response = await self._call(
            "repos/add-collaborator",
            lambda: self._gh.rest.repos.async_add_collaborator(owner, name, login, data={"permission": permission}))
        return response.status_code == 204

    async def is_org_member(self, org: str, login: str) -> bool:
        return await self._exists(
            "orgs/check-membership-for-user",
            lambda: self._gh.rest.orgs.async_check_membership_for_user(org, login),
        )

    async def remove_org_member(self, org: str, login: str) -> None:
        await self._call("orgs/remove-member", lambda: self._gh.rest.orgs.async_remove_member(org, login))

    async def add_team_member(self, org: str, team_slug: str, login: str, role: TeamRole = "member") -> None:
        await self._call(
            "teams/add-or-update-membership-for-user-in-org",
            lambda: self._gh.rest.teams.async_add_or_update_membership_for_user_in_org(
                org, team_slug, login, role=role
            ),
        )

    async def remove_team_member(self, org: str, team_slug: str, login: str) -> None:
        await self._call(
            "teams/remove-membership-for-user-in-org",
            lambda: self._gh.rest.teams.async_remove_membership_for_user_in_org(org, team_slug, login),
        )

    async def block_user(self, org: str, login: str) -> None:
        await self._call("orgs/block-user", lambda: self._gh.rest.orgs.async_block_user(org, login))

    async def unblock_user(self, org: str, login: str) -> None:
        await self._call("orgs/unblock-user", lambda: self._gh.rest.orgs.async_unblock_user(org, login))

    async def is_blocked(self, org: str, login: str) -> bool:
        return await self._exists(
            "orgs/check-blocked-user", lambda: self._gh.rest.orgs.async_check_blocked_user(org, login)
        )

    async def get_user(self, login: str) -> User:
        response = await self._call(
            "users/get-by-username", lambda: self._gh.rest.users.async_get_by_username(login)
        )
        return parse_user(response.json())

    async def activity(self, repos: Sequence[str], login: str) -> Activity:
        scope = " ".join(f"repo:{repo}" for repo in repos)

        async def search(qualifiers: str) -> tuple[int, datetime | None]:
            # One result, oldest first: the count is `total_count`, the date that of the first item.
            response = await self._call(
                "search/issues-and-pull-requests",
                lambda: self._gh.rest.search.async_issues_and_pull_requests(
                    q=f"{qualifiers} {scope}", sort="created", order="asc", per_page=1
                ),
            )
            data = response.json()
            items = data.get("items") or []
            return int(data.get("total_count", 0)), _when(items[0].get("created_at")) if items else None

        if not repos:
            return Activity(None, 0, 0, 0)
        authored, first_authored = await search(f"author:{login}")
        merged, _ = await search(f"author:{login} is:pr is:merged")
        commented, first_commented = await search(f"commenter:{login}")
        firsts = [when for when in (first_authored, first_commented) if when is not None]
        return Activity(min(firsts) if firsts else None, authored, merged, commented)

    # -- interaction limits -----------------------------------------------------------------------------
    async def set_interaction_limit(
        self, repo: str, limit: InteractionLimit, expiry: InteractionExpiry
    ) -> None:
        owner, name = _split(repo)
        await self._call(
            "interactions/set-restrictions-for-repo",
            lambda: self._gh.rest.interactions.async_set_restrictions_for_repo(
                owner, name, limit=limit, expiry=expiry
            ),
        )

    async def remove_interaction_limit(self, repo: str) -> None:
        owner, name = _split(repo)
        await self._call(
            "interactions/remove-restrictions-for-repo",
            lambda: self._gh.rest.interactions.async_remove_restrictions_for_repo(owner, name),
        )

    async def set_org_interaction_limit(
        self, org: str, limit: InteractionLimit, expiry: InteractionExpiry
    ) -> None:
        await self._call(
            "interactions/set-restrictions-for-org",
            lambda: self._gh.rest.interactions.async_set_restrictions_for_org(
                org, limit=limit, expiry=expiry
            ),
        )

    async def remove_org_interaction_limit(self, org: str) -> None:
        await self._call(
            "interactions/remove-restrictions-for-org",
            lambda: self._gh.rest.interactions.async_remove_restrictions_for_org(org),
        )

    # -- actions and environments -----------------------------------------------------------------------
    async def dispatch_workflow(
        self, repo: str, workflow: str, ref: str, inputs: Mapping[str, str] | None = None
    ) -> int | None:
        owner, name = _split(repo)
        data: dict[str, Any] = {"ref": ref, "return_run_details": True}
        if inputs:
            data["inputs"] = dict(inputs)
        # githubkit's body model predates `return_run_details` and would drop it, so the body goes as written.
        response = await self._call(
            "actions/create-workflow-dispatch",
            lambda: self._gh.arequest(
                "POST", f"/repos/{owner}/{name}/actions/workflows/{_segment(workflow)}/dispatches", json=data
            ),
        )
        if response.status_code != 200:
            return None
        return int(response.json()["workflow_run_id"])

    async def workflow_runs(self, repo: str, workflow: str) -> tuple[WorkflowRun, ...]:
        owner, name = _split(repo)
        response = await self._call(
            "actions/list-workflow-runs",
            lambda: self._gh.rest.actions.async_list_workflow_runs(
                owner, name, _segment(workflow), event="workflow_dispatch", per_page=PER_PAGE
            ),
        )
        return tuple(WorkflowRun(int(r["id"]), r.get("display_title") or "", _when(r["created_at"]) or self._clock())
                     for r in response.json().get("workflow_runs", []))

    async def get_environment(self, repo: str, name: str) -> Environment:
        owner, repo_name = _split(repo)
        response = await self._call(
            "repos/get-environment",
            lambda: self._gh.rest.repos.async_get_environment(owner, repo_name, _segment(name)),
        )
        return parse_environment(response.json())

    async def put_environment(
        self,
        repo: str,
        name: str,
        reviewers: Sequence[Reviewer],
        prevent_self_review: bool = True,
        wait_timer: int = 0,
    ) -> Environment:
        owner, repo_name = _split(repo)
        data = {
            "wait_timer": wait_timer,
            "prevent_self_review": prevent_self_review,
            "reviewers": [{"type": r.type, "id": r.id} for r in reviewers],
        }
        response = await self._call(
            "repos/create-or-update-environment",
            lambda: self._gh.rest.repos.async_create_or_update_environment(
                owner, repo_name, _segment(name), data=data
            ),
        )
        return parse_environment(response.json())

    async def run_reviews(self, repo: str, run_id: int) -> tuple[RunReview, ...]:
        owner, name = _split(repo)
        response = await self._call(
            "actions/get-reviews-for-run",
            lambda: self._gh.rest.actions.async_get_reviews_for_run(owner, name, run_id),
        )
        return tuple(parse_run_review(r) for r in response.json())

    # -- discussions (GraphQL) --------------------------------------------------------------------------
    async def discussion_categories(self, repo: str) -> RepoDiscussions:
        owner, name = _split(repo)
        data = await self._graphql(
            "repository.discussionCategories", Q_CATEGORIES, {"owner": owner, "name": name}
        )
        found = data.get("repository")
        if found is None:
            raise NotFound("repository.discussionCategories")
        categories = tuple(
            DiscussionCategory(c["id"], c["name"], c["slug"])
            for c in found["discussionCategories"]["nodes"]
            if c
        )
        return RepoDiscussions(found["id"], categories)

    async def find_discussion(self, repo: str, category_id: str, key: str) -> Discussion | None:
        owner, name = _split(repo)
        tag = marker(key)
        data = await self._graphql("repository.discussions", Q_FIND_DISCUSSION,
                                   {"owner": owner, "name": name, "category": category_id})
        nodes = ((data.get("repository") or {}).get("discussions") or {}).get("nodes") or []
        found = next((d for d in nodes if d and tag in (d.get("body") or "")), None)
        return parse_discussion(found) if found else None

    async def find_discussion_comment(self, discussion_id: str, key: str) -> DiscussionComment | None:
        tag = marker(key)
        data = await self._graphql("node.comments", Q_FIND_DISCUSSION_COMMENT, {"id": discussion_id})
        nodes = (((data.get("node") or {}).get("comments") or {}).get("nodes")) or []
        found = next((c for c in nodes if c and tag in (c.get("body") or "")), None)
        return DiscussionComment(found["id"], found["url"]) if found else None

    async def create_discussion(
        self, repo_node_id: str, category_id: str, title: str, body: str
    ) -> Discussion:
        data = await self._graphql(
            "createDiscussion",
            M_CREATE_DISCUSSION,
            {"repo": repo_node_id, "category": category_id, "title": title, "body": body},
        )
        return parse_discussion(data["createDiscussion"]["discussion"])

    async def add_discussion_comment(self, discussion_id: str, body: str, key: str | None = None
                                     ) -> DiscussionComment:
        text = body if key is None else with_marker(body, key)

        async def create() -> DiscussionComment:
            data = await self._graphql(
                "addDiscussionComment", M_DISCUSSION_COMMENT, {"id": discussion_id, "body": text}
            )
            comment = data["addDiscussionComment"]["comment"]
            return DiscussionComment(comment["id"], comment["url"])

        if key is None:
            return await create()

        async def find(_since: datetime) -> DiscussionComment | None:
            # One page of the latest comments: a comment that was just posted is among them.
            return await self.find_discussion_comment(discussion_id, key)

        return await self._create_once(create, find)

    async def close_discussion(self, discussion_id: str, reason: DiscussionCloseReason = "RESOLVED") -> None:
        await self._graphql("closeDiscussion", M_CLOSE_DISCUSSION, {"id": discussion_id, "reason": reason})

    async def lock(self, lockable_id: str, reason: LockReason | None = None) -> None:
        await self._graphql(
            "lockLockable", M_LOCK, {"id": lockable_id, "reason": _GQL_LOCK[reason] if reason else None}
        )

    async def move_discussion(self, discussion_id: str, category_id: str) -> Discussion:
        variables = {"id": discussion_id, "category": category_id}
        data = await self._graphql("updateDiscussion", M_MOVE_DISCUSSION, variables)
        return parse_discussion(data["updateDiscussion"]["discussion"])

    async def delete_discussion(self, discussion_id: str) -> None:
        await self._graphql("deleteDiscussion", M_DELETE_DISCUSSION, {"id": discussion_id})

    async def delete_discussion_comment(self, comment_node_id: str) -> None:
        try:
            await self._graphql("deleteDiscussionComment", M_DELETE_DISCUSSION_COMMENT, {"id": comment_node_id})
        except NotFound:
            pass  # deleted by an earlier try, by its author or by a moderator


__all__ = ["GitHubAdapter", "GitHubError", "marker", "with_marker"]
