"""The embedded default: a local GitHub stand-in seeded from the policy, and the service wired to it."""
from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.core.policy import Policy
from app.github.adapter import GitHubAdapter
from app.github.client import ClientOptions, WritePacer, app_bot_login, app_client, token_client
from app.service.budget import WriteBudget
from app.service.casefile import Identity
from app.service.context import Context
from app.service.router import Router
from app.standin import SandboxState, create_app
from app.web.oidc import Verifier, json_getter
from app.web.server import create_app as create_service
from app.web.workflow_calls import WorkflowCalls

API = "http://github.local/"
APP_ID = 4242
INSTALLATION_ID = 77
APP_SLUG = "conduct-desk"
SERVICE_URL = "http://service.local"
ISSUER = API.rstrip("/") + "/_services/token"  # the stand-in's Actions OIDC issuer (like GHES's)


@dataclass(frozen=True)
class People:
    """The accounts the local organisation starts with, named by role."""

    reporters: tuple[str, ...] = ("reporter-1", "reporter-2", "reporter-3")
    participants: tuple[str, ...] = ("participant-1", "participant-2", "participant-3")
    voters: tuple[str, ...] = tuple(f"voter-{n}" for n in range(1, 7))
    sc: tuple[str, ...] = ("sc-1", "sc-2", "sc-3")


def seed(state: SandboxState, policy: Policy, people: People = People()) -> None:
    """Create the org, repos, teams and users the policy names, as a fresh GitHub org would have them."""
    org = policy.roles.organization
    state.add_org(org).base_permission = "none"  # private repos are seen only by those given access
    places = policy.roles.places
    state.add_repo(*places.intake.split("/"), private=False)
    state.add_repo(*places.cases.split("/"), private=True)
    state.add_repo(*places.deliberation.repo.split("/"), private=True, has_discussions=True)
    state.add_discussion_category(places.deliberation.repo, places.deliberation.category)
    if places.deliberation.archive_category:
        state.add_discussion_category(places.deliberation.repo, places.deliberation.archive_category)
    state.add_repo(*places.decisions.split("/"), private=True)
    for repo in places.watched:
        state.add_repo(*repo.split("/"), private=False)
    everyone = {*people.reporters, *people.participants, *people.voters, *people.sc}
    roles = policy.roles.roles
    for name, extra in (("mediators", ()), ("voters", people.voters), ("steering_council", people.sc)):
        role = getattr(roles, name)
        members = tuple(role.users) if role.users is not None else extra
        everyone.update(members)
        if role.team is not None:
            for login in members:
                state.add_user(login)
                state.add_org_member(org, login)
            state.add_team(org, role.team, list(members))
    for login in sorted(everyone):
        state.add_user(login)
    for workflow, repo in (("poll-open.yml", places.cases), ("sweep.yml", places.cases),
                           ("report.yml", places.cases), ("sc-approval.yml", places.decisions)):
        found = state.add_workflow(repo, workflow,
                                   environment="steering-council" if workflow == "sc-approval.yml" else None)
        found.run_name = _run_name(workflow)
    sc = roles.steering_council
    reviewers = [("Team", f"{org}/{sc.team}")] if sc.team else [("User", login) for login in sc.users or ()]
    state.add_environment(places.decisions, "steering-council", reviewers=reviewers, prevent_self_review=True)
    # As `conduct setup` grants them (app/setup/plan.py): each audience reads its own place only.
    _grant(state, places.cases, roles.mediators, "triage")
    _grant(state, places.deliberation.repo, roles.voters, "triage")
    _grant(state, places.decisions, roles.steering_council, "read")


def _run_name(workflow: str) -> str | None:
    """The `run-name:` of one of this project's workflows, as GitHub would show it for each run."""
    path = Path(__file__).resolve().parents[2] / ".github" / "workflows" / workflow
    if not path.exists():
        return None
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("run-name")


def _grant(state: SandboxState, repo: str, role, permission: str) -> None:
    if role.team is not None:
        state.grant_team(repo, role.team, permission)
    for login in role.users or ():
        state.add_collaborator(repo, login, permission)


MANIFEST = Path(__file__).resolve().parents[2] / ".github" / "app-manifest.json"


def install(state: SandboxState, policy: Policy) -> None:
    """Install the App on the org with exactly the permissions and events its manifest asks for."""
    found = state.install_app(APP_ID, policy.roles.organization, INSTALLATION_ID)
    if MANIFEST.exists():
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
        found.permissions = dict(manifest["default_permissions"])
        found.events = list(manifest["default_events"])


