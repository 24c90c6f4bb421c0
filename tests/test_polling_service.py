"""Publishing a poll's result: once, then the discussion closed and locked; a large record is linked."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

from app.github.adapter import with_marker
from app.service.polling import MAX_COMMENT, publish


@dataclass
class Forum:
    comments: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)

    async def add_discussion_comment(self, discussion_id, body, key=None):
        body = body if key is None else with_marker(body, key)
        assert len(body) <= 65_536, "GitHub would refuse this comment"
        self.comments.append(body)
        return SimpleNamespace(url=f"https://forum/{len(self.comments)}")

    async def find_discussion_comment(self, discussion_id, key):
        found = [n for n, body in enumerate(self.comments, 1) if f"conduct-desk:key={key} " in body]
        return SimpleNamespace(url=f"https://forum/{found[0]}") if found else None

    async def close_discussion(self, discussion_id, reason):
        self.closed.append(discussion_id)

    async def lock(self, lockable_id, reason=None):
        self.locked.append(lockable_id)


def result_with(ballots: int) -> str:
    return json.dumps({"outcome": "warning", "totals": {"no-action": 0, "warning": ballots, "abstain": 0},
                       "options": [{"id": "no-action", "severity": 0}, {"id": "warning", "severity": 1}],
                       "signed_count": ballots,
                       "ballots": [{"receipt": f"{n:064x}", "choice": "warning"} for n in range(ballots)],
                       "electorate_size": ballots, "quorum": "1/2", "threshold": "2/3", "rule": "severity-threshold"})


def context(store, forum):
    store.claim_effect("discussion:C-2026-001/1")
    store.complete_effect("discussion:C-2026-001/1", json.dumps({"id": "D_1", "url": "https://forum/d/1"}))
    return SimpleNamespace(store=store, github=forum, now=datetime(2026, 5, 1, tzinfo=UTC),
                           public_url="https://desk.example")


def test_a_result_is_posted_once_and_the_discussion_closed_and_locked(store):
    forum = Forum()
    ctx = context(store, forum)
    asyncio.run(publish(ctx, "C-2026-001/1", result_with(5)))
    asyncio.run(publish(ctx, "C-2026-001/1", result_with(5)))
    assert len(forum.comments) == 1 and '"outcome": "warning"' in forum.comments[0]
    comment = forum.comments[0]
    assert "| `warning` | 5 | 5 of 5 |" in comment and "| `no-action` | 0 | 5 of 5 (no-action or stronger) |" in comment
    assert forum.closed == ["D_1"] and forum.locked == ["D_1"]


def test_a_record_too_large_for_a_comment_is_linked_instead(store):
    forum = Forum()
    big = result_with(1000)
    assert len(big) > MAX_COMMENT
    asyncio.run(publish(context(store, forum), "C-2026-001/1", big))
    (body,) = forum.comments
    assert "https://desk.example/ballot/C-2026-001-1/result.json" in body and big not in body
