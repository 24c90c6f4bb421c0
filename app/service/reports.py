"""Posts a transparency report as a discussion in the public category the policy names."""
from __future__ import annotations

from app.core.report import last_period
from app.render.report import render_report
from app.service.caseindex import all_cases
from app.service.context import Context
from app.service.once import once


async def post_report(ctx: Context, title: str, body: str) -> str:
    place = ctx.policy.roles.places.reports
    if place is None:
        raise ValueError("the policy names no places.reports (a public repository and discussion category)")
    found = await ctx.github.discussion_categories(place.repo)
    category = found.category(place.category)
    if category is None:
        raise ValueError(f"{place.repo} has no discussion category {place.category!r}; create it first")
    discussion = await ctx.github.create_discussion(found.repo_node_id, category.node_id, title, body)
    return discussion.url


async def post_period_report(ctx: Context, note: str = "") -> dict:
    """The scheduled report: the last whole period of the policy's grid, posted once however often asked."""
    start, end = last_period(ctx.now.date(), ctx.policy.process.report.period)
    # The mediators' notes written in the period (`/conduct report-note`), oldest first, then any given here.
    written = [text for key, text in ctx.store.results_with_prefix("report-note:")
               if start.isoformat() <= key.split(":", 1)[1][:10] < end.isoformat()]
    note = "\n\n".join([*written, *([note] if note.strip() else [])])

    async def post() -> str:
        cases = await all_cases(ctx.github, ctx.store, ctx.cases_repo, ctx.me)
        text = render_report(cases, ctx.policy, start, end, "md", note)
        return await post_report(ctx, f"Conduct report {start} to {end}", text)

    url = await once(ctx.store, f"report-posted:{start}:{end}", post, busy="raise")
    return {"period": f"{start}/{end}", "url": url}
