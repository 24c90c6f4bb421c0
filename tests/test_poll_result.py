"""The published poll result: building it, reading it strictly, and recounting it (also via `run`)."""
from __future__ import annotations

import copy
import io
import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.poll_result import (
    ParsedBallot,
    ResultFormatError,
    build_result,
    parse_result,
    recount,
    result_to_json,
)
from app.core.tally import ABSTAIN, PLURALITY, SEVERITY_THRESHOLD, Option, TallyError, tally
from app.polls.recount import run

OPTIONS = [Option("no-action", 0), Option("warning", 1), Option("temporary-ban", 3)]
BALLOTS = [("9a41" * 8, ABSTAIN), ("5f0c" * 8, "warning"), ("c3d2" * 8, "warning"), ("0b7e" * 8, "no-action")]


def build(ballots=BALLOTS, electorate=4, extra=None, **kwargs):
    arguments = {"rule": SEVERITY_THRESHOLD, "threshold": Fraction(2, 3), "quorum": Fraction(1, 2)} | kwargs
    return build_result("C-2026-014/1", OPTIONS, ballots, electorate_size=electorate, extra=extra,
                        **arguments)


def recount_file(tmp_path, document):
    """Write `document` (a dict, or raw text) to a file and run the recount command on it."""
    path = tmp_path / "result.json"
    path.write_text(document if isinstance(document, str) else result_to_json(document), encoding="utf-8")
    out = io.StringIO()
    return run(str(path), out), out.getvalue()


# --- building -------------------------------------------------------------------------------------------

def test_the_documented_example_is_built_in_its_published_shape():
    document = build(BALLOTS[:2], electorate=4)
    assert document == {
        "poll": "C-2026-014/1", "rule": "severity-threshold", "threshold": "2/3", "quorum": "1/2",
        "electorate_size": 4,
        "options": [{"id": "no-action", "severity": 0}, {"id": "warning", "severity": 1},
                    {"id": "temporary-ban", "severity": 3}],
        "ballots": [{"receipt": "5f0c" * 8, "choice": "warning"},
                    {"receipt": "9a41" * 8, "choice": "abstain"}],
        "totals": {"no-action": 0, "warning": 1, "temporary-ban": 0, "abstain": 1},
        "outcome": "warning",
    }
    assert list(document) == ["poll", "rule", "threshold", "quorum", "electorate_size", "options", "ballots",
                              "totals", "outcome"]


def test_the_documented_example_with_forty_voters_lacks_quorum(tmp_path):
    # Two ballots from an electorate of 40 cannot meet a 1/2 quorum, so a file claiming "warning" is wrong.
    document = build(BALLOTS[:2], electorate=4) | {"electorate_size": 40}
    code, output = recount_file(tmp_path, document)
    assert code == 1
    assert "outcome: the file claims 'warning', the ballots give 'no-decision'" in output
    assert build(BALLOTS[:2], electorate=40)["outcome"] == "no-decision"


def test_building_is_deterministic_whatever_the_ballot_order():
    assert result_to_json(build(BALLOTS)) == result_to_json(build(list(reversed(BALLOTS))))


def test_fractions_are_always_written_as_n_over_d():
    document = build(threshold=Fraction(1), quorum=Fraction(0))
    assert (document["threshold"], document["quorum"]) == ("1/1", "0/1")


def test_blind_signature_fields_are_carried_in_a_fixed_order():
    ballots = [("ab" * 16, "warning", {"signature": "c2ln", "token": "dG9r", "prefix": "cHJl"}),
               {"receipt": "01" * 16, "choice": ABSTAIN, "token": "dG9y"}]
    document = build(ballots, extra={"signed_count": 2, "public_key": "cHVi"})
    assert list(document)[-2:] == ["public_key", "signed_count"]
    assert document["ballots"] == [
        {"receipt": "01" * 16, "choice": ABSTAIN, "token": "dG9y"},
        {"receipt": "ab" * 16, "choice": "warning", "token": "dG9r", "prefix": "cHJl", "signature": "c2ln"},
    ]
    parsed = parse_result(result_to_json(document))
    assert (parsed.public_key, parsed.signed_count) == ("cHVi", 2)
    assert parsed.ballots[1] == ParsedBallot("ab" * 16, "warning", token="dG9r", prefix="cHJl",
                                             signature="c2ln")


