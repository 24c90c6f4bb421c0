"""Blind signing on GMP (gmpy2) and on Python's own integers: the RFC 9474 vector and fresh keys, same
signatures either way; and a process without gmpy2 falls back by itself."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.ballots import bigint, blindrsa

VECTOR = json.loads((Path(__file__).parent / "data" / "rfc9474_vectors.json").read_text())[
    "RSABSSA-SHA384-PSS-Randomized"]
ROOT = Path(__file__).resolve().parent.parent


def _key():
    p, q, d, e, n = (int(VECTOR[k], 16) for k in ("p", "q", "d", "e", "n"))
    return rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                                 rsa.RSAPublicNumbers(e, n)).private_key()


@pytest.fixture(params=["gmpy2", "python"])
def backend(request, monkeypatch):
    if request.param == "python":
        monkeypatch.setattr(bigint, "gmpy2", None)
    elif bigint.gmpy2 is None:
        pytest.skip("gmpy2 is not installed here")
    return request.param


def test_the_rfc_vector_signs_the_same_on_each_backend(backend):
    assert blindrsa.blind_sign(_key(), bytes.fromhex(VECTOR["blinded_msg"])) == bytes.fromhex(VECTOR["blind_sig"])


def test_fresh_keys_sign_the_same_on_both_backends(monkeypatch):
    if bigint.gmpy2 is None:
        pytest.skip("gmpy2 is not installed here")
    key = blindrsa.generate_key(3072)
    public = key.public_key()
    prefix, input_msg = blindrsa.prepare(b"a ballot token")
    blinded, inv = blindrsa.blind(public, input_msg)
    on_gmp = blindrsa.blind_sign(key, blinded)
    monkeypatch.setattr(bigint, "gmpy2", None)
    on_python = blindrsa.blind_sign(key, blinded)
    assert on_gmp == on_python
    assert blindrsa.verify(public, prefix, b"a ballot token", blindrsa.finalize(public, input_msg, on_python, inv))


def test_inverting_a_non_unit_fails_the_same_way(backend):
    with pytest.raises(ValueError):
        bigint.invert(6, 9)
    assert bigint.invert(4, 9) == 7 and bigint.powmod(4, -1, 9) == 7


def test_a_process_without_gmpy2_uses_python_ints():
    code = "from app.ballots import bigint; print(bigint.BACKEND)"
    env = {**os.environ, "CONDUCT_BIGINT": "python", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "python"
