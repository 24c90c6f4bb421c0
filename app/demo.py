"""`conduct demo`: scripted cases through the service, the adapter and the local GitHub stand-in."""
from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from app.core.events import Tick
from app.local import LocalWorld, build_world
from app.policy_files import load_policy
from app.service import casefile, intake
from app.service.context import Context
from app.store import open_store

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

SUMMARY_MISSING_PART = """/conduct summary
### What happened
In a review thread, participant-2 called another contributor's work worthless.
### Action points
- warning: personal-attack
"""

SUMMARY = """/conduct summary
### What happened
In a review thread, participant-2 called another contributor's work worthless, and kept replying to
them in three other threads after being asked to stop.
### Course of mediation
Both people were contacted privately. The reporter asked only that it stop. participant-2 declined to
talk and posted again the same day.
### Why mediation did not resolve it
The behaviour continued after a calm-down note and a private request from the mediators.
### Action points
- warning: personal-attack, harassment
- temporary-ban: harassment
"""


class Clock:
    """The demo's simulated clock, shared by the stand-in and the service: nothing reads real time."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Timeline:
    """What a reader sees: each step, then the stage changes and the app's posts it caused."""

    out: TextIO
    as_json: bool
    seen_entries: dict[str, int] = field(default_factory=dict)
    seen_comments: set[int] = field(default_factory=set)
    records: list[dict] = field(default_factory=list)

    def emit(self, record: dict) -> None:
        self.records.append(record)
        if self.as_json:
            self.out.write(json.dumps(record, sort_keys=True, default=str) + "\n")
            return
        if record["type"] == "step":
            self.out.write(f"\n{record['at'][:16].replace('T', ' ')}  {record['who']}: {record['what']}\n")
        elif record["type"] == "stage":
            self.out.write(f"{'':18}[{record['case']}] {record['from']} → {record['to']}  "
                           f"(by {record['by']}, {record['trigger']})\n")
        elif record["type"] == "post":
            first, *rest = record["text"].split("\n")
            self.out.write(f"{'':18}↳ {record['where']}: {first[:120]}\n")
            for line in rest:
                self.out.write(f"{'':20}{line[:116]}\n")


