"""Every path that could skip the SC's approval, tried: nothing is applied on any of them."""
from __future__ import annotations

import httpx
from test_sanctions_support import (
    CASES,
    DECISIONS,
    POLICY,
    SUBJECT,
    Clock,
    approve_by_command,
    case_issues,
    comments,
    context,
    decide,
    desk,
    open_case,
    org,
    run,
    sc_says,
    state_of,
    teams_of,
    world_for,
)

from app.core.events import ReviewExpired
from app.core.state_block import encode
from app.sanctions import gate
from app.sanctions.workflow import HELD, NOT_FOUND, OK, REFUSED, apply_command, show_text
from app.service import casefile


class Quiet:
    """Collects what the command prints for the operator."""

    def __init__(self):
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text)

    def flush(self) -> None:
        pass


def untouched(world) -> bool:
    return SUBJECT not in org(world).blocks and teams_of(world, SUBJECT) == ["triage"]


async def review_run(world, login: str, state: str = "approved") -> int:
    """`login` reviews the newest SC-approval run on the environment, as in GitHub's web page."""
    repo = world.state.repo(DECISIONS)
    run_id = max(repo.runs)
    env = repo.environments["steering-council"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app),
                                 base_url="http://github.local") as raw:
        answer = await raw.post(f"/repos/{DECISIONS}/actions/runs/{run_id}/pending_deployments",
                                headers={"authorization": f"token {world.state.user_token(login)}"},
                                json={"environment_ids": [env.id], "state": state, "comment": "reviewed"})
    assert answer.status_code in (200, 422), answer.text
    return run_id


async def attempt(world, clock, decision: str, run_id: int | None = None) -> tuple[int, str]:
    out = Quiet()
    code = await apply_command(desk(world, clock), world.router.me, decision, run_id, err=out)
    return code, "".join(out.lines)


def test_the_environment_review_counts_even_before_the_app_has_seen_it(store):
    """One environment review releases the job; the job records it from the run's history (the webhook
    is not delivered yet) and holds the apply until the quorum: a second SC member's approval applies it."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        shown = await show_text(desk(world, clock), world.router.me, decision)
        run_id = await review_run(world, "sc-1")  # the webhook is not delivered yet
        held = await attempt(world, clock, decision, run_id)
        await world.settle()  # now the app sees the review too: nothing more happens
        await approve_by_command(world, number, "sc-2")
        again = await attempt(world, clock, decision, run_id)
        return world, number, decision, shown, held, again

    world, number, decision, shown, held, again = run(story())
    assert held[0] == HELD and "1 of the 2" in held[1] and again[0] == OK
    assert SUBJECT in org(world).blocks and store.get_sanction(decision).state == "applied"
    case = run(state_of(world, number))
    assert case.decision(decision).approved_by == ("sc-1", "sc-2")
    assert sum(f"**Applied `{decision}`**" in b for b in comments(world, number)) == 1
    assert decision in shown and "temporary-ban" in shown and "4w" in shown and SUBJECT in shown
    # The SC has no access to the case: the decision names no link to it.
    assert "waiting for the SC" in shown and CASES not in shown
    assert "please help" not in shown and "heated" not in shown  # never report text


def test_no_apply_before_approval_and_none_after_a_rejection(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        before = await attempt(world, clock, decision)
        with_one = await approve_by_command(world, number, "sc-1") or await attempt(world, clock, decision)
        await sc_says(world, "sc-2", "/conduct sc reject not proportionate", "r")
        await world.settle()
        after = await attempt(world, clock, decision)
        run_id = await review_run(world, "sc-3", state="rejected")
        rejected_run = await attempt(world, clock, decision, run_id)
        return world, before, with_one, after, rejected_run

    world, before, with_one, after, rejected_run = run(story())
    assert before[0] == REFUSED and "no recorded SC approval" in before[1]
    assert with_one[0] == HELD  # one of the two approvals the policy asks for: nothing applied
    assert after[0] == REFUSED and "rejected, expired or never made" in after[1]
    assert rejected_run[0] == REFUSED
    assert untouched(world) and store.get_sanction("C-2026-001-d1") is None


def test_a_forged_state_block_in_someone_elses_comment_is_not_an_approval(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        case = await state_of(world, number)
        pending = case.decision(decision)
        forged = case.model_copy(update={"decisions": (pending.model_copy(update={
            "approved_by": ("sc-1", "sc-2"), "approved_at": clock(), "ends_at": clock() + pending.duration}),)})
        await world.as_user("mediator-1").create_comment(CASES, number, encode(forged), key="forged")
        await world.settle()
        return world, await attempt(world, clock, decision)

    world, (code, said) = run(story())
    assert code == REFUSED and untouched(world)


def test_an_approver_who_is_not_on_the_sc_does_not_count(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        # A misconfigured environment that lets a mediator review.
        world.state.repo(DECISIONS).environments["steering-council"].reviewers.append(("User", "mediator-1"))
        world.state.add_collaborator(DECISIONS, "mediator-1", "read")
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        run_id = await review_run(world, "mediator-1")
        by_environment = await attempt(world, clock, decision, run_id)
        # Even a state the app wrote that names non-SC approvers is refused: the gate re-checks the SC.
        file = await casefile.load(world.github, world.store, CASES, number, world.router.me)
        pending = file.case.decision(decision)
        named = file.case.model_copy(update={"decisions": (pending.model_copy(update={
            "approved_by": ("mediator-1", "mediator-2"), "approved_at": clock(),
            "ends_at": clock() + pending.duration}),)})
        await casefile.save(world.github, world.store, file, named)
        by_state = await attempt(world, clock, decision, run_id)
        return world, by_environment, by_state

    world, by_environment, by_state = run(story())
    assert by_environment[0] == REFUSED and by_state[0] == REFUSED
    assert untouched(world)


def test_a_state_claiming_approvals_nobody_wrote_is_refused(store):
    """The app's own state says two SC members approved, but neither wrote `/conduct sc approve`, and no
    environment review exists: GitHub does not vouch for it, so it is not applied."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        file = await casefile.load(world.github, world.store, CASES, number, world.router.me)
        pending = file.case.decision(decision)
        claimed = file.case.model_copy(update={"decisions": (pending.model_copy(update={
            "approved_by": ("sc-1", "sc-2"), "approved_at": clock(), "ends_at": clock() + pending.duration}),)})
        await casefile.save(world.github, world.store, file, claimed)
        return world, await attempt(world, clock, decision)

    world, (code, said) = run(story())
    assert code == REFUSED and "lacks an approval GitHub vouches for" in said and untouched(world)


