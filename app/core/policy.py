"""The published policy as validated models: criteria, actions, process rules, roles and places."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator, model_validator

from app.core.durations import format_duration, parse_duration

NO_ACTION = "no-action"
ABSTAIN = "abstain"
ACTION_KINDS = ("educate", "warning", "interaction_limit", "team_removal", "org_block", "manual")
# The kinds that restrict a person: these are "bans" in the sense of the path-back rule's message.
RESTRICTING_KINDS = frozenset({"interaction_limit", "team_removal", "org_block", "manual"})
POLICY_FILES = ("criteria", "actions", "process", "roles")

_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
# "for one year", "six months", "2 weeks": a period written into a text instead of read from a field.
_STATED_PERIOD = re.compile(
    r"\b(?:[0-9]+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+(?:hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE)
_REPO = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value)


def _fraction(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return value
    # Fractions are written as strings ("2/3") so that no float rounding ever enters a tally.
    if not isinstance(value, str) or not re.fullmatch(r"[1-9][0-9]*/[1-9][0-9]*", value):
        raise ValueError(f"{value!r} is not a fraction: write it as a quoted string like \"2/3\"")
    fraction = Fraction(value)
    if not 0 < fraction <= 1:
        raise ValueError(f"{value} must be more than 0 and at most 1")
    return fraction


def _slug(value: Any) -> str:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise ValueError(f"{value!r} is not an id: use lower-case words joined by hyphens")
    return value


def _repo(value: Any) -> str:
    if not isinstance(value, str) or not _REPO.match(value):
        raise ValueError(f"{value!r} is not a repository: write owner/name")
    return value


def _login(value: Any) -> str:
    if not isinstance(value, str) or not _LOGIN.match(value):
        raise ValueError(f"{value!r} is not a GitHub login")
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Ratio = Annotated[Fraction, BeforeValidator(_fraction)]
Slug = Annotated[str, BeforeValidator(_slug)]
Repo = Annotated[str, BeforeValidator(_repo)]
Login = Annotated[str, BeforeValidator(_login)]


class Strict(BaseModel):
    """Every policy model rejects unknown keys, so a typo never silently changes the process."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Criterion(Strict):
    id: Slug
    title: str
    description: str


class CriteriaFile(Strict):
    source: str
    criteria: list[Criterion]


class Span(Strict):
    default: Duration
    max: Duration

    @model_validator(mode="after")
    def _default_within_max(self) -> Span:
        if self.default > self.max:
            raise ValueError("the default is longer than the max")
        return self


class Action(Strict):
    id: Slug
    title: str
    description: str
    kind: Literal["educate", "warning", "interaction_limit", "team_removal", "org_block", "manual"]
    severity: int
    duration: Span | None = None
    review_after: Span | None = None
    restore: bool = False
    criteria: list[Slug] | None = None
    # How long the record weighs from the day the action is given; then the case is forgotten.
    retention: Duration

    @field_validator("severity")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("severity starts at 1: 0 is the built-in no-action")
        return value

    @model_validator(mode="after")
    def _path_back(self) -> Action:
        if self.duration is None and self.review_after is None:
            what = "a ban" if self.kind in RESTRICTING_KINDS else "an action"
            raise ValueError(
                f"{what} without a path back: give it a duration (when it ends) "
                "or a review_after (when it is reviewed)"
            )
        if self.duration is not None and self.review_after is not None:
            raise ValueError("give either a duration or a review_after, not both")
        if self.retention < self.span.max:
            raise ValueError(f"retention {format_duration(self.retention)} is shorter than the action can last "
                             f"({format_duration(self.span.max)}): the record would be forgotten while it "
                             "is still in force")
        if _STATED_PERIOD.search(self.description):
            raise ValueError("the description states a period; periods are written only in duration, "
                             "review_after and retention, which every text people read is made from")
        return self

    @property
    def span(self) -> Span:
        """The duration or review span: whichever path back this action has."""
        return self.duration or self.review_after  # type: ignore[return-value]

    @property
    def ends(self) -> bool:
        """True if the action ends by itself; False if it is reviewed on a date instead."""
        return self.duration is not None


class ActionsFile(Strict):
    actions: list[Action]


