"""What every handler needs for one delivery: the port, policy, store, identity, roles and clock."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.policy import Policy
from app.github.port import GitHubPort
from app.notices.mailer import Mailer
from app.notices.notifier import Notifier
from app.service.casefile import Identity
from app.service.executor import Executor
from app.service.roles import RoleBook


@dataclass
class Context:
    github: GitHubPort
    policy: Policy
    store: object
    me: Identity
    now: datetime
    roles: RoleBook
    executor: Executor
    public_url: str = "http://127.0.0.1:8000"
    # E-mail notices (`await ctx.notices.notify(key, login, kind, link)`); without a mailer nothing is sent
    # and the outcome says so.
    notices: Notifier | None = None

    @classmethod
    def make(cls, github: GitHubPort, policy: Policy, store, me: Identity, now: datetime,
             public_url: str = "http://127.0.0.1:8000", mailer: Mailer | None = None) -> Context:
        roles = RoleBook(github, policy, store, now)
        # Sanctions are stamped with this delivery's `now`, which the demo and tests may simulate.
        notices = Notifier(store, mailer, public_url, clock=lambda: now)
        return cls(github, policy, store, me, now, roles,
                   Executor(github, store, roles, clock=lambda: now, notices=notices, me=me),
                   public_url, notices)

    @property
    def cases_repo(self) -> str:
        return self.policy.roles.places.cases
