"""Forgiveness on a simulated clock: records weigh as long as the policy says, then the case is forgotten."""
from __future__ import annotations

import asyncio
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from starlette.testclient import TestClient

from app.core.context_card import context_card
from app.core.decide import Refused, decide
from app.core.events import Commented, Tick
from app.core.retention import due_to_forget, weighs_until
from app.core.state_block import decode
from app.render.policy_page import render_policy_page
from app.service.context import Context
from app.service.polling import open_case_poll
from app.service.sweep import sweep
from app.web.auth import SESSION_COOKIE, SignIn
from app.web.results import result_routes
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy
from tests.test_context_card import MED, SUMMARY, Walk

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
POLICY = load_policy(POLICY_DIR)
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
PLACES = POLICY.roles.places


def listed(login, cases, now):
    return [c.code for c in context_card(login, cases, None, now, POLICY).cases]


def test_a_warning_weighs_one_year_then_disappears_from_the_card():
    walk = Walk(POLICY, "C-2026-001", "reporter-1", ("participant-1",), T0).sanctioned("warning", "participant-1")
    given = walk.case.decisions[-1].approved_at
    retention = POLICY.action("warning").retention
    assert retention == timedelta(weeks=52)
    walk.send(Tick("t1"), weeks=53)  # the warning's end: lifted by the timer, the case closes
    cases = [walk.case]
    assert listed("participant-1", cases, given + timedelta(weeks=26)) == ["C-2026-001"]
    assert listed("participant-1", cases, given + retention - timedelta(minutes=1)) == ["C-2026-001"]
    assert not due_to_forget(walk.case, POLICY, given + retention - timedelta(hours=1))
    # A week past the year (the lift came then), the record no longer weighs on anyone's card.
    later = walk.now + timedelta(minutes=1)
    assert listed("participant-1", cases, later) == [] and listed("reporter-1", cases, later) == []
    assert due_to_forget(walk.case, POLICY, later)


def test_a_sanction_in_force_always_weighs_and_a_long_ban_until_it_is_lifted():
    walk = Walk(POLICY, "C-2026-002", "reporter-1", ("participant-1",), T0).sanctioned("long-ban", "participant-1")
    far = T0 + timedelta(weeks=52 * 10)
    assert weighs_until(walk.case, POLICY) is None
    card = context_card("participant-1", [walk.case], None, far, POLICY)
    assert [s.action for s in card.active] == ["long-ban"] and not due_to_forget(walk.case, POLICY, far)


def test_someone_merely_named_weighs_for_weeks_and_the_case_for_months():
    walk = Walk(POLICY, "C-2026-003", "reporter-1", ("participant-1",), T0)
    walk.say("/conduct assign @mediator-1").say("/conduct resolve talked it through")
    ended = walk.now
    named, resolved = POLICY.process.retention.named, POLICY.process.retention.resolved
    cases = [walk.case]
    assert listed("participant-1", cases, ended + named - timedelta(hours=1)) == ["C-2026-003"]
    assert listed("participant-1", cases, ended + named) == []
    assert listed("reporter-1", cases, ended + named) == ["C-2026-003"]
    assert listed("reporter-1", cases, ended + resolved) == []
    assert due_to_forget(walk.case, POLICY, ended + resolved)
    # A case reopened is open again, and weighs again.
    reopened = walk.say("/conduct stage mediation", days=7).case
    assert not due_to_forget(reopened, POLICY, ended + resolved * 2)


def test_a_forgotten_case_takes_no_more_commands():
    walk = Walk(POLICY, "C-2026-004", "reporter-1", ("participant-1",), T0)
    walk.say("/conduct assign @mediator-1").say("/conduct resolve")
    dead = walk.case.model_copy(update={"forgotten_at": walk.now})
    assert decide(dead, Tick("t"), POLICY, walk.now).effects == ()
    with pytest.raises(Refused, match="forgotten"):
        decide(dead, Commented("c", MED, "/conduct stage mediation"), POLICY, walk.now)


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, target)
    return target


def _problems(directory: Path) -> str:
    from app.core.policy import PolicyInvalid

    with pytest.raises(PolicyInvalid) as caught:
        load_policy(directory)
    return str(caught.value)


def _edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / f"{name}.yml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))


def test_validation_refuses_a_retention_shorter_than_the_sanction_it_covers(policy_dir):
    _edit(policy_dir, "actions", "duration: {default: 4w, max: 26w}\n    retention: 104w",
          "duration: {default: 4w, max: 26w}\n    retention: 8w")
    assert "retention 8w is shorter than the action can last (26w)" in _problems(policy_dir)


def test_validation_refuses_periods_written_into_a_text(policy_dir):
    _edit(policy_dir, "actions", "A private written warning that names", "For one year, a written warning that names")
    assert "the description states a period" in _problems(policy_dir)


def test_validation_refuses_a_named_retention_longer_than_the_case_and_one_shorter_than_an_urgent_ban(policy_dir):
    _edit(policy_dir, "process", "named: 8w", "named: 30w")
    assert "named > resolved" in _problems(policy_dir)
    _edit(policy_dir, "process", "named: 30w", "named: 1w")
    _edit(policy_dir, "process", "resolved: 26w", "resolved: 1w")
    assert "shorter than an urgent ban can last" in _problems(policy_dir)


