"""The decision as the SC reads it: one issue in the decisions repository, never a report or a case link."""
from __future__ import annotations

import re

from app.core.case import Case
from app.core.durations import format_duration
from app.core.policy import Policy
from app.core.summary import PART_TITLES
from app.github.port import Comment, GitHubPort
from app.service.once import first_try, once, remember


def fenced(text: str) -> str:
    """`text` in a code fence longer than any run of backticks in it, so none of it renders as Markdown."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def body(case: Case, decision_id: str, policy: Policy) -> str:
    """What the SC decides on: the decision, the poll's totals and the mediators' summary."""
    decision = case.decision(decision_id)
    if decision is None:
        return f"## Decision {decision_id}\n\nNo such decision is waiting."
    lines = [f"Case:      {case.code}", f"Decision:  {decision.id}" + (" (urgent, until the poll decides)"
                                                                       if decision.urgent else ""),
             f"Action:    {decision.action}", f"Subject:   {decision.subject}",
             f"Duration:  {format_duration(decision.duration)}"]
    if case.standing.get(decision.subject):
        lines.append(f"Standing:  {case.standing[decision.subject]}")
    if decision.poll:
        totals = ", ".join(f"{option} {count}" for option, count in decision.totals.items())
        lines.append(f"Poll:      {decision.poll}: {totals or 'no totals recorded'}")
    parts = [f"## Decision {decision.id}", fenced("\n".join(lines)), *summary_parts(case)]
    quorum = policy.process.approval.sc_quorum
    parts.append(f"Approve by reviewing the `steering-council` deployment of this decision's SC approval run, "
                 f"or, where the plan has no required reviewers, with `/conduct sc approve` here ({quorum} SC "
                 "members), `/conduct sc reject REASON` to send it back to the mediators.")
    return "\n\n".join(parts) + "\n"


def summary_parts(case: Case) -> list[str]:
    """The mediators' summary, part by part, each fenced (the action points are the decision itself)."""
    parts: list[str] = []
    if case.summary is not None:
        for part, title in PART_TITLES.items():
            if part != "action_points":
                parts += [f"### {title}", fenced(getattr(case.summary, part) or "(not written)")]
    return parts


async def open_once(github: GitHubPort, store, policy: Policy, case: Case, decision_id: str) -> int:
    """Open the decision's issue in the decisions repository (once per decision); its number."""
    repo = policy.roles.places.decisions

    async def create() -> str:
        # An earlier attempt (a worker that died after GitHub created it) may have made it: look first.
        issue = await github.create_issue(repo, f"Decision {decision_id}", body(case, decision_id, policy), [],
                                          key=f"decision:{decision_id}",
                                          look_first=not first_try(store, f"tried:decision-issue:{decision_id}"))
        return str(issue.number)

    number = int(await once(store, f"decision-issue:{decision_id}", create, busy="raise"))
    remember(store, f"issue-decision:{number}", decision_id)
    return number


def decision_of(store, number: int) -> str | None:
    """The decision an issue of the decisions repository is for (None for any other issue)."""
    return store.effect_result(f"issue-decision:{number}")


async def sc_comments(github: GitHubPort, store, policy: Policy, decision_id: str) -> tuple[Comment, ...]:
    """The comments on the decision's issue: where the SC writes `/conduct sc approve` (GitHub vouches for
    each comment's author). None before the issue exists."""
    number = store.effect_result(f"decision-issue:{decision_id}")
    if not number:
        return ()
    return tuple(await github.list_comments(policy.roles.places.decisions, int(number)))
