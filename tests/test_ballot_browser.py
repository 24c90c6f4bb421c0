"""The ballot pages in Chromium, against real servers: sign in through the GitHub stand-in, get a ballot,
vote and revote (in the same browser, as most voters will), close the poll, find the receipt in the result.
Every request of the flow is recorded where the service receives it: the vote page and the cast carry no
cookie and no referer."""
from __future__ import annotations

import asyncio
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from test_polls_support import SECRET, TEST_KEY_BITS, VOTERS, case_for_poll, policy

from app.core.poll_result import parse_result, recount
from app.github.signin import authorize_url, login_from_code
from app.polls.closing import close_due_polls
from app.polls.ids import to_slug
from app.polls.opening import open_poll
from app.polls.receipts import check, parse_receipt
from app.polls.verifier import make_verifier
from app.standin import SandboxState
from app.standin import create_app as create_sandbox
from app.web.auth import SESSION_COOKIE, SIGNED_IN_PATHS, SignIn
from app.web.ballot import ballot_routes

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CLIENT_ID, CLIENT_SECRET = "Iv1.conduct", "oauth-secret"


class Served:
    """An ASGI app under uvicorn on 127.0.0.1, on a port the OS picked, in a background thread."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self, app) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])),
                                       daemon=True)
        self.thread.start()
        while not self.server.started:
            self.thread.join(0.02)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(10)
        self.sock.close()


class Received:
    """ASGI middleware keeping each request's method, path and headers as the service received them."""

    def __init__(self, app):
        self.app, self.requests = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"],
                                  {k.decode().lower(): v.decode() for k, v in scope["headers"]}))
        await self.app(scope, receive, send)

    def to(self, method: str, suffix: str) -> list[dict]:
        return [headers for m, path, headers in self.requests if m == method and path.endswith(suffix)]


@pytest.fixture
def received():
    return {}


