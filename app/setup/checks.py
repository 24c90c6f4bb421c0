"""Compare the org as it is with the plan: one finding per item, with a fix where setup has one."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.github import permissions
from app.github.admin import AdminAdapter, at_least
from app.github.errors import GitHubError, NotFound
from app.github.port import Reviewer

from .plan import PUBLIC_FORMS, SC_ENVIRONMENT, Grant, LabelSpec, Plan
from .report import Finding, Status

OK, MISSING, ACTION = Status.OK, Status.MISSING, Status.ACTION
# Plans on which an environment on a private repository cannot have required reviewers.
PLANS_WITHOUT_PRIVATE_REVIEWERS = frozenset({"free", "pro", "team"})
PRIVATE_FORMS = ("private-report.yml", "request-to-return.yml")


@dataclass
class Seen:
    """What earlier checks learnt that later ones need (which repos exist, the App's id, the plan)."""

    repos: dict[str, bool] = field(default_factory=dict)  # full name -> exists
    private: dict[str, bool] = field(default_factory=dict)
    discussions: dict[str, bool] = field(default_factory=dict)
    plan_name: str | None = None
    app_id: int | None = None
    team_ids: dict[str, int] = field(default_factory=dict)


async def check_all(admin: AdminAdapter, plan: Plan) -> list[Finding]:
    seen = Seen(app_id=plan.options.app_id)
    findings: list[Finding] = []
    findings += await check_org(admin, plan, seen)
    findings += await check_repos(admin, plan, seen)
    findings += await check_discussions(admin, plan, seen)
    findings += await check_installation(admin, plan, seen)
    findings += await check_teams(admin, plan, seen)
    findings += await check_labels(admin, plan, seen)
    # Access before the environment: GitHub wants required reviewers to be able to read the repository.
    findings += await check_access(admin, plan, seen)
    findings += await check_environment(admin, plan, seen)
    findings += await check_files(admin, plan, seen)
    findings += await check_variables(admin, plan, seen)
    findings += await check_secrets(admin, plan, seen)
    return findings


# --------------------------------------------------------------------------- org and repositories


async def check_org(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    settings = await admin.org_settings(plan.org)
    seen.plan_name = settings.plan
    where = f"{plan.web_url}/organizations/{plan.org}/settings/member_privileges"
    key = f"org {plan.org} base permission"
    if settings.default_repository_permission is None:
        return [
            Finding(key, ACTION, "not visible with this token: run `conduct setup` as an organisation owner")
        ]
    if settings.default_repository_permission != "none":
        return [
            Finding(
                key,
                ACTION,
                f'is "{settings.default_repository_permission}": members would read the '
                f'private cases; set Base permissions to "No permission" at {where}',
            )
        ]
    return [Finding(key, OK, '"No permission": private repositories are seen only by those given access')]


async def check_repos(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    findings = []
    wanted = {plan.intake: False, plan.cases: True, plan.deliberation: True, plan.decisions: True}
    for repo in dict.fromkeys([plan.intake, plan.cases, plan.deliberation, plan.decisions, *plan.watched]):
        key = f"repo {repo}"
        try:
            settings = await admin.repo_settings(repo)
        except NotFound:
            seen.repos[repo] = False
            findings.append(
                Finding(
                    key,
                    ACTION,
                    f"does not exist or this token cannot see it: create it at "
                    f"{plan.web_url}/organizations/{plan.org}/repositories/new",
                )
            )
            continue
        seen.repos[repo] = True
        seen.private[repo] = settings.private
        seen.discussions[repo] = settings.has_discussions
        if repo in wanted and settings.private != wanted[repo]:
            want = "private" if wanted[repo] else "public"
            findings.append(
                Finding(
                    key,
                    ACTION,
                    f"must be {want}: change the visibility at {plan.web_url}/{repo}/settings (Danger Zone)",
                )
            )
        else:
            findings.append(Finding(key, OK, "private" if settings.private else "public"))
    return findings


async def check_discussions(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    repo = plan.deliberation
    if not seen.repos.get(repo):
        return []
    key = f"discussions {repo}"
    if not seen.discussions.get(repo):
        return [
            Finding(
                key,
                ACTION,
                f"turn on Discussions at {plan.web_url}/{repo}/settings (Features), then "
                "create the categories below",
            )
        ]
    findings = [Finding(key, OK, "Discussions are on")]
    names = {c.name for c in (await admin.discussion_categories(repo)).categories}
    for category in filter(None, (plan.category, plan.archive_category)):
        ckey = f"discussion category {repo} {category!r}"
        if category in names:
            findings.append(Finding(ckey, OK, "exists"))
        else:
            # GitHub has no API to create a category.
            findings.append(
                Finding(
                    ckey,
                    ACTION,
                    f"create it (format: Open-ended discussion) at "
                    f"{plan.web_url}/{repo}/discussions/categories/new",
                )
            )
    return findings


# --------------------------------------------------------------------------- the App installation


def wanted_permissions(plan: Plan) -> dict[str, str]:
    wanted = dict(plan.manifest["default_permissions"])
    if plan.delete_intake_issues:
        extra = permissions.need("deleteIssue")
        wanted = permissions.union([permissions.Need(p, a) for p, a in wanted.items()] + [extra])
    return wanted


async def check_installation(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    key = f"app {plan.app_slug} installation"
    found = [
        i
        for i in await admin.installations(plan.org)
        if (plan.options.app_id is not None and i.app_id == plan.options.app_id)
        or i.app_slug == plan.app_slug
    ]
    if not found:
        return [
            Finding(
                key,
                ACTION,
                f"not installed on {plan.org}: register the App from .github/app-manifest.json "
                f"(with the deployment's URL), then install it at {plan.web_url}/apps/{plan.app_slug}"
                "/installations/new on all repositories",
            )
        ]
    inst = found[0]
    seen.app_id = inst.app_id
    findings = [Finding(key, OK, f"installed (App id {inst.app_id})")]
    wanted = wanted_permissions(plan)
    short = permissions.satisfies(inst.permissions, wanted)
    extra = sorted(set(inst.permissions) - set(wanted))
    pkey = f"app {plan.app_slug} permissions"
    if short or extra:
        parts = []
        if short:
            parts.append("missing " + ", ".join(f"{p}: {a}" for p, a in sorted(short.items())))
        if extra:
            parts.append("not used, remove " + ", ".join(extra))
        findings.append(
            Finding(
                pkey,
                ACTION,
                "; ".join(parts) + f" — set them as in .github/app-manifest.json "
                f"at {plan.web_url}/organizations/{plan.org}/settings/apps/{plan.app_slug}/permissions"
                f", then accept the change at {inst.html_url}",
            )
        )
    else:
        findings.append(Finding(pkey, OK, "match the manifest"))
    ekey = f"app {plan.app_slug} events"
    missing_events = sorted(set(plan.manifest["default_events"]) - set(inst.events))
    extra_events = sorted(set(inst.events) - set(plan.manifest["default_events"]))
    if missing_events or extra_events:
        detail = ", ".join(
            [*(f"subscribe to {e}" for e in missing_events), *(f"unsubscribe from {e}" for e in extra_events)]
        )
        findings.append(
            Finding(
                ekey,
                ACTION,
                f"{detail} at {plan.web_url}/organizations/{plan.org}/settings/apps/"
                f"{plan.app_slug}/permissions",
            )
        )
    else:
        findings.append(Finding(ekey, OK, "match the manifest"))
    return findings


# --------------------------------------------------------------------------- teams, labels, access


async def check_teams(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    findings = []
    for slug in plan.teams:
        key = f"team {plan.org}/{slug}"
        team_id = await admin.team_id(plan.org, slug)
        if team_id is None:
            findings.append(
                Finding(
                    key,
                    ACTION,
                    f"create the team and add its members at "
                    f"{plan.web_url}/orgs/{plan.org}/new-team (setup does not choose people)",
                )
            )
        else:
            seen.team_ids[slug] = team_id
            findings.append(Finding(key, OK, "exists"))
    return findings


def _label_fix(admin: AdminAdapter, spec: LabelSpec):
    async def fix() -> None:
        await admin.ensure_label(spec.repo, spec.name, spec.color, spec.description)

    return fix


async def check_labels(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    findings = []
    for spec in plan.labels:
        if not seen.repos.get(spec.repo):
            continue
        key = f"label {spec.repo} {spec.name!r}"
        label = await admin.find_label(spec.repo, spec.name)
        if label is None:
            findings.append(Finding(key, MISSING, "not there", _label_fix(admin, spec)))
        elif label.color.lower() != spec.color or (label.description or "") != spec.description:
            findings.append(Finding(key, MISSING, "colour or description differ", _label_fix(admin, spec)))
        else:
            findings.append(Finding(key, OK, "exists"))
    return findings


def _grant_fix(admin: AdminAdapter, plan: Plan, grant: Grant):
    async def fix() -> None:
        if grant.kind == "team":
            await admin.grant_team(plan.org, grant.name, grant.repo, grant.role)
        else:
            await admin.add_collaborator(grant.repo, grant.name, grant.role)

    return fix


async def _role(admin: AdminAdapter, plan: Plan, grant: Grant) -> str | None:
    if grant.kind == "team":
        return await admin.team_role(plan.org, grant.name, grant.repo)
    return await admin.user_role(grant.repo, grant.name)


async def check_access(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    findings = []
    invitations: dict[str, dict[str, str]] = {}
    for grant in plan.grants:
        if not seen.repos.get(grant.repo) or (grant.kind == "team" and grant.name not in seen.team_ids):
            continue
        key = f"access {grant.repo} {grant.kind} {grant.name}"
        role = await _role(admin, plan, grant)
        if role == grant.role:
            findings.append(Finding(key, OK, f"{role} ({grant.why})"))
            continue
        if at_least(role, grant.role):
            # More than the process gives: write on the cases would let a mediator push a workflow.
            findings.append(Finding(key, ACTION, f"has {role}, more than {grant.role} ({grant.why}): lower it "
                                                 f"at {plan.web_url}/{grant.repo}/settings/access"))
            continue
        if grant.kind == "user":
            if grant.repo not in invitations:
                invitations[grant.repo] = await admin.pending_invitations(grant.repo)
            if grant.name in invitations[grant.repo]:
                findings.append(
                    Finding(
                        key,
                        ACTION,
                        f"invited as {grant.role}: {grant.name} must accept at "
                        f"{plan.web_url}/{grant.repo}/invitations",
                    )
                )
                continue
        now = f"has {role}" if role else "has no access"
        findings.append(
            Finding(key, MISSING, f"{now}; needs {grant.role} ({grant.why})", _grant_fix(admin, plan, grant))
        )
    findings += await check_no_access(admin, plan, seen)
    return findings


async def check_no_access(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    """The roles that must not reach a repository (the SC and the core developers: the cases)."""
    findings = []
    for grant in plan.no_access:
        if not seen.repos.get(grant.repo) or (grant.kind == "team" and grant.name not in seen.team_ids):
            continue
        key = f"no access {grant.repo} {grant.kind} {grant.name}"
        role = await _role(admin, plan, grant)
        if role is None:
            findings.append(Finding(key, OK, f"none ({grant.why})"))
        else:
            findings.append(Finding(key, ACTION, f"has {role}; must have none ({grant.why}): remove it at "
                                                 f"{plan.web_url}/{grant.repo}/settings/access"))
    return findings


# --------------------------------------------------------------------------- the Steering Council's gate


async def _reviewers(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Reviewer] | None:
    role = plan.sc_role
    if role.team is not None:
        team_id = seen.team_ids.get(role.team)
        return None if team_id is None else [Reviewer("Team", team_id)]
    return [Reviewer("User", (await admin.get_user(login)).id) for login in role.users or ()]


async def check_environment(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    repo = plan.decisions
    if not seen.repos.get(repo):
        return []
    key = f"environment {repo} {SC_ENVIRONMENT}"
    where = f"{plan.web_url}/{repo}/settings/environments"
    if seen.private.get(repo) and seen.plan_name in PLANS_WITHOUT_PRIVATE_REVIEWERS:
        return [
            Finding(
                key,
                OK,
                f"fallback: the {seen.plan_name!r} plan cannot require reviewers on a private "
                f"repository, so the SC approves on the decision's issue in {plan.decisions} with "
                "`/conduct sc approve` or "
                f"`/conduct sc reject <reason>` ({plan.sc_quorum} approvals: process.approval.sc_quorum); "
                "GitHub Enterprise Cloud would allow the environment gate",
            )
        ]
    reviewers = await _reviewers(admin, plan, seen)
    if reviewers is None:
        return [Finding(key, ACTION, f"the Steering Council's team {plan.sc_role.team!r} must exist first")]
    if len(reviewers) > 6:
        return [Finding(key, ACTION, "GitHub allows at most 6 required reviewers: make the SC a team")]
    env = (await admin.environments(repo)).get(SC_ENVIRONMENT)

    async def fix() -> None:
        await admin.configure_environment(repo, SC_ENVIRONMENT, reviewers)

    if env is None:
        return [Finding(key, MISSING, "not there", fix)]
    wrong = []
    if set(env.reviewers) != set(reviewers):
        wrong.append("the SC are not exactly its required reviewers")
    if not env.prevent_self_review:
        wrong.append("self-review is allowed")
    if not env.protected_branches_only:
        wrong.append("any branch may deploy")
    findings = [
        Finding(key, MISSING, "; ".join(wrong), fix)
        if wrong
        else Finding(key, OK, "the SC are required reviewers; no self-review; protected branches only")
    ]
    bkey = f"environment {repo} {SC_ENVIRONMENT} admin bypass"
    if env.can_admins_bypass is False:
        findings.append(Finding(bkey, OK, "administrators cannot bypass the review"))
    else:
        # GitHub's REST description has no field to set it, so a person unticks it.
        state = "allowed" if env.can_admins_bypass else "not reported by GitHub"
        findings.append(
            Finding(
                bkey,
                ACTION,
                f'{state}: untick "Allow administrators to bypass configured '
                f'protection rules" for {SC_ENVIRONMENT} at {where}',
            )
        )
    return findings


# --------------------------------------------------------------------------- files, variables, secrets


async def check_files(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    findings = []
    for spec in plan.files:
        if not seen.repos.get(spec.repo):
            continue
        key = f"file {spec.repo} {spec.path}"
        current = await admin.get_file(spec.repo, spec.path)
        if current is not None and current.text == spec.text:
            findings.append(Finding(key, OK, "up to date"))
            continue

        def fix(spec=spec, sha=current.sha if current else None):
            async def run() -> None:
                await admin.put_file(
                    spec.repo, spec.path, spec.text, f"conduct setup: install {spec.path}", sha
                )

            return run

        findings.append(
            Finding(key, MISSING, "not there" if current is None else "differs from this release's", fix())
        )
    if seen.repos.get(plan.intake):
        # The private forms are rendered by the desk: in the public repo they would publish private reports.
        for name in PRIVATE_FORMS:
            if name in PUBLIC_FORMS:
                continue
            path = f".github/ISSUE_TEMPLATE/{name}"
            if await admin.get_file(plan.intake, path) is not None:
                findings.append(
                    Finding(
                        f"file {plan.intake} {path}",
                        ACTION,
                        f"must not be public: delete it at {plan.web_url}/{plan.intake}/delete/main/{path}",
                    )
                )
    return findings


async def check_variables(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    findings = []
    for repo, values in plan.variables.items():
        if not seen.repos.get(repo):
            continue
        existing = await admin.variables(repo)
        for name, value in values.items():
            key = f"variable {repo} {name}"
            current = existing.get(name)
            if current == value:
                findings.append(Finding(key, OK, value))
                continue

            async def fix(repo=repo, name=name, value=value, exists=current is not None) -> None:
                await admin.set_variable(repo, name, value, exists)

            findings.append(
                Finding(key, MISSING, f"{'not set' if current is None else 'differs'}; will be {value}", fix)
            )
    return findings


async def check_secrets(admin: AdminAdapter, plan: Plan, seen: Seen) -> list[Finding]:
    """No App key or database URL in a repository's Actions secrets: anyone who can push a workflow can
    read them. The workflows prove themselves with OIDC tokens; the service holds every secret."""
    findings = []
    for repo in dict.fromkeys([plan.cases, plan.decisions]):
        if not seen.repos.get(repo):
            continue
        present = await admin.secret_names(repo)
        for name in plan.retired_secrets:
            key = f"secret {repo} {name}"
            if name not in present:
                findings.append(Finding(key, OK, "not stored: the workflows hold no secret"))
            else:
                findings.append(Finding(key, ACTION, f"delete it (the workflows no longer need it, and anyone "
                                                     f"with write access could read it): `gh secret delete {name} "
                                                     f"--repo {repo}` or {plan.web_url}/{repo}/settings/secrets/"
                                                     "actions"))
    return findings


__all__ = ["GitHubError", "Seen", "check_all", "wanted_permissions"]
