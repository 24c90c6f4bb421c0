"""A case whose state cannot be read is said so once on that case; the sweep, the report and the pages go on."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import record_cassettes as rc
from test_pages import browser_for as signed_in
from test_pages import csrf, file_report
from test_pages import setup as pages_world
from test_sanctions_support import case_issues

from app.entry import cli
from app.service import casefile
from app.wiring.local import APP_ID, app_key, build_world
from app.wiring.policy_files import load_policy

ROOT = Path(__file__).resolve().parent.parent
POLICY = load_policy(ROOT / "policy")
INTAKE, CASES = POLICY.roles.places.intake, POLICY.roles.places.cases
SAID = "cannot read this case's state"


def damage(world, number: int) -> None:
    """What an edit made while the service was not listening leaves: a state block that holds no case."""
    comment_id = casefile.state_comment_id(world.store, CASES, number)
    (comment,) = [c for c in world.state.comments_of(world.state.repo(CASES), number) if c.id == comment_id]
    comment.body = comment.body.replace('"stage":"intake"', '"stage":"over-and-done"')


def bodies(world, number: int) -> list[str]:
    return [c.body for c in world.state.comments_of(world.state.repo(CASES), number)]


def test_the_sweep_and_the_report_run_through_the_cli_beside_a_damaged_case(store, database_url, monkeypatch,
                                                                             capsys):
    two_days_ago = datetime.now(UTC) - timedelta(days=2)

    async def opened():
        world = await build_world(POLICY, store, now=lambda: two_days_ago)
        for n, login in enumerate(("reporter-1", "reporter-2")):
            await world.as_user(login).create_issue(INTAKE, "Help request", "- [X] please contact me", [], key=f"f{n}")
            await world.settle()
        return world

    world = asyncio.run(opened())
    damaged, healthy = sorted(case_issues(world))
    damage(world, damaged)
    private_key, public_key = app_key()
    world.state.apps[APP_ID].public_key_pem = public_key
    with rc.SandboxServer(world.state) as github:
        for name, value in {"CONDUCT_GITHUB_API_URL": github.url, "CONDUCT_APP_ID": str(APP_ID),
                            "CONDUCT_APP_PRIVATE_KEY": private_key, "CONDUCT_DATABASE_URL": database_url,
                            "CONDUCT_POLICY_DIR": str(ROOT / "policy")}.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        first = cli.main(["sweep"])
        swept = capsys.readouterr().out
        second = cli.main(["sweep"])
        capsys.readouterr()
        today = datetime.now(UTC).date()
        report = cli.main(["report", "--from", f"{today - timedelta(days=7)}", "--to", f"{today + timedelta(days=1)}",
                           "--format", "json"])
        reported = capsys.readouterr().out
    assert first == 0 and second == 0 and report == 0
    assert "ticked=1" in swept and "sanctions=" in swept  # the healthy case's timers ran, and the sanctions
    # The healthy case's overdue acknowledgement fired; the damaged one is said so once, on that case only.
    assert any("acknowledge" in b.lower() and "overdue" in b.lower() for b in bodies(world, healthy))
    assert [SAID in b for b in bodies(world, damaged)].count(True) == 1
    assert not any(SAID in b for b in bodies(world, healthy))
    # Counts this small are suppressed; what matters is that the report was made at all.
    assert json.loads(reported)["figures"][0]["id"] == "received"


def test_the_inbox_and_a_private_report_naming_someone_work_beside_a_damaged_case(store):
    async def story():
        world = await pages_world(store)
        reporter = await signed_in(world, "reporter-3")
        pages = {}
        for n in range(2):
            _, pages[n] = await file_report(world, reporter, **{"what-happened": f"Report {n}"})
        damaged = int(world.store.effect_result(f"case-issue:{pages[0]}"))
        damage(world, damaged)
        third, _ = await file_report(world, reporter, **{"what-happened": "Report 2"})
        await world.settle()
        # Cards come when a mediator takes a case: taking the two healthy ones reads the damaged one too.
        for number in [n for n in world.state.repo(CASES).issues if n != damaged]:
            mediator = world.as_user("mediator-1")
            await mediator.create_comment(CASES, number, "/conduct assign @mediator-1", key=f"take-{number}")
        await world.settle()
        healthy_inbox = await reporter.get(f"/inbox/{pages[1]}")
        damaged_inbox = await reporter.get(f"/inbox/{pages[0]}")
        returning = await signed_in(world, "participant-3")
        page = await returning.get("/return")
        asked = await returning.post("/return", data={"case": pages[0], "message": "Please",
                                                      "csrf_token": csrf(page.text)})
        return world, damaged, third, healthy_inbox, damaged_inbox, asked

    world, damaged, third, healthy_inbox, damaged_inbox, asked = asyncio.run(story())
    assert third.status_code == 200 and "Thank you" in third.text
    cards = [b for n in world.state.repo(CASES).issues for b in bodies(world, n) if "**Context for" in b]
    assert len(cards) == 2  # each healthy case's card for the person it names was written, beside the damaged one
    assert healthy_inbox.status_code == 200
    assert damaged_inbox.status_code == 404 and asked.status_code == 422  # answered, not a 500
    assert [SAID in b for b in bodies(world, damaged)].count(True) == 1
