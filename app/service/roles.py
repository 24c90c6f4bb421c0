"""Who holds which role, from the policy's teams and lists, looked up once per delivery."""
from __future__ import annotations

from app.core.events import MEDIATOR, SC, VOTER, Actor
from app.core.policy import Policy, Role
from app.github.port import GitHubPort

_ROLE_NAMES = {"mediators": MEDIATOR, "steering_council": SC, "voters": VOTER}


class RoleBook:
    """Resolves roles lazily and caches them for the life of one delivery (membership can change)."""

    def __init__(self, github: GitHubPort, policy: Policy):
        self.github, self.policy = github, policy
        self._members: dict[str, frozenset[str]] = {}

    async def members(self, name: str) -> frozenset[str]:
        if name not in self._members:
            role: Role = getattr(self.policy.roles.roles, name)
            if role.users is not None:
                found = frozenset(role.users)
            else:
                found = frozenset(await self.github.team_members(self.policy.roles.organization, role.team))
            self._members[name] = found
        return self._members[name]

    async def actor(self, login: str) -> Actor:
        roles = {role for name, role in _ROLE_NAMES.items() if login in await self.members(name)}
        return Actor(login, frozenset(roles))

    async def mention(self, name: str = "mediators") -> str:
        """How to notify a role inside the private repo: the team, or each listed account."""
        role: Role = getattr(self.policy.roles.roles, name)
        if role.team is not None:
            return f"@{self.policy.roles.organization}/{role.team}"
        return " ".join(f"@{login}" for login in role.users or ())
