"""Our blind signatures against an independent implementation, @cloudflare/blindrsa-ts, under node: the Python
signer with Cloudflare's client, Cloudflare's signer with the Python client and with the browser module, and
each side verifying the other's signatures (RSABSSA-SHA384-PSS-Randomized, RFC 9474)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.ballots import blindrsa

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "blindrsa-interop.mjs"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_DIR / "node_modules/@cloudflare/blindrsa-ts").exists(),
    reason="node or @cloudflare/blindrsa-ts is missing: run `npm ci --prefix tests/node`")


def node(step: str, **data) -> dict:
    done = subprocess.run(["node", str(SCRIPT), step], input=json.dumps(data), capture_output=True, text=True,
                          cwd=NODE_DIR, timeout=120, env={**os.environ, "NODE_NO_WARNINGS": "1"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _flip(text: str) -> str:
    raw = bytearray(blindrsa.b64url_decode(text))
    raw[len(raw) // 2] ^= 1
    return blindrsa.b64url_encode(bytes(raw))


@pytest.mark.parametrize("bits", [2048, 3072])
def test_the_python_signer_signs_for_cloudflares_client(bits):
    key = blindrsa.generate_key(bits)
    pem = blindrsa.public_key_pem(key)
    token = os.urandom(32)
    blinded = node("cf-blind", pem=pem, msg=blindrsa.b64url_encode(token))
    blind_sig = blindrsa.blind_sign(key, blindrsa.b64url_decode(blinded["blinded"]))
    # Cloudflare's finalize checks the unblinded signature itself and throws if it does not verify.
    signature = node("cf-finalize", pem=pem, prepared=blinded["prepared"], blind_sig=blindrsa.b64url_encode(blind_sig),
                     inv=blinded["inv"])["signature"]
    prepared = blindrsa.b64url_decode(blinded["prepared"])
    prefix, message = prepared[:blindrsa.PREFIX_LEN], prepared[blindrsa.PREFIX_LEN:]
    assert message == token
    assert blindrsa.verify(key.public_key(), prefix, token, blindrsa.b64url_decode(signature))
    assert node("ours-verify", pem=pem, prepared=blinded["prepared"], signature=signature)["ok"] is True
    assert not blindrsa.verify(key.public_key(), prefix, token, blindrsa.b64url_decode(_flip(signature)))
    assert node("ours-verify", pem=pem, prepared=blinded["prepared"], signature=_flip(signature))["ok"] is False


def test_the_python_client_gets_signatures_from_cloudflares_signer():
    keys = node("cf-keygen")
    public = blindrsa.load_public_key_pem(keys["pem"])
    token = os.urandom(32)
    prefix, input_msg = blindrsa.prepare(token)
    blinded, inv = blindrsa.blind(public, input_msg)
    blind_sig = node("cf-sign", pkcs8=keys["pkcs8"], blinded=blindrsa.b64url_encode(blinded))["blind_sig"]
    signature = blindrsa.finalize(public, input_msg, blindrsa.b64url_decode(blind_sig), inv)  # raises if bad
    prepared = blindrsa.b64url_encode(prefix + token)
    assert node("cf-verify", pem=keys["pem"], prepared=prepared, signature=blindrsa.b64url_encode(signature))["ok"]
    assert not node("cf-verify", pem=keys["pem"], prepared=prepared,
                    signature=_flip(blindrsa.b64url_encode(signature)))["ok"]
    with pytest.raises(blindrsa.BlindSignatureError):
        blindrsa.finalize(public, input_msg, blindrsa.b64url_decode(_flip(blind_sig)), inv)


def test_the_browser_module_gets_signatures_from_cloudflares_signer():
    keys = node("cf-keygen")
    token = os.urandom(32)
    done = node("ours-with-cf-signer", pem=keys["pem"], pkcs8=keys["pkcs8"], token=blindrsa.b64url_encode(token))
    assert done["cf_ok"] is True
    assert blindrsa.verify(blindrsa.load_public_key_pem(keys["pem"]), blindrsa.b64url_decode(done["prefix"]), token,
                           blindrsa.b64url_decode(done["signature"]))
