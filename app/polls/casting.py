"""Casting a ballot: check the blind signature and the choice, then record it under its receipt."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.ballots import blindrsa
from app.polls import keycache
from app.polls.errors import BallotRefused
from app.polls.terms import PollTerms
from app.render import when
from app.store import PollClosed

TOKEN_LEN = 32


@dataclass(frozen=True)
class Cast:
    receipt: str  # sha256(prefix || token), hex: the voter finds it in the published result
    replaced: bool  # True when this token had voted before and its choice was replaced


def _decode(fields: Mapping, name: str, label: str) -> bytes:
    value = fields.get(name)
    if not isinstance(value, str):
        raise BallotRefused(400, f"The ballot has no {label}.")
    try:
        return blindrsa.b64url_decode(value)
    except ValueError:
        raise BallotRefused(400, f"The ballot's {label} is not base64url text.") from None


def cast_ballot(store, poll_id: str, fields: Mapping, now: datetime) -> Cast:
    """Record the choice in `fields` (token, prefix, signature: base64url; choice: an option id)."""
    poll = store.get_poll(poll_id)
    if poll is None:
        raise BallotRefused(404, "There is no such poll.")
    if poll.state != "open" or now >= poll.deadline:
        raise BallotRefused(410, f"This poll closed at {when(poll.deadline)}; "
                                 "ballots are no longer accepted.")
    terms = PollTerms.from_poll(poll)
    token = _decode(fields, "token", "token")
    prefix = _decode(fields, "prefix", "prefix")
    signature = _decode(fields, "signature", "signature")
    if len(token) != TOKEN_LEN or len(prefix) != blindrsa.PREFIX_LEN:
        raise BallotRefused(400, "The ballot's token or prefix has the wrong length.")
    choice = fields.get("choice")
    if not isinstance(choice, str) or choice not in terms.valid_choices:
        raise BallotRefused(400, "That choice is not one of this poll's options.")
    # A signature made with another poll's key, or for another token, fails here: keys are per poll.
    if not blindrsa.verify(keycache.public_key(terms.public_key), prefix, token, signature):
        raise BallotRefused(403, "This ballot's signature does not verify with this poll's key.")
    receipt = blindrsa.receipt(prefix, token)
    extra = {"token": fields["token"], "prefix": fields["prefix"], "signature": fields["signature"]}
    try:
        outcome = store.cast_ballot(poll_id, bytes.fromhex(receipt), choice, extra, now)
    except PollClosed:
        raise BallotRefused(410, "This poll has closed; ballots are no longer accepted.") from None
    return Cast(receipt=receipt, replaced=outcome == "replaced")