class PollRules(Strict):
    duration: Duration
    quorum: Ratio
    rule: Literal["severity-threshold", "plurality"] = "severity-threshold"
    threshold: Ratio
    remind_before: Duration = timedelta(hours=24)  # who has not taken a ballot is reminded this long before the end


class UrgentBan(Strict):
    max_duration: Duration


class Approval(Strict):
    sc_quorum: int = 2
    review_expires_after: Duration
    remind_before: Duration


class Retention(Strict):
    """How long records that led to no sanction weigh, counted from the end of their case."""

    resolved: Duration
    named: Duration

    @model_validator(mode="after")
    def _named_within_resolved(self) -> Retention:
        if self.named > self.resolved:
            raise ValueError("a person merely named cannot weigh longer than the case itself (named > resolved)")
        return self


class Timeouts(Strict):
    """How long the mediators' own time-outs may last."""

    lock_max: Duration = timedelta(days=7)
    # An interaction limit silences everyone who is not a collaborator in the whole repository (GitHub has
    # no limit for one person), so an action of that kind may last at most this long.
    repository_cooling_off_max: Duration = timedelta(days=7)


class ReportRules(Strict):
    small_count: int = 3
    # The grid published reports keep to: whole calendar years, quarters or months. A small community
    # reports yearly, so that counts are large enough for suppression to hide little.
    period: Literal["year", "quarter", "month"] = "year"


class Process(Strict):
    acknowledge_within: Duration
    poll: PollRules
    cooling_off: Duration
    after_cooling_off: Literal["archive", "delete"] = "archive"
    urgent_ban: UrgentBan
    approval: Approval
    retention: Retention
    timeouts: Timeouts = Timeouts()
    report: ReportRules = ReportRules()

    @model_validator(mode="after")
    def _retention_covers_urgent_bans(self) -> Process:
        if self.retention.resolved < self.urgent_ban.max_duration:
            raise ValueError(f"retention.resolved ({format_duration(self.retention.resolved)}) is shorter than an "
                             f"urgent ban can last ({format_duration(self.urgent_ban.max_duration)})")
        return self


class Role(Strict):
    """A role is held by the members of one team of the organisation, or by a list of accounts."""

    team: Slug | None = None
    users: list[Login] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Role:
        if (self.team is None) == (self.users is None):
            raise ValueError("name either a team or a list of users")
        return self


class Roles(Strict):
    mediators: Role
    voters: Role
    steering_council: Role


class Deliberation(Strict):
    repo: Repo
    category: str
    archive_category: str | None = None


class Places(Strict):
    intake: Repo
    cases: Repo  # report text lives here only: mediators (triage), nobody else
    deliberation: Deliberation
    # The SC's place: each decision (summary, poll result, id) and the `steering-council` environment, never a
    # report. The SC has no access to the cases repository.
    decisions: Repo
    watched: list[Repo] = []
    # Where `conduct report --post` publishes the transparency report (a public discussion category).
    reports: Deliberation | None = None
    # Deleting needs admin rights on the intake repo; without them requests are closed and locked.
    delete_intake_issues: bool = False

    @model_validator(mode="after")
    def _apart(self) -> Places:
        # One repository per audience: sharing one would show reports to the SC or the core developers.
        named = {"intake": self.intake, "cases": self.cases, "deliberation": self.deliberation.repo,
                 "decisions": self.decisions}
        for name, repo in named.items():
            others = [other for other, value in named.items() if other != name and value == repo]
            if others and name < others[0]:
                raise ValueError(f"{name} and {others[0]} must be different repositories ({repo})")
        return self


