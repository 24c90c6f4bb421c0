"""Listings never stop silently: past 50 pages they page on to the end, and a runaway is an error."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from app.github import adapter
from app.github.adapter import GitHubAdapter, TooManyPages


def pages_of(total: int):
    """GitHub's answers for a listing of `total` pages of one item each, with `Link: rel="next"` but the last."""
    asked: list[int] = []

    async def fetch(page: int):
        asked.append(page)
        link = f'<https://api.github.com/x?page={page + 1}>; rel="next"' if page < total else ""
        return SimpleNamespace(json=lambda: [{"n": page}], headers={"link": link})

    return fetch, asked


def test_a_listing_of_sixty_pages_is_read_to_the_end():
    fetch, asked = pages_of(60)
    items = asyncio.run(GitHubAdapter(None)._pages("issues/list-for-repo", fetch))
    assert [item["n"] for item in items] == list(range(1, 61)) and asked[-1] == 60


def test_a_listing_that_never_ends_is_an_error_not_a_cut(monkeypatch):
    monkeypatch.setattr(adapter, "MAX_PAGES", 5)
    fetch, _ = pages_of(10)
    with pytest.raises(TooManyPages):
        asyncio.run(GitHubAdapter(None)._pages("issues/list-for-repo", fetch))
