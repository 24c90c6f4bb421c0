"""The SC's review, played as GitHub delivers it: which reviews reach the app, and which ones count."""
from __future__ import annotations

import httpx
import pytest
from test_sanctions_support import DECISIONS, ORG, Clock, decide, open_case, run, state_of, world_for


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
    assert answer.status_code in (200, 422), answer.text
    return run_id


@pytest.mark.parametrize("deployments", [True, False], ids=["with-deployments", "without-deployments"])
def test_the_sc_review_reaches_the_app_only_with_the_deployments_permission(store, deployments):
    """GitHub sends deployment_review only to an App holding "Deployments": the manifest asks for it, and
    an installation without it never hears of a rejection (the stand-in withholds it the same way)."""
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        if not deployments:
            world.state.installation_for(ORG).permissions.pop("deployments")
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        await review_run(world, "sc-1", "rejected", "not proportionate")
        await world.settle()
        sent = [d.event for d in world.state.webhooks.log]
        return sent, (await state_of(world, number)).decision(decision)

    sent, pending = run(story())
    assert ("deployment_review" in sent) is deployments
    assert (pending is None) is deployments  # rejected on the case, or still waiting for the SC
