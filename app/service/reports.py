"""Posts a transparency report as a discussion in the public category the policy names."""
from __future__ import annotations

from app.service.context import Context


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
