"""Builds the service's parts from the environment, for `conduct serve` and the workflow commands."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.policy import Policy
from app.github.adapter import GitHubAdapter
from app.github.client import ClientOptions, WritePacer, app_bot_login, app_client
from app.notices.mailer import Mailer
from app.service.budget import WriteBudget
from app.service.casefile import Identity
from app.service.context import Context
from app.service.router import Router
from app.service.worker import Worker
from app.store import open_store
from app.wiring.policy_files import load_policy
from app.wiring.settings import Settings

NEEDED = ("CONDUCT_GITHUB_API_URL", "CONDUCT_APP_ID", "CONDUCT_APP_PRIVATE_KEY")


class NotConfigured(RuntimeError):
    """A command that talks to GitHub was run without the settings it needs; the message lists them."""


@dataclass
class Runtime:
    settings: Settings
    policy: Policy
    store: object
    github: GitHubAdapter
    me: Identity
    router: Router

    def context(self, now: datetime | None = None) -> Context:
        return Context.make(self.github, self.policy, self.store, self.me, now or datetime.now(UTC),
                            self.settings.public_url, self.mailer)

    def worker(self) -> Worker:
        """The delivery worker, with the lease and idle wake the settings name."""
        return Worker(self.store, self.router, lease=timedelta(seconds=self.settings.lease_seconds),
                      wake_every=self.settings.wake_seconds)

    @property
    def mailer(self) -> Mailer | None:
        return self.router.mailer


async def from_env(env: dict[str, str] | None = None) -> Runtime:
    env = dict(os.environ if env is None else env)
    missing = [name for name in NEEDED if not env.get(name)]
    if missing:
        raise NotConfigured("set " + ", ".join(missing) + " (for a local try, `conduct sandbox github` prints them)")
    settings = Settings.from_env(env)
    policy = load_policy(settings.policy_dir)
    store = open_store(settings.database_url)
    # Every claim on an effect (the executor's, `once`'s) is taken over after two leases, whoever reads it.
    store.claim_timeout = timedelta(seconds=2 * settings.lease_seconds)
    pacer = WritePacer(settings.write_interval)
    options = ClientOptions(api_version=settings.github_api_version, pacer=pacer)
    client, installation_id = await app_client(policy.roles.organization, int(settings.app_id),
                                               settings.app_private_key, settings.github_api_url, options)
    # One write budget per installation, shared through the store by every process of the service.
    pacer.budget = WriteBudget(store, installation_id)
    # The bot login from the App itself: a community's App may be named anything GitHub still had free.
    login = await app_bot_login(int(settings.app_id), settings.app_private_key, settings.github_api_url, options)
    github = GitHubAdapter(client, installation_id=installation_id, bot_login=login)
    me = Identity(int(settings.app_id), login)
    mailer = Mailer(settings.smtp) if settings.smtp else None
    return Runtime(settings, policy, store, github, me,
                   Router(github, policy, store, me, public_url=settings.public_url, mailer=mailer))
