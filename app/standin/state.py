"""The stand-in's in-memory world, with the helpers tests and the demo use to seed it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from . import events, ids
from .model import (
    App,
    Category,
    Comment,
    Edit,
    Environment,
    Fault,
    Grant,
    Installation,
    Issue,
    Label,
    Org,
    Repo,
    ReviewItem,
    Run,
    Team,
    User,
    Workflow,
    slugify,
)
from .shapes import Base
from .webhooks import WebhookDispatcher

# GitHub's default label set for a new repository.
DEFAULT_LABELS = (
    ("bug", "d73a4a", "Something isn't working"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("duplicate", "cfd3d7", "This issue or pull request already exists"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("invalid", "e4e669", "This doesn't seem right"),
    ("question", "d876e3", "Further information is requested"),
    ("wontfix", "ffffff", "This will not be worked on"),
)

# The categories GitHub creates when discussions are turned on for a repository.
DEFAULT_CATEGORIES = (
    ("Announcements", "📣", "Updates from maintainers", False),
    ("General", "💬", "Chat about anything and everything here", False),
    ("Ideas", "💡", "Share ideas for new features", False),
    ("Polls", "🗳️", "Take a vote from the community", False),
    ("Q&A", "🙏", "Ask the community for help", True),
    ("Show and tell", "🙌", "Show off something you've made", False),
)

FAULT_KINDS = ("error", "secondary_rate_limit", "timeout", "after_effect")


class SandboxError(Exception):
    """A seeding mistake by the caller (unknown org, duplicate name)."""


class SandboxState:
    """Everything the stand-in knows. Not thread-safe: one event loop owns it."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.jwt_clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._ids = itertools.count(1001)
        self.users: dict[str, User] = {}
        self.orgs: dict[str, Org] = {}
        self.repos: dict[str, Repo] = {}
        self.apps: dict[int, App] = {}
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, Grant] = {}
        self.emails: dict[str, list[dict]] = {}
        self.oauth_codes: dict[str, tuple[str, str]] = {}  # code -> (login, client_id)
        self.comments: dict[tuple[str, int], list[Comment]] = {}  # (repo, issue number) -> comments
        self.review_items: dict[int, ReviewItem] = {}  # inline review comments and reviews, by id
        self.faults: list[Fault] = []
        self.rate_used: dict[tuple[str, str], int] = {}
        # The REST API versions GitHub accepts in `X-GitHub-Api-Version`: github.com serves both calendar
        # versions; GitHub Enterprise Server 3.17-3.19 (the `/api/v3` prefix here) only 2022-11-28, as their
        # published descriptions show. Anything else is answered 400, as GitHub documents.
        self.api_versions: tuple[str, ...] = ("2022-11-28", "2026-03-10")
        self.ghes_api_versions: tuple[str, ...] = ("2022-11-28",)
        self.api_versions_seen: list[str | None] = []
        self.webhooks = WebhookDispatcher()
        # Webhooks raised by seeding helpers (no request) still need absolute URLs.
        self.base_url = "http://sandbox.test"
        self.oidc: object | None = None  # Actions' OIDC provider (oidc.py), made on first use

    # -- plumbing ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def next_id(self) -> int:
        return next(self._ids)

    def record_edit(self, target, old_text: str, new_text: str, editor: str) -> None:
        """Keep the edit history GitHub keeps for an issue's or comment's body: once edited, the first
        version (by its author, at creation) and each later one stay readable, newest last."""
        if not target.edits:
            target.edits.append(Edit(self.next_id(), target.user, target.created_at, old_text))
        target.edits.append(Edit(self.next_id(), editor, self.now(), new_text))

    # -- seeding helpers --------------------------------------------------------------------------
    def add_user(self, login: str, type: str = "User") -> User:
        if login in self.users:
            return self.users[login]
        new_id = self.next_id()
        prefix = {"Organization": "Organization", "Bot": "Bot"}.get(type, "User")
        user = User(new_id, ids.node_id(prefix, new_id), login, type, self.now())
        self.users[login] = user
        return user

    def add_org(self, login: str) -> Org:
        if login in self.orgs:
            return self.orgs[login]
        org = Org(self.add_user(login, type="Organization"))
        self.orgs[login] = org
        return org

    def add_org_member(self, org: str, login: str, role: str = "member") -> None:
        self.add_user(login)
        self._org(org).members[login] = role

    def add_team(self, org: str, slug: str, members: list[str] | tuple[str, ...] = ()) -> Team:
        owner = self._org(org)
        new_id = self.next_id()
        team = Team(new_id, ids.node_id("Team", new_id), org, slugify(slug), slug)
        owner.teams[team.slug] = team
        for login in members:
            self.add_org_member(org, login)
            team.members[login] = "member"
        return team

    def accept_invitations(self, org: str, login: str) -> list[str]:
        """`login` accepts every pending team invitation of `org` (joining the org); the teams joined."""
        owner = self._org(org)
        joined = [team for team in owner.teams.values() if login in team.pending]
        for team in joined:
            owner.members.setdefault(login, "member")
            team.members[login] = team.pending.pop(login)
        return [team.slug for team in joined]

    def add_repo(self, owner: str, name: str, private: bool = False, has_discussions: bool = False) -> Repo:
        if owner not in self.users:
            self.add_org(owner)  # repos here live in organisations; an unknown owner becomes one
        full = f"{owner}/{name}"
        if full in self.repos:
            raise SandboxError(f"repository {full} exists")
        new_id = self.next_id()
        repo = Repo(
            new_id, ids.node_id("Repository", new_id), owner, name, private, has_discussions, self.now()
        )
        for label_name, color, description in DEFAULT_LABELS:
            self.new_label(repo, label_name, color, description, default=True)
        if has_discussions:
            for cat_name, emoji, description, answerable in DEFAULT_CATEGORIES:
                self._new_category(repo, cat_name, emoji, description, answerable)
        self.repos[full] = repo
        return repo

    def add_discussion_category(
        self, repo: str, name: str, emoji: str = "🗄️", description: str = ""
    ) -> Category:
        return self._new_category(self.repo(repo), name, emoji, description, False)

    def add_environment(
        self,
        repo: str,
        name: str,
        reviewers: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
        prevent_self_review: bool = False,
        wait_timer: int = 0,
    ) -> Environment:
        """Reviewers are ("User", login) or ("Team", "org/slug")."""
        target = self.repo(repo)
        new_id = self.next_id()
        env = Environment(
            new_id,
            ids.node_id("Environment", new_id),
            target.full_name,
            name,
            self.now(),
            self.now(),
            list(reviewers),
            prevent_self_review,
            wait_timer,
        )
        target.environments[name] = env
        return env

    def add_workflow(
        self, repo: str, path: str, name: str | None = None, environment: str | None = None
    ) -> Workflow:
        """Declare `.github/workflows/<path>`; runs of a workflow with an environment wait for review."""
        target = self.repo(repo)
        new_id = self.next_id()
        wf = Workflow(
            new_id,
            ids.node_id("Workflow", new_id),
            target.full_name,
            path,
            name or path.rsplit(".", 1)[0],
            environment,
            self.now(),
        )
        target.workflows[path] = wf
        return wf

    def register_app(
        self,
        app_id: int,
        public_key_pem: str | bytes,
        slug: str = "conduct-desk",
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> App:
        pem = public_key_pem.decode() if isinstance(public_key_pem, bytes) else public_key_pem
        app = App(app_id, slug, pem, f"{slug}[bot]", client_id, client_secret)
        self.add_user(app.bot, type="Bot")
        self.apps[app_id] = app
        return app

    def install_app(self, app_id: int, org: str, installation_id: int) -> Installation:
        if app_id not in self.apps:
            raise SandboxError(f"app {app_id} is not registered")
        if org not in self.users:
            self.add_org(org)
        inst = Installation(installation_id, app_id, org, self.now())
        self.installations[installation_id] = inst
        return inst

    def user_token(self, login: str, app_id: int | None = None) -> str:
        """An OAuth user token (`gho_…`) acting as `login`, as the web flow would give."""
        self.add_user(login)
        value = ids.token("gho_")
        self.tokens[value] = Grant("user", login, None, None, app_id)
        return value

    def set_emails(self, login: str, *emails: str, primary: str | None = None, verified: bool = True) -> None:
        """The person's e-mail addresses on their account (GET /user/emails); the first is primary."""
        self.add_user(login)
        primary = primary or (emails[0] if emails else None)
        self.emails[login] = [{"email": e, "primary": e == primary, "verified": verified,
                               "visibility": "private" if e == primary else None} for e in emails]

    def installation_token(self, installation_id: int) -> str:
        inst = self.installations[installation_id]
        value = ids.token("ghs_")
        app = self.apps[inst.app_id]
        # Like a JWT, a token's lifetime is the client's (OS) time: githubkit refreshes it by that clock,
        # which a simulated stand-in clock (weeks later, on the path back) cannot move.
        self.tokens[value] = Grant("installation", app.bot, inst.id, self.jwt_clock() + timedelta(hours=1))
        return value

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int | None = None,
        *,
        times: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
        kind: str = "error",
    ) -> Fault:
        """Make the next `times` requests matching method and path fail the way GitHub fails."""
        if kind not in FAULT_KINDS:
            raise SandboxError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        fault = Fault(method.upper(), re.compile(path_regex), kind, status, times, retry_after, delay)
        self.faults.append(fault)
        return fault

    def schedule_run(self, repo: str, workflow: str) -> int:
        """Start a run of `workflow` as its `schedule:` trigger does (GitHub names no person; the owner acts)."""
        target = self.repo(repo)
        wf = target.workflows[workflow]
        new_id = self.next_id()
        number = 1 + sum(1 for r in target.runs.values() if r.workflow_id == wf.id)
        now = self.now()
        run = Run(new_id, ids.node_id("WorkflowRun", new_id), target.full_name, wf.id, number, "main",
                  target.owner, {}, now, now, status="in_progress", event="schedule")
        target.runs[run.id] = run
        return run.id

    def complete_run(self, repo: str, run_id: int, conclusion: str = "success") -> None:
        """Finish a workflow run (the stand-in runs no jobs) and send `workflow_run` `completed`."""
        target = self.repo(repo)
        run = target.runs[run_id]
        run.status, run.conclusion, run.updated_at = "completed", conclusion, self.now()
        wf = next(w for w in target.workflows.values() if w.id == run.workflow_id)
        b = Base(self.base_url, self.base_url)
        events.emit(
            self,
            b,
            "workflow_run",
            "completed",
            target,
            run.actor,
            workflow=events.workflow_json(b, target, wf),
            workflow_run=events.run_json(self, b, target, run),
        )

    async def drain_webhooks(self) -> None:
        await self.webhooks.drain()

    @property
    def deliveries(self) -> list:
        return self.webhooks.log

    # -- lookups ----------------------------------------------------------------------------------
    def repo(self, full_name: str) -> Repo:
        try:
            return self.repos[full_name]
        except KeyError:
            raise SandboxError(f"no repository {full_name}") from None

    def _org(self, login: str) -> Org:
        try:
            return self.orgs[login]
        except KeyError:
            raise SandboxError(f"no organization {login}") from None

    def installation_for(self, account: str) -> Installation | None:
        return next((i for i in self.installations.values() if i.account == account), None)

    def new_label(
        self, repo: Repo, name: str, color: str, description: str | None, default: bool = False
    ) -> Label:
        new_id = self.next_id()
        label = Label(new_id, ids.node_id("Label", new_id), name, color.lower(), description, default)
        repo.labels[name.lower()] = label
        return label

    def _new_category(
        self, repo: Repo, name: str, emoji: str, description: str, answerable: bool
    ) -> Category:
        new_id = self.next_id()
        cat = Category(
            new_id,
            ids.node_id("DiscussionCategory", new_id),
            repo.full_name,
            name,
            slugify(name),
            emoji,
            description,
            self.now(),
            answerable,
        )
        repo.categories.append(cat)
        return cat

    def find_issue(self, issue_id: int):
        for repo in self.repos.values():
            for issue in repo.issues.values():
                if issue.id == issue_id:
                    return repo, issue
        return None

    def find_comment(self, comment_id: int):
        for repo in self.repos.values():
            for issue in repo.issues.values():
                for comment in self.comments_of(repo, issue.number):
                    if comment.id == comment_id:
                        return repo, issue, comment
        return None

    def comments_of(self, repo: Repo, number: int) -> list[Comment]:
        return self.comments.setdefault((repo.full_name, number), [])

    def add_pull(self, repo: str, title: str, user: str) -> Issue:
        """A pull request opened by `user` (as a fork's branch would be: the stand-in keeps no code)."""
        found = self.repo(repo)
        new_id = self.next_id()
        now = self.now()
        pull = Issue(new_id, ids.node_id("PullRequest", new_id), found.full_name, found.next_number, title, "", user,
                     now, now, pull=True)
        found.next_number += 1
        found.issues[pull.number] = pull
        return pull

    def add_review_comment(self, repo: str, pull_number: int, user: str, body: str, item_id: int | None = None):
        """An inline review comment already on a pull request (seeded: no webhook is sent)."""
        new_id = item_id if item_id is not None else self.next_id()
        item = ReviewItem(new_id, ids.node_id("PullRequestReviewComment", new_id), repo, pull_number, "comment",
                          user, body, self.now())
        self.review_items[new_id] = item
        return item

    def find_review_item(self, item_id: int):
        item = self.review_items.get(item_id)
        return (self.repos[item.repo], item) if item is not None else None

    def find_discussion(self, discussion_id: int):
        for repo in self.repos.values():
            for disc in repo.discussions.values():
                if disc.id == discussion_id:
                    return repo, disc
        return None

    def find_discussion_comment(self, comment_id: int):
        for repo in self.repos.values():
            for disc in repo.discussions.values():
                for comment in disc.comments:
                    if comment.id == comment_id:
                        return repo, disc, comment
        return None

    # -- access -----------------------------------------------------------------------------------
    def add_collaborator(self, repo: str, login: str, permission: str = "write") -> None:
        """Direct access to one repository, as an outside collaborator (professional mediators) has."""
        self.add_user(login)
        self.repo(repo).collaborators[login] = permission

    def grant_team(self, repo: str, team_slug: str, permission: str = "read") -> None:
        self.repo(repo).team_access[team_slug] = permission

    def can_see_repo(self, grant: Grant, repo: Repo) -> bool:
        if not repo.private:
            return True
        if grant.kind == "installation":
            inst = self.installations.get(grant.installation_id or -1)
            return inst is not None and inst.account == repo.owner
        if grant.login == repo.owner or grant.login in repo.collaborators:
            return True
        org = self.orgs.get(repo.owner)
        if org is None or grant.login not in org.members:
            return False
        if org.members[grant.login] == "admin" or org.base_permission != "none":
            return True
        return any(grant.login in org.teams[slug].members for slug in repo.team_access if slug in org.teams)

    def can_admin_org(self, grant: Grant, org: str) -> bool:
        if grant.kind == "installation":
            inst = self.installations.get(grant.installation_id or -1)
            return inst is not None and inst.account == org
        target = self.orgs.get(org)
        return target is not None and target.members.get(grant.login) == "admin"

    def can_write(self, grant: Grant, repo: Repo) -> bool:
        """Push and dispatch workflows: write or more directly, through a team, as owner; or the installation."""
        if grant.kind == "installation":
            inst = self.installations.get(grant.installation_id or -1)
            return inst is not None and inst.account == repo.owner
        strong = ("write", "maintain", "admin", "push")
        org = self.orgs.get(repo.owner)
        if repo.collaborators.get(grant.login) in strong or grant.login == repo.owner:
            return True
        if org is None or grant.login not in org.members:
            return False
        return (org.members[grant.login] == "admin" or org.base_permission in strong
                or any(repo.team_access.get(slug) in strong for slug, team in org.teams.items()
                       if grant.login in team.members))

    def can_triage(self, grant: Grant, repo: Repo) -> bool:
        """Label, lock, close others' issues: the owning org's members or its installation."""
        if grant.kind == "installation":
            inst = self.installations.get(grant.installation_id or -1)
            return inst is not None and inst.account == repo.owner
        if repo.collaborators.get(grant.login) in ("triage", "write", "maintain", "admin"):
            return True
        org = self.orgs.get(repo.owner)
        return grant.login == repo.owner or (org is not None and grant.login in org.members)
