"""The case index: the sweep and the context card cost what is open, not what was ever filed, and the
index cannot be fed a state that the app did not write."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from app.core.case import Case, Decision
from app.core.stages import Stage
from app.core.state_block import encode
from app.github.adapter import GitHubAdapter
from app.github.client import token_client
from app.service import casefile, caseindex
from app.service.cards import post_card
from app.service.casefile import CaseFile
from app.service.context import Context
from app.service.sweep import sweep
from app.wiring.local import API, INSTALLATION_ID, build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
CASES = POLICY.roles.places.cases
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run(coro):
    return asyncio.run(coro)


class Counter:
    """The app's own GitHub requests, as its client sends them."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append((request.method, request.url.path))

    def during(self):
        start = len(self.requests)
        return lambda: self.requests[start:]


def a_case(number: int, stage: Stage = Stage.CLOSED, **extra) -> Case:
    opened = T0 - timedelta(days=30, hours=number)
    return Case(code=f"C-2025-{number:03d}", stage=stage, channel="form", opened_at=opened,
                acknowledge_by=opened + timedelta(days=2), acknowledged_at=opened + timedelta(hours=3),
                reporter=f"reporter-{number % 3 + 1}", parties=(f"reporter-{number % 3 + 1}", "participant-2"),
                **extra)


def as_app(world) -> GitHubAdapter:
    """The App's installation, outside the service's write budget: history filed long before the test."""
    return GitHubAdapter(token_client(world.state.installation_token(INSTALLATION_ID), API, world._options))


async def file_case(world, case: Case, issue_open: bool = False) -> int:
    """A case on file as the app writes one: its issue, its state comment, closed when it is over."""
    app = as_app(world)
    issue = await app.create_issue(CASES, f"{case.code}", "", [case.stage.label], key=f"seed-{case.code}")
    state = await app.create_comment(CASES, issue.number, encode(case, "state"), key=f"{case.code}:state")
    casefile.record_state_comment(world.store, CASES, issue.number, state.id)
    if not issue_open:
        await app.update_issue(CASES, issue.number, state="closed", state_reason="completed")
    return issue.number


async def world_with(store, closed: int, open_cases: int = 2):
    counter = Counter()
    clock = {"now": T0}
    world = await build_world(POLICY, store, now=lambda: clock["now"], request_hook=counter)
    for number in range(1, closed + 1):
        await file_case(world, a_case(number))
    for number in range(closed + 1, closed + open_cases + 1):
        case = a_case(number, Stage.MEDIATION, mediators=("mediator-1",))
        await file_case(world, case.model_copy(update={"opened_at": T0 - timedelta(hours=1),
                                                       "acknowledge_by": T0 + timedelta(days=2)}), True)
    await world.settle()
    return world, counter, clock


def context(world, now: datetime) -> Context:
    return Context.make(world.github, world.policy, world.store, world.router.me, now)


def idle_sweep_requests(store, closed: int) -> list[tuple[str, str]]:
    async def story():
        world, counter, clock = await world_with(store, closed)
        await sweep(context(world, T0), world.router.apply)  # the first pass builds the index once
        clock["now"] = T0 + timedelta(minutes=15)
        taken = counter.during()
        counts = await sweep(context(world, clock["now"]), world.router.apply)
        assert counts["ticked"] == 0
        open_states = {f"/issues/comments/{row.state_comment_id}" for row in store.indexed_cases(issue_open=True)}
        return taken(), open_states

    return run(story())


def test_an_idle_sweep_costs_the_same_however_many_closed_cases_exist(tmp_path):
    from app.store import open_store

    few, _ = idle_sweep_requests(open_store(f"sqlite:///{tmp_path}/few.db"), 3)
    many, open_states = idle_sweep_requests(open_store(f"sqlite:///{tmp_path}/many.db"), 30)
    assert len(few) == len(many) <= 2
    # One listing of the open case issues, and one open case re-read, never the closed ones.
    assert few[0][0] == "GET" and few[0][1].endswith(f"/repos/{CASES}/issues")
    assert [method for method, _ in many] == [method for method, _ in few] == ["GET", "GET"]
    assert any(many[1][1].endswith(state) for state in open_states)


def test_the_index_follows_webhooks_and_holds_only_what_the_app_wrote(store):
    async def story():
        world, _, _ = await world_with(store, 2, open_cases=1)
        # Webhooks may come in any order; GitHub's list of open issues settles which are open.
        await caseindex.recheck_open(context(world, T0))
        rows = {row.code: row for row in store.indexed_cases()}
        assert set(rows) == {"C-2025-001", "C-2025-002", "C-2025-003"}
        assert [r.issue_open for r in (rows["C-2025-001"], rows["C-2025-003"])] == [False, True]
        number = rows["C-2025-003"].issue_number
        # Someone with access to the cases pastes a state block that names other people: it is not taken.
        forged = a_case(3, Stage.RESOLVED).model_copy(update={"reporter": "someone-else", "parties": ()})
        await world.as_user("mediator-1").create_comment(CASES, number, encode(forged, "x"), key="forged")
        await world.settle()
        held = caseindex.case_of(store.indexed_case(number))
        assert held.stage is Stage.MEDIATION and held.reporter == "reporter-1"
        assert [c.code for c in await caseindex.cases_about(context(world, T0), "reporter-1")] == ["C-2025-003"]
        # A mediator edits the app's state comment: the index keeps the app's own version.
        state_comment = rows["C-2025-003"].state_comment_id
        await world.as_user("mediator-1").update_comment(CASES, state_comment, encode(forged, "x"))
        await world.settle()
        assert caseindex.case_of(store.indexed_case(number)).stage is Stage.MEDIATION
        # The issue is closed on GitHub by hand: the webhook marks it closed in the index.
        await world.as_user("mediator-1").update_issue(CASES, number, state="closed")
        await world.settle()
        assert store.indexed_case(number).issue_open is False

    run(story())