def app_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def workflow_calls(policy: Policy, store, github: GitHubAdapter, router: Router, now: Callable[[], datetime],
                   public_url: str, transport: httpx.AsyncBaseTransport) -> WorkflowCalls:
    """The service's workflow endpoints, checking OIDC tokens against the stand-in's issuer."""
    return WorkflowCalls(Verifier(public_url, json_getter(transport), issuer=ISSUER), policy,
                         lambda: Context.make(github, policy, store, router.me, now(), public_url, router.mailer),
                         router.apply,
                         public_url)


@dataclass
class LocalWorld:
    """Everything in one process: the stand-in, the service, and clients acting as each person."""

    policy: Policy
    store: object
    state: SandboxState
    sandbox_app: object
    service_app: object
    github: GitHubAdapter
    router: Router
    now: Callable[[], datetime]
    _options: ClientOptions = field(repr=False, default=None)
    webhook_secret: str = field(repr=False, default="")

    def as_user(self, login: str) -> GitHubAdapter:
        """A client acting as `login`, so that what they do reaches the service as GitHub's webhooks."""
        return GitHubAdapter(token_client(self.state.user_token(login), API, self._options))

    async def settle(self) -> None:
        """Wait until every webhook has been delivered and every delivery processed, repeatedly:
        processing a delivery can cause GitHub to send more."""
        worker = self.service_app.state.worker
        for _ in range(200):
            await self.state.drain_webhooks()
            await worker.wait_idle()
            handled = await worker.drain()
            await self.state.drain_webhooks()
            await worker.wait_idle()
            # Deliveries deferred until a rate limit resets stay queued; they are not work for now.
            if not handled and not self.state.webhooks.busy:
                return
            await asyncio.sleep(0)
        raise RuntimeError("the local world did not settle")


async def build_world(policy: Policy, store, now: Callable[[], datetime] | None = None,
                      people: People = People(), extra_routes: Iterable = (),
                      request_hook: Callable | None = None,
                      wrap_transport: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
                      app_slug: str = APP_SLUG, public_url: str = SERVICE_URL, mailer=None,
                      write_budget: bool = False) -> LocalWorld:
    now = now or (lambda: datetime.now(UTC))
    state = SandboxState(clock=now)
    seed(state, policy, people)
    private_key, public_key = app_key()
    state.register_app(APP_ID, public_key, slug=app_slug, client_id="Iv1.local",
                       client_secret=secrets.token_hex(16))
    install(state, policy)
    webhook_secret = secrets.token_hex(20)
    holder: dict = {}

    class ToService(httpx.AsyncBaseTransport):
        # The stand-in is built before the service exists; deliveries find the service through this.
        async def handle_async_request(self, request):
            return await httpx.ASGITransport(app=holder["service"]).handle_async_request(request)

    sandbox_app = create_app(state, webhook_url="http://service.local/webhooks/github",
                             webhook_secret=webhook_secret, webhook_transport=ToService())
    # Locally the clock may be simulated, so writes are not paced in real seconds.
    # The write budget (when asked for) runs on the world's clock: a write with no room is deferred, never
    # slept on. The demo leaves it off: its simulated hours pack more writes than GitHub allows in one.
    budget = WriteBudget(store, INSTALLATION_ID, clock=now, max_wait=timedelta(0)) if write_budget else None
    # People's own clients (as_user) are not the App: their writes do not spend its budget.
    options = ClientOptions(transport=httpx.ASGITransport(app=sandbox_app), pacer=WritePacer(0))
    app_transport = wrap_transport(options.transport) if wrap_transport else options.transport
    app_options = ClientOptions(transport=app_transport, pacer=WritePacer(0, budget=budget), clock=now,
                                event_hooks={"request": [request_hook]} if request_hook else None)
    client, _ = await app_client(policy.roles.organization, APP_ID, private_key, API, app_options)
    login = await app_bot_login(APP_ID, private_key, API, app_options)
    # The adapter reads the world's clock too: a rate limit's "retry at" must be in the time the worker
    # and the stand-in keep, or a simulated week would wait for a real minute (or the other way round).
    github = GitHubAdapter(client, clock=now, installation_id=INSTALLATION_ID, bot_login=login)
    router = Router(github, policy, store, Identity(APP_ID, login), now=now, public_url=public_url, mailer=mailer)
    calls = workflow_calls(policy, store, github, router, now, public_url, options.transport)
    service_app = create_service(secret=webhook_secret, store=store, handle=router,
                                 routes=[*calls.routes(), *extra_routes], now=now)
    calls.wake = service_app.state.worker.kick
    holder["service"] = service_app
    return LocalWorld(policy, store, state, sandbox_app, service_app, github, router, now, options, webhook_secret)
