"""Shared pieces for the sanctions tests: a local world on a movable clock, a case with a decision."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.events import PollClosed, Tick
from app.core.stages import Stage
from app.sanctions.desk import Desk
from app.service import casefile
from app.service.context import Context
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
ORG = POLICY.roles.organization
CASES = POLICY.roles.places.cases
DECISIONS = POLICY.roles.places.decisions
WATCHED = POLICY.roles.places.watched[0]
SUBJECT = "participant-1"


@dataclass
class Clock:
    """The world's time: starts now (the executor records real time) and moves only when told."""

    at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def run(coro):
    return asyncio.run(coro)


async def world_for(store, clock: Clock, **kw):
    world = await build_world(POLICY, store, now=clock, **kw)
    # The subject is an ordinary participant, a member of the org and of one team besides.
    world.state.add_org_member(ORG, SUBJECT)
    world.state.add_team(ORG, "triage", [SUBJECT])
    return world


def desk(world, clock: Clock) -> Desk:
    return Desk(world.github, world.store, POLICY, clock())


def context(world, clock: Clock) -> Context:
    ctx = Context.make(world.github, POLICY, world.store, world.router.me, clock())
    ctx.executor.clock = clock
    return ctx


def case_issues(world) -> dict:
    """The cases repository's case issues by number. A public form request is transferred in beside its
    case, with its own title: only the issues titled by a case code are cases."""
    return {n: i for n, i in world.state.repo(CASES).issues.items() if i.title.startswith("C-")}


async def open_case(world, with_thread: bool = True) -> int:
    """A case opened by a reporter: from a `/conduct help` signal in a watched thread, or a public form."""
    reporter = world.as_user("reporter-1")
    if with_thread:
        thread = await world.as_user(SUBJECT).create_issue(WATCHED, "A heated thread", "text", [], key="t")
        await reporter.create_comment(WATCHED, thread.number, "/conduct help", key="s")
    else:
        await reporter.create_issue(POLICY.roles.places.intake, "Help request", "please help", [], key="f")
    await world.settle()
    (number,) = case_issues(world)
    return number


async def decide(world, clock: Clock, number: int, action: str, poll: int = 1) -> str:
    """The poll on the case closes with `action`: written as the app would (stage polling, the subject
    named), then the core's PollClosed, which asks the SC; returns the decision id."""
    file = await casefile.load(world.github, world.store, CASES, number, world.router.me)
    polling = file.case.model_copy(update={"stage": Stage.POLLING, "subject": SUBJECT, "polls": poll,
                                           "parties": (*file.case.parties, SUBJECT)})
    file = await casefile.save(world.github, world.store, file, polling)
    poll_id = f"{file.case.code}/{poll}"
    await world.router.apply(context(world, clock), file, PollClosed(f"closed:{poll_id}", poll_id, action,
                                                                     {action: 5, "no-action": 1}))
    await world.settle()
    after = await casefile.load(world.github, world.store, CASES, number, world.router.me)
    return after.case.decisions[-1].id


def decision_issue(world) -> int:
    """The newest decision's issue in the decisions repository, where the SC writes its commands."""
    return max(world.state.repo(DECISIONS).issues)


def decision_answers(world) -> list[str]:
    """What the desk wrote on the newest decision's issue (the SC's answers), oldest first."""
    repo = world.state.repo(DECISIONS)
    return [c.body for c in world.state.comments_of(repo, decision_issue(world)) if c.user == world.router.me.bot_login]


async def sc_says(world, login: str, text: str, key: str) -> None:
    """An SC member comments on the decision's issue (the SC has no access to the case)."""
    await world.as_user(login).create_comment(DECISIONS, decision_issue(world), text, key=key)
    await world.settle()


async def approve_by_command(world, number: int, *approvers: str) -> None:
    for index, login in enumerate(approvers or ("sc-1", "sc-2")):
        await sc_says(world, login, "/conduct sc approve", f"a-{login}-{index}")


async def tick(world, clock: Clock, number: int) -> None:
    """What the sweep does for each open case: the core's clock event, carried out."""
    file = await casefile.load(world.github, world.store, CASES, number, world.router.me)
    await world.router.apply(context(world, clock), file, Tick(f"tick:{clock().isoformat()}"))
    await world.settle()


async def state_of(world, number: int):
    return (await casefile.load(world.github, world.store, CASES, number, world.router.me)).case


def comments(world, number: int) -> list[str]:
    return [c.body for c in world.state.comments_of(world.state.repo(CASES), number)]


def org(world):
    return world.state.orgs[ORG]


def teams_of(world, login: str) -> list[str]:
    return sorted(slug for slug, team in org(world).teams.items() if login in team.members)