@pytest.mark.parametrize(
    ("ballots", "extra", "message"),
    [
        ([("ab", "warning"), ("ab", ABSTAIN)], None, "receipt 'ab' appears more than once"),
        ([("AB", "warning")], None, r"ballots\[0\].receipt"),
        ([("ab", "warning", {"voter": "voter-3"})], None, "'voter' is not an optional ballot field"),
        ([("ab", "warning")], {"signed_by": "sc-1"}, "'signed_by' is not an optional result field"),
        ([("ab", "warning")], {"signed_count": "1"}, "signed_count"),
        ([("ab",)], None, "must be"),
    ],
)
def test_build_refuses_what_it_could_not_publish(ballots, extra, message):
    with pytest.raises(ResultFormatError, match=message):
        build(ballots, extra=extra)


def test_build_refuses_a_poll_that_cannot_be_tallied():
    with pytest.raises(TallyError, match="not among the options"):
        build([("ab", "ban-forever")])


# --- parsing --------------------------------------------------------------------------------------------

def without(document, key):
    return {name: value for name, value in document.items() if name != key}


GOOD = build()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (without(GOOD, "outcome"), "outcome: Field required"),
        (GOOD | {"electorate_size": "4"}, "electorate_size: Input should be a valid integer"),
        (GOOD | {"electorate_size": True}, "electorate_size"),
        (GOOD | {"electorate_size": 0}, "electorate_size"),
        (GOOD | {"threshold": 0.5}, "threshold"),
        (GOOD | {"threshold": "2/0"}, "threshold: Value error, denominator must not be 0"),
        (GOOD | {"threshold": "0/3"}, "threshold 0 must be more than 0"),
        (GOOD | {"quorum": "3/2"}, "quorum 3/2"),
        (GOOD | {"rule": "ranked"}, "rule"),
        (GOOD | {"winner": "warning"}, "winner: Extra inputs are not permitted"),
        (GOOD | {"options": GOOD["options"][1:]}, "options: .*'no-action'"),
        (GOOD | {"options": GOOD["options"] * 2}, "options: duplicate option id"),
        (GOOD | {"totals": GOOD["totals"] | {"warning": -1}}, r"totals\.warning"),
        (GOOD | {"ballots": [{"receipt": "5F0C", "choice": "warning"}]}, r"ballots\[0\]\.receipt"),
        (GOOD | {"ballots": [{"receipt": "5f0c", "choice": 1}]}, r"ballots\[0\]\.choice"),
        (GOOD | {"ballots": [{"receipt": "5f0c", "choice": "warning", "voter": "voter-1"}]},
         r"ballots\[0\]\.voter"),
        (GOOD | {"public_key": None}, "public_key: Input should be a valid string"),
        (GOOD | {"signed_count": 2.0}, "signed_count: Input should be a valid integer"),
        ([GOOD], "document"),
        ("{not json", "not valid JSON"),
        ('{"poll": "a", "poll": "b"}', "poll: the key appears twice"),
        (result_to_json(GOOD).replace('"electorate_size": 4', '"electorate_size": NaN'),
         "NaN is not valid JSON"),
        (b"\xff\xfe{", "not valid JSON"),
    ],
)
def test_malformed_documents_are_refused_naming_the_field(data, message):
    with pytest.raises(ResultFormatError, match=message):
        parse_result(data)


def test_parse_reads_json_text_and_loaded_json_alike():
    assert parse_result(result_to_json(GOOD)) == parse_result(json.loads(result_to_json(GOOD)))
    parsed = parse_result(GOOD)
    assert (parsed.threshold, parsed.quorum, parsed.electorate_size) == (Fraction(2, 3), Fraction(1, 2), 4)
    assert [ballot.receipt for ballot in parsed.ballots] == sorted(receipt for receipt, _ in BALLOTS)


# --- recounting -----------------------------------------------------------------------------------------

