"""Notices go through a real SMTP server, once per key, carry no case text, and respect 'off' and missing addresses."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from app.notices.kinds import SENTENCES, compose
from app.notices.mailer import Mailer, MailNotConfigured, SmtpSettings
from app.notices.notifier import Notifier

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
LINK = "http://desk.example/inbox/C-2026-014"


def _notifier(store, mailbox, env=None) -> Notifier:
    settings = SmtpSettings.from_env(mailbox.env | (env or {}))
    return Notifier(store, Mailer(settings), "http://desk.example/", clock=lambda: NOW)


def test_a_notice_reaches_the_person_once_and_says_only_that_there_is_something_new(store, mailbox):
    store.set_address("Party-One", "one@example.org", "github", NOW)
    notifier = _notifier(store, mailbox)
    assert asyncio.run(notifier.notify("C-2026-014:message:1", "party-one", "message", LINK, "C-2026-014")) == "sent"
    # The same key again (a redelivery, a retried effect) sends nothing more.
    assert asyncio.run(notifier.notify("C-2026-014:message:1", "party-one", "message", LINK)) == "sent"
    got = mailbox.to("one@example.org")
    assert len(got) == 1
    message = got[0]
    assert message["From"] == "desk@conduct.example" and message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert LINK in body and SENTENCES["message"] in body and "http://desk.example/notices" in body
    assert "party-one" not in body.lower() and "C-2026-014" not in message["Subject"]


def test_no_address_off_and_no_mail_server_send_nothing_and_say_so(store, mailbox):
    notifier = _notifier(store, mailbox)
    assert asyncio.run(notifier.notify("k1", "nobody-known", "acknowledged", LINK)) == "no-address"
    store.set_address("quiet", "quiet@example.org", "mediator", NOW)
    store.set_notices_off("quiet", True, NOW)
    assert asyncio.run(notifier.notify("k2", "quiet", "message", LINK)) == "off"
    store.set_address("someone", "someone@example.org", "github", NOW)
    unconfigured = Notifier(store, None, "http://desk.example")
    assert asyncio.run(unconfigured.notify("k3", "someone", "message", LINK)) == "no-mailer"
    assert mailbox.messages == []
    counts = store.notice_counts()
    assert (counts["no-address"], counts["off"], counts["no-mailer"]) == (1, 1, 1)
    store.set_notices_off("quiet", False, NOW)
    assert store.address("quiet").email == "quiet@example.org"  # turning notices on again keeps the address


def test_a_mediators_address_is_not_replaced_by_sign_in_but_a_mediator_can_change_it(store):
    assert store.set_address("p", "asked-for@example.org", "mediator", NOW) is True
    assert store.set_address("P", "github-primary@example.org", "github", NOW) is False
    assert store.address("p").email == "asked-for@example.org"
    assert store.set_address("p", "new@example.org", "mediator", NOW) is True
    assert store.address("p").email == "new@example.org"
    store.set_address("q", "first@example.org", "github", NOW)
    store.set_address("q", "changed@example.org", "github", NOW)
    assert store.address("q").email == "changed@example.org"


def test_a_refused_address_fails_for_good_and_a_deferred_one_is_retried(store, mailbox):
    store.set_address("gone", "gone@example.org", "github", NOW)
    store.set_address("later", "later@example.org", "github", NOW)
    mailbox.refuse.add("gone@example.org")
    mailbox.defer.add("later@example.org")
    notifier = _notifier(store, mailbox)
    assert asyncio.run(notifier.notify("a", "gone", "message", LINK)) == "failed"
    assert asyncio.run(notifier.notify("b", "later", "message", LINK)) == "waiting"
    assert store.notice("b").error_class == "deferred-451"
    mailbox.defer.clear()
    assert asyncio.run(notifier.retry()) == {"sent": 1}
    assert len(mailbox.to("later@example.org")) == 1 and mailbox.to("gone@example.org") == []
    assert asyncio.run(notifier.retry()) == {}


def test_a_server_that_is_down_leaves_the_notice_waiting(store, mailbox):
    store.set_address("p", "p@example.org", "github", NOW)
    mailbox.stop()
    notifier = _notifier(store, mailbox)
    assert asyncio.run(notifier.notify("down", "p", "message", LINK)) == "waiting"
    assert store.notice_counts()["waiting"] == 1


def test_every_kind_carries_only_its_sentence_and_the_links():
    for kind, sentence in SENTENCES.items():
        body = compose(kind, LINK, "http://desk.example/notices").body
        rest = body.replace(sentence, "").replace(LINK, "").replace("http://desk.example/notices", "")
        assert "{" not in rest and "C-20" not in rest
    with pytest.raises(ValueError):
        compose("gossip", LINK, "x")


@pytest.mark.parametrize("env, message", [
    ({"CONDUCT_SMTP_HOST": "mx", "CONDUCT_SMTP_TLS": "maybe", "CONDUCT_SMTP_FROM": "a@b"}, "CONDUCT_SMTP_TLS"),
    ({"CONDUCT_SMTP_HOST": "mx", "CONDUCT_SMTP_PORT": "lots", "CONDUCT_SMTP_FROM": "a@b"}, "CONDUCT_SMTP_PORT"),
    ({"CONDUCT_SMTP_HOST": "mx"}, "CONDUCT_SMTP_FROM"),
])
def test_settings_that_cannot_work_are_named(env, message):
    with pytest.raises(MailNotConfigured, match=message):
        SmtpSettings.from_env(env)
    assert SmtpSettings.from_env({}) is None
    assert SmtpSettings.from_env({"CONDUCT_SMTP_HOST": "mx", "CONDUCT_SMTP_FROM": "a@b"}).port == 587
