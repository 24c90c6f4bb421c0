"""What a real org needs for Conduct Desk, from the policy: labels, access, files, the gate, settings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.core.policy import POLICY_FILES, Policy, Role
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
WORKFLOWS = ("poll-open.yml", "sweep.yml", "sc-approval.yml")
SECRETS = ("CONDUCT_APP_PRIVATE_KEY", "CONDUCT_DATABASE_URL")
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

_PINNED_SPEC = re.compile(
    r"^(conduct-desk==[0-9][0-9A-Za-z.+!-]*|(conduct-desk *@ *)?git\+https://\S+@[0-9a-f]{40})$"
)


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

    public_url: str
    api_url: str = DEFAULT_API_URL
    desk_spec: str | None = None  # pinned: conduct-desk==X.Y.Z or git+https://...@<sha>
    policy_dir: str = "policy"  # where the workflows find the policy in the cases repo
    app_slug: str | None = None  # defaults to the manifest name's slug
    app_id: int | None = None
    # Secret values to seal and store (name -> value); a secret without a value is reported, not set.
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    # Local policy files to publish into the cases repo for the workflows (None: leave the repo's own).
    policy_files: Path | None = None

    def __repr__(self) -> str:  # secret values must not reach logs through a repr
        return f"Options(public_url={self.public_url!r}, api_url={self.api_url!r})"


@dataclass(frozen=True)
class Plan:
    org: str
    intake: str
    cases: str
    deliberation: str
    watched: tuple[str, ...]
    category: str
    archive_category: str | None
    labels: tuple[LabelSpec, ...]
    teams: tuple[str, ...]
    grants: tuple[Grant, ...]
    sc_role: Role
    sc_quorum: int
    files: tuple[FileSpec, ...]
    variables: dict[str, str | None]  # None: a value setup cannot know
    secrets: tuple[str, ...]
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


def pinned(spec: str | None) -> bool:
    return bool(spec) and bool(_PINNED_SPEC.match(spec))  # type: ignore[arg-type]


def _grants(repo: str, role: Role, access: str, why: str) -> list[Grant]:
    if role.team is not None:
        return [Grant(repo, "team", role.team, access, why)]
    return [Grant(repo, "user", login, access, why) for login in role.users or ()]


def build_plan(policy: Policy, options: Options, github_dir: Path = GITHUB_DIR) -> Plan:
    roles, places = policy.roles.roles, policy.roles.places
    labels = [LabelSpec(places.cases, stage.label, *STAGE_LABELS[stage]) for stage in Stage]
    labels.append(LabelSpec(places.intake, INTAKE_LABEL, *INTAKE_LABEL_SPEC))
    grants = [
        *_grants(places.cases, roles.mediators, "write", "mediators work the cases"),
        # Triage: the SC reads cases and can be a required reviewer, but cannot edit the record.
        *_grants(places.cases, roles.steering_council, "triage", "the Steering Council reviews sanctions"),
        *_grants(
            places.deliberation.repo, roles.voters, "triage", "core developers read the poll discussions"
        ),
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
    files += [
        FileSpec(
            places.cases,
            f".github/workflows/{name}",
            (github_dir / "workflows" / name).read_text(encoding="utf-8"),
        )
        for name in WORKFLOWS
    ]
    if options.policy_files is not None:
        files += [
            FileSpec(
                places.cases,
                f"{options.policy_dir}/{name}.yml",
                (options.policy_files / f"{name}.yml").read_text(encoding="utf-8"),
            )
            for name in POLICY_FILES
        ]
    variables: dict[str, str | None] = {
        "CONDUCT_APP_ID": str(options.app_id) if options.app_id is not None else None,
        "CONDUCT_POLICY_DIR": options.policy_dir,
        "CONDUCT_DESK_SPEC": options.desk_spec if pinned(options.desk_spec) else None,
    }
    if options.api_url.rstrip("/") != DEFAULT_API_URL.rstrip("/"):
        # Only Enterprise Server needs it; the workflows fall back to `github.api_url`.
        variables["CONDUCT_GITHUB_API_URL"] = options.api_url
    teams = sorted({r.team for r in (roles.mediators, roles.voters, roles.steering_council) if r.team})
    return Plan(
        org=policy.roles.organization,
        intake=places.intake,
        cases=places.cases,
        deliberation=places.deliberation.repo,
        watched=tuple(places.watched),
        category=places.deliberation.category,
        archive_category=places.deliberation.archive_category,
        labels=tuple(labels),
        teams=tuple(teams),
        grants=tuple(grants),
        sc_role=roles.steering_council,
        sc_quorum=policy.process.approval.sc_quorum,
        files=tuple(files),
        variables=variables,
        secrets=SECRETS,
        manifest=load_manifest(github_dir / "app-manifest.json"),
        delete_intake_issues=places.delete_intake_issues,
        web_url=web_url(options.api_url),
        options=options,
    )