@st.composite
def polls(draw):
    count = draw(st.integers(0, 30))
    receipts = draw(st.lists(st.binary(min_size=4, max_size=4).map(bytes.hex), unique=True,
                             min_size=count, max_size=count))
    choices = draw(st.lists(st.sampled_from([option.id for option in OPTIONS] + [ABSTAIN]),
                            min_size=count, max_size=count))
    rule = draw(st.sampled_from([SEVERITY_THRESHOLD, PLURALITY]))
    threshold = Fraction(draw(st.integers(1, 6)), 6)
    quorum = Fraction(draw(st.integers(0, 4)), 4)
    electorate = max(1, count + draw(st.integers(0, 10)))
    return list(zip(receipts, choices, strict=True)), rule, threshold, quorum, electorate


@given(polls())
def test_every_built_result_recounts_clean_and_agrees_with_the_tally(poll):
    ballots, rule, threshold, quorum, electorate = poll
    document = build_result("C-1/1", OPTIONS, ballots, rule, threshold, quorum, electorate)
    counted = recount(parse_result(result_to_json(document)))
    expected = tally(OPTIONS, [choice for _, choice in ballots], rule=rule, threshold=threshold,
                     quorum=quorum, electorate_size=electorate)
    assert (counted.ok, counted.findings) == (True, [])
    assert counted.totals == expected.totals
    assert (counted.outcome, counted.cast) == (expected.outcome, len(ballots))


@given(polls(), st.data())
def test_changing_any_claimed_total_is_found(poll, data):
    ballots, rule, threshold, quorum, electorate = poll
    document = build_result("C-1/1", OPTIONS, ballots, rule, threshold, quorum, electorate)
    key = data.draw(st.sampled_from(sorted(document["totals"])))
    document["totals"][key] += data.draw(st.integers(1, 5))
    counted = recount(parse_result(document))
    assert not counted.ok
    assert any(finding.startswith(f"totals[{key!r}]") for finding in counted.findings)


def test_ballots_that_fail_verification_are_reported_and_not_counted():
    parsed = parse_result(build())
    rejected = "5f0c" * 8

    def verify(ballot):
        if ballot.choice == ABSTAIN:
            raise ValueError("signature does not match the public key")
        return ballot.receipt != rejected

    counted = recount(parsed, verify_ballot=verify)
    assert not counted.ok
    assert f"ballot fails verification (not counted): {rejected} does not verify" in counted.findings
    assert (f"ballot fails verification (not counted): {'9a41' * 8} signature does not match the public key"
            in counted.findings)
    assert counted.totals == {"no-action": 1, "warning": 1, "temporary-ban": 0, "abstain": 0}
    assert recount(parsed, verify_ballot=lambda ballot: True).ok


def test_a_verifier_bug_is_not_mistaken_for_a_bad_ballot():
    def broken(ballot):
        raise KeyError("public_key")

    with pytest.raises(KeyError):
        recount(parse_result(build()), verify_ballot=broken)


def test_more_ballots_than_signatures_is_found():
    counted = recount(parse_result(build(extra={"signed_count": 3})))
    assert counted.findings == ["4 ballots published but only 3 were signed"]
    assert recount(parse_result(build(extra={"signed_count": 4}))).ok


def test_more_signatures_than_voters_is_found():
    counted = recount(parse_result(build(extra={"signed_count": 5})))
    assert counted.findings == ["5 ballots signed for an electorate of 4"]


def test_more_ballots_than_voters_has_no_outcome():
    document = build() | {"electorate_size": 3}
    counted = recount(parse_result(document))
    assert (counted.ok, counted.outcome, counted.quorum_met) == (False, None, None)
    assert "4 ballots counted but the electorate has only 3 members" in counted.findings


def test_a_long_list_of_bad_ballots_is_summarised():
    document = build([(f"{n:08x}", "warning") for n in range(30)], electorate=30)
    for ballot in document["ballots"]:
        ballot["choice"] = "ban-forever"
    findings = recount(parse_result(document)).findings
    listed = [f for f in findings if f.startswith("ballot choice is not an option (not counted): 0")]
    assert len(listed) == 10
    assert "ballot choice is not an option (not counted): and 20 more" in findings


