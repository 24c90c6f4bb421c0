"""Posts a private context card on a person to a case, from the cases already on file that still weigh."""
from __future__ import annotations

from datetime import datetime

from app.core.case import Case
from app.core.context_card import Card, Contributions, context_card, standing_line
from app.core.policy import Policy
from app.github.port import GitHubPort
from app.render import render
from app.service import caseindex
from app.service.casefile import CaseFile, Identity


async def card_for(github: GitHubPort, store, policy: Policy, me: Identity, now: datetime, login: str,
                   exclude: str | None) -> Card:
    """The person's card: their activity in the watched repositories and the cases that still weigh."""
    activity = await github.activity(policy.roles.places.watched, login)
    # "Comments" on the card counts every issue or pull request they opened or commented on.
    contributions = Contributions(activity.first_at, activity.merged_prs, activity.authored + activity.commented)
    # The person's cases from the case index: no request, however many cases are on file.
    cases = await caseindex.cases_naming(github, store, policy.roles.places.cases, me, now, login)
    return context_card(login, cases, contributions, now, policy, exclude=exclude)


async def post_card(github: GitHubPort, store, policy: Policy, me: Identity, now: datetime, file: CaseFile,
                    login: str, key: str) -> str:
    card = await card_for(github, store, policy, me, now, login, exclude=file.case.code)
    comment = await github.create_comment(file.repo, file.number, render("context-card.md.j2", card.context()),
                                          key=key)
    return str(comment.id)


async def standing_lines(github: GitHubPort, store, policy: Policy, me: Identity, now: datetime, case: Case,
                         logins: tuple[str, ...]) -> dict[str, str]:
    """One line per subject for the voters and the SC: standing and prior outcomes that still weigh."""
    return {login: standing_line(await card_for(github, store, policy, me, now, login, exclude=case.code))
            for login in logins}
