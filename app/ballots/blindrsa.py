"""RSA blind signatures per RFC 9474, variant RSABSSA-SHA384-PSS-Randomized, for anonymous ballot tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import os
import secrets
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.ballots import bigint

# RFC 9474 section 5, variant 1 (RSABSSA-SHA384-PSS-Randomized): SHA-384, MGF1 with SHA-384, a 48-byte
# salt, and the randomized preparation function (32-byte prefix, section 4.1).
HASH_LEN = 48
SALT_LEN = 48
PREFIX_LEN = 32
PUBLIC_EXPONENT = 65537
# 2048 bits is the floor we accept at all (the RFC's own vectors use 4096); new ballot keys use 3072.
MIN_KEY_BITS = 2048
DEFAULT_KEY_BITS = 3072


class BlindSignatureError(Exception):
    """A step of the protocol failed; the message names the RFC 9474 error where there is one."""


# --- RFC 9474 section 3 (notation): bytes_to_int / int_to_bytes are RFC 8017's OS2IP / I2OSP ---------------


def i2osp(x: int, length: int) -> bytes:
    """RFC 8017 section 4.1: big-endian, exactly `length` bytes."""
    if x < 0 or x >= 1 << (8 * length):
        raise BlindSignatureError("integer too large")
    return x.to_bytes(length, "big")


def os2ip(data: bytes) -> int:
    """RFC 8017 section 4.2."""
    return int.from_bytes(data, "big")


def _modulus_len(n: int) -> int:
    return (n.bit_length() + 7) // 8


def _pss_padding() -> padding.PSS:
    # Finalize and verification use the stock RSASSA-PSS verifier (RFC 9474 sections 4.4 and 4.5), so the
    # parameters must be exactly those of the variant: a wrong salt length would make every ballot fail.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=SALT_LEN)


# --- keys (RFC 9474 section 6.2) ------------------------------------------------------------------------


def generate_key(bits: int = DEFAULT_KEY_BITS) -> rsa.RSAPrivateKey:
    """A fresh signing key. Section 6.2: use it for this one variant and nothing else."""
    if bits < MIN_KEY_BITS:
        raise ValueError(f"RSA key of {bits} bits is too small; use at least {MIN_KEY_BITS}")
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=bits)


def public_key_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """SubjectPublicKeyInfo PEM, which the browser imports with WebCrypto's importKey('spki')."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key_pem(pem: str | bytes) -> rsa.RSAPublicKey:
    """Parse a PEM public key, refusing anything but an RSA key of at least MIN_KEY_BITS."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    if key.key_size < MIN_KEY_BITS:
        raise ValueError(f"RSA key of {key.key_size} bits is too small")
    return key


# --- section 4.1: Prepare (PrepareRandomize) --------------------------------------------------------------


def prepare(msg: bytes, rng: Callable[[int], bytes] = os.urandom) -> tuple[bytes, bytes]:
    """Return (prefix, input_msg) with input_msg = prefix || msg and a fresh 32-byte prefix.

    `rng` exists so the RFC's vector can inject its msg_prefix; section 7.4 says real callers must not
    choose it, so production code leaves the default.
    """
    prefix = rng(PREFIX_LEN)
    if len(prefix) != PREFIX_LEN:
        raise BlindSignatureError("random source returned the wrong number of bytes")
    return prefix, prefix + msg


# --- RFC 8017 section 9.1.1 (EMSA-PSS-ENCODE) and appendix B.2.1 (MGF1), as section 4.2 requires ----------


def _mgf1_sha384(seed: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha384(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:length])


def emsa_pss_encode(msg: bytes, em_bits: int, salt: bytes) -> bytes:
    """EMSA-PSS-ENCODE with SHA-384 / MGF1-SHA-384; `salt` is SALT_LEN random bytes."""
    if len(salt) != SALT_LEN:
        raise BlindSignatureError("salt must be 48 bytes")
    em_len = (em_bits + 7) // 8
    m_hash = hashlib.sha384(msg).digest()  # step 2 (SHA-384 takes inputs far beyond any ballot)
    if em_len < HASH_LEN + SALT_LEN + 2:  # step 3
        raise BlindSignatureError("encoding error")
    h = hashlib.sha384(b"\x00" * 8 + m_hash + salt).digest()  # steps 5-6
    db = b"\x00" * (em_len - SALT_LEN - HASH_LEN - 2) + b"\x01" + salt  # steps 7-8
    masked = bytearray(a ^ b for a, b in zip(db, _mgf1_sha384(h, em_len - HASH_LEN - 1), strict=True))
    masked[0] &= 0xFF >> (8 * em_len - em_bits)  # step 11
    return bytes(masked) + h + b"\xbc"  # step 12


def _em_bits(n: int) -> int:
    # RFC 8017 section 8.1.1 signs with emBits = modBits - 1; section 4.2 of RFC 9474 writes bit_len(n),
    # but only modBits - 1 keeps m < n and yields what a standard RSASSA-PSS verifier accepts.
    return n.bit_length() - 1


def _random_unit(n: int) -> int:
    """Uniform r in [1, n) with an inverse mod n (section 4.2 steps 6-8: on a "blinding error", retry)."""
    while True:
        r = secrets.randbelow(n - 1) + 1  # randbelow rejection-samples, so r is uniform
        if math.gcd(r, n) == 1:
            return r


# --- section 4.2: Blind -------------------------------------------------------------------------------------


def blind(
    public_key: rsa.RSAPublicKey, input_msg: bytes, *, salt: bytes | None = None, r: int | None = None
) -> tuple[bytes, int]:
    """Return (blinded_msg, inv). `salt` and `r` are for the RFC's test vectors only (section 7.4)."""
    numbers = public_key.public_numbers()
    n, e = numbers.n, numbers.e
    encoded = emsa_pss_encode(input_msg, _em_bits(n), os.urandom(SALT_LEN) if salt is None else salt)
    m = os2ip(encoded)  # step 3
    if math.gcd(m, n) != 1:  # steps 4-5
        raise BlindSignatureError("invalid input")
    if r is None:
        r = _random_unit(n)
    elif not 1 <= r < n or math.gcd(r, n) != 1:
        raise BlindSignatureError("blinding error")
    inv = pow(r, -1, n)  # step 7
    z = (m * pow(r, e, n)) % n  # steps 9-10: RSAVP1(pk, r) = r^e mod n
    return i2osp(z, _modulus_len(n)), inv


