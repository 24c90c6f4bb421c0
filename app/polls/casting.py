"""Casting a ballot: check the blind signature, the voter's own signature over the choice, record it, sign a receipt."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.ballots import blindrsa, castsig
from app.polls import keycache
from app.polls.errors import BallotRefused
from app.polls.pool import CastPool
from app.polls.terms import PollTerms
from app.render import when
from app.store import PollClosed, StaleCast

TOKEN_LEN = castsig.KEY_LEN  # the token is the ballot's Ed25519 public key


@dataclass(frozen=True)
class Cast:
    receipt: str  # sha256(prefix || token), hex: the voter finds it in the published result
    replaced: bool  # True when this token had voted before and its choice was replaced
    choice: str
    seq: int
    receipt_sig: str  # base64url Ed25519 signature by the poll's receipt key over (poll, receipt, choice, seq)

    def answer(self) -> dict:
        return {"receipt": self.receipt, "replaced": self.replaced, "choice": self.choice, "seq": self.seq,
                "receipt_sig": self.receipt_sig}


def _decode(fields: Mapping, name: str, label: str) -> bytes:
    value = fields.get(name)
    if not isinstance(value, str):
        raise BallotRefused(400, f"The ballot has no {label}.")
    try:
        return blindrsa.b64url_decode(value)
    except ValueError:
        raise BallotRefused(400, f"The ballot's {label} is not base64url text.") from None


def cast_ballot(store, poll_id: str, fields: Mapping, now: datetime, pool: CastPool | None = None) -> Cast:
    """Record the choice in `fields`: token, prefix, signature, cast_sig (base64url), choice, seq.

    `cast_sig` is the token key's signature over (poll, choice, seq); a cast replaces an earlier one of the
    same ballot only with a higher seq, so an old cast replayed cannot undo a later one. With a `pool`, the
    cast is held and written with all the others before the deadline (see `app.polls.pool`).
    """
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
    cast_sig = _decode(fields, "cast_sig", "signature over the choice")
    if len(token) != TOKEN_LEN or len(prefix) != blindrsa.PREFIX_LEN:
        raise BallotRefused(400, "The ballot's token or prefix has the wrong length.")
    choice = fields.get("choice")
    if not isinstance(choice, str) or choice not in terms.valid_choices:
        raise BallotRefused(400, "That choice is not one of this poll's options.")
    seq = castsig.parse_seq(fields.get("seq"))
    if seq is None:
        raise BallotRefused(400, "The cast needs its number (seq): a whole number from 1.")
    # A signature made with another poll's key, or for another token, fails here: keys are per poll.
    if not blindrsa.verify(keycache.public_key(terms.public_key), prefix, token, signature):
        raise BallotRefused(403, "This ballot's signature does not verify with this poll's key.")
    if not castsig.verify(token, castsig.cast_message(poll_id, choice, seq), cast_sig):
        raise BallotRefused(403, "The choice is not signed by this ballot's key.")
    pem = store.poll_key(poll_id)
    if pem is None:
        raise BallotRefused(410, "This poll has closed; ballots are no longer accepted.")
    receipt = blindrsa.receipt(prefix, token)
    extra = {"token": fields["token"], "prefix": fields["prefix"], "signature": fields["signature"],
             "seq": str(seq), "cast_sig": fields["cast_sig"]}
    try:
        if pool is not None and pool.holds(poll.deadline, now):
            outcome = pool.hold(poll_id, bytes.fromhex(receipt), choice, extra, seq, poll.deadline)
        else:
            outcome = store.cast_ballot(poll_id, bytes.fromhex(receipt), choice, extra, now, seq=seq)
    except PollClosed:
        raise BallotRefused(410, "This poll has closed; ballots are no longer accepted.") from None
    except StaleCast as stale:
        raise BallotRefused(409, f"A later vote with this ballot is recorded (number {stale.seq}); "
                                 f"vote again with a higher number.", seq=stale.seq) from None
    receipt_sig = castsig.sign(castsig.receipt_seed(pem), castsig.receipt_message(poll_id, receipt, choice, seq))
    return Cast(receipt=receipt, replaced=outcome == "replaced", choice=choice, seq=seq,
                receipt_sig=blindrsa.b64url_encode(receipt_sig))
