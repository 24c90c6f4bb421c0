"""Voters are told: the poll's discussion mentions the voters team, each voter with an address gets an
e-mail, and before the deadline those who have not taken a ballot are reminded in the discussion and by
e-mail, once; the ballot page links the discussion."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from app.notices.kinds import SENTENCES
from app.notices.mailer import Mailer, SmtpSettings
from app.polls import client
from app.service.context import Context
from app.service.polling import open_case_poll
from app.service.sweep import sweep
from app.standin.proxy import FaultProxy, nth_match
from app.web.auth import SESSION_COOKIE, SignIn
from app.web.ballot import ballot_routes
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy
from tests.test_context_card import SUMMARY

POLICY = load_policy("policy")
PLACES = POLICY.roles.places
PUBLIC = "http://desk.local"


async def poll_opened(store, clock_box: dict, mailer=None, wrap_transport=None):
    """A case escalated and its poll opened: (world, a context maker, the poll's id, the sign-in)."""
    sign_in = SignIn("t" * 40, PUBLIC, authorize=lambda redirect, state: "", exchange=None)
    world = await build_world(POLICY, store, now=lambda: clock_box["now"], public_url=PUBLIC,
                              extra_routes=ballot_routes(store, sign_in, clock=lambda: clock_box["now"]),
                              wrap_transport=wrap_transport)

    def ctx():
        return Context.make(world.github, POLICY, store, world.router.me, clock_box["now"], PUBLIC, mailer)

    thread = await world.as_user("participant-1").create_issue(PLACES.watched[0], "Parser", "x", [], key="t")
    await world.as_user("reporter-1").create_comment(PLACES.watched[0], thread.number,
                                                     "/conduct help they keep mocking my accent", key="s")
    await world.settle()
    mediator = world.as_user("mediator-1")
    for text in ("/conduct assign @mediator-1", SUMMARY, "/conduct escalate @participant-1"):
        clock_box["now"] += timedelta(hours=1)
        await mediator.create_comment(PLACES.cases, 1, text, key=f"m-{clock_box['now'].timestamp():.0f}")
        await world.settle()
    poll_id = await open_case_poll(ctx(), "C-2026-001", PUBLIC, world.router.apply)
    await world.settle()
    return world, ctx, poll_id, sign_in


def test_the_electorate_is_told_when_a_poll_opens_and_reminded_before_it_closes(store, mailbox):
    clock_box = {"now": datetime(2026, 3, 2, 9, 0, tzinfo=UTC)}
    for login in ("voter-1", "voter-2", "voter-3"):
        store.set_address(login, f"{login}@example.org", "github", clock_box["now"])
    mailer = Mailer(SmtpSettings.from_env(mailbox.env))

    async def story():
        world, ctx, poll_id, sign_in = await poll_opened(store, clock_box, mailer)
        (discussion,) = world.state.repo(PLACES.deliberation.repo).discussions.values()
        assert f"@{POLICY.roles.organization}/{POLICY.roles.roles.voters.team}" in discussion.body
        assert "also supports every milder one" in discussion.body
        opened_mail = {address: mailbox.to(address) for address in ("voter-1@example.org", "voter-2@example.org")}
        assert all(len(got) == 1 and SENTENCES["poll"] in got[0].get_content() for got in opened_mail.values())
        body = opened_mail["voter-1@example.org"][0].get_content()
        assert f"{PUBLIC}/ballot/C-2026-001-1" in body and "Insults" not in body and "participant-1" not in body

        # voter-1 takes a ballot; the ballot page links the discussion where the summary is.
        browser = TestClient(world.service_app, base_url=PUBLIC,
                             cookies={SESSION_COOKIE: sign_in.sessions.dumps({"login": "voter-1"})})
        page = browser.get(f"/ballot/{poll_id.replace('/', '-')}")
        url = json.loads(store.effect_result(f"discussion:{poll_id}"))["url"]
        assert page.status_code == 200 and f'href="{url}"' in page.text and "/discussions/" in url
        client.get_ballot(PUBLIC, poll_id, sign_in.sessions.dumps({"login": "voter-1"}), http=browser)

        deadline = store.get_poll(poll_id).deadline
        clock_box["now"] = deadline - POLICY.process.poll.remind_before - timedelta(minutes=1)
        await sweep(ctx(), world.router.apply)
        assert len(discussion.comments) == 0  # not yet
        clock_box["now"] = deadline - POLICY.process.poll.remind_before + timedelta(minutes=1)
        await sweep(ctx(), world.router.apply)
        await sweep(ctx(), world.router.apply)  # a second sweep reminds nobody again
        (reminder,) = discussion.comments
        electorate = store.electorate_of(poll_id)
        assert "voter-1" not in reminder.body and all(f"@{login}" in reminder.body
                                                      for login in electorate if login != "voter-1")
        assert "participant-1" not in reminder.body
        assert len(mailbox.to("voter-1@example.org")) == 1  # took a ballot: no reminder
        reminded = mailbox.to("voter-2@example.org")
        assert len(reminded) == 2 and SENTENCES["poll-reminder"] in reminded[1].get_content()

    asyncio.run(story())


def test_a_reminder_github_posted_but_answered_502_for_is_not_posted_again(store):
    clock_box = {"now": datetime(2026, 3, 2, 9, 0, tzinfo=UTC)}
    box = {}

    def wrap(inner):
        box["proxy"] = FaultProxy(inner, rule=nth_match("POST", "/graphql", 1, "after", "AddDiscussionComment"))
        return box["proxy"]

    async def story():
        world, ctx, poll_id, _sign_in = await poll_opened(store, clock_box, wrap_transport=wrap)
        clock_box["now"] = store.get_poll(poll_id).deadline - POLICY.process.poll.remind_before + timedelta(minutes=1)
        box["proxy"].arm()
        await sweep(ctx(), world.router.apply)
        clock_box["now"] += timedelta(minutes=15)
        await sweep(ctx(), world.router.apply)
        (discussion,) = world.state.repo(PLACES.deliberation.repo).discussions.values()
        return discussion, box["proxy"].log

    discussion, faults = asyncio.run(story())
    assert [kind for _position, _what, kind in faults] == ["after"]
    assert len(discussion.comments) == 1
