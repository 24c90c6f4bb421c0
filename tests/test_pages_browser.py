"""The pages in Debian's Chromium: the start page, the inbox (clean, both sides, confirmed, reload-safe, usable
at 390 px) and every error page, each with no axe-core violations."""
from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import async_playwright

from app.service.context import Context
from app.web.auth import SESSION_COOKIE, SIGNED_IN_PATHS, SignIn
from app.web.notice_pages import NoticePages
from app.web.pages import Pages
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
POLICY = load_policy(ROOT / "policy")
CASES = POLICY.roles.places.cases
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
AXE = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SECRET = "b" * 40
ANSWERS = {"what-happened": "They were rude in review", "where": "", "who": "@participant-3",
           "what-would-help": "Talk to someone", "urgency": "Not urgent"}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _axe(page) -> list:
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("async () => (await axe.run(document)).violations"
                                ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))")
    return found


def test_the_pages_in_a_browser(store):
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.fail("needs /usr/bin/chromium and tests/node's axe-core (npm ci in tests/node)")
    port = _port()
    url = f"http://127.0.0.1:{port}"

    async def story():
        world = await build_world(POLICY, store, public_url=url)
        sign_in = SignIn(SECRET, url, authorize=lambda r, s: f"{url}/nowhere", exchange=None, secure_cookies=False)
        context = lambda: Context.make(world.github, POLICY, store, world.router.me, world.now(), url)  # noqa: E731
        for route in [*sign_in.routes(), *Pages(sign_in, context, ROOT / ".github/ISSUE_TEMPLATE", SECRET).routes(),
                      *NoticePages(sign_in, context, SECRET).routes()]:
            world.service_app.router.routes.append(route)
        cookie = sign_in.sessions.dumps({"login": "reporter-3"})
        # The reporter files a case through the private form (as the HTTP tests do), and a mediator writes.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.service_app), base_url=url,
                                     cookies={SESSION_COOKIE: cookie}) as client:
            form = (await client.get("/help")).text
            consent = re.search(r'name="consent" value="([^"]+)"', form).group(1)
            token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form).group(1)
            sent = await client.post("/help", data={**ANSWERS, "consent": consent, "csrf_token": token})
            code = re.search(r"<strong>(C-\d{4}-\d{3})</strong>", sent.text).group(1)
        await world.settle()
        (issue,) = world.state.repo(CASES).issues.values()
        await world.as_user("mediator-1").create_comment(
            CASES, issue.number, "/conduct message @reporter-3\nThank you. **Could we talk** on Friday? "
            "A-very-long-unbroken-word-" + "x" * 120, key="m")
        await world.settle()

        server = uvicorn.Server(uvicorn.Config(world.service_app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="off"))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        found = {}
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                ctx = await browser.new_context()
                await ctx.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": f"{url}{path}"}
                                       for path in SIGNED_IN_PATHS])
                page = await ctx.new_page()
                await page.goto(f"{url}/")
                found["home"] = (await page.inner_text("h1"), await _axe(page))
                await page.goto(f"{url}/inbox/{code}")
                found["inbox before"] = (await page.content(), await _axe(page))
                await page.fill("#reply", "Friday works for me")
                await page.click("button[type=submit]:has-text('Send')")
                await page.wait_for_url(f"{url}/inbox/{code}?sent=1")
                await world.settle()
                await page.reload()
                await world.settle()
                found["inbox after"] = (await page.content(), await _axe(page))
                await page.set_viewport_size({"width": 390, "height": 800})
                found["narrow"] = await page.evaluate("document.documentElement.scrollWidth")
                errors = {}
                for name, path in [("missing", "/no/such/page"), ("not yours", "/inbox/C-2026-999"),
                                   ("logout by link", "/logout"), ("sign-in", "/oauth/callback?code=a&state=b")]:
                    answer = await page.goto(f"{url}{path}")
                    errors[name] = (answer.status, await page.inner_text("h1"),
                                    await page.locator("main a").count(), await _axe(page))
                await page.goto(f"{url}/inbox/{code}")
                await page.evaluate("document.querySelector('input[name=csrf_token]').value = '0'.repeat(88)")
                await page.fill("#reply", "this one is stale")
                await page.click("button[type=submit]:has-text('Send')")
                errors["stale form"] = (400, await page.inner_text("h1"), await page.locator("main a").count(),
                                        await _axe(page))
                found["errors"] = errors
                await browser.close()
        finally:
            server.should_exit = True
            await serving
        replies = [c.body for c in world.state.comments_of(world.state.repo(CASES), issue.number)
                   if "Friday works for me" in c.body]
        return found, replies

    found, replies = asyncio.run(story())
    assert found["home"] == ("Conduct Desk", [])
    before, before_axe = found["inbox before"]
    assert "conduct-desk:" not in before and "&lt;!--" not in before and "Message to `" not in before
    assert "<strong>Could we talk</strong>" in before and before_axe == []
    after, after_axe = found["inbox after"]
    assert "Your reply was sent" in after and "You wrote" in after and "The mediators wrote" in after
    assert after_axe == []
    assert len(replies) == 1  # the reload after sending repeated nothing
    assert found["narrow"] <= 390  # no horizontal scrolling at 390 px, even with a long unbroken word
    statuses = {"missing": 404, "not yours": 404, "logout by link": 405, "sign-in": 400, "stale form": 400}
    for name, (status, heading, links, violations) in found["errors"].items():
        assert status == statuses[name] and heading and links >= 1 and violations == [], (name, heading, violations)
