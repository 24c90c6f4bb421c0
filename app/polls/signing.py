"""Issuing a ballot: blind-sign one message per eligible voter, recording only *that* they were signed for."""
from __future__ import annotations

from datetime import datetime

from app.ballots import blindrsa
from app.polls import keycache
from app.polls.errors import BallotRefused
from app.render import when

# Nothing here logs, and nothing derived from the blinded message or the signature is kept: the
# request and the answer pass through memory only. The voter's login goes to `issued`, alone.


def _open_poll(store, poll_id: str, now: datetime):
    poll = store.get_poll(poll_id)
    if poll is None:
        raise BallotRefused(404, "There is no such poll.")
    if poll.state != "open" or now >= poll.deadline:
        raise BallotRefused(410, f"This poll closed at {when(poll.deadline)}; no more ballots are issued.")
    return poll


def sign_ballot(store, poll_id: str, login: str, blinded_b64: object, now: datetime) -> str:
    """Blind-sign `blinded_b64` (base64url) for `login`; return the blind signature, base64url.

    Every check that can fail runs before the voter is marked, so a malformed request does not use up
    their ballot. Once marked, a lost answer cannot be repeated: the voter asks the mediators instead.
    """
    _open_poll(store, poll_id, now)
    if not store.is_eligible(poll_id, login):
        raise BallotRefused(403, "You are not in this poll's electorate: it is the core developers, "
                                 "less the people the case is about.")
    if not isinstance(blinded_b64, str):
        raise BallotRefused(400, "The request needs a blinded message (base64url text).")
    try:
        blinded = blindrsa.b64url_decode(blinded_b64)
    except ValueError:
        raise BallotRefused(400, "The blinded message is not base64url text.") from None
    pem = store.poll_key(poll_id)
    if pem is None:
        raise BallotRefused(410, "This poll has closed; no more ballots are issued.")
    key = keycache.private_key(pem)
    n = key.public_key().public_numbers().n
    if len(blinded) != (n.bit_length() + 7) // 8 or blindrsa.os2ip(blinded) >= n:
        raise BallotRefused(400, "The blinded message does not fit this poll's key.")
    if not store.mark_issued(poll_id, login):
        raise BallotRefused(409, "A ballot was already signed for you in this poll; use the link you got "
                                 "then. If you lost it, tell the mediators.")
    return blindrsa.b64url_encode(blindrsa.blind_sign(key, blinded))
