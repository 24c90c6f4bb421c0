"""What applying and lifting need: the GitHub port, the store, the policy, and the time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.policy import Policy
from app.github.port import GitHubPort

# An apply begun longer ago than this and never finished died with its process (the approval job's
# timeout is 15 minutes); another run may take it over.
STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Desk:
    github: GitHubPort
    store: object
    policy: Policy
    now: datetime

    @property
    def org(self) -> str:
        return self.policy.roles.organization

    @property
    def cases_repo(self) -> str:
        return self.policy.roles.places.cases

    @property
    def decisions_repo(self) -> str:
        return self.policy.roles.places.decisions


class SanctionBusy(Exception):
    """Another run is applying or lifting this sanction right now; try again later."""


class CannotApply(Exception):
    """The sanction cannot be carried out as decided (e.g. an interaction limit on a case with no thread)."""
