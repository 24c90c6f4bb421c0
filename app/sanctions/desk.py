"""What applying and lifting need: the GitHub port, the store, the policy, and the time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.policy import Policy
from app.github.port import GitHubPort
from app.service.once import Busy


@dataclass(frozen=True)
class Desk:
    github: GitHubPort
    store: object
    policy: Policy
    now: datetime

    @property
    def stale_before(self) -> datetime:
        """An apply or lift claimed before this died with its process, maybe after acting: another run takes
        it over (its steps are no-ops when repeated, its posts keyed). The store's claim timeout, two leases,
        as for every other claim."""
        return self.now - self.store.claim_timeout

    @property
    def org(self) -> str:
        return self.policy.roles.organization

    @property
    def cases_repo(self) -> str:
        return self.policy.roles.places.cases

    @property
    def decisions_repo(self) -> str:
        return self.policy.roles.places.decisions


class SanctionBusy(Busy):
    """Another run is applying or lifting this sanction right now; try again later (a Busy: the sweep runs
    again for it after a lease, and a delivery waits)."""


class CannotApply(Exception):
    """The sanction cannot be carried out as decided (e.g. an interaction limit on a case with no thread)."""
