"""Modular arithmetic for blind signing: GMP through gmpy2 where it is installed, Python's own ints otherwise."""
from __future__ import annotations

import os

# CONDUCT_BIGINT=python forces the fallback (the tests run both and compare).
_WANTED = os.environ.get("CONDUCT_BIGINT", "gmpy2")

try:
    if _WANTED != "gmpy2":
        raise ImportError("the pure Python backend was asked for")
    import gmpy2
except ImportError:
    gmpy2 = None

BACKEND = "gmpy2" if gmpy2 is not None else "python"


def powmod(base: int, exponent: int, modulus: int) -> int:
    """base ** exponent mod modulus, as a Python int; a negative exponent inverts first, as pow() does."""
    if gmpy2 is None:
        return pow(base, exponent, modulus)
    return int(gmpy2.powmod(base, exponent, modulus))


def invert(value: int, modulus: int) -> int:
    """The inverse of value mod modulus (ValueError if there is none, as pow(value, -1, modulus) raises)."""
    if gmpy2 is None:
        return pow(value, -1, modulus)
    try:
        return int(gmpy2.invert(value, modulus))
    except ZeroDivisionError:
        raise ValueError("base is not invertible for the given modulus") from None
