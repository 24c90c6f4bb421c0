"""Ed25519 signatures that make a ballot unchangeable: the voter's over each cast, the service's receipts."""

from __future__ import annotations

import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

# A ballot's token is the raw 32-byte Ed25519 public key its voter's browser made; the blind signature
# certifies that key, and the key signs every cast. Nobody without the private key, which never leaves
# the ballot link, can write a choice for it: not the operator, not the service.
KEY_LEN = 32
SIG_LEN = 64
MAX_SEQ = 10**9
_SEQ = re.compile(r"^[1-9][0-9]{0,8}$")
_CAST_DOMAIN = b"conduct-cast-v1"
_RECEIPT_DOMAIN = b"conduct-receipt-v1"
_RECEIPT_KEY_INFO = b"conduct receipt key v1\x00"


def _fields(domain: bytes, *parts: str) -> bytes:
    # Newline-separated: no poll id, option id, receipt or number can contain a newline.
    for part in parts:
        if "\n" in part:
            raise ValueError("a signed field cannot contain a newline")
    return b"\n".join([domain, *(part.encode() for part in parts)])


def cast_message(poll_id: str, choice: str, seq: int) -> bytes:
    """What the ballot's key signs: this poll, this choice, and the cast's number (later replaces earlier)."""
    return _fields(_CAST_DOMAIN, poll_id, choice, str(seq))


def receipt_message(poll_id: str, receipt: str, choice: str, seq: int) -> bytes:
    """What the service signs when it accepts a cast: a receipt the voter can show if the record differs."""
    return _fields(_RECEIPT_DOMAIN, poll_id, receipt, choice, str(seq))


def parse_seq(value: object) -> int | None:
    """A cast number: a whole number from 1, as an int or its decimal text; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value < MAX_SEQ else None
    if isinstance(value, str) and _SEQ.match(value):
        return int(value)
    return None


def new_key() -> tuple[bytes, bytes]:
    """A fresh ballot key, as (private seed, public key), 32 raw bytes each (what `conduct vote` makes)."""
    key = ed25519.Ed25519PrivateKey.generate()
    return _seed(key), public_bytes(key.public_key())


def _seed(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def public_bytes(key: ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(seed: bytes, message: bytes) -> bytes:
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if `signature` is the Ed25519 signature of `message` by the raw `public_key`."""
    if len(public_key) != KEY_LEN or len(signature) != SIG_LEN:
        return False
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def receipt_seed(poll_private_pem: bytes) -> bytes:
    """The poll's receipt-signing key, derived from its blind-signing key: it needs no storage of its own
    and is destroyed with that key when the poll closes (receipts are given only while it is open)."""
    return hashlib.sha256(_RECEIPT_KEY_INFO + poll_private_pem).digest()


def receipt_public_key(poll_private_pem: bytes) -> bytes:
    """The raw public half of the poll's receipt key, published with the poll and in its result."""
    return public_bytes(ed25519.Ed25519PrivateKey.from_private_bytes(receipt_seed(poll_private_pem)).public_key())
