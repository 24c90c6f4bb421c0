"""The GitHub port: one abstract async method per operation Conduct Desk performs, and the records it returns.

Every failure is one of `app.github.errors` (`NotFound`, `Forbidden`, `Invalid`, `Unavailable`,
`RateLimited`). Repositories are named `owner/name`; GraphQL objects by their node id.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

IssueState = Literal["open", "closed"]
StateReason = Literal["completed", "not_planned", "reopened", "duplicate"]
LockReason = Literal["off-topic", "too heated", "resolved", "spam"]
Reaction = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"]
MinimizeReason = Literal["ABUSE", "DUPLICATE", "OFF_TOPIC", "OUTDATED", "RESOLVED", "SPAM"]
DiscussionCloseReason = Literal["RESOLVED", "OUTDATED", "DUPLICATE"]
InteractionLimit = Literal["existing_users", "contributors_only", "collaborators_only"]
InteractionExpiry = Literal["one_day", "three_days", "one_week", "one_month", "six_months"]
TeamRole = Literal["member", "maintainer"]


@dataclass(frozen=True)
class Issue:
    number: int
    node_id: str
    title: str
    body: str
    state: str
    state_reason: str | None
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    locked: bool
    author: str
    html_url: str


@dataclass(frozen=True)
class Comment:
    """An issue comment. Trust a state block only if `app_id` is this app's id (or `author` its bot)."""

    id: int
    node_id: str
    body: str
    author: str
    author_type: str  # "User", "Bot" or "Organization"
    app_id: int | None  # `performed_via_github_app.id`: set when an App wrote it
    created_at: datetime
    updated_at: datetime
    html_url: str
    issue_number: int | None = None  # from `issue_url`: which issue or pull request the comment is on


@dataclass(frozen=True)
class Label:
    name: str
    color: str
    description: str | None


@dataclass(frozen=True)
class User:
    login: str
    id: int
    node_id: str
    type: str
    created_at: datetime | None


@dataclass(frozen=True)
class Reviewer:
    type: Literal["User", "Team"]
    id: int


@dataclass(frozen=True)
class Environment:
    name: str
    id: int
    reviewers: tuple[Reviewer, ...]
    prevent_self_review: bool
    wait_timer: int


@dataclass(frozen=True)
class RunReview:
    """One entry of a workflow run's deployment review history: who approved or rejected, for which
    environments, with what comment."""

    state: Literal["approved", "rejected", "pending"]
    user: str
    comment: str
    environments: tuple[str, ...]


@dataclass(frozen=True)
class DiscussionCategory:
    node_id: str
    name: str
    slug: str


@dataclass(frozen=True)
class RepoDiscussions:
    """What creating a discussion needs: the repository's node id and its categories."""

    repo_node_id: str
    categories: tuple[DiscussionCategory, ...]

    def category(self, name_or_slug: str) -> DiscussionCategory | None:
        wanted = name_or_slug.lower()
        return next((c for c in self.categories if wanted in (c.name.lower(), c.slug)), None)


@dataclass(frozen=True)
class Discussion:
    node_id: str
    number: int
    url: str
    closed: bool
    locked: bool
    category_id: str


@dataclass(frozen=True)
class DiscussionComment:
    node_id: str
    url: str


@dataclass(frozen=True)
class WorkflowRun:
    id: int
    display_title: str
    created_at: datetime


@dataclass(frozen=True)
class Activity:
    """Someone's part in some repositories, from GitHub's search: what the context card needs."""

    first_at: datetime | None  # the creation time of the earliest issue or pull request they opened or commented on
    authored: int  # issues and pull requests they opened
    merged_prs: int
    commented: int  # issues and pull requests they commented on


