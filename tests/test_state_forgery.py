"""Attacks on a case's state through every text the app copies onto the case: none changes the case."""
from __future__ import annotations

import asyncio

from test_pages import CASES, POLICY, browser_for, csrf, file_report, setup
from test_sanctions_support import case_issues

from app.core.case import Case
from app.core.stages import Stage
from app.core.state_block import BEGIN, encode
from app.service import casefile

INTAKE, WATCHED = POLICY.roles.places.intake, POLICY.roles.places.watched[0]


def forged_block(code: str, now) -> str:
    """What a party who has read the source pastes: a valid state saying the case is closed, with no parties."""
    case = Case(code=code, stage=Stage.CLOSED, channel="form", opened_at=now, acknowledge_by=now, parties=())
    return encode(case, "all settled")


async def state_of(world, number: int) -> Case:
    file = await casefile.load(world.github, world.store, CASES, number, world.router.me)
    return file.case


def live_markers(world, number: int) -> list[int]:
    """Ids of the app's comments on the case that hold a live (not defused) state marker or state key marker."""
    bot = world.router.me.bot_login
    return [c.id for c in world.state.comments_of(world.state.repo(CASES), number) if c.user == bot
            and (BEGIN in c.body or "<!-- conduct-desk:key=C-2026-001:state -->" in c.body)]


def test_forged_state_in_the_private_form_inbox_return_and_a_mediator_message_changes_nothing(store):
    async def story():
        world = await setup(store)
        now = world.now()
        forged = forged_block("C-2026-001", now)
        reporter = await browser_for(world, "reporter-3")
        # One-line fields cannot hold a block, but can hold the marker that tags the app's comments.
        tag = "<!-- conduct-desk:key=C-2026-001:state -->"
        sent, code = await file_report(world, reporter, **{
            "what-happened": f"It went wrong.\n{forged}", "who": f"@participant-3 {tag}",
            "where": f"https://github.com/{WATCHED}/issues/4 {tag}"})
        assert sent.status_code == 200, sent.text
        number = int(world.store.effect_result(f"case-issue:{code}"))
        opened = await state_of(world, number)
        steps = {}

        party = await browser_for(world, "participant-3")
        inbox = await party.get(f"/inbox/{code}")
        replied = await party.post(f"/inbox/{code}", data={"reply": forged, "csrf_token": csrf(inbox.text)})
        await world.settle()
        steps["inbox reply"] = (replied.status_code, await state_of(world, number))

        page = await party.get("/return")
        asked = await party.post("/return", data={"case": code, "message": forged, "csrf_token": csrf(page.text)})
        await world.settle()
        steps["request to return"] = (asked.status_code, await state_of(world, number))

        mediator = world.as_user("mediator-1")
        await mediator.create_comment(CASES, number, f"/conduct message @participant-3\n{forged}", key="m")
        await world.settle()
        steps["mediator's message"] = (200, await state_of(world, number))
        shown = await party.get(f"/inbox/{code}")

        await mediator.create_comment(CASES, number, "/conduct assign @mediator-1", key="a")
        await world.settle()
        return world, number, opened, steps, shown, await state_of(world, number)

    world, number, opened, steps, shown, worked = asyncio.run(story())
    assert opened.stage is Stage.INTAKE and set(opened.parties) >= {"reporter-3", "participant-3"}
    for step, (status, case) in steps.items():
        assert status in (200, 303), step  # a send is answered with a redirect to the confirmation
        assert (case.stage, case.parties, case.reporter, case.subject) == \
            (opened.stage, opened.parties, opened.reporter, opened.subject), step
        # A party's text adds nothing to the record; the mediator's message adds its one entry.
        assert case.history[:len(opened.history)] == opened.history, step
        assert len(case.history) == len(opened.history) + (step == "mediator's message"), step
    # Only the state comment holds a live marker; every copy of the forged one is defused.
    assert live_markers(world, number) == [casefile.state_comment_id(world.store, CASES, number)]
    assert shown.status_code == 200 and "all settled" in shown.text
    # The case still answers to its mediators, from its real state.
    assert worked.stage is Stage.MEDIATION and worked.mediators == ("mediator-1",)


def test_forged_state_in_a_public_form_issue_and_a_thread_signal_changes_nothing(store):
    async def story():
        world = await setup(store)
        forged = forged_block("C-2026-001", world.now())
        reporter = world.as_user("reporter-1")
        await reporter.create_issue(INTAKE, "Help request", f"### I need help\n\n{forged}", [], key="f")
        thread = await world.as_user("participant-1").create_issue(WATCHED, "Build fails", "It fails.", [], key="t")
        signal = "/conduct help it got heated -->  <!-- conduct-desk:key=C-2026-002:state --> <!--"
        await world.as_user("reporter-2").create_comment(WATCHED, thread.number, signal, key="s")
        await world.settle()
        found = {}
        for issue in list(case_issues(world).values()):
            found[issue.number] = (await state_of(world, issue.number), live_markers(world, issue.number))
        return world, found

    world, found = asyncio.run(story())
    assert len(found) == 2
    for number, (case, markers) in found.items():
        assert case.stage is Stage.INTAKE and case.reporter in ("reporter-1", "reporter-2")
        assert markers == [casefile.state_comment_id(world.store, CASES, number)]
        body = world.state.repo(CASES).issues[number].body
        assert BEGIN not in body and body.count("<!-- conduct-desk:key=") == 1
