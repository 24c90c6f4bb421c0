"""The demo's world with a fault proxy in front of the stand-in, a few healing sweeps, and its final state."""
from __future__ import annotations

import asyncio
import io
import re
import tempfile
from pathlib import Path

from app.core.state_block import decode
from app.entry.demo import play
from app.standin.proxy import FaultProxy
from app.store import open_store
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
HEALING_SWEEPS = 3
# Ids, times and run numbers depend on when a retry happened; what happened does not.
_VOLATILE = [
    (re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.S), "<pem>"),
    (re.compile(r"[A-Za-z0-9_+/=-]{32,}"), "<blob>"),  # tokens, signatures, receipts, keyed hashes
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})?( UTC)?"), "<time>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "<date>"),
    (re.compile(r"(issuecomment-|discussioncomment-|/runs/|#)\d+"), r"\1<n>"),
    (re.compile(r"demo-\d+(\.\d+)?"), "demo-<t>"),  # the script's own keys carry the (shifted) clock
    (re.compile(r"tick\.\d+:[0-9a-f]{16}"), "tick.<due>"),  # a timer's key names the state it fired from
    (re.compile(r"([:/])\d{4,}\b"), r"\1<n>"),  # comment and node ids inside a detail or a link
    (re.compile(r"<!-- conduct-desk:state .*?-->", re.S), "<state>"),
]
# The notes that report a fault on its case (and say when it healed) exist only because of the fault.
FAULT_NOTES = ("could not finish", "has not finished yet", "has now finished")


def plain(text: str | None) -> str:
    """The text without what differs from run to run; its lines sorted (a poll's ballots are in token order)."""
    text = text or ""
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return "\n".join(sorted(line.rstrip(",") for line in text.splitlines()))


def _case(body: str) -> dict:
    case = decode(body).model_dump(mode="json")

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("applied",)}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return plain(value) if isinstance(value, str) else value

    found = strip(case)
    # A retried step lands later, so timers may fire before or after it: the same entries, in another order.
    found["history"] = sorted(found.get("history") or [], key=repr)
    return found


def final_state(world) -> dict:
    """Issues, comments, labels, discussions, blocks, teams and each case's state, without ids and times."""
    state = world.state
    found: dict = {"repos": {}, "cases": {}}
    for name, repo in sorted(state.repos.items()):
        issues = {}
        for number, issue in sorted(repo.issues.items()):
            comments = []
            for comment in state.comments_of(repo, number):
                if "conduct-desk:state" in comment.body:
                    found["cases"][f"{name}#{number}"] = _case(comment.body)
                    continue
                if any(note in comment.body for note in FAULT_NOTES):
                    continue
                comments.append((comment.user, plain(comment.body), comment.minimized,
                                 sorted((r.user, r.content) for r in comment.reactions)))
            issues[number] = {"title": issue.title, "body": plain(issue.body), "state": issue.state,
                              "labels": sorted(issue.labels), "locked": issue.locked,
                              "assignees": sorted(issue.assignees), "comments": sorted(comments)}
        discussions = {d.title: {"state": d.state, "locked": d.locked, "category": d.category_id,
                                 "body": plain(d.body), "comments": sorted(plain(c.body) for c in d.comments)}
                       for d in repo.discussions.values()}
        # Dispatched runs; the scheduled sweeps (no inputs) are as many as the clock allowed.
        runs = sorted((r.workflow_id, sorted(r.inputs.items())) for r in repo.runs.values() if r.inputs)
        found["repos"][name] = {"issues": issues, "discussions": discussions, "runs": runs}
    found["orgs"] = {login: {"blocks": sorted(org.blocks), "members": sorted(org.members),
                             "teams": {slug: sorted(t.members) for slug, t in sorted(org.teams.items())}}
                     for login, org in sorted(state.orgs.items())}
    return found


async def heal(script, times: int = HEALING_SWEEPS, every: dict | None = None) -> None:
    """Nobody acts: time passes, the worker retries what it deferred, the scheduled sweep runs."""
    for _ in range(times):
        script.clock.advance(**(every or {"minutes": 15}))
        await script.world.settle()
        try:
            await script.sweep()
        except Exception:  # noqa: BLE001 - a sweep that failed is the next one's to finish
            pass
        await script.world.settle()


async def demo_with(proxy_args: dict, db: str | None = None):
    """Run the demo through a FaultProxy(**proxy_args), then the healing sweeps; return (state, proxy, world).

    After a step in which a fault happened, the scheduled sweep (every 15 minutes) runs twice before the
    next person acts, as it would in the hours between their steps."""
    box: dict = {"seen": 0}

    def wrap(inner):
        box["proxy"] = FaultProxy(inner, **proxy_args).arm()
        return box["proxy"]

    async def between(script) -> None:
        if len(box["proxy"].log) > box["seen"]:
            box["seen"] = len(box["proxy"].log)
            await heal(script, times=2)

    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(db or f"sqlite:///{scratch}/heal.sqlite3")
        try:
            world, _clock, script = await play(io.StringIO(), False, POLICY, store, wrap_transport=wrap,
                                               between=between)
            await heal(script, every={"hours": 1})
            return final_state(world), box["proxy"], world
        finally:
            store.close() if hasattr(store, "close") else None


def differences(expected: dict, got: dict, lines: int = 40) -> str:
    """What differs, as a unified diff of the two states, for an assertion's message."""
    import difflib
    import pprint

    a, b = (pprint.pformat(x, width=150).splitlines() for x in (expected, got))
    return "\n".join(list(difflib.unified_diff(a, b, lineterm="", n=1))[:lines])


def run(coro):
    return asyncio.run(coro)