@pytest.fixture
def servers(store, received):
    sandbox_state = SandboxState()
    for login in VOTERS:
        sandbox_state.add_user(login)
    sandbox_state.register_app(1, "unused", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    github, desk = Served(), Served()
    api = github.url + "/"
    sign_in = SignIn(
        SECRET, desk.url,
        authorize=lambda redirect, state: authorize_url(api, CLIENT_ID, redirect, state),
        exchange=lambda code, redirect: login_from_code(api, CLIENT_ID, CLIENT_SECRET, code, redirect),
    )
    try:
        github.start(create_sandbox(sandbox_state))
        received["desk"] = Received(Starlette(routes=[*sign_in.routes(), *ballot_routes(store, sign_in)]))
        desk.start(received["desk"])
        yield desk.url
    finally:
        desk.stop()
        github.stop()


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's Chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(store, servers):
    the_policy = policy()
    return open_poll(case_for_poll(the_policy), the_policy, store, VOTERS, datetime.now(UTC), public_url=servers,
                     key_bits=TEST_KEY_BITS)


def test_sign_in_get_a_ballot_vote_revote_and_find_the_receipt(servers, browser, store, received):
    opened = _open(store, servers)
    slug = to_slug(opened.poll_id)

    context = browser.new_context()
    sent = []  # every request Chromium made, with the headers it says it sent
    context.on("request", lambda request: sent.append((request.method, request.url, request.all_headers())))
    page = context.new_page()
    page.goto(f"{servers}/ballot/{slug}")
    page.get_by_role("link", name="voter-3").click()  # the stand-in's "sign in as" chooser
    page.wait_for_url(f"{servers}/ballot/{slug}")
    page.get_by_role("button", name="Get my ballot").click()
    page.locator("#ballot").wait_for(state="visible")
    link = page.locator("#ballot-url").input_value()
    assert link.startswith(f"{servers}/polls/{slug}/vote#t=")
    # Asking again, even by reloading the page, is refused with the service's message.
    page.reload()
    page.get_by_role("button", name="Get my ballot").click()
    page.locator("#error", has_text="already signed").wait_for()
    # The session cookie exists, and only for the signed-in pages.
    cookies = context.cookies()
    assert cookies and {cookie["path"] for cookie in cookies if cookie["name"] == SESSION_COOKIE} == set(
        SIGNED_IN_PATHS)

    # Voting from the very browser that got the ballot, and following the page's own link: the worst case.
    page.reload()
    with context.expect_page() as new_tab:
        page.evaluate("link => { const a = document.getElementById('ballot-link'); a.href = link; "
                      "a.hidden = false; document.getElementById('ballot').hidden = false; }", link)
        page.get_by_role("link", name="Vote now in a new tab").click()
    vote = new_tab.value
    vote.get_by_label("A formal private warning").check()
    vote.get_by_role("button", name="Cast my vote").click()
    vote.get_by_text("Your vote was recorded: A formal private warning.").wait_for()
    receipt = vote.locator("#receipt").inner_text()
    vote.get_by_label("A temporary ban").check()
    vote.get_by_role("button", name="Cast my vote").click()
    vote.get_by_text("Your vote was changed to: A temporary ban.").wait_for()
    assert vote.locator("#receipt").inner_text() == receipt
    signed_receipt = vote.locator("#receipt-text").input_value()
    context.close()

    desk = received["desk"]
    vote_pages, casts = desk.to("GET", f"/polls/{slug}/vote"), desk.to("POST", f"/polls/{slug}/cast")
    assert len(vote_pages) == 1 and len(casts) == 2
    signing = desk.to("POST", f"/ballot/{slug}/sign")
    assert signing and all(SESSION_COOKIE in headers.get("cookie", "") for headers in signing)  # it was there
    for headers in [*vote_pages, *casts]:
        assert "cookie" not in headers and "referer" not in headers
        assert "authorization" not in headers
    chromium_said = [headers for method, url, headers in sent if f"/polls/{slug}/" in url]
    assert chromium_said and all("cookie" not in h and "referer" not in h for h in chromium_said)

    closed = close_due_polls(store, opened.terms.deadline)
    ballots = {ballot["receipt"]: ballot["choice"] for ballot in closed[0].result["ballots"]}
    assert ballots == {receipt: "temporary-ban"}
    assert closed[0].result["signed_count"] == 1 and closed[0].result["issued"] == ["voter-3"]
    # The browser's key signed the choice (Chromium's own WebCrypto Ed25519), and its receipt checks out.
    parsed = parse_result(closed[0].result_json)
    assert recount(parsed, make_verifier(parsed)).ok
    assert check(parsed, parse_receipt(signed_receipt)) == (
        True, "the record holds your ballot with 'temporary-ban', as the service signed")


def test_a_damaged_link_is_caught_before_voting(servers, browser, store):
    opened = _open(store, servers)
    page = browser.new_page()
    page.goto(f"{servers}/polls/{to_slug(opened.poll_id)}/vote#t=AAAA&p=AAAA&s=AAAA&k=AAAA")
    page.locator("#error", has_text="damaged").wait_for()
    assert page.locator("#vote").is_hidden()
    page.close()


def test_a_browser_without_ed25519_is_told_and_takes_no_ballot(servers, browser, store, received):
    opened = _open(store, servers)
    slug = to_slug(opened.poll_id)
    context = browser.new_context()
    # What an older browser does: WebCrypto knows no Ed25519.
    context.add_init_script("""
        const generateKey = crypto.subtle.generateKey.bind(crypto.subtle);
        crypto.subtle.generateKey = (algorithm, ...rest) =>
          (algorithm === 'Ed25519' || algorithm?.name === 'Ed25519')
            ? Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError'))
            : generateKey(algorithm, ...rest);
    """)
    page = context.new_page()
    page.goto(f"{servers}/ballot/{slug}")
    page.get_by_role("link", name="voter-2").click()
    page.wait_for_url(f"{servers}/ballot/{slug}")
    page.get_by_role("button", name="Get my ballot").click()
    page.locator("#error", has_text="cannot make an Ed25519 key").wait_for()
    assert "No ballot was taken" in page.locator("#error").inner_text()
    context.close()
    assert received["desk"].to("POST", f"/ballot/{slug}/sign") == []  # nothing was asked, so nothing is used up
    assert store.not_issued(opened.poll_id) == store.electorate_of(opened.poll_id)
