"""Parsed poll keys, cached: loading and checking an RSA key costs more than using it once."""
from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.ballots import blindrsa


@lru_cache(maxsize=32)
def public_key(pem: str) -> rsa.RSAPublicKey:
    return blindrsa.load_public_key_pem(pem)


# Small on purpose: a closed poll's key leaves the database at once and should not linger here long.
# Callers look the PEM up in the store first, so a destroyed key is never reached through this cache.
@lru_cache(maxsize=4)
def private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("a poll key must be an RSA key")
    return key