def test_a_missed_webhook_is_caught_by_the_sweeps_recheck(store):
    async def story():
        world, _, _ = await world_with(store, 1, open_cases=1)
        ctx = context(world, T0)
        await caseindex.build(ctx)
        (row,) = store.indexed_cases(issue_open=True)
        # The index believes the case closed, and in another stage (as if two webhooks never came).
        store.index_case(row.issue_number, row.code, Stage.RESOLVED.value,
                         a_case(2, Stage.RESOLVED).model_dump_json(), row.state_comment_id, (), T0, False)
        visits = await caseindex.cases_to_visit(ctx)
        again = store.indexed_case(row.issue_number)
        assert again.issue_open is True and again.stage == Stage.MEDIATION.value
        return visits

    assert run(story()) == []  # nothing due: re-read, then left alone


def test_a_due_timer_is_still_fired_from_the_index(store):
    async def story():
        world, counter, _ = await world_with(store, 5, open_cases=0)
        late = a_case(9, Stage.INTAKE).model_copy(update={"opened_at": T0 - timedelta(days=5),
                                                          "acknowledge_by": T0 - timedelta(days=3),
                                                          "acknowledged_at": None})
        number = await file_case(world, late, True)
        await world.settle()
        visits = await caseindex.cases_to_visit(context(world, T0))
        assert visits == [(number, "open")]
        counts = await sweep(context(world, T0), world.router.apply)
        assert counts["ticked"] == 1
        texts = [c.body for c in world.state.comments_of(world.state.repo(CASES), number)]
        assert any("has not been acknowledged" in text for text in texts)
        # What the sweep wrote is in the index at once: the same minute's tick is not due again.
        assert await caseindex.cases_to_visit(context(world, T0)) == []

    run(story())


def test_the_context_card_reads_the_index_not_every_case(store):
    async def story():
        world, counter, _ = await world_with(store, 12, open_cases=0)
        sanctioned = a_case(20, Stage.CLOSED, subject="participant-2", decisions=(Decision(
            id="C-2025-020-d1", action="warning", subject="participant-2", duration=timedelta(0),
            requested_at=T0 - timedelta(days=30), approved_at=T0 - timedelta(days=29),
            ends_at=T0 - timedelta(days=29)),))
        await file_case(world, sanctioned)
        await world.settle()
        ctx = context(world, T0)
        await caseindex.build(ctx)
        new = a_case(30, Stage.INTAKE)
        number = await file_case(world, new, True)
        taken = counter.during()
        await post_card(ctx.github, ctx.store, ctx.policy, ctx.me, ctx.now, CaseFile(CASES, number, new, None),
                        "participant-2", key="card")
        sent = taken()
        card = world.state.comments_of(world.state.repo(CASES), number)[-1].body
        return sent, card

    sent, card = run(story())
    # Three searches for the person's standing and the card itself: nothing per case on file.
    assert [method for method, _ in sent] == ["GET", "GET", "GET", "POST"]
    assert "C-2025-020" in card and "C-2025-012" in card


def test_the_index_store_answers_by_person_and_forgets(store):
    case = a_case(1, Stage.CLOSED)
    store.index_case(7, case.code, case.stage.value, case.model_dump_json(), 99, caseindex.people_of(case), T0)
    assert [r.code for r in store.indexed_cases_about("participant-2")] == [case.code]
    assert store.indexed_case(7).issue_open is True  # new rows are open until GitHub says otherwise
    assert store.set_case_issue_open(7, False) and store.indexed_cases(issue_open=True) == []
    # Re-indexed without a word on the issue: what GitHub said last stays.
    store.index_case(7, case.code, Stage.CLOSED.value, case.model_dump_json(), 99, ("participant-2",), T0)
    assert store.indexed_case(7).issue_open is False
    assert store.forget_case(case.code, []) >= 2
    assert store.indexed_case(7) is None and store.indexed_cases_about("participant-2") == []
    assert not store.set_case_issue_open(7, True)


def test_a_thread_locked_by_a_closed_case_is_still_visited_until_its_time_out_ends(store):
    from app.core.case import Lock

    async def story():
        world, _, _ = await world_with(store, 1, open_cases=0)
        lock = Lock(thread="example-org/project#1", until=T0 + timedelta(hours=1))
        number = await file_case(world, a_case(5, Stage.CLOSED, locks=(lock,)))
        await world.settle()
        ctx = context(world, T0 + timedelta(hours=2))
        return number, await caseindex.cases_to_visit(ctx)

    number, visits = run(story())
    assert (number, "closed") in visits
