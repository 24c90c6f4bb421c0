"""report.yml: the scheduled run proves itself with its OIDC token and the service posts the last period once."""
from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import httpx
from test_report_post import POLICY, with_reports
from test_workflow_oidc import call, token_for

from app.core.report import last_period
from app.wiring.local import API, SERVICE_URL, build_world
from app.wiring.runner import run_job


def test_the_last_whole_period_of_the_grid():
    assert last_period(date(2027, 1, 2), "year") == (date(2026, 1, 1), date(2027, 1, 1))
    assert last_period(date(2026, 12, 31), "year") == (date(2025, 1, 1), date(2026, 1, 1))
    assert last_period(date(2026, 5, 1), "quarter") == (date(2026, 1, 1), date(2026, 4, 1))
    assert last_period(date(2026, 1, 3), "month") == (date(2025, 12, 1), date(2026, 1, 1))


def test_the_scheduled_report_run_posts_the_last_year_once_and_a_sweep_run_cannot(store):
    policy = with_reports(POLICY)

    async def story():
        world = await build_world(policy, store, now=lambda: datetime(2027, 1, 2, 6, 17, tzinfo=UTC))
        world.state.base_url = API.rstrip("/")  # the runner asks the stand-in's own host for its token
        world.state.add_repo("example-org", "community", private=False, has_discussions=True)
        world.state.add_discussion_category("example-org/community", "Reports")
        cases = policy.roles.places.cases
        answers = []
        for workflow, job in (("report.yml", "report"), ("report.yml", "report")):
            run_id = world.state.schedule_run(cases, workflow)
            answers.append(await run_job(world.state, httpx.ASGITransport(app=world.sandbox_app),
                                         httpx.ASGITransport(app=world.service_app), SERVICE_URL, cases, run_id,
                                         workflow, job))
        # A token from another workflow's run is not a report run's, and no token is nobody's.
        sweep_run = world.state.schedule_run(cases, "sweep.yml")
        answers.append(await call(world, "report", await token_for(world, cases, sweep_run, "sweep"), {}))
        answers.append(await call(world, "report", None, {}))
        return world, answers

    world, (first, again, wrong_run, anonymous) = asyncio.run(story())
    assert wrong_run.status_code == 403 and anonymous.status_code == 401
    assert first.status_code == 200 and first.json()["period"] == "2026-01-01/2027-01-01"
    assert again.status_code == 200 and again.json() == first.json()
    (discussion,) = world.state.repo("example-org/community").discussions.values()
    assert discussion.title == "Conduct report 2026-01-01 to 2027-01-01" and "Help requests received" in discussion.body


def test_a_mediators_report_note_is_published_with_the_report_of_its_period(store):
    from app.service import intake
    from app.service.context import Context
    from app.service.reports import post_period_report

    policy = with_reports(POLICY)
    clock = {"now": datetime(2026, 6, 1, 9, 0, tzinfo=UTC)}

    async def story():
        world = await build_world(policy, store, now=lambda: clock["now"])
        world.state.add_repo("example-org", "community", private=False, has_discussions=True)
        world.state.add_discussion_category("example-org/community", "Reports")

        def ctx():
            return Context.make(world.github, policy, store, world.router.me, clock["now"])

        file = await intake.from_form(ctx(), "form:r1", "reporter-1", "text")
        await world.settle()
        mediator = world.as_user("mediator-1")
        await mediator.create_comment(policy.roles.places.cases, file.number,
                                      "/conduct report-note\nA calm year: most requests ended in one conversation.",
                                      key="note-1")
        await world.settle()
        clock["now"] = datetime(2027, 1, 2, 6, 17, tzinfo=UTC)
        await post_period_report(ctx())
        return world

    world = asyncio.run(story())
    (discussion,) = world.state.repo("example-org/community").discussions.values()
    assert "## The state of things, from the mediators" in discussion.body
    assert "A calm year: most requests ended in one conversation." in discussion.body