# --- the recount command --------------------------------------------------------------------------------

def test_a_good_file_recounts_to_0_and_says_what_it_found(tmp_path):
    code, output = recount_file(tmp_path, build())
    assert code == 0
    assert "Poll C-2026-014/1: rule severity-threshold, threshold 2/3, quorum 1/2, electorate 4" in output
    for option, severity, count in [("no-action", 0, 1), ("warning", 1, 2), ("temporary-ban", 3, 0)]:
        row = [option, str(severity), str(count), str(count)]
        assert any(line.split()[:4] == row for line in output.splitlines())
    # Each option's deciding support: a vote for a stronger action counts for every milder one.
    assert any(line.split()[:4] == ["warning", "1", "2", "2"] and line.endswith("2 of 3 (warning or stronger)")
               for line in output.splitlines())
    assert "Outcome: claimed warning, recounted warning" in output
    assert "matches its ballots" in output


def tampered(change):
    document = copy.deepcopy(build())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        (lambda d: d["totals"].update({"warning": 3}),
         "totals['warning']: the file claims 3, the ballots give 2"),
        (lambda d: d["totals"].pop("abstain"),
         "totals['abstain']: the file claims nothing, the ballots give 1"),
        (lambda d: d["totals"].update({"ban": 0}),
         "totals['ban']: the file claims 0, the ballots give nothing"),
        (lambda d: d.update({"outcome": "temporary-ban"}), "outcome: the file claims 'temporary-ban'"),
        (lambda d: d["ballots"].reverse(),
         f"ballots are not sorted by receipt: ballot 2 ({'9a41' * 8}) comes after {'c3d2' * 8}"),
        (lambda d: d["ballots"][1].update({"receipt": d["ballots"][0]["receipt"]}),
         "receipt appears more than once: 0b7e"),
        (lambda d: d["ballots"][0].update({"choice": "warning"}), "totals['no-action']: the file claims 1"),
        (lambda d: d["ballots"][0].update({"choice": "ban-forever"}), "ballot choice is not an option"),
    ],
)
def test_a_tampered_file_recounts_to_1(tmp_path, change, finding):
    code, output = recount_file(tmp_path, tampered(change))
    assert code == 1
    assert finding in output
    assert "does NOT match" in output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"poll": "C-2026-014/1", "rule": ', "not valid JSON"),
        (result_to_json(without(GOOD, "totals")), "totals: Field required"),
        (result_to_json(GOOD | {"electorate_size": "four"}),
         "electorate_size: Input should be a valid integer"),
        (result_to_json(GOOD | {"ballots": {"5f0c": "warning"}}), "ballots: Input should be a valid list"),
        ("", "not valid JSON"),
    ],
)
def test_a_malformed_file_recounts_to_2(tmp_path, text, message):
    code, output = recount_file(tmp_path, text)
    assert code == 2
    assert "is not a well-formed poll result" in output and message in output


def test_a_missing_file_recounts_to_2(tmp_path):
    out = io.StringIO()
    assert run(str(tmp_path / "absent.json"), out) == 2
    assert "Cannot read" in out.getvalue()


def test_the_command_can_check_signatures_with_a_verifier_built_from_the_file(tmp_path):
    ballots = [("ab" * 16, "warning", {"signature": "good"}), ("cd" * 16, "warning", {"signature": "forged"})]
    document = build(ballots, extra={"public_key": "cHVi"})
    seen_keys = []

    def make_verifier(parsed):
        seen_keys.append(parsed.public_key)
        return lambda ballot: ballot.signature == "good"

    path = tmp_path / "result.json"
    path.write_text(result_to_json(document), encoding="utf-8")
    out = io.StringIO()
    assert run(str(path), out, make_verifier=make_verifier) == 1
    assert seen_keys == ["cHVi"]
    assert f"ballot fails verification (not counted): {'cd' * 16} does not verify" in out.getvalue()
    assert "forged" not in out.getvalue()  # signatures and tokens are never echoed
    assert run(str(path), io.StringIO()) == 0
