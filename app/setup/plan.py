"""What a real org needs for Conduct Desk, from the policy: labels, access, files, the gate, settings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.core.policy import Policy, Role
from app.core.stages import Stage

REPO_ROOT = Path(__file__).resolve().parents[2]
GITHUB_DIR = REPO_ROOT / ".github"
MANIFEST_FILE = GITHUB_DIR / "app-manifest.json"
# The issue forms and chooser use this address until setup writes the deployment's own.
PLACEHOLDER_URL = "https://conduct.example.org"
SC_ENVIRONMENT = "steering-council"
INTAKE_LABEL = "conduct: intake"
PUBLIC_FORMS = (
    "help-request.yml",
    "config.yml",
)  # private-report and request-to-return are rendered by the app
# Where each workflow lives: the clock in the cases repository, the SC's gate in the decisions repository.
WORKFLOWS = {"poll-open.yml": "cases", "sweep.yml": "cases", "report.yml": "cases", "sc-approval.yml": "decisions"}
# Secrets earlier releases stored for the workflows; anyone with write access could read them. The
# workflows now prove themselves with OIDC tokens, so none may be left in a repository.
RETIRED_SECRETS = ("CONDUCT_APP_PRIVATE_KEY", "CONDUCT_DATABASE_URL")
DEFAULT_API_URL = "https://api.github.com/"

# Stage labels: one colour per phase, so a list of cases reads at a glance (open: warm, decided: cool).
STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.INTAKE: ("fbca04", "A help request nobody has picked up yet"),
    Stage.MEDIATION: ("1d76db", "Mediators are talking with the parties"),
    Stage.RESOLVED: ("0e8a16", "Resolved in mediation"),
    Stage.ESCALATED: ("d93f0b", "Escalated with a written summary; the poll has not opened"),
    Stage.POLLING: ("5319e7", "The core developers' anonymous poll is open"),
    Stage.AWAITING_APPROVAL: ("b60205", "The poll chose an action; waiting for the Steering Council"),
    Stage.ACTION: ("000000", "The Steering Council approved; the action is in force"),
    Stage.CLOSED: ("cfd3d7", "Closed: nothing more to do"),
    Stage.HOLD: ("c5def5", "On hold, with a reason; returns to the stage it came from"),
}
INTAKE_LABEL_SPEC = ("fbca04", "A help request the desk moves into a private case")



@dataclass(frozen=True)
class LabelSpec:
    repo: str
    name: str
    color: str
    description: str


@dataclass(frozen=True)
class Grant:
    """A role's access to a repository: a team (`team`) or one account (`user`)."""

    repo: str
    kind: str  # "team" | "user"
    name: str
    role: str  # read, triage, write, maintain, admin
    why: str


@dataclass(frozen=True)
class FileSpec:
    repo: str
    path: str
    text: str


@dataclass(frozen=True)
class Options:
    """What setup cannot read from the policy: where the deployment lives and the values to install."""

    public_url: str  # the service's URL: the workflows call it, and it is their OIDC tokens' audience
    api_url: str = DEFAULT_API_URL
    app_slug: str | None = None  # defaults to the manifest name's slug
    app_id: int | None = None


@dataclass(frozen=True)
class Plan:
    org: str
    intake: str
    cases: str
    deliberation: str
    decisions: str
    watched: tuple[str, ...]
    category: str
    archive_category: str | None
    labels: tuple[LabelSpec, ...]
    teams: tuple[str, ...]
    grants: tuple[Grant, ...]
    no_access: tuple[Grant, ...]  # roles that must not reach a repository at all (`role` is unused)
    sc_role: Role
    sc_quorum: int
    files: tuple[FileSpec, ...]
    variables: dict[str, dict[str, str]]  # repository -> the Actions variables its workflows read
    retired_secrets: tuple[str, ...]
    manifest: dict
    delete_intake_issues: bool
    web_url: str
    options: Options = field(repr=False)

    @property
    def app_slug(self) -> str:
        return self.options.app_slug or slugify(self.manifest["name"])


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def web_url(api_url: str) -> str:
    """github.com for api.github.com; `https://HOST` for GHES's `https://HOST/api/v3/`; else the host."""
    base = api_url.rstrip("/")
    if base == "https://api.github.com":
        return "https://github.com"
    if base.endswith("/api/v3"):
        return base[: -len("/api/v3")]
    return base


def public_text(text: str, public_url: str) -> str:
    return text.replace(PLACEHOLDER_URL, public_url.rstrip("/"))


def load_manifest(path: Path = MANIFEST_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _grants(repo: str, role: Role, access: str, why: str) -> list[Grant]:
    if role.team is not None:
        return [Grant(repo, "team", role.team, access, why)]
    return [Grant(repo, "user", login, access, why) for login in role.users or ()]


def build_plan(policy: Policy, options: Options, github_dir: Path = GITHUB_DIR) -> Plan:
    roles, places = policy.roles.roles, policy.roles.places
    labels = [LabelSpec(places.cases, stage.label, *STAGE_LABELS[stage]) for stage in Stage]
    labels.append(LabelSpec(places.intake, INTAKE_LABEL, *INTAKE_LABEL_SPEC))
    grants = [
        # Triage (labels, assignees, comments), never write: write would let a mediator push a workflow.
        *_grants(places.cases, roles.mediators, "triage", "mediators work the cases; never write"),
        *_grants(
            places.deliberation.repo, roles.voters, "triage", "core developers read the poll discussions"
        ),
        # Read: the SC sees each decision and reviews the environment; nobody may push to this repository.
        *_grants(places.decisions, roles.steering_council, "read", "the Steering Council approves decisions"),
    ]
    no_access = [
        *_grants(places.cases, roles.steering_council, "none", "the SC decides on the summary, never the report"),
        *_grants(places.cases, roles.voters, "none", "core developers read the summary, never the report"),
    ]
    files = [
        FileSpec(
            places.intake,
            f".github/ISSUE_TEMPLATE/{name}",
            public_text(
                (github_dir / "ISSUE_TEMPLATE" / name).read_text(encoding="utf-8"), options.public_url
            ),
        )
        for name in PUBLIC_FORMS
    ]
    where = {"cases": places.cases, "decisions": places.decisions}
    files += [
        FileSpec(
            where[place],
            f".github/workflows/{name}",
            (github_dir / "workflows" / name).read_text(encoding="utf-8"),
        )
        for name, place in WORKFLOWS.items()
    ]
    # The workflows' only setting: where to call, which is also their tokens' audience.
    service = {"CONDUCT_SERVICE_URL": options.public_url.rstrip("/")}
    variables = {places.cases: dict(service), places.decisions: dict(service)}
    teams = sorted({r.team for r in (roles.mediators, roles.voters, roles.steering_council) if r.team})
    return Plan(
        org=policy.roles.organization,
        intake=places.intake,
        cases=places.cases,
        deliberation=places.deliberation.repo,
        decisions=places.decisions,
        watched=tuple(places.watched),
        category=places.deliberation.category,
        archive_category=places.deliberation.archive_category,
        labels=tuple(labels),
        teams=tuple(teams),
        grants=tuple(grants),
        no_access=tuple(no_access),
        sc_role=roles.steering_council,
        sc_quorum=policy.process.approval.sc_quorum,
        files=tuple(files),
        variables=variables,
        retired_secrets=RETIRED_SECRETS,
        manifest=load_manifest(github_dir / "app-manifest.json"),
        delete_intake_issues=places.delete_intake_issues,
        web_url=web_url(options.api_url),
        options=options,
    )
