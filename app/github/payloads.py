"""Lenient models of the webhook fields the app reads; every other field, and its absence, is ignored."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError


class Lenient(BaseModel):
    # Real payloads vary with their age; the app reads a few fields and must accept all the rest.
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(Lenient):
    login: str
    type: str = "User"


class Label(Lenient):
    name: str


class Repository(Lenient):
    full_name: str
    node_id: str = ""
    private: bool = False


class App(Lenient):
    id: int


class Issue(Lenient):
    number: int
    node_id: str = ""
    title: str = ""
    body: str | None = None
    html_url: str = ""
    user: User | None = None
    labels: list[Label] = []
    state: str = "open"
    pull_request: dict | None = None


class Comment(Lenient):
    id: int
    node_id: str = ""
    body: str | None = None
    html_url: str = ""
    user: User | None = None
    performed_via_github_app: App | None = None


class BodyChange(Lenient):
    # GitHub names the old text "from", a Python keyword.
    before: str | None = None

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    def __init__(self, **data):
        if "from" in data:
            data["before"] = data.pop("from")
        super().__init__(**data)


class Changes(Lenient):
    body: BodyChange | None = None


class Installation(Lenient):
    id: int


class Envelope(Lenient):
    action: str | None = None
    sender: User | None = None
    repository: Repository | None = None
    installation: Installation | None = None


class IssuesEvent(Envelope):
    issue: Issue
    label: Label | None = None


class IssueCommentEvent(Envelope):
    issue: Issue
    comment: Comment
    changes: Changes | None = None


class PullRequest(Lenient):
    number: int
    node_id: str = ""
    html_url: str = ""
    title: str = ""
    user: User | None = None


class Discussion(Lenient):
    number: int
    node_id: str = ""
    html_url: str = ""
    title: str = ""
    body: str | None = None
    user: User | None = None


class ReviewCommentEvent(Envelope):
    """`pull_request_review_comment`: an inline comment on a pull request's diff."""

    comment: Comment
    pull_request: PullRequest
    changes: Changes | None = None


class ReviewEvent(Envelope):
    """`pull_request_review`: a submitted review; its body is the venue."""

    review: Comment
    pull_request: PullRequest
    changes: Changes | None = None


class DiscussionCommentEvent(Envelope):
    comment: Comment
    discussion: Discussion
    changes: Changes | None = None


class OrgBlockEvent(Envelope):
    """`org_block`: someone blocked or unblocked a user for the whole organisation (no repository)."""

    blocked_user: User
    organization: User | None = None


class WorkflowRun(Lenient):
    id: int
    name: str | None = None
    display_title: str | None = None
    path: str | None = None
    status: str | None = None
    conclusion: str | None = None


class JobRun(Lenient):
    id: int | None = None
    environment: str | None = None


class DeploymentReviewEvent(Envelope):
    approver: User | None = None
    comment: str | None = None
    environment: str | None = None  # only on "requested"; an approval names its environments per job
    workflow_run: WorkflowRun | None = None
    workflow_job_runs: list[JobRun] = []


class WorkflowRunEvent(Envelope):
    workflow_run: WorkflowRun


class Team(Lenient):
    slug: str = ""


class MembershipEvent(Envelope):
    """Someone joined or left a team (scope "team"): role lists cached from GitHub are out of date."""

    team: Team | None = None


class TeamEvent(Envelope):
    """A team was created, renamed, deleted or moved: role lists cached from GitHub are out of date."""

    team: Team | None = None


MODELS: dict[str, type[Envelope]] = {
    "issues": IssuesEvent,
    "membership": MembershipEvent,
    "team": TeamEvent,
    "issue_comment": IssueCommentEvent,
    "deployment_review": DeploymentReviewEvent,
    "workflow_run": WorkflowRunEvent,
    "pull_request_review_comment": ReviewCommentEvent,
    "pull_request_review": ReviewEvent,
    "discussion_comment": DiscussionCommentEvent,
    "org_block": OrgBlockEvent,
}


class PayloadError(ValueError):
    """A payload lacks a field the app needs; the message names fields, never their values."""


def parse_payload(event: str, data: dict) -> Envelope | None:
    """The model for a handled event, or None for an event the app does not handle."""
    model = MODELS.get(event)
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = sorted({".".join(str(p) for p in item["loc"]) for item in error.errors()})
        raise PayloadError(f"{event} payload lacks or mistypes: {', '.join(fields)}") from None
