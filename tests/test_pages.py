"""The private form and the party inbox, signed in through the stand-in's OAuth flow, in one process."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from app.github.signin import authorize_url, signed_in_from_code
from app.service.context import Context
from app.web.auth import SignIn
from app.web.notice_pages import NoticePages
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
                     exchange=lambda c, r: signed_in_from_code(API, "Iv1.local",
                                                               world.state.apps[4242].client_secret, c, r, transport),
                     remember_email=lambda login, email: store.set_address(login, email, "github", world.now()))
    sign_in_box["s"] = sign_in
    context = lambda: Context.make(world.github, POLICY, store, world.router.me, world.now())  # noqa: E731
    holder["pages"] = Pages(sign_in, context, ROOT / ".github/ISSUE_TEMPLATE", SECRET)
    holder["notices"] = NoticePages(sign_in, context, SECRET)
    for route in [*routes(), *holder["notices"].routes()]:
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


async def file_report(world, browser: httpx.AsyncClient, **answers: str) -> tuple[httpx.Response, str | None]:
    """Submit the private form with ANSWERS changed by `answers`, let the worker open the case; the page
    and the case code it names."""
    form = await browser.get("/help")
    consent = re.search(r'name="consent" value="([^"]+)"', form.text).group(1)
    sent = await browser.post("/help", data={**ANSWERS, **answers, "consent": consent, "csrf_token": csrf(form.text)})
    await world.settle()
    found = re.search(r"<strong>(C-\d{4}-\d{3})</strong>", sent.text)
    return sent, found.group(1) if found else None


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
    assert any("\n**Reply from `reporter-3`**" in b and "```" in b for b in comments)
    # No file on the person named until a mediator takes the case.
    assert not any("**Context for `participant-3`**" in b for b in comments)
    assert reply.status_code == 303 and reply.headers["location"] == f"/inbox/{code}?sent=1"
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
                if "\n**Request to return from `participant-3`**" in c.body]
    assert len(requests) == 1 and "```text\nI would like to come back @sc-1\n```" in requests[0]
    assert "cc @mediator-1 @mediator-2" in requests[0]


async def _filed(world, login="reporter-3"):
    browser = await browser_for(world, login)
    form = await browser.get("/help")
    consent = re.search(r'name="consent" value="([^"]+)"', form.text).group(1)
    sent = await browser.post("/help", data={**ANSWERS, "consent": consent, "csrf_token": csrf(form.text)})
    await world.settle()
    return browser, re.search(r"<strong>(C-\d{4}-\d{3})</strong>", sent.text).group(1)


def _case_comments(world):
    (case,) = world.state.repo(CASES).issues.values()
    return case, [c.body for c in world.state.comments_of(world.state.repo(CASES), case.number)]


def test_the_inbox_shows_both_sides_as_safe_html_confirms_a_send_and_a_resend_repeats_nothing(store):
    async def story():
        world = await setup(store)
        browser, code = await _filed(world)
        case, _ = _case_comments(world)
        mediator = world.as_user("mediator-1")
        await mediator.create_comment(CASES, case.number, "/conduct message @reporter-3\nThank you. **Could we "
                                      "talk** on Friday? <img src=x onerror=alert(1)> [x](javascript:alert(1))",
                                      key="test:message")
        await world.settle()
        inbox = await browser.get(f"/inbox/{code}")
        data = {"reply": "Friday works <script>alert(1)</script>", "csrf_token": csrf(inbox.text)}
        first = await browser.post(f"/inbox/{code}", data=data)
        again = await browser.post(f"/inbox/{code}", data=data)  # a double click, or the browser re-sending
        shown = await browser.get(first.headers["location"])
        reload = await browser.get(first.headers["location"])
        return world, first, again, shown, reload

    world, first, again, shown, reload = asyncio.run(story())
    _, comments = _case_comments(world)
    assert sum("Friday works" in b for b in comments) == 1
    assert first.status_code == again.status_code == 303
    page = shown.text
    assert "<!--" not in page and "conduct-desk:" not in page and "Message to `" not in page
    assert "<strong>Could we talk</strong>" in page and "<img" not in page and "<script>" not in page
    assert 'href="javascript:' not in page
    assert "The mediators wrote" in page and "You wrote" in page and "Friday works &lt;script&gt;" in page
    assert 'role="status"' in page and "Your reply was sent" in page
    assert reload.status_code == 200 and sum("Friday works" in b for b in _case_comments(world)[1]) == 1


def test_home_policy_and_every_error_page_have_a_heading_plain_words_and_a_way_on(store):
    async def story():
        world = await setup(store)
        browser, code = await _filed(world)
        anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=world.service_app), base_url="http://desk.test")
        pages = {
            "home": await anonymous.get("/"),
            "policy": await anonymous.get("/policy"),
            "missing": await anonymous.get("/no/such/page"),
            "logout by GET": await browser.get("/logout"),
            "stale reply": await browser.post(f"/inbox/{code}", data={"reply": "x", "csrf_token": "0" * 88}),
            "empty reply": await browser.post(f"/inbox/{code}", data={
                "reply": " ", "csrf_token": csrf((await browser.get(f"/inbox/{code}")).text)}),
            "stale form": await browser.post("/help", data={"csrf_token": "1" * 88}),
            "not your inbox": await browser.get("/inbox/C-2026-999"),
            "sign-in state": await anonymous.get("/oauth/callback?code=a&state=b"),
        }
        logout = await browser.post("/logout")
        after = await browser.get("/help")
        return pages, logout, after

    pages, logout, after = asyncio.run(story())
    assert pages["home"].status_code == 200 and 'href="/help"' in pages["home"].text
    assert pages["policy"].status_code == 200 and "<h2" in pages["policy"].text and "###" not in pages["policy"].text
    expected = {"missing": 404, "logout by GET": 405, "stale reply": 400, "empty reply": 422, "stale form": 400,
                "not your inbox": 404, "sign-in state": 400}
    for name, status in expected.items():
        answer = pages[name]
        assert answer.status_code == status, name
        assert re.search(r"<h1>[^<]+</h1><p>[^<]{20,}</p><p><a href=\"/[^\"]*\">", answer.text), name
        assert "Traceback" not in answer.text and "Not Found" not in answer.text, name
    assert logout.status_code == 303 and logout.headers["location"] == "/"
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_sign_in_keeps_the_verified_primary_address_and_a_person_can_turn_notices_off(store):
    async def story():
        world = await setup(store)
        world.state.set_emails("reporter-3", "primary@example.org", "other@example.org")
        world.state.set_emails("participant-1", "unverified@example.org", verified=False)
        browser = await browser_for(world, "reporter-3")
        unverified = await browser_for(world, "participant-1")
        shown = await browser.get("/notices")
        off = await browser.post("/notices", data={"notices": "off",
                                                   "csrf_token": csrf(shown.text)})
        forged = await unverified.post("/notices", data={"notices": "off", "csrf_token": csrf(shown.text)})
        return shown, off, forged, unverified

    shown, off, forged, _ = asyncio.run(story())
    assert "primary@example.org" in shown.text and "Notices are <strong>on</strong>" in shown.text
    assert off.status_code == 303 and store.address("reporter-3").notices_off is True
    assert store.address("reporter-3").email == "primary@example.org" and store.address("reporter-3").source == "github"
    assert store.address("participant-1") is None  # an unverified address is never used
    assert forged.status_code == 400  # one person's token cannot change another's settings


def test_only_a_mediator_can_enter_an_address_and_it_stays_off_github(store):
    async def story():
        world = await setup(store)
        stranger = await browser_for(world, "participant-1")
        refused = await stranger.get("/addresses")
        mediator = await browser_for(world, "mediator-1")
        form = await mediator.get("/addresses")
        bad = await mediator.post("/addresses", data={"login": "participant-2", "email": "nope",
                                                       "csrf_token": csrf(form.text)})
        saved = await mediator.post("/addresses", data={"login": "@participant-2", "email": "p2@example.org",
                                                         "csrf_token": csrf(form.text)})
        return world, refused, bad, saved

    world, refused, bad, saved = asyncio.run(story())
    assert refused.status_code == 403 and "<h1>For mediators only</h1>" in refused.text
    assert bad.status_code == 422
    assert saved.status_code == 303 and store.address("participant-2").email == "p2@example.org"
    assert store.address("participant-2").source == "mediator"
    everything = [c.body for r in world.state.repos.values() for i in r.issues.values()
                  for c in world.state.comments_of(r, i.number)] + [i.body or "" for r in world.state.repos.values()
                                                                    for i in r.issues.values()]
    assert not any("p2@example.org" in text for text in everything)
