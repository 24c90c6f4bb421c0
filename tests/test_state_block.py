"""The state block round-trips a whole case, and text inside the case cannot break out of it."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.decide import decide, open_case
from app.core.events import MEDIATOR, Actor, Commented, HelpRequested
from app.core.state_block import StateUnreadable, decode, encode
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MED = Actor("mediator-1", frozenset({MEDIATOR}))


def a_case(note: str = "talked to both"):
    case = open_case("C-2026-003", HelpRequested("d", "form", "reporter-1", None, ("participant-1",)), POLICY, NOW).case
    case = decide(case, Commented("c1", MED, "/conduct assign @mediator-1"), POLICY, NOW).case
    return decide(case, Commented("c2", MED, f"/conduct note {note}"), POLICY, NOW).case


def test_round_trip():
    case = a_case()
    assert decode(encode(case, "**C-2026-003** is in mediation")) == case


def test_no_block_is_none_and_a_broken_block_is_reported():
    assert decode("just a comment") is None
    with pytest.raises(StateUnreadable):
        decode("<!-- conduct-desk:state v1\n{\"code\": 3}\n-->")
    twice = encode(a_case()) + encode(a_case())
    with pytest.raises(StateUnreadable):
        decode(twice)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
       .filter(lambda t: t.strip() and "\n" not in t and "\r" not in t))
def test_text_in_a_note_cannot_close_the_comment_or_forge_a_block(note):
    case = a_case(f"{note} --> <!-- conduct-desk:state v1 {{}} -->")
    assert "-->" in case.history[-1].detail
    body = encode(case)
    assert body.count("-->") == 1 and body.count("<!--") == 1
    assert decode(body) == case
