"""Posts the private context card for each person a new case names, from the cases already on file."""
from __future__ import annotations

from app.core.case import Case
from app.core.context_card import Contributions, context_card
from app.render import render
from app.service import casefile
from app.service.casefile import CaseFile
from app.service.context import Context
from app.service.once import once


async def all_cases(ctx: Context) -> list[Case]:
    """Every case's state, read from the cases repository (one listing and one read per case)."""
    found: list[Case] = []
    for issue in await ctx.github.list_issues(ctx.cases_repo, state="all"):
        if casefile.code_from_title(issue.title) is None:
            continue
        file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, issue.number, ctx.me)
        if file is not None:
            found.append(file.case)
    return found


async def post_cards(ctx: Context, file: CaseFile, logins: tuple[str, ...]) -> None:
    if not logins:
        return
    cases = await all_cases(ctx)
    for login in logins:
        key = f"{file.case.code}:card:{login}"

        async def post(login: str = login, key: str = key) -> str:
            activity = await ctx.github.activity(ctx.policy.roles.places.watched, login)
            # "Comments" on the card counts every issue or pull request they opened or commented on.
            contributions = Contributions(activity.first_at, activity.merged_prs,
                                          activity.authored + activity.commented)
            card = context_card(login, cases, contributions, ctx.now, ctx.policy, exclude=file.case.code)
            await ctx.github.create_comment(file.repo, file.number, render("context-card.md.j2", card.context()),
                                            key=key)
            return "posted"

        await once(ctx.store, key, post)
