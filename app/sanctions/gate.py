"""The SC's gate: nothing is applied unless the case records an approval that GitHub itself vouches for."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from app.core import approval
from app.core.case import Case, Decision
from app.core.commands import Command, parse_commands
from app.core.policy import Policy
from app.github.port import Comment, RunReview
from app.sanctions.reviews import ENVIRONMENT

CLOCK_SKEW = timedelta(minutes=1)


class NotApproved(Exception):
    """The decision may not be applied; the message says why, and names no one but logins."""


def environment_approvers(reviews: Iterable[RunReview], environment: str = ENVIRONMENT) -> frozenset[str]:
    """Who approved the run on the SC's environment (a later rejection by the same person cancels theirs)."""
    approved: set[str] = set()
    for review in reviews:
        if environment not in review.environments:
            continue
        if review.state == "approved":
            approved.add(review.user)
        elif review.state == "rejected":
            approved.discard(review.user)
    return frozenset(approved)


def command_approvers(comments: Iterable[Comment], since: datetime) -> frozenset[str]:
    """Who wrote a `/conduct sc approve` comment on the case after `since` (when the decision was asked
    for, less a minute of clock skew): GitHub vouches for a comment's author, while the state block only
    says what the app wrote down. An approval of an earlier decision does not count for a later one."""
    found = set()
    for comment in comments:
        if comment.created_at < since - CLOCK_SKEW:
            continue
        for item in parse_commands(comment.body):
            if isinstance(item, Command) and item.verb == "sc" and item.args[:1] == ("approve",):
                found.add(comment.author)
    return frozenset(found)


def check(case: Case, decision_id: str, policy: Policy, sc_members: frozenset[str], *,
          environment: frozenset[str] = frozenset(), commands: frozenset[str] = frozenset()) -> Decision:
    """The approved decision, or NotApproved.

    Approved means: the decision is this case's, the case (read from the app's own comment) records an
    approval, and `sc_quorum` of its approvers count under the one rule (app/core/approval.py: SC members
    *now*, neither parties nor recused) with evidence from GitHub for each: their review of the
    environment on the decision's own run (`environment`, from that run's review history) or a
    `/conduct sc approve` comment they wrote (`commands`). The path does not matter, the count does."""
    if not decision_id.startswith(f"{case.code}-d"):
        raise NotApproved(f"{decision_id} is not a decision of {case.code}")
    decision = case.decision(decision_id)
    if decision is None:
        raise NotApproved(f"{case.code} has no decision {decision_id} (rejected, expired or never made)")
    if decision.approved_at is None or decision.ends_at is None:
        raise NotApproved(f"{decision_id} has no recorded SC approval")
    approvers = approval.counted(case, decision, decision.approved_by, sc_members)
    vouched = tuple(login for login in approvers if login in environment or login in commands)
    quorum = policy.process.approval.sc_quorum
    if approval.quorum_met(vouched, quorum):
        return decision
    raise NotApproved(
        f"{decision_id} lacks an approval GitHub vouches for: {quorum} eligible SC members are needed, each "
        f"through the `{ENVIRONMENT}` environment review of the decision's own run or `/conduct sc approve` "
        f"({len(vouched)} so far)"
    )