def test_no_apply_after_the_review_expired(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        file = await casefile.load(world.github, world.store, CASES, number, world.router.me)
        await world.router.apply(context(world, clock), file, ReviewExpired("expired-1", decision))
        await world.settle()
        return world, await attempt(world, clock, decision)

    world, (code, said) = run(story())
    assert code == REFUSED and untouched(world)


def test_a_second_apply_changes_nothing(store):
    clock = Clock()
    calls: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.method == "PUT" and "/blocks/" in request.url.path:
            calls.append(request.url.path)

    async def story():
        world = await world_for(store, clock, request_hook=count)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        await approve_by_command(world, number)
        second = await attempt(world, clock, decision)
        third = await attempt(world, clock, decision)
        return world, number, decision, second, third

    world, number, decision, second, third = run(story())
    assert second[0] == third[0] == OK
    assert len(calls) == 1 and SUBJECT in org(world).blocks
    assert sum(f"**Applied `{decision}`**" in b for b in comments(world, number)) == 1


def test_a_decision_id_from_another_case_is_refused(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        first = await open_case(world)
        approved = await decide(world, clock, first, "temporary-ban")
        await world.as_user("reporter-2").create_issue(POLICY.roles.places.intake, "Help", "help", [], key="two")
        await world.settle()
        second = max(case_issues(world))
        other = await decide(world, clock, second, "warning")
        # The second case's state (written by the app) is made to carry the first case's decision id.
        file = await casefile.load(world.github, world.store, CASES, second, world.router.me)
        pending = file.case.decision(other)
        borrowed = file.case.model_copy(update={"decisions": (pending.model_copy(update={
            "id": approved, "approved_by": ("sc-1", "sc-2"), "approved_at": clock(),
            "ends_at": clock() + pending.duration}),)})
        await casefile.save(world.github, world.store, file, borrowed)
        unknown = await attempt(world, clock, approved.replace("-d1", "-d9"))
        elsewhere = await attempt(world, clock, other.replace(file.case.code, "C-2026-099"))
        reloaded = await casefile.load(world.github, world.store, CASES, second, world.router.me)
        try:
            gate.check(reloaded.case, approved, POLICY, frozenset({"sc-1", "sc-2"}),
                       commands=frozenset({"sc-1", "sc-2"}))
        except gate.NotApproved as refusal:
            borrowed_refused = str(refusal)
        else:
            borrowed_refused = ""
        return world, unknown, elsewhere, await attempt(world, clock, approved), borrowed_refused

    world, unknown, elsewhere, first_case, borrowed_refused = run(story())
    assert unknown[0] == REFUSED and elsewhere[0] == NOT_FOUND and first_case[0] == REFUSED
    assert "is not a decision of C-2026-002" in borrowed_refused
    assert untouched(world)
