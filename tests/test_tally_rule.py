"""The tally rule said where people vote: the policy page, the poll, its result and the recount say how the
ballots are counted and show each option's deciding support; under plurality no threshold is printed."""
from __future__ import annotations

import dataclasses
import io
import json
from fractions import Fraction

import pytest
from test_polls_support import SERVICE, Service, case_for_poll, policy

from app.core.poll_result import build_result, result_to_json
from app.core.tally import NO_ACTION, PLURALITY, SEVERITY_THRESHOLD, Option, support, support_in_words, tally
from app.polls import client
from app.polls.closing import close_due_polls
from app.polls.opening import open_poll
from app.polls.recount import run
from app.render import render
from app.render.policy_page import render_policy_page

OPTIONS = (Option(NO_ACTION, 0), Option("warning", 1), Option("temporary-ban", 2))
SPLIT = {"no-action": 1, "warning": 1, "temporary-ban": 1, "abstain": 1}


def _plurality(the_policy):
    poll = the_policy.process.poll.model_copy(update={"rule": PLURALITY})
    return dataclasses.replace(the_policy, process=the_policy.process.model_copy(update={"poll": poll}))


def test_a_vote_for_a_stronger_action_supports_every_milder_one():
    assert support(OPTIONS, SPLIT, SEVERITY_THRESHOLD) == {"no-action": 3, "warning": 2, "temporary-ban": 1}
    assert support(OPTIONS, SPLIT, PLURALITY) == {"no-action": 1, "warning": 1, "temporary-ban": 1}
    words = support_in_words(OPTIONS, SPLIT, SEVERITY_THRESHOLD)
    assert words["warning"] == "2 of 3 (warning or stronger)" and words["temporary-ban"] == "1 of 3"
    choices = [choice for choice, count in SPLIT.items() for _ in range(count)]
    assert tally(OPTIONS, choices, threshold=Fraction(2, 3), quorum=Fraction(1, 2), electorate_size=5).outcome == \
        "warning"
    # Plurality: a three-way tie goes to the mildest option.
    assert tally(OPTIONS, choices, rule=PLURALITY, threshold=Fraction(2, 3), quorum=Fraction(1, 2),
                 electorate_size=5).outcome == NO_ACTION


def test_the_policy_page_says_how_the_tally_works_and_drops_the_threshold_under_plurality():
    page = render_policy_page(policy())
    assert "also supports every milder one" in page and "at least 2/3 of the ballots that do not abstain" in page
    plural = render_policy_page(_plurality(policy()))
    assert "the mildest of them wins" in plural and "2/3" not in plural and "milder one" not in plural


@pytest.mark.parametrize("plurality", [False, True])
def test_the_poll_discussion_says_the_rule(store, plurality):
    the_policy = _plurality(policy()) if plurality else policy()
    opened = open_poll(case_for_poll(the_policy), the_policy, store, ["voter-1", "voter-2"],
                       Service(store).clock.now, public_url=SERVICE, key_bits=2048)
    if plurality:
        assert "the mildest of them wins" in opened.body and "2/3" not in opened.body
    else:
        assert "also supports every milder one" in opened.body and "2/3" in opened.body


def _result_comment(document: dict) -> str:
    from app.core.tally import rule_in_words
    options = [Option(o["id"], o["severity"]) for o in document["options"]]
    return render("poll-result.md.j2", {
        "poll": document["poll"], "result": document, "result_json": None, "result_url": "https://x",
        "support": support_in_words(options, document["totals"], document["rule"]),
        "rule_words": rule_in_words(document["rule"], Fraction(document["threshold"]), Fraction(document["quorum"]))})


@pytest.mark.parametrize("rule", [SEVERITY_THRESHOLD, PLURALITY])
def test_the_result_comment_and_the_recount_show_the_deciding_support(rule, tmp_path):
    ballots = [(f"{n:064x}", choice) for n, choice in enumerate(["no-action", "warning", "temporary-ban", "abstain"])]
    document = build_result("C-2026-014/1", OPTIONS, ballots, rule, Fraction(2, 3), Fraction(1, 2), 5,
                            extra={"signed_count": 4})
    comment = _result_comment(document)
    path = tmp_path / "result.json"
    path.write_text(result_to_json(document))
    out = io.StringIO()
    assert run(str(path), out) == 0
    recount = out.getvalue()
    if rule == SEVERITY_THRESHOLD:
        assert document["outcome"] == "warning"
        assert "| `warning` | 1 | 2 of 3 (warning or stronger) |" in comment and "threshold 2/3" in comment
        assert "2 of 3 (warning or stronger)" in recount and "threshold 2/3" in recount
    else:
        assert document["outcome"] == NO_ACTION
        assert "| `warning` | 1 | 1 of 3 |" in comment and "threshold" not in comment and "2/3" not in comment
        assert "1 of 3" in recount and "threshold" not in recount and "2/3" not in recount
        assert "the mildest of them wins" in comment and "the mildest of them wins" in recount


def test_a_real_result_names_who_took_a_ballot_in_its_comment(store):
    service = Service(store)
    opened = service.open()
    client.vote(SERVICE, opened.poll_id, "warning", service.session("voter-2"), http=service.client())
    closed = close_due_polls(store, opened.terms.deadline)
    comment = _result_comment(json.loads(closed[0].result_json))
    assert "Took a ballot" in comment and "`voter-2`" in comment and "voter-3" not in comment
