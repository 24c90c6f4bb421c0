"""Who holds which role, from the policy's teams and lists, looked up once per delivery."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.core.events import MEDIATOR, SC, VOTER, Actor
from app.core.policy import Policy, Role
from app.github.port import GitHubPort

_ROLE_NAMES = {"mediators": MEDIATOR, "steering_council": SC, "voters": VOTER}


# How long a team's member list is trusted without GitHub saying it changed. A `membership` or `team`
# webhook drops it at once; this bounds the wait if such a webhook is lost.
MAX_AGE = timedelta(minutes=10)


class RoleBook:
    """Resolves roles lazily: for one delivery in memory, and across deliveries and processes from the
    store's cache (at most MAX_AGE old, dropped on `membership` and `team` webhooks)."""

    def __init__(self, github: GitHubPort, policy: Policy, store=None, now: datetime | None = None):
        self.github, self.policy, self.store, self.now = github, policy, store, now
        self._members: dict[str, frozenset[str]] = {}

    async def members(self, name: str) -> frozenset[str]:
        if name not in self._members:
            role: Role = getattr(self.policy.roles.roles, name)
            if role.users is not None:
                found = frozenset(role.users)
            else:
                found = await self._team(role.team)
            self._members[name] = found
        return self._members[name]

    async def _team(self, slug: str) -> frozenset[str]:
        org = self.policy.roles.organization
        key = f"team:{org}/{slug}"
        cache = self.store if self.store is not None and self.now is not None and \
            hasattr(self.store, "cached_members") else None
        if cache is not None:
            found = cache.cached_members(key, self.now - MAX_AGE)
            if found is not None:
                return found
        found = frozenset(await self.github.team_members(org, slug))
        if cache is not None:
            cache.cache_members(key, found, self.now)
        return found

    async def actor(self, login: str) -> Actor:
        roles = {role for name, role in _ROLE_NAMES.items() if login in await self.members(name)}
        return Actor(login, frozenset(roles))

    async def mention(self, name: str = "mediators") -> str:
        """How to notify a role inside the private repo: the team, or each listed account."""
        role: Role = getattr(self.policy.roles.roles, name)
        if role.team is not None:
            return f"@{self.policy.roles.organization}/{role.team}"
        return " ".join(f"@{login}" for login in role.users or ())