# --- section 4.3: BlindSign ---------------------------------------------------------------------------------


def _rsasp1_crt(numbers: rsa.RSAPrivateNumbers, m: int) -> int:
    """RFC 8017 section 5.2.1 (RSASP1), CRT form, with exponent blinding.

    CPython's big-integer pow is not constant-time. Section 7.1 asks for side-channel mitigation, so the
    CRT exponents get a fresh random multiple of (p - 1) and (q - 1) each call: the result is unchanged
    (Fermat), but the bit pattern being exponentiated differs every time. Base blinding is in blind_sign.
    """
    p, q = numbers.p, numbers.q
    dp = numbers.dmp1 + secrets.randbits(64) * (p - 1)
    dq = numbers.dmq1 + secrets.randbits(64) * (q - 1)
    s1 = bigint.powmod(m % p, dp, p)
    s2 = bigint.powmod(m % q, dq, q)
    h = (numbers.iqmp * (s1 - s2)) % p
    return s2 + q * h


def blind_sign(private_key: rsa.RSAPrivateKey, blinded_msg: bytes) -> bytes:
    """Return blind_sig = RSASP1(sk, blinded_msg), checked before it leaves (section 4.3 steps 3-4)."""
    numbers = private_key.private_numbers()
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    k = _modulus_len(n)
    if len(blinded_msg) != k:
        raise BlindSignatureError(f"blinded message must be {k} bytes")
    m = os2ip(blinded_msg)  # step 1
    if m >= n:
        raise BlindSignatureError("message representative out of range")
    # Base blinding (section 7.1, Kocher section 10): sign m * u^e instead of m, then divide by u, so the
    # private-key operation never runs on a value the requester chose.
    u = _random_unit(n)
    s = (_rsasp1_crt(numbers, (m * bigint.powmod(u, e, n)) % n) * bigint.invert(u, n)) % n  # step 2
    # Steps 3-4 (and section 7.1's fault-attack advice): a faulty CRT result would leak a factor of n.
    if bigint.powmod(s, e, n) != m:
        raise BlindSignatureError("signing failure")
    return i2osp(s, k)  # step 5


# --- section 4.4: Finalize ----------------------------------------------------------------------------------


def finalize(public_key: rsa.RSAPublicKey, input_msg: bytes, blind_sig: bytes, inv: int) -> bytes:
    """Unblind blind_sig and return the signature, only if it verifies over input_msg."""
    n = public_key.public_numbers().n
    k = _modulus_len(n)
    if len(blind_sig) != k:  # step 1
        raise BlindSignatureError("unexpected input size")
    z = os2ip(blind_sig)  # step 2
    if z >= n:
        raise BlindSignatureError("invalid signature")
    sig = i2osp((z * inv) % n, k)  # steps 3-4
    try:  # steps 5-6
        public_key.verify(sig, input_msg, _pss_padding(), hashes.SHA384())
    except InvalidSignature:
        raise BlindSignatureError("invalid signature") from None
    return sig


# --- section 4.5: Verification ------------------------------------------------------------------------------


def verify(public_key: rsa.RSAPublicKey, prefix: bytes, token: bytes, signature: bytes) -> bool:
    """True if `signature` is a valid RSASSA-PSS signature over prefix || token under `public_key`."""
    # With PrepareRandomize the signed message is the 32-byte prefix followed by the application message;
    # a prefix of any other length cannot have come from Prepare.
    if len(prefix) != PREFIX_LEN:
        return False
    try:
        public_key.verify(signature, prefix + token, _pss_padding(), hashes.SHA384())
    except InvalidSignature:
        return False
    return True


# --- transport helpers ------------------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 section 5), as sent between browser and server."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of b64url_encode; refuses padding and characters outside the url-safe alphabet."""
    if len(text) % 4 == 1 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError("not unpadded base64url")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError("not unpadded base64url") from exc
    # Reject non-canonical encodings (stray low bits in the last character), so one value has one text.
    if b64url_encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


def receipt(prefix: bytes, token: bytes) -> str:
    """A voter-checkable receipt for a cast ballot: SHA-256 of prefix || token, in hex."""
    return hashlib.sha256(prefix + token).hexdigest()
