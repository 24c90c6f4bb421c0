"""`conduct poll check RESULT.json RECEIPT`: a voter's own check that the record holds their signed receipt."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TextIO

from app.ballots import blindrsa, castsig
from app.core.poll_result import ParsedResult, ResultFormatError, parse_result

HOLDS, DIFFERS, UNREADABLE = 0, 1, 2
_RECEIPT = re.compile(r"^conduct-receipt:([^:\s]+):([0-9a-f]{64}):([1-9][0-9]{0,8}):([^:\s]+):([A-Za-z0-9_-]+)$")


@dataclass(frozen=True)
class SignedReceipt:
    """What the service signed when it accepted a cast."""

    poll: str
    receipt: str
    seq: int
    choice: str
    signature: str


def parse_receipt(text: str) -> SignedReceipt:
    match = _RECEIPT.match(text.strip())
    if not match:
        raise ValueError("not a receipt: expected conduct-receipt:POLL:RECEIPT:SEQ:CHOICE:SIGNATURE")
    poll, receipt, seq, choice, signature = match.groups()
    return SignedReceipt(poll, receipt, int(seq), choice, signature)


def check(result: ParsedResult, receipt: SignedReceipt) -> tuple[bool, str]:
    """(holds, why): does the published record hold this cast, and was the receipt really the service's?"""
    if receipt.poll != result.poll:
        return False, f"the receipt is for poll {receipt.poll}, the result for {result.poll}"
    if result.receipt_key is None:
        return False, "the result carries no receipt key, so no receipt can be checked against it"
    try:
        signed = castsig.verify(blindrsa.b64url_decode(result.receipt_key),
                                castsig.receipt_message(receipt.poll, receipt.receipt, receipt.choice, receipt.seq),
                                blindrsa.b64url_decode(receipt.signature))
    except ValueError:
        signed = False
    if not signed:
        return False, ("the receipt's signature does not verify with the poll's receipt key: the receipt was "
                       "altered, or the result's key is not the one the poll was opened with (compare it with "
                       "the key in the poll's discussion)")
    recorded = next((ballot for ballot in result.ballots if ballot.receipt == receipt.receipt), None)
    if recorded is None:
        return False, ("your ballot is missing from the record, though the service signed its receipt: the "
                       "record is wrong; show this receipt to the electorate")
    recorded_seq = castsig.parse_seq(recorded.seq) or 0
    if recorded_seq < receipt.seq or (recorded_seq == receipt.seq and recorded.choice != receipt.choice):
        return False, (f"the record has {recorded.choice!r} (cast number {recorded_seq}) where the service "
                       f"signed {receipt.choice!r} (cast number {receipt.seq}): the record is wrong")
    if recorded_seq > receipt.seq:
        return True, (f"the record holds a later cast of your ballot ({recorded.choice!r}, number "
                      f"{recorded_seq}); if you did not vote again, someone else holds your link")
    return True, f"the record holds your ballot with {receipt.choice!r}, as the service signed"


def check_file(path: str, receipt_text: str, out: TextIO) -> int:
    """0 when the record holds the receipt's cast, 1 when it does not, 2 when either cannot be read."""
    try:
        receipt = parse_receipt(receipt_text)
        with open(path, "rb") as handle:
            result = parse_result(handle.read())
    except (OSError, ValueError, ResultFormatError) as error:
        out.write(f"Cannot check: {getattr(error, 'strerror', None) or error}\n")
        return UNREADABLE
    holds, why = check(result, receipt)
    out.write(f"{'Holds' if holds else 'Does NOT hold'}: {why}.\n")
    return HOLDS if holds else DIFFERS
