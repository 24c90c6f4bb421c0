"""The private form and the party inbox, signed in through the stand-in's OAuth flow, in one process."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from app.github.signin import authorize_url, login_from_code
from app.service.context import Context
from app.web.auth import SignIn
from app.web.pages import Pages
from app.wiring.local import API, build_world
from app.wiring.policy_files import load_policy

ROOT = Path(__file__).resolve().parent.parent
POLICY = load_policy(ROOT / "policy")
CASES = POLICY.roles.places.cases
SECRET = "p" * 40


async def setup(store):
    holder = {}
    sign_in_box = {}

    def routes():
        return [*sign_in_box["s"].routes(), *holder["pages"].routes()]

    world = await build_world(POLICY, store)
    transport = httpx.ASGITransport(app=world.sandbox_app)
    sign_in = SignIn(SECRET, "http://desk.test",
                     authorize=lambda r, s: authorize_url(API, "Iv1.local", r, s),
                     exchange=lambda c, r: login_from_code(API, "Iv1.local", world.state.apps[4242].client_secret,
                                                           c, r, transport))
    sign_in_box["s"] = sign_in
    holder["pages"] = Pages(sign_in, lambda: Context.make(world.github, POLICY, store, world.router.me, world.now()),
                            ROOT / ".github/ISSUE_TEMPLATE", SECRET)
    for route in routes():
        world.service_app.router.routes.append(route)
    return world


async def browser_for(world, login: str) -> httpx.AsyncClient:
    """A signed-in browser: the service's sign-in, the stand-in's authorize page, and back."""
    browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=world.service_app), base_url="http://desk.test")
    to_github = await browser.get("/login?next=/help")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app), base_url=API) as github:
        back = await github.get(f"{to_github.headers['location']}&login={login}")
    parts = urlsplit(back.headers["location"])
    await browser.get(f"{parts.path}?{parts.query}")
    return browser


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


ANSWERS = {"what-happened": "They wrote @participant-3 #12 ![x](https://evil.example/p.png) <!-- hidden -->",
           "where": "https://github.com/example-org/project/issues/4", "who": "@participant-3",
           "what-would-help": "Talk to someone", "urgency": "Not urgent",
           "consent": "I understand that only the mediators read this report."}


def test_private_form_files_a_private_case_and_the_inbox_carries_messages_both_ways(store):
    async def story():
        world = await setup(store)
        browser = await browser_for(world, "reporter-3")
        form = await browser.get("/help")
        assert form.status_code == 200 and "What happened?" in form.text
        consent = re.search(r'name="consent" value="([^"]+)"', form.text).group(1)
        sent = await browser.post("/help", data={**ANSWERS, "consent": consent, "csrf_token": csrf(form.text)})
        await world.settle()
        code = re.search(r"<strong>(C-\d{4}-\d{3})</strong>", sent.text).group(1)
        inbox = await browser.get(f"/inbox/{code}")
        reply = await browser.post(f"/inbox/{code}", data={"reply": "Thanks, @mediator-1 see #3",
                                                            "csrf_token": csrf(inbox.text)})
        stranger = await browser_for(world, "participant-1")
        hidden = await stranger.get(f"/inbox/{code}")
        return world, code, sent, inbox, reply, hidden

    world, code, sent, inbox, reply, hidden = asyncio.run(story())
    assert sent.status_code == 200
    (case,) = world.state.repo(CASES).issues.values()
    assert case.title == code
    body = case.body
    assert "### What happened?" in body and "They wrote @participant-3" in body
    assert "`participant-3`" in body  # named people become parties, shown without a ping
    assert inbox.status_code == 200 and "Thank you for asking for help" in inbox.text
    comments = [c.body for c in world.state.comments_of(world.state.repo(CASES), case.number)]
    assert any(b.startswith("**Reply from `reporter-3`**") and "```" in b for b in comments)
    assert any(b.startswith("**Context for `participant-3`**") and "No earlier cases." in b for b in comments)
    assert reply.status_code == 200
    assert hidden.status_code == 404


def test_the_form_refuses_missing_answers_and_a_forged_token(store):
    async def story():
        world = await setup(store)
        browser = await browser_for(world, "reporter-1")
        form = await browser.get("/help")
        incomplete = await browser.post("/help", data={"csrf_token": csrf(form.text)})
        forged = await browser.post("/help", data={**ANSWERS, "csrf_token": "0" * 64})
        anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=world.service_app), base_url="http://d.t")
        redirected = await anonymous.get("/help")
        return world, incomplete, forged, redirected

    world, incomplete, forged, redirected = asyncio.run(story())
    assert incomplete.status_code == 422 and "What happened?" in incomplete.text
    assert forged.status_code == 400
    assert redirected.status_code == 303 and redirected.headers["location"].startswith("/login")
    assert world.state.repo(CASES).issues == {}


def test_a_person_named_in_a_case_can_ask_to_return_and_the_mediators_get_it(store):
    async def story():
        world = await setup(store)
        reporter = await browser_for(world, "reporter-3")
        form = await reporter.get("/help")
        consent = re.search(r'name="consent" value="([^"]+)"', form.text).group(1)
        sent = await reporter.post("/help", data={**ANSWERS, "consent": consent, "csrf_token": csrf(form.text)})
        await world.settle()
        code = re.search(r"<strong>(C-\d{4}-\d{3})</strong>", sent.text).group(1)
        person = await browser_for(world, "participant-3")
        page = await person.get("/return")
        wrong = await person.post("/return", data={"case": "C-2026-999", "message": "Please",
                                                   "csrf_token": csrf(page.text)})
        stranger = await browser_for(world, "participant-1")
        other = await stranger.get("/return")
        not_theirs = await stranger.post("/return", data={"case": code, "message": "Please",
                                                          "csrf_token": csrf(other.text)})
        right = await person.post("/return", data={"case": code, "message": "I would like to come back @sc-1",
                                                   "csrf_token": csrf(page.text)})
        return world, wrong, not_theirs, right

    world, wrong, not_theirs, right = asyncio.run(story())
    assert wrong.status_code == 422 and not_theirs.status_code == 422
    assert right.status_code == 200
    (case,) = world.state.repo(CASES).issues.values()
    requests = [c.body for c in world.state.comments_of(world.state.repo(CASES), case.number)
                if c.body.startswith("**Request to return from `participant-3`**")]
    assert len(requests) == 1 and "```text\nI would like to come back @sc-1\n```" in requests[0]
    assert "cc @mediator-1 @mediator-2" in requests[0]
