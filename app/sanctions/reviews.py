"""The SC's environment reviews of a decision's own run, from its webhook or its review history, as one event."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from app.core.durations import parse_duration
from app.core.events import Actor, SCReviewed
from app.core.policy import Policy
from app.github.port import GitHubPort, RunReview

# The protected environment whose required reviewers are the SC (see .github/workflows/sc-approval.yml).
ENVIRONMENT = "steering-council"
# "shorten 2w" in a review's comment shortens the sanction (never lengthens it: the core checks).
_SHORTEN = re.compile(r"\bshorten\s+([1-9][0-9]{0,4}[hdw])\b", re.IGNORECASE)


def approval_place(policy: Policy) -> str:
    """The repository whose `steering-council` environment gates applying: the decisions place."""
    return policy.roles.places.decisions


def shorten_in(comment: str) -> timedelta | None:
    found = _SHORTEN.search(comment or "")
    return parse_duration(found.group(1)) if found else None


def event(run_id: int, decision: str, actor: Actor, approved: bool, comment: str) -> SCReviewed:
    """The core's event for one review. Its id is the same whether the webhook or the approval job brings
    it, so whichever comes second is recognised as applied already and changes nothing."""
    state = "approved" if approved else "rejected"
    return SCReviewed(f"sc-review:{run_id}:{actor.login}:{state}", actor, decision, approved, comment or "",
                      shorten_in(comment) if approved else None)


def on_environment(reviews: Iterable[RunReview], environment: str = ENVIRONMENT) -> tuple[RunReview, ...]:
    """The approvals and rejections of `environment` in a run's review history, oldest first."""
    return tuple(r for r in reviews if environment in r.environments and r.state in ("approved", "rejected"))


async def environment_history(github: GitHubPort, policy: Policy, run_id: int | None) -> tuple[RunReview, ...]:
    """The SC environment's reviews of the decision's own run, oldest first, with their comments
    (GitHub's `GET .../actions/runs/{run_id}/approvals` returns each review's comment)."""
    if run_id is None:
        return ()
    return on_environment(await github.run_reviews(approval_place(policy), run_id))
