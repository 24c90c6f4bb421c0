"""The SC's review, played as GitHub delivers it: which reviews reach the app, and which ones count."""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from test_sanctions_support import (
    CASES,
    DECISIONS,
    ORG,
    SUBJECT,
    WATCHED,
    Clock,
    approve_by_command,
    comments,
    decide,
    desk,
    open_case,
    org,
    run,
    sc_says,
    state_of,
    world_for,
)

from app.sanctions import runs
from app.sanctions.workflow import HELD, OK, REFUSED, apply_command


async def review_run(world, login: str, state: str = "approved", comment: str = "reviewed",
                     run_id: int | None = None) -> int:
    """`login` reviews a run (the newest one unless named) on its environment, as GitHub's web page does."""
    repo = world.state.repo(DECISIONS)
    run_id = run_id or max(repo.runs)
    env = repo.environments["steering-council"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app),
                                 base_url="http://github.local") as raw:
        answer = await raw.post(f"/repos/{DECISIONS}/actions/runs/{run_id}/pending_deployments",
                                headers={"authorization": f"token {world.state.user_token(login)}"},
                                json={"environment_ids": [env.id], "state": state, "comment": comment})
    assert answer.status_code == 200, answer.text
    return run_id


class Err:
    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


async def job(world, clock, decision: str, run_id: int | None) -> tuple[int, str]:
    """What the approval job does once the environment releases it: `conduct sanction apply`."""
    err = Err()
    return await apply_command(desk(world, clock), world.router.me, decision, run_id, err=err), err.text


def without_review_webhooks(world) -> None:
    """GitHub never sends deployment_review to an installation without "Deployments" (the old manifest)."""
    world.state.installation_for(ORG).permissions.pop("deployments")


