"""Benchmark: what the sweep and the context card cost in GitHub requests as cases pile up.

Run: .venv/bin/python tests/bench/bench_cost.py [--cases 10 100 1000]
Prints numbers; asserts nothing. The GitHub stand-in runs in its own process (tests/bench/servers.py),
seeded with N closed cases and 2 open ones; the service's sweep runs here against it over HTTP, and every
request its client sends is counted. The reference, measured in the same run on the same stand-in, is the
one full pass over every case on file (what the sweep and the card read each time before the case index,
and what the index costs once, on its first sweep).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processes import server  # noqa: E402
from servers import T0, a_case  # noqa: E402

from app.github.adapter import GitHubAdapter  # noqa: E402
from app.github.client import ClientOptions, WritePacer, app_bot_login, app_client  # noqa: E402
from app.service import casefile  # noqa: E402
from app.service.cards import post_card  # noqa: E402
from app.service.casefile import CaseFile, Identity  # noqa: E402
from app.service.context import Context  # noqa: E402
from app.service.router import Router  # noqa: E402
from app.service.sweep import sweep  # noqa: E402
from app.store import open_store  # noqa: E402
from app.wiring.local import APP_ID, app_key  # noqa: E402
from app.wiring.policy_files import load_policy  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


async def measure(url: str, private_key: str, scratch: str, states: dict[int, int]) -> dict[str, int]:
    policy = load_policy(ROOT / "policy")
    sent: list[str] = []

    async def count(request: httpx.Request) -> None:
        if not request.url.path.endswith("/access_tokens"):
            sent.append(f"{request.method} {request.url.path}")

    options = ClientOptions(pacer=WritePacer(0), event_hooks={"request": [count]})
    client, installation = await app_client(policy.roles.organization, APP_ID, private_key, url + "/", options)
    login = await app_bot_login(APP_ID, private_key, url + "/", options)
    github = GitHubAdapter(client, installation_id=installation, bot_login=login)
    store = open_store(f"sqlite:///{scratch}/service.sqlite3")
    for number, comment_id in states.items():  # what the service recorded as it wrote each case
        casefile.record_state_comment(store, policy.roles.places.cases, number, comment_id)
    me = Identity(APP_ID, login)
    router = Router(github, policy, store, me, now=lambda: T0)

    def ctx() -> Context:
        return Context.make(github, policy, store, me, T0)

    found: dict[str, int] = {}
    sent.clear()
    await sweep(ctx(), router.apply)  # the first sweep builds the index: one read of every case on file
    found["first sweep (builds the index)"] = len(sent)
    sent.clear()
    await sweep(ctx(), router.apply)
    found["idle sweep"] = len(sent)
    # The context card for a person named in every case: the new case's card, as intake posts it.
    new = a_case(999_999, "intake", True)
    number = (await github.create_issue(policy.roles.places.cases, new.code, "", [], key="bench-new")).number
    sent.clear()
    await post_card(github, store, policy, me, T0, CaseFile(policy.roles.places.cases, number, new, None),
                    "participant-2", key="bench-card")
    found["context card (3 searches and the post)"] = len(sent)
    store.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    private, public = app_key()
    print("GitHub requests, counted at the service's own client; the stand-in in its own process:")
    print(f"  {'closed cases on file':>22} {'full pass (reference)':>22} {'idle sweep':>11} {'context card':>13}")
    with tempfile.TemporaryDirectory() as scratch:
        keyfile = Path(scratch) / "app.pem"
        keyfile.write_text(private)
        keyfile.with_suffix(".pub").write_text(public)
        for count in args.cases:
            with server("standin", str(keyfile), str(count)) as url:
                run = Path(scratch) / f"run-{count}"
                run.mkdir()
                states = json.loads(keyfile.with_suffix(".states.json").read_text())
                found = asyncio.run(measure(url, private, str(run), {int(k): v for k, v in states.items()}))
            print(f"  {count:>22} {found['first sweep (builds the index)']:>22} {found['idle sweep']:>11} "
                  f"{found['context card (3 searches and the post)']:>13}")
    print("  the idle sweep: one listing of the open case issues and one open case re-read (the rolling re-check);")
    print("  the card: three searches for the person's standing and the post; its prior cases come from the index")
    print_command_costs()
    print_help_burst()



async def command_costs() -> list[tuple[str, int, int]]:
    """(what, requests sent, the minimum) for a plain comment and each command a mediator sends in turn.

    The minimum: read the case's state once, one request per effect the core decides (four for a context
    card: three searches and the post), and one to write the state back with the command recorded as
    applied. Counted in one process (a count, not a timing)."""
    from test_case_index import a_case as seeded_case
    from test_case_index import file_case

    from app.core.decide import decide
    from app.core.effects import ContextCard
    from app.core.events import MEDIATOR, Actor, Commented
    from app.core.stages import Stage
    from app.service.caseindex import build_index
    from app.wiring.local import build_world

    policy = load_policy(ROOT / "policy")
    cases = policy.roles.places.cases
    sent: list[str] = []

    async def count(request: httpx.Request) -> None:
        if not request.url.path.endswith("/access_tokens"):
            sent.append(f"{request.method} {request.url.path}")

    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(f"sqlite:///{scratch}/commands.sqlite3")
        world = await build_world(policy, store, now=lambda: T0, request_hook=count)
        number = await file_case(world, seeded_case(1, Stage.INTAKE), True)
        await world.settle()
        # Steady state: the index built (the first sweep does it once), roles cached from the first command.
        await build_index(world.github, store, cases, world.router.me, T0)
        mediator = world.as_user("mediator-1")
        await mediator.create_comment(cases, number, "/conduct commands", key="warm")
        await world.settle()
        rows = []
        steps = [("a plain comment", "Spoke with both; more tomorrow."), ("assign", "/conduct assign @mediator-1"),
                 ("note", "/conduct note called the reporter"), ("hold", "/conduct hold waiting for the reporter"),
                 ("unhold", "/conduct unhold"), ("commands", "/conduct commands"),
                 ("resolve", "/conduct resolve both agreed how to go on")]
        for index, (what, body) in enumerate(steps):
            before = caseindex_case(store, number)
            actor = Actor("mediator-1", frozenset({MEDIATOR}))
            outcome = decide(before, Commented(f"probe-{index}", actor, body, 1, None), policy, T0)
            # A context card needs the person's standing (three searches) and its post.
            writes = sum(4 if isinstance(effect, ContextCard) else 1 for effect in outcome.effects)
            minimum = 0 if not outcome.effects and outcome.case == before else 1 + writes + 1
            sent.clear()
            await mediator.create_comment(cases, number, body, key=f"step-{index}")
            await world.settle()
            rows.append((what, len(sent), minimum))
        store.close()
    return rows


def caseindex_case(store, number: int):
    from app.service.caseindex import case_of

    return case_of(store.indexed_case(number))


def print_command_costs() -> None:
    print("GitHub requests per comment on a case (team lists cached), against the minimum it needs:")
    for what, sent, minimum in asyncio.run(command_costs()):
        print(f"  {what:16s} {sent:3d} requests, minimum {minimum:2d}" + (
            f"  ({sent - minimum:+d})" if minimum else ""))


async def help_burst(posts: int = 200) -> tuple[int, int, int]:
    """One account posts `/conduct help` `posts` times: (cases opened, the App's writes spent, its requests)."""
    from datetime import timedelta

    from app.service.budget import write_bucket
    from app.wiring.local import INSTALLATION_ID, build_world

    policy = load_policy(ROOT / "policy")
    sent: list[str] = []

    async def count(request: httpx.Request) -> None:
        sent.append(request.method)

    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(f"sqlite:///{scratch}/burst.sqlite3")
        world = await build_world(policy, store, now=lambda: T0, request_hook=count, write_budget=True)
        flooder = world.as_user("participant-3")
        watched = policy.roles.places.watched[0]
        thread = await flooder.create_issue(watched, "A thread", "text", [], key="thread")
        for n in range(posts):
            await flooder.create_comment(watched, thread.number, f"/conduct help please {n}", key=f"flood-{n}")
        await world.settle()
        opened = len(world.state.repo(policy.roles.places.cases).issues)
        spent = store.spent(write_bucket(INSTALLATION_ID), T0 - timedelta(hours=1))
        store.close()
    return opened, spent, len(sent)


def print_help_burst() -> None:
    from app.service.budget import WRITE_LIMITS

    opened, spent, sent = asyncio.run(help_burst())
    print(f"a burst of 200 `/conduct help` posts from one account: {opened} cases opened (the first ones), "
          f"{spent} of the App's {WRITE_LIMITS[0][1]} writes a minute / {WRITE_LIMITS[1][1]} an hour spent, "
          f"{sent} requests")


if __name__ == "__main__":
    main()