class Script:
    def __init__(self, world: LocalWorld, clock: Clock, timeline: Timeline):
        self.world, self.clock, self.timeline = world, clock, timeline
        places = world.policy.roles.places
        self.intake, self.cases, self.watched = places.intake, places.cases, places.watched[0]

    async def step(self, who: str, what: str, action: Callable[[], Awaitable[object]] | None = None,
                   **later: float) -> object:
        self.clock.advance(**(later or {"minutes": 5}))
        self.timeline.emit({"type": "step", "at": self.clock.now.isoformat(), "who": who, "what": what})
        result = await action() if action else None
        await self.world.settle()
        self.report()
        return result

    def report(self) -> None:
        """Print what changed on GitHub: stage moves from the cases' audit history, and the app's posts."""
        state = self.world.state
        for repo_name, repo in state.repos.items():
            for number in sorted(repo.issues):
                for comment in state.comments_of(repo, number):
                    if comment.id in self.timeline.seen_comments or comment.user != "conduct-desk[bot]":
                        continue
                    self.timeline.seen_comments.add(comment.id)
                    if "conduct-desk:state" in comment.body:
                        continue
                    where = f"{repo_name}#{number}"
                    lines = [ln for ln in comment.body.splitlines() if ln.strip() and not ln.startswith("<!--")]
                    # The first line, and the reasons of a refusal, which are what a mediator reads first.
                    shown = lines[:1] + [ln for ln in lines[1:] if ln.startswith(("- ", "| C-"))][:4]
                    self.timeline.emit({"type": "post", "where": where, "text": "\n".join(shown)})
        for number in sorted(state.repo(self.cases).issues):
            text = next((c.body for c in reversed(state.comments_of(state.repo(self.cases), number))
                         if "conduct-desk:state" in c.body), None)
            if text is None:
                continue
            from app.core.state_block import decode

            case = decode(text)
            start = self.timeline.seen_entries.get(case.code, 0)
            for entry in case.history[start:]:
                if entry.target is not None:
                    self.timeline.emit({"type": "stage", "case": case.code, "at": entry.at.isoformat(),
                                        "from": entry.source.value if entry.source else "new",
                                        "to": entry.target.value, "by": entry.actor, "trigger": entry.kind})
            self.timeline.seen_entries[case.code] = len(case.history)

    def say(self, login: str, number: int, body: str, **later: float):
        first = body.strip().splitlines()[0]
        return self.step(login, f"comments on the case: {first}",
                         lambda: self.world.as_user(login).create_comment(self.cases, number, body,
                                                                          key=f"demo-{self.clock.now.timestamp()}"),
                         **later)

    async def run(self) -> None:
        world = self.world
        # Case one: an in-thread signal, mediated and resolved with a public calm-down note.
        thread = await world.as_user("participant-1").create_issue(self.watched, "Review of the parser change",
                                                                   "The parser change breaks my plugin.", [],
                                                                   key="demo-thread")
        await self.step("reporter-1", f"writes `/conduct help` in {self.watched}#{thread.number}",
                        lambda: world.as_user("reporter-1").create_comment(
                            self.watched, thread.number, "/conduct help the replies here are getting personal",
                            key="demo-signal"))
        await self.say("mediator-1", 1, "/conduct assign @mediator-1", hours=2)
        await self.say("mediator-1", 1, "/conduct calm @participant-1 @reporter-1", minutes=20)
        await self.say("mediator-1", 1, "Spoke with both.\n/conduct note both agreed to keep the review on the code",
                       hours=20)
        await self.say("mediator-1", 1, "/conduct resolve both agreed how to continue", days=1)
        await self.say("mediator-1", 1, "/conduct stage closed", days=1)

        # Case two: the public issue form, mediation that does not resolve it, and an escalation.
        await self.step("reporter-2", f"opens the public help form in {self.intake}",
                        lambda: world.as_user("reporter-2").create_issue(
                            self.intake, "Help request", "### I need help\n\n- [X] Please contact me\n",
                            ["conduct: intake"], key="demo-form"), days=3)
        await self.say("mediator-2", 2, "/conduct assign @mediator-2", hours=1)
        await self.step("sc-1", "adds the label `stage: resolved` to the case by hand",
                        lambda: world.as_user("sc-1").add_labels(self.cases, 2, ["stage: resolved"]), hours=1)
        await self.say("sc-1", 2, "/conduct escalate", hours=3)
        await self.say("mediator-2", 2, "/conduct message @participant-2 Could we talk about the review thread?",
                       hours=1)
        await self.say("mediator-2", 2, "/conduct hold waiting to hear back from participant-2", days=1)
        await self.say("mediator-2", 2, "/conduct unhold heard back", days=2)
        await self.say("mediator-2", 2, "/conduct escalate", hours=2)
        await self.say("mediator-2", 2, SUMMARY_MISSING_PART, minutes=10)
        await self.say("mediator-2", 2, SUMMARY, hours=1)
        await self.say("mediator-2", 2, "/conduct escalate @participant-2", minutes=5)

        # Case three: the private form (the page files its answers like this), left unacknowledged.
        async def private_form():
            ctx = Context.make(world.github, world.policy, world.store, world.router.me, self.clock.now)
            report = "### What happened\n\nSomeone keeps sending me private messages about my talk.\n"
            await intake.from_form(ctx, "form:demo-1", "reporter-3", report, ("participant-2",))

        await self.step("reporter-3", "submits the private help form", private_form, hours=1)
        await self.step("sweep", "runs on its schedule, 25 hours later", lambda: self.sweep(3), hours=25)

    async def sweep(self, number: int) -> None:
        ctx = Context.make(self.world.github, self.world.policy, self.world.store, self.world.router.me,
                           self.clock.now)
        file = await casefile.load(ctx.github, self.cases, number, ctx.me)
        await self.world.router.apply(ctx, file, Tick(f"tick-{self.clock.now.isoformat()}"))


async def _main(out: TextIO, as_json: bool, policy_dir: Path, database_url: str | None) -> int:
    policy = load_policy(policy_dir)
    clock = Clock(START)
    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(database_url or f"sqlite:///{scratch}/demo.sqlite3")
        try:
            world = await build_world(policy, store, now=clock)
            timeline = Timeline(out, as_json)
            await Script(world, clock, timeline).run()
            if not as_json:
                out.write("\nCases at the end:\n")
                for _, issue in sorted(world.state.repo(policy.roles.places.cases).issues.items()):
                    stage = next((label for label in issue.labels if label.startswith("stage: ")), "?")
                    out.write(f"  {issue.title}: {stage}\n")
        finally:
            store.close() if hasattr(store, "close") else None
    return 0


def main(out: TextIO, as_json: bool = False, policy_dir: str | Path = "policy", database_url: str | None = None) -> int:
    return asyncio.run(_main(out, as_json, Path(policy_dir), database_url))
