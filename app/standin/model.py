"""The stand-in's records: plain dataclasses for the GitHub objects it keeps in memory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class User:
    id: int
    node_id: str
    login: str
    type: str  # "User", "Bot" or "Organization", as GitHub's `type` field
    created_at: datetime


@dataclass
class Team:
    id: int
    node_id: str
    org: str
    slug: str
    name: str
    members: dict[str, str] = field(default_factory=dict)  # login -> "member" | "maintainer"
    # Invitations: adding someone outside the org to a team invites them; they join once they accept.
    pending: dict[str, str] = field(default_factory=dict)  # login -> role


@dataclass
class Limit:
    limit: str
    origin: str
    expires_at: datetime


@dataclass
class Org:
    account: User
    members: dict[str, str] = field(default_factory=dict)  # login -> "member" | "admin"
    teams: dict[str, Team] = field(default_factory=dict)
    blocks: dict[str, datetime] = field(default_factory=dict)
    interaction_limit: Limit | None = None
    # GitHub's "base permission" for members on the org's private repos; a conduct org sets "none".
    base_permission: str = "read"
    # The org's plan, as `GET /orgs/{org}` shows owners; required reviewers on private repos need one above "team".
    plan: str = "enterprise"


@dataclass
class Label:
    id: int
    node_id: str
    name: str
    color: str
    description: str | None
    default: bool


@dataclass
class Reaction:
    id: int
    node_id: str
    user: str
    content: str
    created_at: datetime


@dataclass
class Edit:
    """One version of an edited body, as GitHub's edit history shows it: the text then, who, and when."""

    id: int
    editor: str
    at: datetime
    text: str


@dataclass
class Issue:
    id: int
    node_id: str
    repo: str  # full name, "owner/name"
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    locked: bool = False
    lock_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    comments: int = 0
    # What GitHub keeps readable to anyone who can read the issue: every earlier version of the body
    # (GraphQL `userContentEdits`) and a `renamed` event for every title change (the issue's events).
    edits: list[Edit] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    pull: bool = False  # a pull request: GitHub's issues API shows it too, with a `pull_request` key


@dataclass
class ReviewItem:
    """On a pull request: an inline review comment ("comment") or a submitted review's body ("review")."""

    id: int
    node_id: str
    repo: str
    pull_number: int
    kind: str
    user: str
    body: str
    created_at: datetime
    minimized: str | None = None


@dataclass
class Comment:
    id: int
    node_id: str
    repo: str
    issue_number: int
    user: str
    body: str
    created_at: datetime
    updated_at: datetime
    minimized: str | None = None  # the classifier, once minimized; the body stays readable to all readers
    reactions: list[Reaction] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)


@dataclass
class Category:
    id: int
    node_id: str
    repo: str
    name: str
    slug: str
    emoji: str
    description: str
    created_at: datetime
    is_answerable: bool = False


@dataclass
class DiscussionComment:
    id: int
    node_id: str
    discussion_id: int
    user: str
    body: str
    created_at: datetime
    minimized: str | None = None


@dataclass
class Discussion:
    id: int
    node_id: str
    repo: str
    number: int
    category_id: int
    title: str
    body: str
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    locked: bool = False
    lock_reason: str | None = None
    closed_at: datetime | None = None
    comments: list[DiscussionComment] = field(default_factory=list)


@dataclass
class Environment:
    id: int
    node_id: str
    repo: str
    name: str
    created_at: datetime
    updated_at: datetime
    reviewers: list[tuple[str, str]] = field(default_factory=list)  # ("User", login) | ("Team", "org/slug")
    prevent_self_review: bool = False
    wait_timer: int = 0
    # GitHub lets admins bypass protection rules unless this is unticked (only in the UI: not in the REST body).
    can_admins_bypass: bool = True
    deployment_branch_policy: dict | None = None  # {"protected_branches": bool, "custom_branch_policies": bool}


@dataclass
class Workflow:
    id: int
    node_id: str
    repo: str
    path: str
    name: str
    environment: str | None
    created_at: datetime
    run_name: str | None = None  # the workflow's `run-name:`, shown as each run's display_title


@dataclass
class Run:
    id: int
    node_id: str
    repo: str
    workflow_id: int
    run_number: int
    head_branch: str
    actor: str
    inputs: dict
    created_at: datetime
    updated_at: datetime
    status: str = "queued"
    conclusion: str | None = None
    environment: str | None = None
    reviews: list[dict] = field(default_factory=list)  # {"state", "comment", "user", "environment"}
    event: str = "workflow_dispatch"  # what started it: workflow_dispatch, or schedule for a cron run


@dataclass
class Repo:
    id: int
    node_id: str
    owner: str
    name: str
    private: bool
    has_discussions: bool
    created_at: datetime
    labels: dict[str, Label] = field(default_factory=dict)  # lower-cased name -> label
    issues: dict[int, Issue] = field(default_factory=dict)
    discussions: dict[int, Discussion] = field(default_factory=dict)
    categories: list[Category] = field(default_factory=list)
    environments: dict[str, Environment] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)  # file name -> workflow
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> permission (outside or direct)
    team_access: dict[str, str] = field(default_factory=dict)  # team slug -> permission
    runs: dict[int, Run] = field(default_factory=dict)
    interaction_limit: Limit | None = None
    next_number: int = 1  # issues and discussions share one sequence, as on GitHub
    gone: set[int] = field(default_factory=set)  # deleted issue numbers answer 410
    moved: dict[int, tuple[str, int]] = field(default_factory=dict)  # transferred: number -> (repo, number)
    files: dict[str, str] = field(default_factory=dict)  # path on the default branch -> text
    variables: dict[str, str] = field(default_factory=dict)  # Actions repository variables
    secrets: dict[str, bytes] = field(default_factory=dict)  # Actions secrets: name -> sealed value
    invitations: dict[str, str] = field(default_factory=dict)  # invited login -> permission, until accepted

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class App:
    id: int
    slug: str
    public_key_pem: str
    bot: str
    client_id: str | None = None
    client_secret: str | None = None
    # The App's user permissions, which bound what its user tokens may do (GitHub: a user access token can
    # do only what both the user and the App may). None: what Conduct Desk's App asks for.
    user_permissions: dict[str, str] | None = None


@dataclass
class Installation:
    id: int
    app_id: int
    account: str
    created_at: datetime
    # What the org accepted for this installation; None: the stand-in's defaults (auth.PERMISSIONS/EVENTS).
    permissions: dict[str, str] | None = None
    events: list[str] | None = None


@dataclass
class Grant:
    """What a token stands for: an installation (acting as the app's bot) or a signed-in user."""

    kind: str  # "installation" | "user"
    login: str
    installation_id: int | None
    expires_at: datetime | None
    app_id: int | None = None  # for a user token: the App whose sign-in issued it


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    kind: str
    status: int | None
    times: int
    retry_after: int | None
    delay: float | None


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
