"""Shared pieces for the poll tests: a case ready for a poll, and the ballot service around a store."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.core.case import Case
from app.core.summary import parse_summary
from app.polls.opening import open_poll
from app.web.auth import SESSION_COOKIE, SignIn
from app.web.ballot import ballot_routes
from app.wiring.policy_files import load_policy

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
SERVICE = "http://desk.test"
SECRET = "s" * 40
# 2048 bits (the floor blindrsa accepts) keeps key generation quick; opening's default of 3072 is
# checked in test_polls_opening.
TEST_KEY_BITS = 2048
SUMMARY = """## What happened
Repeated insults in review threads.
## Course of mediation
Both parties were contacted; one declined to talk.
## Why mediation did not resolve it
The insults continued after two requests.
## Action points
- warning: personal-attack
- temporary-ban: harassment, personal-attack
"""
VOTERS = [f"voter-{n}" for n in range(1, 9)]


def policy():
    return load_policy(Path(__file__).resolve().parent.parent / "policy")


def case_for_poll(the_policy, code: str = "C-2026-014", polls: int = 0) -> Case:
    return Case(
        code=code, stage="escalated", channel="form", opened_at=T0 - timedelta(days=10),
        acknowledge_by=T0 - timedelta(days=9), reporter="reporter-1",
        parties=("reporter-1", "participant-1"), subject="participant-1", recused=("voter-8",),
        summary=parse_summary(SUMMARY, the_policy), polls=polls,
    )


class Clock:
    """The service's idea of now, moved by the test."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Service:
    """The ballot routes over `store`, with sign-in, a movable clock and a TestClient per role."""

    def __init__(self, store, clock: Clock | None = None, wrap=None, pool=None):
        self.store = store
        self.clock = clock or Clock()
        self.sign_in = SignIn(SECRET, SERVICE, authorize=lambda redirect, state: "unused",
                              exchange=None, secure_cookies=False)
        routes = [*self.sign_in.routes(), *ballot_routes(store, self.sign_in, clock=self.clock, pool=pool)]
        app = Starlette(routes=routes)
        self.app = wrap(app) if wrap else app

    def session(self, login: str) -> str:
        """The session cookie a sign-in through GitHub would have given `login`."""
        return self.sign_in.sessions.dumps({"login": login})

    def client(self, login: str | None = None) -> TestClient:
        client = TestClient(self.app, base_url=SERVICE, follow_redirects=False)
        if login:
            client.cookies.set(SESSION_COOKIE, self.session(login))
        return client

    def open(self, voters=VOTERS, code: str = "C-2026-014", now: datetime | None = None):
        the_policy = policy()
        return open_poll(case_for_poll(the_policy, code), the_policy, self.store, voters,
                         now or self.clock.now, public_url=SERVICE, key_bits=TEST_KEY_BITS)