@pytest.mark.parametrize("deployments", [True, False], ids=["with-deployments", "without-deployments"])
def test_the_sc_review_reaches_the_app_only_with_the_deployments_permission(store, deployments):
    """GitHub sends deployment_review only to an App holding "Deployments": the manifest asks for it, and
    the stand-in withholds it the same way. Without it, the run's completion still brings the rejection
    (the app reads the run's review history)."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        if not deployments:
            without_review_webhooks(world)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        await review_run(world, "sc-1", "rejected", "not proportionate")
        await world.settle()
        sent = [d.event for d in world.state.webhooks.log]
        return sent, (await state_of(world, number)).decision(decision), comments(world, number)

    sent, pending, posted = run(story())
    assert ("deployment_review" in sent) is deployments
    assert pending is None and any("The SC's reason: not proportionate" in body for body in posted)


@pytest.mark.parametrize("path", ["webhook", "job"])
def test_a_rejection_reaches_the_case_with_its_reason_by_either_path(store, path):
    """Only the webhook arrives (no job ever runs after a rejection), or only the run's own record does
    (no deployment_review; the app reads the run's review history, comments included, when it ends)."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        if path == "job":
            without_review_webhooks(world)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        await review_run(world, "sc-1", "rejected", "Please talk with them first.")
        await world.settle()
        return world, await state_of(world, number), comments(world, number), decision

    world, case, posted, decision = run(story())
    assert case.decision(decision) is None and case.stage.value == "mediation"
    assert sum("The SC's reason: Please talk with them first." in body for body in posted) == 1
    assert SUBJECT not in org(world).blocks


@pytest.mark.parametrize("path", ["webhook", "job"])
def test_a_shorten_in_the_review_comment_reaches_the_case_by_either_path(store, path):
    """`shorten 3w` in the environment review's comment, then a second SC member's approval: the ban is
    three weeks whether the app heard the review from its webhook or only from the job."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        if path == "job":
            without_review_webhooks(world)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        run_id = await review_run(world, "sc-1", "approved", "Agreed, but shorten 3w: a first offence.")
        # Only the job (no webhook), or only the webhook (the released job has not called yet).
        held = await job(world, clock, decision, run_id) if path == "job" else (HELD, "")
        await world.settle()
        counted = (await state_of(world, number)).decision(decision)
        await approve_by_command(world, number, "sc-2")
        return world, number, decision, held, counted, await state_of(world, number)

    world, number, decision, held, counted, case = run(story())
    assert held[0] == HELD and counted.approved_by == ("sc-1",) and counted.shorten_to == timedelta(weeks=3)
    approved = case.decision(decision)
    assert approved.approved_by == ("sc-1", "sc-2") and approved.duration == timedelta(weeks=3)
    assert SUBJECT in org(world).blocks and world.store.get_sanction(decision).state == "applied"


def test_an_approval_of_an_unrelated_run_whose_title_names_the_decision_is_ignored(store):
    """A run of the approval workflow started by hand, for the decision's id: GitHub shows it as
    "SC approval: ... decision C-...-d1", and SC members approve it. It is not the run the app requested
    the decision on, so neither its webhook, nor its completion, nor a job calling from it counts."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        own = runs.run_of(world.store, decision)
        # Someone with write access on the decisions repository starts the approval workflow by hand.
        world.state.add_collaborator(DECISIONS, "sc-2", "write")
        await world.as_user("sc-2").dispatch_workflow(
            DECISIONS, "sc-approval.yml", "main", {"case": decision.rsplit("-d", 1)[0], "decision": decision})
        await world.settle()
        other = max(world.state.repo(DECISIONS).runs)
        title = world.state.repo(DECISIONS).runs[other].inputs
        await review_run(world, "sc-1", "approved", "shorten 1w", run_id=other)
        await world.settle()
        from_other = await job(world, clock, decision, other)
        return world, number, decision, own, other, title, from_other, await state_of(world, number)

    world, number, decision, own, other, title, from_other, case = run(story())
    assert own is not None and other != own and title["decision"] == decision
    pending = case.decision(decision)
    assert pending.approved_by == () and pending.shorten_to is None
    assert from_other[0] == REFUSED and "was not requested for" in from_other[1]
    assert not any("recorded (1 of 2" in body for body in comments(world, number))
    assert SUBJECT not in org(world).blocks


@pytest.mark.parametrize("who", ["subject", "reporter", "recused"])
def test_a_party_or_recused_sc_member_is_refused_on_the_environment(store, who):
    """The subject rejecting their own sanction, an SC reporter approving alone, a recused SC member
    approving alone: each review is refused on the case, visibly, counts for nothing, and the job it
    released applies nothing."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        if who == "subject":  # the person the sanction is about sits on the SC
            org(world).teams["steering-council"].members[SUBJECT] = "member"
        login = {"subject": SUBJECT, "reporter": "sc-1", "recused": "sc-3"}[who]
        # The person who asked for help is an SC member in the reporter's story.
        reporter = world.as_user("sc-1" if who == "reporter" else "reporter-1")
        thread = await world.as_user(SUBJECT).create_issue(WATCHED, "A heated thread", "text", [], key="t")
        await reporter.create_comment(WATCHED, thread.number, "/conduct help", key="s")
        await world.settle()
        (issue,) = world.state.repo(CASES).issues.values()
        number = issue.number
        decision = await decide(world, clock, number, "temporary-ban")
        if who == "recused":
            await sc_says(world, "sc-3", "/conduct recuse", "recuse")
        state = "rejected" if who == "subject" else "approved"
        run_id = await review_run(world, login, state, "mine to judge")
        await world.settle()
        released = await job(world, clock, decision, run_id) if state == "approved" else (None, "")
        return world, number, decision, released, await state_of(world, number)

    world, number, decision, released, case = run(story())
    pending = case.decision(decision)
    assert pending is not None and pending.approved_by == ()  # neither rejected nor approved
    refusals = [body for body in comments(world, number) if "on the `steering-council` environment:" in body]
    assert len(refusals) == 1 and "does not count" in refusals[0]
    # A rejection ends GitHub's run even when it does not count: the SC is told where it can still decide.
    assert ("`/conduct sc approve`" in refusals[0]) == (who == "subject")
    assert released[0] in (None, REFUSED)
    assert SUBJECT not in org(world).blocks and world.store.get_sanction(decision) is None


def test_the_quorum_is_the_same_on_every_path(store):
    """One environment approval releases the job, but the policy asks two SC members: the job holds the
    apply, and the second member's `/conduct sc approve` applies it, once; a second job applies nothing."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        run_id = await review_run(world, "sc-1")
        await world.settle()
        held = await job(world, clock, decision, run_id)
        blocked_after_one = SUBJECT in org(world).blocks
        await approve_by_command(world, number, "sc-1")  # the same member again counts once
        still = SUBJECT in org(world).blocks
        await approve_by_command(world, number, "sc-2")
        again = await job(world, clock, decision, run_id)
        return world, number, held, blocked_after_one, still, again

    world, number, held, blocked_after_one, still, again = run(story())
    assert held[0] == HELD and "1 of the 2" in held[1]
    assert not blocked_after_one and not still and SUBJECT in org(world).blocks and again[0] == OK
    assert sum("**Applied `" in body for body in comments(world, number)) == 1