class RolesFile(Strict):
    organization: Login
    roles: Roles
    places: Places


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the policy: which file, where in it, and what."""

    file: str
    loc: tuple[str | int, ...]
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}.yml" + (f":{self.line}" if self.line else "")
        key = ".".join(str(part) for part in self.loc)
        return f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}"


class PolicyInvalid(ValueError):
    """The policy has problems; all of them are listed, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Policy:
    """The whole validated policy, with the lookups the core needs."""

    criteria: CriteriaFile
    actions: ActionsFile
    process: Process
    roles: RolesFile

    def action(self, action_id: str) -> Action:
        for action in self.actions.actions:
            if action.id == action_id:
                return action
        raise KeyError(action_id)

    def has_action(self, action_id: str) -> bool:
        return any(action.id == action_id for action in self.actions.actions)

    def has_criterion(self, criterion_id: str) -> bool:
        return any(criterion.id == criterion_id for criterion in self.criteria.criteria)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def severity(self, option_id: str) -> int:
        return 0 if option_id == NO_ACTION else self.action(option_id).severity

    def actions_by_severity(self) -> list[Action]:
        return sorted(self.actions.actions, key=lambda action: action.severity)


_MODELS: Mapping[str, type[Strict]] = {
    "criteria": CriteriaFile,
    "actions": ActionsFile,
    "process": Process,
    "roles": RolesFile,
}


def _pydantic_problems(name: str, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = f"unknown key {item['loc'][-1]!r}"
        problems.append(Problem(name, tuple(item["loc"]), message))
    return problems


def _cross_problems(criteria: CriteriaFile, actions: ActionsFile) -> list[Problem]:
    """The rules that span entries or files: unique ids, strict severities, known criteria."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, criterion in enumerate(criteria.criteria):
        if criterion.id in seen:
            problems.append(Problem("criteria", ("criteria", index, "id"),
                                    f"duplicate id {criterion.id!r} (also entry {seen[criterion.id]})"))
        seen.setdefault(criterion.id, index)
    known_criteria = set(seen)
    ids: dict[str, int] = {}
    severities: dict[int, str] = {}
    for index, action in enumerate(actions.actions):
        if action.id == NO_ACTION:
            problems.append(Problem("actions", ("actions", index, "id"),
                                    f"{NO_ACTION!r} is built in (severity 0) and cannot be redefined"))
        if action.id in ids:
            problems.append(Problem("actions", ("actions", index, "id"),
                                    f"duplicate id {action.id!r} (also entry {ids[action.id]})"))
        ids.setdefault(action.id, index)
        if action.severity in severities:
            problems.append(Problem("actions", ("actions", index, "severity"),
                                    f"severity {action.severity} is also that of {severities[action.severity]!r}: "
                                    "severities must be strictly ordered"))
        severities.setdefault(action.severity, action.id)
        for position, criterion_id in enumerate(action.criteria or []):
            if criterion_id not in known_criteria:
                problems.append(Problem("actions", ("actions", index, "criteria", position),
                                        f"criterion {criterion_id!r} is referenced but not defined in criteria.yml"))
    return problems


def _cooling_off_problems(actions: ActionsFile, process: Process) -> list[Problem]:
    limit = process.timeouts.repository_cooling_off_max
    return [
        Problem("actions", ("actions", index, "duration"),
                f"an interaction_limit silences every non-collaborator in the whole repository, so it may last "
                f"at most {format_duration(limit)} (timeouts.repository_cooling_off_max), not "
                f"{format_duration(action.span.max)}; for one person use org_block or team_removal")
        for index, action in enumerate(actions.actions)
        if action.kind == "interaction_limit" and (action.duration is None or action.span.max > limit)
    ]


def validate_policy(documents: Mapping[str, Any]) -> Policy:
    """Validate the four policy documents together; raise PolicyInvalid listing every problem."""
    problems: list[Problem] = []
    parsed: dict[str, Any] = {}
    for name in POLICY_FILES:
        if name not in documents or documents[name] is None:
            problems.append(Problem(name, (), "the file is missing or empty"))
            continue
        try:
            parsed[name] = _MODELS[name].model_validate(documents[name])
        except ValidationError as error:
            problems.extend(_pydantic_problems(name, error))
    for name in documents:
        if name not in _MODELS:
            problems.append(Problem(name, (), f"unknown policy file: expected {', '.join(POLICY_FILES)}"))
    if "criteria" in parsed and "actions" in parsed:
        problems.extend(_cross_problems(parsed["criteria"], parsed["actions"]))
    if "actions" in parsed and "process" in parsed:
        problems.extend(_cooling_off_problems(parsed["actions"], parsed["process"]))
    if problems:
        raise PolicyInvalid(problems)
    return Policy(**parsed)
