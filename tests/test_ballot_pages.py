"""What the ballot pages tell whom: the sign-in cookie reaches only the signed-in pages, an account outside
the electorate learns nothing of a poll, a closed poll says so, and a browser without JavaScript is told why."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient
from test_polls_support import SERVICE, Service

from app.polls import client
from app.polls.closing import close_due_polls
from app.polls.ids import to_slug
from app.web.auth import SESSION_COOKIE, SIGNED_IN_PATHS, STATE_COOKIE, SignIn, signed_in_path
from app.web.ballot import ballot_routes
from app.web.pages import Pages
from app.wiring.policy_files import load_policy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def poll(store):
    service = Service(store)
    return service, service.open()


def _set_cookies(response) -> list[str]:
    return [value for key, value in response.headers.multi_items() if key == "set-cookie"]


def test_the_session_cookie_is_scoped_to_the_signed_in_pages_only():
    sign_in = SignIn("s" * 40, SERVICE, authorize=lambda r, s: "https://github.test/authorize", exchange=None)

    async def exchange(code, redirect):
        return "voter-1"
    sign_in.exchange = exchange
    web = TestClient(Starlette(routes=sign_in.routes()), base_url=SERVICE, follow_redirects=False)
    login = web.get("/login?next=/ballot/C-2026-014-1")
    (state_cookie,) = _set_cookies(login)
    assert state_cookie.startswith(f"{STATE_COOKIE}=") and "Path=/oauth" in state_cookie
    state = sign_in.states.loads(web.cookies[STATE_COOKIE])["state"]
    done = web.get("/oauth/callback", params={"code": "c", "state": state})
    paths = [re.search(r"Path=([^;]*)", cookie).group(1) for cookie in _set_cookies(done)
             if cookie.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" not in cookie]
    assert sorted(paths) == sorted(SIGNED_IN_PATHS) and "/" not in paths
    # A whole-site cookie left by an earlier release is deleted on sign-in.
    assert any(cookie.startswith(f'{SESSION_COOKIE}=""') and "Path=/;" in cookie for cookie in _set_cookies(done))
    # What a browser's cookie jar then sends where (RFC 6265 path matching, as httpx's jar does it).
    jar = web.cookies.jar
    sent_to = {path: any(cookie.name == SESSION_COOKIE and (path == cookie.path or path.startswith(cookie.path + "/"))
                         for cookie in jar)
               for path in ("/ballot/C-2026-014-1", "/ballot/C-2026-014-1/sign", "/help", "/inbox/C-2026-001",
                            "/polls/C-2026-014-1/vote", "/polls/C-2026-014-1/cast", "/", "/ballots")}
    assert sent_to == {"/ballot/C-2026-014-1": True, "/ballot/C-2026-014-1/sign": True, "/help": True,
                       "/inbox/C-2026-001": True, "/polls/C-2026-014-1/vote": False,
                       "/polls/C-2026-014-1/cast": False, "/": False, "/ballots": False}


def test_every_page_that_needs_a_sign_in_is_where_the_cookie_goes(poll):
    service, _ = poll
    policy = SimpleNamespace(policy=load_policy(ROOT / "policy"))  # only the policy page reads it
    pages = Pages(service.sign_in, lambda: policy, ROOT / ".github/ISSUE_TEMPLATE", "p" * 40)
    routes = [*pages.routes(), *ballot_routes(service.store, service.sign_in)]
    anonymous = TestClient(Starlette(routes=routes), base_url=SERVICE, follow_redirects=False)
    checked = 0
    for route in routes:
        assert isinstance(route, Route)
        path = route.path.replace("{poll}", "C-2026-014-1").replace("{code}", "C-2026-001")
        answer = anonymous.get(path) if "GET" in (route.methods or {"GET"}) else None
        if answer is not None and answer.status_code == 303 and answer.headers["location"].startswith("/login"):
            assert signed_in_path(path), path
            checked += 1
        else:
            assert not path.startswith("/ballot/") or path.endswith("/sign"), path
    assert checked >= 4  # the ballot page, the private form, the inbox and the request to return


@pytest.mark.parametrize("slug", ["C-2026-014-1", "C-2026-999-1"])
def test_an_account_outside_the_electorate_learns_nothing_of_the_poll(poll, slug):
    service, opened = poll
    for login in ("participant-1", "voter-8", "outsider"):  # the subject, a recused voter, a stranger
        page = service.client(login).get(f"/ballot/{slug}")
        assert page.status_code == 404
        assert "C-2026-014" not in page.text and "C-2026-999" not in page.text
        assert opened.terms.deadline.strftime("%Y-%m-%d") not in page.text and "get-ballot" not in page.text
    assert service.client("voter-1").get(f"/ballot/{slug}").status_code == (200 if slug == "C-2026-014-1" else 404)


def test_a_closed_poll_shows_it_is_closed_and_offers_no_options(poll, store):
    service, opened = poll
    slug = to_slug(opened.poll_id)
    link = client.get_ballot(SERVICE, opened.poll_id, service.session("voter-1"), http=service.client())
    open_page = service.client().get(f"/polls/{slug}/vote")
    assert 'id="vote"' in open_page.text and "closed at" not in open_page.text
    service.clock.now = opened.terms.deadline
    for page in (service.client().get(f"/polls/{slug}/vote"), service.client("voter-2").get(f"/ballot/{slug}")):
        assert page.status_code == 200 and "closed" in page.text
        assert 'id="vote"' not in page.text and 'id="get-ballot"' not in page.text
    close_due_polls(store, opened.terms.deadline)
    closed_page = service.client().get(f"/polls/{slug}/vote")
    assert 'id="closed"' in closed_page.text and 'id="vote"' not in closed_page.text
    assert link.token not in closed_page.text


def test_without_javascript_the_pages_say_why_and_what_else_works(poll):
    service, opened = poll
    slug = to_slug(opened.poll_id)
    vote = service.client().get(f"/polls/{slug}/vote").text
    ballot = service.client("voter-1").get(f"/ballot/{slug}").text
    for page in (vote, ballot):
        noscript = re.search(r"<noscript>(.*?)</noscript>", page, re.S).group(1)
        assert "JavaScript" in noscript and "conduct vote" in noscript


def test_the_signing_answer_ends_its_connection(poll):
    service, opened = poll
    answer = service.client("voter-1").post(f"/ballot/{to_slug(opened.poll_id)}/sign", json={"blinded_msg": "AA"},
                                            headers={"x-conduct-ballot": "1"})
    assert answer.status_code == 400 and answer.headers["connection"] == "close"
