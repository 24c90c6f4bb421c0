"""The private form answers once the submission is stored: GitHub failing never reaches the reporter as a
500, the worker opens the case when GitHub is back, and a resubmission never opens a second case."""
from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx

from app.core.state_block import decode
from app.github.signin import authorize_url, login_from_code
from app.service.context import Context
from app.web.auth import SignIn
from app.web.pages import Pages
from app.wiring.local import API, build_world
from tests.test_pages import ANSWERS, CASES, POLICY, ROOT, SECRET, browser_for, csrf


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def setup(store, clock):
    world = await build_world(POLICY, store, now=clock)
    transport = httpx.ASGITransport(app=world.sandbox_app)
    sign_in = SignIn(SECRET, "http://desk.test", authorize=lambda r, s: authorize_url(API, "Iv1.local", r, s),
                     exchange=lambda c, r: login_from_code(API, "Iv1.local", world.state.apps[4242].client_secret,
                                                           c, r, transport))
    pages = Pages(sign_in, lambda: Context.make(world.github, POLICY, store, world.router.me, clock()),
                  ROOT / ".github/ISSUE_TEMPLATE", SECRET)
    world.service_app.router.routes.extend([*sign_in.routes(), *pages.routes()])
    return world


async def submit(browser):
    form = await browser.get("/help")
    consent = re.search(r'name="consent" value="([^"]+)"', form.text).group(1)
    return await browser.post("/help", data={**ANSWERS, "consent": consent, "csrf_token": csrf(form.text)})


def test_a_rate_limited_github_never_reaches_the_reporter_and_a_resubmission_opens_no_second_case(store):
    clock = Clock()

    async def story():
        world = await setup(store, clock)
        browser = await browser_for(world, "reporter-3")
        # GitHub refuses the case issue for a while: the primary rate limit twice, then a 502.
        world.state.inject("POST", rf"^/repos/{CASES}/issues$", 429, times=2, retry_after=60)
        world.state.inject("POST", rf"^/repos/{CASES}/issues$", 502, times=1)
        first = await submit(browser)
        again = await submit(browser)  # the reporter, unsure, sends it again
        await world.settle()
        before = dict(world.state.repo(CASES).issues)
        # The worker retries by itself as time passes; nobody redelivers anything.
        for _ in range(6):
            clock.now += timedelta(minutes=30)  # each primary-limit answer holds writes until its reset
            await world.settle()
        third = await submit(browser)
        await world.settle()
        return world, first, again, third, before

    world, first, again, third, before = asyncio.run(story())
    assert first.status_code == again.status_code == third.status_code == 200
    codes = {re.search(r"<strong>(C-\d{4}-\d{3})</strong>", r.text).group(1) for r in (first, again, third)}
    assert len(codes) == 1
    assert before == {}  # nothing on GitHub while it refused
    (case,) = world.state.repo(CASES).issues.values()
    assert case.title == codes.pop()
    states = [decode(c.body) for c in world.state.comments_of(world.state.repo(CASES), case.number)
              if "conduct-desk:state" in c.body]
    assert len(states) == 1 and states[0].reporter == "reporter-3"
    assert "They wrote @participant-3" in case.body


def test_the_reporter_s_inbox_says_received_while_github_is_down_and_stays_shut_to_anyone_else(store):
    clock = Clock()

    async def story():
        world = await setup(store, clock)
        reporter = await browser_for(world, "reporter-3")
        other = await browser_for(world, "participant-2")
        world.state.inject("POST", rf"^/repos/{CASES}/issues$", 502, times=1000)
        answer = await submit(reporter)
        await world.settle()
        code = re.search(r"<strong>(C-\d{4}-\d{3})</strong>", answer.text).group(1)
        waiting = await reporter.get(f"/inbox/{code}")
        stranger = await other.get(f"/inbox/{code}")
        unknown = await other.get("/inbox/C-2026-999")
        world.state.faults.clear()
        clock.now += timedelta(hours=1)
        await world.settle()
        opened = await reporter.get(f"/inbox/{code}")
        return waiting, stranger, unknown, opened

    waiting, stranger, unknown, opened = asyncio.run(story())
    assert waiting.status_code == 200 and "Your report is received" in waiting.text
    # Anyone else gets the same answer as for a code nobody has: the page does not confirm the case exists.
    assert stranger.status_code == unknown.status_code == 404
    assert "received" not in stranger.text
    assert opened.status_code == 200 and "Your report is received" not in opened.text
