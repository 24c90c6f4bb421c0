"""The recount's ballot check: each blind signature against the poll's key, each choice against its own key."""
from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from app.ballots import blindrsa, castsig
from app.core.poll_result import ParsedBallot, ParsedResult
from app.polls import recount as poll_recount


def _refuse_all(reason: str) -> Callable[[ParsedBallot], bool]:
    def check(ballot: ParsedBallot) -> bool:
        raise ValueError(reason)
    return check


def make_verifier(parsed: ParsedResult) -> Callable[[ParsedBallot], bool]:
    """Build the per-ballot check for `app.polls.recount.run(..., make_verifier=make_verifier)`.

    A ballot counts only if its receipt is sha256(prefix || token), its blind signature verifies under the
    result's public key and, for polls with signed casts (a receipt key), its choice and number are signed
    by its token, an Ed25519 key only the voter's link holds: a choice the operator changed fails here.
    A result without a public key or a signed count cannot show its ballots were issued one per voter, so
    none of its ballots counts. (recount itself reports more ballots than signatures.)
    """
    if parsed.public_key is None:
        return _refuse_all("the result has no public key to check signatures with")
    if parsed.signed_count is None:
        return _refuse_all("the result does not say how many ballots were signed")
    try:
        key = blindrsa.load_public_key_pem(parsed.public_key)
    except ValueError as error:
        return _refuse_all(f"the result's public key is unusable: {error}")

    def check(ballot: ParsedBallot) -> bool:
        if ballot.token is None or ballot.prefix is None or ballot.signature is None:
            raise ValueError("has no token, prefix or signature")
        try:
            token = blindrsa.b64url_decode(ballot.token)
            prefix = blindrsa.b64url_decode(ballot.prefix)
            signature = blindrsa.b64url_decode(ballot.signature)
        except ValueError:
            raise ValueError("has a token, prefix or signature that is not base64url") from None
        if blindrsa.receipt(prefix, token) != ballot.receipt:
            raise ValueError("has a receipt that is not sha256(prefix || token)")
        if not blindrsa.verify(key, prefix, token, signature):
            return False
        if parsed.receipt_key is None and ballot.cast_sig is None:
            return True  # a poll from before casts were signed
        seq = castsig.parse_seq(ballot.seq)
        if seq is None or ballot.cast_sig is None:
            raise ValueError("has no signed choice (seq and cast_sig)")
        try:
            cast_sig = blindrsa.b64url_decode(ballot.cast_sig)
        except ValueError:
            raise ValueError("has a cast signature that is not base64url") from None
        if not castsig.verify(token, castsig.cast_message(parsed.poll, ballot.choice, seq), cast_sig):
            raise ValueError(f"has a choice ({ballot.choice}) its own key did not sign")
        return True

    return check


def recount_file(path: str, out: TextIO) -> int:
    """`conduct poll recount RESULT.json` with signature checks: 0 matches, 1 differs, 2 unreadable."""
    return poll_recount.run(path, out, make_verifier=make_verifier)