class GitHubPort(abc.ABC):
    """Everything Conduct Desk asks of GitHub. Implemented by `GitHubAdapter` (githubkit)."""

    # -- issues ---------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_issue(self, repo: str, title: str, body: str, labels: Sequence[str], key: str,
                           look_first: bool = False) -> Issue:
        """Create an issue carrying the idempotency marker `key`; a retry finds, not repeats, it."""

    @abc.abstractmethod
    async def get_issue(self, repo: str, number: int) -> Issue: ...

    @abc.abstractmethod
    async def list_issues(
        self, repo: str, labels: Sequence[str] = (), state: Literal["open", "closed", "all"] = "open"
    ) -> tuple[Issue, ...]:
        """Issues (not pull requests) carrying every one of `labels`, newest first, all pages."""

    @abc.abstractmethod
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
    ) -> Issue: ...

    @abc.abstractmethod
    async def lock_issue(self, repo: str, number: int, reason: LockReason | None = None) -> None: ...

    @abc.abstractmethod
    async def unlock_issue(self, repo: str, number: int) -> None: ...

    @abc.abstractmethod
    async def delete_issue(self, issue_node_id: str) -> None:
        """GraphQL `deleteIssue` (REST has no delete)."""

    @abc.abstractmethod
    async def transfer_issue(self, issue_node_id: str, repo: str) -> int:
        """GraphQL `transferIssue` into `repo` (same owner; public to private is allowed, private to public
        is not); the issue's comments and edit history go with it. Returns its number there."""

    # -- comments -------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def list_comments(self, repo: str, number: int) -> tuple[Comment, ...]: ...

    @abc.abstractmethod
    async def get_comment(self, repo: str, comment_id: int) -> Comment:
        """One issue comment by its id (how the app finds a case's state: by the id it recorded)."""

    @abc.abstractmethod
    async def find_comment(self, repo: str, number: int, key: str) -> Comment | None:
        """The comment carrying the idempotency marker `key`, if one was posted (it may have been, by a
        worker that died before recording it)."""

    @abc.abstractmethod
    async def create_comment(self, repo: str, number: int, body: str, key: str, look_first: bool = False) -> Comment:
        """Create a comment carrying the idempotency marker `key`; a retry finds, not repeats, it.
        `look_first`: an earlier attempt (maybe by a worker that died) may have created it: look before posting."""

    @abc.abstractmethod
    async def update_comment(self, repo: str, comment_id: int, body: str) -> Comment: ...

    @abc.abstractmethod
    async def delete_comment(self, repo: str, comment_id: int) -> None:
        """Delete an issue comment; one already gone counts as deleted."""

    @abc.abstractmethod
    async def delete_review_comment(self, repo: str, comment_id: int) -> None:
        """Delete an inline pull request review comment; one already gone counts as deleted."""

    @abc.abstractmethod
    async def add_reaction(self, repo: str, comment_id: int, content: Reaction) -> None: ...

    @abc.abstractmethod
    async def minimize_comment(self, comment_node_id: str, reason: MinimizeReason) -> None: ...

    # -- labels and assignees ---------------------------------------------------------------------------
    @abc.abstractmethod
    async def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> tuple[str, ...]: ...

    @abc.abstractmethod
    async def remove_label(self, repo: str, number: int, label: str) -> tuple[str, ...]:
        """Remove one label; removing a label the issue does not carry is not an error."""

    @abc.abstractmethod
    async def set_labels(self, repo: str, number: int, labels: Sequence[str]) -> tuple[str, ...]: ...

    @abc.abstractmethod
    async def ensure_label(self, repo: str, name: str, color: str, description: str) -> Label:
        """Create the repository label, or bring its colour and description up to date."""

    @abc.abstractmethod
    async def add_assignees(self, repo: str, number: int, logins: Sequence[str]) -> tuple[str, ...]: ...

    # -- people: org, teams, blocks -------------------------------------------------------------------
    @abc.abstractmethod
    async def team_members(self, org: str, team_slug: str) -> tuple[str, ...]: ...

    @abc.abstractmethod
    async def user_teams(self, org: str, login: str) -> tuple[str, ...]:
        """Slugs of the org's teams `login` belongs to (GraphQL `organization.teams(userLogins:)`)."""

    @abc.abstractmethod
    async def is_org_member(self, org: str, login: str) -> bool: ...

    @abc.abstractmethod
    async def remove_org_member(self, org: str, login: str) -> None: ...

    @abc.abstractmethod
    async def add_team_member(
        self, org: str, team_slug: str, login: str, role: TeamRole = "member"
    ) -> None: ...

    @abc.abstractmethod
    async def remove_team_member(self, org: str, team_slug: str, login: str) -> None: ...

    @abc.abstractmethod
    async def direct_access(self, org: str, login: str) -> dict[str, str]:
        """The organisation's repositories where `login` is a direct collaborator: repo -> permission
        (pull, triage, push, maintain or admin). GitHub removes this access when it blocks them."""

    @abc.abstractmethod
    async def grant_direct_access(self, repo: str, login: str, permission: str) -> bool:
        """Make `login` a direct collaborator again; False if GitHub sent an invitation to accept first."""

    @abc.abstractmethod
    async def block_user(self, org: str, login: str) -> None: ...

    @abc.abstractmethod
    async def unblock_user(self, org: str, login: str) -> None: ...

    @abc.abstractmethod
    async def is_blocked(self, org: str, login: str) -> bool: ...

    @abc.abstractmethod
    async def get_user(self, login: str) -> User: ...

    @abc.abstractmethod
    async def activity(self, repos: Sequence[str], login: str) -> Activity:
        """How much `login` has taken part in `repos`, and since when (GitHub's issue search)."""

    # -- interaction limits ---------------------------------------------------------------------------
    @abc.abstractmethod
    async def set_interaction_limit(
        self, repo: str, limit: InteractionLimit, expiry: InteractionExpiry
    ) -> None: ...

    @abc.abstractmethod
    async def remove_interaction_limit(self, repo: str) -> None: ...

    @abc.abstractmethod
    async def set_org_interaction_limit(
        self, org: str, limit: InteractionLimit, expiry: InteractionExpiry
    ) -> None: ...

    @abc.abstractmethod
    async def remove_org_interaction_limit(self, org: str) -> None: ...

    # -- actions and environments ---------------------------------------------------------------------
    @abc.abstractmethod
    async def dispatch_workflow(
        self, repo: str, workflow: str, ref: str, inputs: Mapping[str, str] | None = None
    ) -> int | None:
        """Start a run; its id where GitHub returns it (`return_run_details`; GHES answers 204 without)."""

    @abc.abstractmethod
    async def workflow_runs(self, repo: str, workflow: str) -> tuple[WorkflowRun, ...]:
        """The workflow's most recent dispatched runs, newest first (one page): to find one already started."""

    @abc.abstractmethod
    async def get_environment(self, repo: str, name: str) -> Environment: ...

    @abc.abstractmethod
    async def put_environment(
        self,
        repo: str,
        name: str,
        reviewers: Sequence[Reviewer],
        prevent_self_review: bool = True,
        wait_timer: int = 0,
    ) -> Environment: ...

    @abc.abstractmethod
    async def run_reviews(self, repo: str, run_id: int) -> tuple[RunReview, ...]:
        """The run's deployment review history (`GET /repos/{o}/{r}/actions/runs/{run_id}/approvals`)."""

    # -- discussions (GraphQL) ------------------------------------------------------------------------
    @abc.abstractmethod
    async def discussion_categories(self, repo: str) -> RepoDiscussions: ...

    @abc.abstractmethod
    async def create_discussion(
        self, repo_node_id: str, category_id: str, title: str, body: str
    ) -> Discussion: ...

    @abc.abstractmethod
    async def find_discussion(self, repo: str, category_id: str, key: str) -> Discussion | None:
        """The newest discussions of the category (one page) searched for the key's marker in the body."""

    @abc.abstractmethod
    async def add_discussion_comment(self, discussion_id: str, body: str, key: str | None = None
                                     ) -> DiscussionComment:
        """A top-level comment on the discussion. With `key` it carries that idempotency marker, and after
        an unclear failure it is looked for (find_discussion_comment) before it is posted again."""

    @abc.abstractmethod
    async def find_discussion_comment(self, discussion_id: str, key: str) -> DiscussionComment | None:
        """The discussion's latest comments (one page) searched for the key's marker."""

    @abc.abstractmethod
    async def close_discussion(
        self, discussion_id: str, reason: DiscussionCloseReason = "RESOLVED"
    ) -> None: ...

    @abc.abstractmethod
    async def lock(self, lockable_id: str, reason: LockReason | None = None) -> None:
        """GraphQL `lockLockable`: a discussion or an issue, by node id."""

    @abc.abstractmethod
    async def move_discussion(self, discussion_id: str, category_id: str) -> Discussion: ...

    @abc.abstractmethod
    async def delete_discussion(self, discussion_id: str) -> None: ...

    @abc.abstractmethod
    async def delete_discussion_comment(self, comment_node_id: str) -> None:
        """GraphQL `deleteDiscussionComment`, by node id; one already gone counts as deleted."""
