"""Every role hears from its case by e-mail, through the service, the stand-in and a real SMTP server, and no
e-mail carries anything of the report: the reporter, each party, and the person sanctioned."""
from __future__ import annotations

from datetime import timedelta

from test_sanctions_support import (
    CASES,
    POLICY,
    SUBJECT,
    Clock,
    approve_by_command,
    case_issues,
    decide,
    run,
    world_for,
)

from app.core.events import Tick
from app.notices.kinds import SENTENCES
from app.notices.mailer import Mailer, SmtpSettings
from app.service import casefile
from app.service.context import Context

CANARY = "CANARY-7f3a-report-text"
DESK = "http://desk.example"
ADDRESSES = {"reporter-1": "reporter@example.org", SUBJECT: "subject@example.org",
             "participant-2": "other-party@example.org"}


def test_each_role_receives_its_notices_and_none_carries_the_report(store, mailbox):
    clock = Clock()
    mailer = Mailer(SmtpSettings.from_env(mailbox.env))

    async def tick(world, number):
        ctx = Context.make(world.github, POLICY, store, world.router.me, clock(), DESK, mailer)
        ctx.executor.clock = clock
        file = await casefile.load(world.github, store, CASES, number, world.router.me)
        await world.router.apply(ctx, file, Tick(f"tick:{clock().isoformat()}"))
        await world.settle()

    async def story():
        world = await world_for(store, clock, mailer=mailer, public_url=DESK)
        for login, email in ADDRESSES.items():
            store.set_address(login, email, "github", clock())
        reporter = world.as_user("reporter-1")
        await reporter.create_issue(POLICY.roles.places.intake, "Help request",
                                    f"{CANARY}: @{SUBJECT} and @participant-2 in the review thread", [], key="f")
        await world.settle()
        (issue,) = case_issues(world).values()
        mediator = world.as_user("mediator-1")
        for index, command in enumerate([
                "/conduct assign @mediator-1",
                f"/conduct message @participant-2\nThe reporter said: {CANARY}. Can we talk?",
                f"/conduct message @{SUBJECT}\nCould we talk about {CANARY}?",
                f"/conduct message @participant-3\nAbout {CANARY}, a word?"]):  # no address known
            await mediator.create_comment(CASES, issue.number, command, key=f"m{index}")
            await world.settle()
        decision = await decide(world, clock, issue.number, "temporary-ban")
        await approve_by_command(world, issue.number)
        clock.advance(timedelta(weeks=5))
        await tick(world, issue.number)
        return world, issue.number, decision

    world, number, decision = run(story())
    heard = {email: [_kind_of(m.get_content()) for m in mailbox.to(email)]
             for email in ADDRESSES.values()}
    assert heard["reporter@example.org"] == ["acknowledged", "taken", "decided", "closed"]
    assert heard["other-party@example.org"] == ["message"]
    assert heard["subject@example.org"] == ["message", "sanction", "lifted"]
    code = world.state.repo(CASES).issues[number].title
    for _, message in mailbox.messages:
        text = message.as_string()
        assert CANARY not in text and "review thread" not in text
        for login in (*ADDRESSES, "participant-3", "mediator-1", "sc-1"):
            assert login not in text, login  # no names, not even the recipient's or the other party's
        assert f"{DESK}/inbox/{code}" in message.get_content() and f"{DESK}/notices" in message.get_content()
        assert message["Subject"] == "Conduct desk: something new for you"
    # Nobody can e-mail participant-3: the case asks the mediators, once, to hand the link over.
    bodies = [c.body for c in world.state.comments_of(world.state.repo(CASES), number)]
    hand_over = [b for b in bodies if "**`participant-3` cannot be told by e-mail**" in b]
    assert len(hand_over) == 1 and f"{DESK}/inbox/{code}" in hand_over[0] and CANARY not in hand_over[0]
    assert store.notice_counts()["sent"] == 8


def _kind_of(body: str) -> str:
    (kind,) = [kind for kind, sentence in SENTENCES.items() if sentence in body]
    return kind
