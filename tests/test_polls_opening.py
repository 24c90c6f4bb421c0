"""Opening a poll: the electorate, options, rule and deadline are frozen, and the discussion post says all."""
from __future__ import annotations

from datetime import timedelta

import pytest
from test_polls_support import SERVICE, T0, VOTERS, case_for_poll, policy

from app.ballots import blindrsa
from app.polls.ids import from_slug, to_slug
from app.polls.opening import CannotOpen, electorate_for, open_poll
from app.polls.terms import PollTerms

POLICY = policy()


def test_parties_the_subject_and_the_recused_do_not_vote():
    case = case_for_poll(POLICY)
    voters = [*VOTERS, "Participant-1", "reporter-1"]
    assert electorate_for(case, voters) == [f"voter-{n}" for n in range(1, 8)]


def test_opening_freezes_the_terms_and_makes_a_3072_bit_key(store):
    opened = open_poll(case_for_poll(POLICY), POLICY, store, VOTERS, T0, public_url=SERVICE)
    assert opened.poll_id == "C-2026-014/1"
    stored = PollTerms.from_poll(store.get_poll(opened.poll_id))
    assert stored == opened.terms
    assert stored.deadline == T0 + POLICY.process.poll.duration == T0 + timedelta(hours=72)
    assert (stored.rule, stored.threshold, stored.quorum) == (
        POLICY.process.poll.rule, POLICY.process.poll.threshold, POLICY.process.poll.quorum)
    assert stored.electorate_size == store.electorate_size(opened.poll_id) == 7
    assert not store.is_eligible(opened.poll_id, "participant-1")
    assert [(c.id, c.severity) for c in stored.options] == [
        ("no-action", 0), ("warning", POLICY.action("warning").severity),
        ("temporary-ban", POLICY.action("temporary-ban").severity)]
    assert stored.options[2].description == POLICY.action("temporary-ban").description
    assert [c.id for c in stored.ballot_choices()][-1] == "abstain"
    assert blindrsa.load_public_key_pem(stored.public_key).key_size == 3072


def test_the_discussion_post_has_the_summary_options_deadline_link_and_key(store):
    case = case_for_poll(POLICY)
    opened = open_poll(case, POLICY, store, VOTERS, T0, public_url=SERVICE + "/")
    body = opened.body
    for part in (case.summary.what_happened, case.summary.course, case.summary.why_unresolved):
        assert part in body
    for action in ("warning", "temporary-ban"):
        assert POLICY.action(action).title in body and POLICY.action(action).description in body
    assert "2026-05-07 10:00 UTC" in body
    assert opened.ballot_url == f"{SERVICE}/ballot/C-2026-014-1" and opened.ballot_url in body
    assert opened.terms.public_key.strip() in body
    assert opened.event.poll == opened.poll_id and opened.event.deadline_text == "2026-05-07 10:00 UTC"
    assert opened.event.id == f"poll-opened:{opened.poll_id}"


def test_opening_again_after_a_crash_announces_the_same_key_and_deadline(store):
    case = case_for_poll(POLICY)
    first = open_poll(case, POLICY, store, VOTERS, T0, public_url=SERVICE, key_bits=2048)
    again = open_poll(case, POLICY, store, VOTERS, T0 + timedelta(hours=1), public_url=SERVICE, key_bits=2048)
    assert again.terms == first.terms and again.body == first.body


def test_a_case_without_a_summary_or_voters_cannot_open(store):
    with pytest.raises(CannotOpen, match="summary"):
        open_poll(case_for_poll(POLICY).model_copy(update={"summary": None}), POLICY, store, VOTERS, T0,
                  public_url=SERVICE, key_bits=2048)
    with pytest.raises(CannotOpen, match="nobody"):
        open_poll(case_for_poll(POLICY), POLICY, store, ["participant-1", "voter-8"], T0, public_url=SERVICE,
                  key_bits=2048)
    assert store.get_poll("C-2026-014/1") is None


def test_the_next_poll_of_a_case_gets_the_next_number(store):
    opened = open_poll(case_for_poll(POLICY, polls=1), POLICY, store, VOTERS, T0, public_url=SERVICE,
                       key_bits=2048)
    assert opened.poll_id == "C-2026-014/2" and opened.ballot_url.endswith("/ballot/C-2026-014-2")


@pytest.mark.parametrize("poll_id", ["C-2026-014/1", "C-2026-1234/12"])
def test_poll_ids_round_trip_through_urls(poll_id):
    assert from_slug(to_slug(poll_id)) == poll_id


@pytest.mark.parametrize("slug", ["C-2026-014", "C-2026-014-0", "C-26-014-1", "C-2026-014/1", "x"])
def test_other_url_parts_are_not_polls(slug):
    assert from_slug(slug) is None
