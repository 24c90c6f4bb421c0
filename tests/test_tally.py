"""The poll tally, checked by example and against a deliberately naive reference count."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.tally import (
    ABSTAIN,
    NO_ACTION,
    NO_DECISION,
    PLURALITY,
    SEVERITY_THRESHOLD,
    Option,
    TallyError,
    tally,
)

OPTIONS = [Option("no-action", 0), Option("warning", 1), Option("temporary-ban", 3)]
TWO_THIRDS, HALF = Fraction(2, 3), Fraction(1, 2)


def run(choices, *, rule=SEVERITY_THRESHOLD, threshold=TWO_THIRDS, quorum=HALF, electorate=None,
        options=OPTIONS):
    return tally(options, choices, rule=rule, threshold=threshold, quorum=quorum,
                 electorate_size=len(choices) if electorate is None else electorate)


# --- a reference tally, written the slow and obvious way -------------------------------------------------

def reference(options, choices, rule, threshold, quorum, electorate):
    """Brute force with integer cross-multiplication only: no Fractions, no running sums, no max()."""
    severity = {option.id: option.severity for option in options}
    cast = len(choices)
    if cast * quorum.denominator < quorum.numerator * electorate:
        return NO_DECISION
    votes = [choice for choice in choices if choice != ABSTAIN]
    if not votes:
        return NO_ACTION
    if rule == PLURALITY:
        best = None
        for option in options:
            count = votes.count(option.id)
            if best is None or count > best[0] or (count == best[0] and option.severity < best[1]):
                best = (count, option.severity, option.id)
        return best[2]
    winner = (-1, None)
    for option in options:
        supporters = 0
        for vote in votes:
            if severity[vote] >= option.severity:
                supporters += 1
        reaches = supporters * threshold.denominator >= threshold.numerator * len(votes)
        if reaches and option.severity > winner[0]:
            winner = (option.severity, option.id)
    return winner[1]


RESERVED = {NO_ACTION, ABSTAIN, NO_DECISION}


@st.composite
def polls(draw):
    severities = draw(st.lists(st.integers(1, 50), unique=True, max_size=5))
    name = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=8).filter(lambda n: n not in RESERVED)
    names = draw(st.lists(name, unique=True, min_size=len(severities), max_size=len(severities)))
    options = [Option(NO_ACTION, 0), *map(Option, names, severities)]
    options = draw(st.permutations(options))  # the tally must not depend on the order it is given
    choices = draw(st.lists(st.sampled_from([option.id for option in options] + [ABSTAIN]), max_size=40))
    # Half the time the fractions are built from the ballot counts themselves, so that a threshold or a
    # quorum met exactly (the boundary a `>` for `>=` slip would break) comes up often.
    voting = sum(choice != ABSTAIN for choice in choices)
    denominator = voting if voting and draw(st.booleans()) else draw(st.integers(1, 12))
    threshold = Fraction(draw(st.integers(1, denominator)), denominator)
    electorate = max(1, len(choices) + draw(st.integers(0, 2 * len(choices) + 2)))
    if draw(st.booleans()):
        quorum = Fraction(len(choices), electorate)
    else:
        denominator = draw(st.integers(1, 12))
        quorum = Fraction(draw(st.integers(0, denominator)), denominator)
    rule = draw(st.sampled_from([SEVERITY_THRESHOLD, PLURALITY]))
    return options, choices, rule, threshold, quorum, electorate


def decide(options, choices, rule, threshold, quorum, electorate):
    return tally(options, choices, rule=rule, threshold=threshold, quorum=quorum, electorate_size=electorate)


@given(polls())
def test_outcome_agrees_with_the_reference(poll):
    options, choices, rule, threshold, quorum, electorate = poll
    result = decide(*poll)
    assert result.outcome == reference(options, choices, rule, threshold, quorum, electorate)


@given(polls())
def test_totals_count_every_ballot_in_severity_order(poll):
    options, choices, rule, threshold, quorum, electorate = poll
    result = decide(*poll)
    expected_keys = [option.id for option in sorted(options, key=lambda o: o.severity)] + [ABSTAIN]
    assert list(result.totals) == expected_keys
    assert result.totals == {key: choices.count(key) for key in expected_keys}
    assert result.cast == len(choices) == sum(result.totals.values())
    assert result.quorum_met == (len(choices) * quorum.denominator >= quorum.numerator * electorate)


@given(polls(), st.integers(1, 12), st.integers(1, 12))
def test_a_higher_threshold_never_yields_a_more_severe_outcome(poll, a, b):
    options, choices, _, _, quorum, electorate = poll
    low, high = sorted([Fraction(a, 12), Fraction(b, 12)])
    severity = {option.id: option.severity for option in options} | {NO_DECISION: -1}
    strict = decide(options, choices, SEVERITY_THRESHOLD, high, quorum, electorate).outcome
    lenient = decide(options, choices, SEVERITY_THRESHOLD, low, quorum, electorate).outcome
    assert severity[strict] <= severity[lenient]


# --- severity-threshold, by example ---------------------------------------------------------------------

def test_a_ballot_supports_every_milder_option():
    # 1 of 3 wants a ban, 1 a warning: 2/3 support at least a warning, only 1/3 a ban.
    assert run(["temporary-ban", "warning", "no-action"]).outcome == "warning"


def test_threshold_exactly_met_is_enough():
    assert run(["temporary-ban", "temporary-ban", "no-action"]).outcome == "temporary-ban"


def test_threshold_just_missed_falls_back_to_a_milder_option():
    result = run(["temporary-ban", "temporary-ban", "warning", "no-action", "no-action"])
    # ban 2/5 < 2/3, warning 3/5 < 2/3: nothing beyond no-action reaches the threshold.
    assert result.outcome == NO_ACTION


def test_abstentions_do_not_count_against_the_threshold():
    # 2 of 3 non-abstaining ballots want the ban; the 4 abstentions do not dilute that.
    choices = ["temporary-ban", "temporary-ban", "no-action"] + [ABSTAIN] * 4
    assert run(choices).outcome == "temporary-ban"


def test_all_abstain_means_no_action():
    result = run([ABSTAIN] * 5)
    assert result.outcome == NO_ACTION
    assert result.totals == {"no-action": 0, "warning": 0, "temporary-ban": 0, "abstain": 5}


def test_one_voter_decides_alone():
    assert run(["temporary-ban"]).outcome == "temporary-ban"
    assert run(["warning"], rule=PLURALITY).outcome == "warning"


def test_threshold_of_one_needs_unanimity():
    assert run(["temporary-ban"] * 9 + ["warning"], threshold=Fraction(1)).outcome == "warning"
    assert run(["temporary-ban"] * 9 + ["no-action"], threshold=Fraction(1)).outcome == NO_ACTION


def test_totals_list_options_by_severity_then_abstain():
    shuffled = [Option("temporary-ban", 3), Option("no-action", 0), Option("warning", 1)]
    result = run(["warning", ABSTAIN], options=shuffled)
    assert list(result.totals) == ["no-action", "warning", "temporary-ban", "abstain"]


# --- quorum ---------------------------------------------------------------------------------------------

def test_quorum_exactly_met_decides():
    result = run(["warning"] * 20, electorate=40)
    assert (result.quorum_met, result.outcome) == (True, "warning")


def test_one_ballot_short_of_quorum_is_no_decision():
    result = run(["warning"] * 19, electorate=40)
    assert (result.quorum_met, result.outcome) == (False, NO_DECISION)
    assert result.totals["warning"] == 19


def test_abstentions_count_towards_quorum():
    assert run(["warning"] * 2 + [ABSTAIN] * 18, electorate=40).outcome == "warning"


def test_quorum_is_exact_for_odd_electorates():
    # 1/2 of 41 is 20.5, so 20 ballots are not enough and 21 are.
    assert run(["warning"] * 20, electorate=41).outcome == NO_DECISION
    assert run(["warning"] * 21, electorate=41).outcome == "warning"


def test_no_ballots_and_no_quorum_rule_is_no_action():
    assert run([], quorum=Fraction(0), electorate=10).outcome == NO_ACTION
    assert run([], electorate=10).outcome == NO_DECISION


# --- plurality ------------------------------------------------------------------------------------------

def test_plurality_picks_the_most_chosen_option():
    choices = ["warning", "temporary-ban", "temporary-ban", "no-action", ABSTAIN, ABSTAIN, ABSTAIN]
    assert run(choices, rule=PLURALITY).outcome == "temporary-ban"


def test_plurality_tie_goes_to_the_milder_option():
    assert run(["warning", "temporary-ban"], rule=PLURALITY).outcome == "warning"
    assert run(["no-action", "temporary-ban"], rule=PLURALITY).outcome == NO_ACTION


def test_plurality_ignores_abstentions_and_all_abstain_is_no_action():
    assert run(["temporary-ban", ABSTAIN, ABSTAIN], rule=PLURALITY).outcome == "temporary-ban"
    assert run([ABSTAIN, ABSTAIN], rule=PLURALITY).outcome == NO_ACTION


def test_plurality_respects_quorum():
    assert run(["warning"], rule=PLURALITY, electorate=3).outcome == NO_DECISION


# --- bad input ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("options", "choices", "kwargs", "message"),
    [
        (OPTIONS, ["ban-forever"], {}, "'ban-forever' is not among the options"),
        (OPTIONS + [Option("warning", 2)], [], {}, "duplicate option id 'warning'"),
        (OPTIONS + [Option("reprimand", 1)], [], {}, "share severity 1"),
        (OPTIONS[1:], [], {}, "'no-action' option with severity 0"),
        ([Option("no-action", 1), Option("warning", 2)], [], {}, "'no-action' option with severity 0"),
        ([Option("calm", 0), Option("no-action", 1)], [], {}, "'no-action' option with severity 0"),
        ([], [], {}, "needs options"),
        (OPTIONS + [Option("abstain", 5)], [], {}, "'abstain' is reserved"),
        (OPTIONS + [Option("", 5)], [], {}, "non-empty string"),
        (OPTIONS + [Option("odd", -1)], [], {}, "severity -1"),
        (OPTIONS + [Option("odd", True)], [], {}, "severity True"),
        (OPTIONS, [], {"threshold": Fraction(0)}, "threshold 0 must be more than 0"),
        (OPTIONS, [], {"threshold": Fraction(4, 3)}, "threshold 4/3"),
        (OPTIONS, [], {"threshold": 2 / 3}, "exact fractions.Fraction, not float"),
        (OPTIONS, [], {"quorum": Fraction(-1, 2)}, "quorum -1/2"),
        (OPTIONS, [], {"quorum": 0.5}, "quorum must be an exact"),
        (OPTIONS, [], {"rule": "ranked"}, "unknown rule 'ranked'"),
        (OPTIONS, ["warning"] * 3, {"electorate_size": 2}, "3 ballots cast but the electorate has only 2"),
        (OPTIONS, [], {"electorate_size": 0}, "electorate size 0"),
    ],
)
def test_bad_input_is_rejected_with_a_reason(options, choices, kwargs, message):
    arguments = {"rule": SEVERITY_THRESHOLD, "threshold": TWO_THIRDS, "quorum": HALF, "electorate_size": 10}
    with pytest.raises(TallyError, match=message.replace("(", r"\(")):
        tally(options, choices, **(arguments | kwargs))


def test_an_int_threshold_of_one_is_exact_enough():
    assert tally(OPTIONS, ["warning"], threshold=1, quorum=0, electorate_size=1).outcome == "warning"