def test_the_texts_people_read_state_the_periods_the_code_enforces():
    page = render_policy_page(POLICY)
    for action in POLICY.actions.actions:
        weeks = action.retention.days // 7
        row = next(line for line in page.splitlines() if f"(`{action.id}`)" in line)
        assert row.endswith(f"| {weeks} weeks from the day it is given |"), row
    resolved, named = (POLICY.process.retention.resolved.days // 7, POLICY.process.retention.named.days // 7)
    assert f"weighs {resolved} weeks after it ends" in page and f"for them {named} weeks" in page
    texts = (POLICY_DIR / "actions.yml").read_text()
    assert not re.search(r"for (?:one|six) (?:year|month)", texts)


class Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


def test_a_no_action_case_is_forgotten_at_its_retention_through_github_and_the_service(store):
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    async def story():
        sign_in = SignIn("r" * 40, "http://desk.local", authorize=lambda redirect, state: "", exchange=None)
        world = await build_world(POLICY, store, now=clock, extra_routes=result_routes(store, sign_in))

        def ctx():
            return Context.make(world.github, POLICY, store, world.router.me, clock.now, "http://desk.local")

        thread = await world.as_user("participant-1").create_issue(PLACES.watched[0], "Parser", "x", [], key="t")
        await world.as_user("reporter-1").create_comment(
            PLACES.watched[0], thread.number, "/conduct help they keep mocking my accent", key="s")
        await world.settle()
        mediator = world.as_user("mediator-1")
        for text in ("/conduct assign @mediator-1", SUMMARY, "/conduct escalate @participant-1"):
            clock.now += timedelta(hours=1)
            await mediator.create_comment(PLACES.cases, 1, text, key=f"m-{clock.now.timestamp():.0f}")
            await world.settle()
        await open_case_poll(ctx(), "C-2026-001", "http://desk.local", world.router.apply)
        await world.settle()
        clock.now += timedelta(days=4)  # nobody voted: no quorum, no decision; back to mediation
        await sweep(ctx(), world.router.apply)
        await world.settle()
        for text in ("/conduct resolve no further action", "/conduct stage closed"):
            clock.now += timedelta(hours=1)
            await mediator.create_comment(PLACES.cases, 1, text, key=f"m-{clock.now.timestamp():.0f}")
            await world.settle()
        ended = clock.now
        # The result is for the poll's electorate: a core developer signed in fetches it.
        with store.engine.connect() as conn:
            voter = conn.execute(sql("SELECT login FROM electorate WHERE poll_id = 'C-2026-001/1'")).scalars().first()
        browser = TestClient(world.service_app, cookies={SESSION_COOKIE: sign_in.sessions.dumps({"login": voter})})
        assert browser.get("/ballot/C-2026-001-1/result.json").status_code == 200
        clock.now = ended + POLICY.process.retention.resolved - timedelta(days=1)
        early = await sweep(ctx(), world.router.apply)
        await world.settle()
        assert "forgotten" not in early
        assert "mocking my accent" in world.state.repo(PLACES.cases).issues[1].body
        clock.now = ended + POLICY.process.retention.resolved + timedelta(hours=1)
        counts = await sweep(ctx(), world.router.apply)
        await world.settle()
        again = await sweep(ctx(), world.router.apply)
        return world, counts, again, browser

    world, counts, again, browser = asyncio.run(story())
    assert counts["forgotten"] == 1 and "forgotten" not in again
    cases = world.state.repo(PLACES.cases)
    issue = cases.issues[1]
    assert issue.state == "closed"
    for gone in ("mocking my accent", "participant-1", "reporter-1"):
        assert gone not in issue.body
    assert "C-2026-001" in issue.body and "forgotten on" in issue.body and "2026-03-02" in issue.body
    (only,) = world.state.comments_of(cases, 1)
    dead = decode(only.body)
    assert dead.forgotten_at is not None and dead.parties == () and dead.reporter is None and dead.summary is None
    assert all(e.actor == "" and e.detail == "" for e in dead.history)
    for login in ("participant-1", "reporter-1", "mediator-1"):
        assert login not in only.body
    forum = world.state.repo(PLACES.deliberation.repo)
    assert forum.discussions == {}
    answer = browser.get("/ballot/C-2026-001-1/result.json")
    assert answer.status_code == 410 and "forgotten" in answer.json()["message"]
    with store.engine.connect() as conn:
        keys = [row[0] for row in conn.exec_driver_sql("SELECT effect_key FROM effects")]
        polls = conn.exec_driver_sql("SELECT count(*) FROM polls").scalar_one()
        electorate = conn.exec_driver_sql("SELECT count(*) FROM electorate").scalar_one()
    assert polls == 0 and electorate == 0
    kept = ("case-issue:", "poll-forgotten:", "forgotten:")  # numbers and dates only, nothing about anyone
    leftover = [k for k in keys if "C-2026-001" in k and not k.startswith(kept)]
    assert leftover == [], leftover
    assert not any(k.startswith(("code:signal:", "signal:")) for k in keys), keys
    assert json.dumps(dead.model_dump(mode="json")).count("C-2026-001") >= 1


def test_a_repository_cooling_off_longer_than_the_policys_short_maximum_is_refused(policy_dir):
    _edit(policy_dir, "actions", "duration: {default: 1w, max: 1w}\n    retention: 26w",
          "duration: {default: 1w, max: 4w}\n    retention: 26w")
    assert "an interaction_limit silences every non-collaborator in the whole repository" in _problems(policy_dir)
    assert "at most 1w (timeouts.repository_cooling_off_max), not 4w" in _problems(policy_dir)
