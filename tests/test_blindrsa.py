"""RFC 9474 blind signatures in Python: the Appendix A.1 vector step by step, then fresh-key round trips."""

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from app.ballots import blindrsa
from app.ballots.blindrsa import BlindSignatureError

VECTORS = Path(__file__).parent / "data" / "rfc9474_vectors.json"


@pytest.fixture(scope="module")
def vector():
    return json.loads(VECTORS.read_text())["RSABSSA-SHA384-PSS-Randomized"]


def _h(vector, name):
    return bytes.fromhex(vector[name])


def _i(vector, name):
    return int(vector[name], 16)


@pytest.fixture(scope="module")
def vector_key(vector):
    p, q, d, e, n = (_i(vector, k) for k in ("p", "q", "d", "e", "n"))
    public = rsa.RSAPublicNumbers(e, n)
    return rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    ).private_key()


@pytest.fixture(scope="module")
def key():
    return blindrsa.generate_key(3072)


@pytest.fixture(scope="module")
def other_key():
    return blindrsa.generate_key(3072)


def _issue(key, token):
    """The whole protocol once: the voter prepares and blinds, the server signs, the voter finalizes."""
    public = blindrsa.load_public_key_pem(blindrsa.public_key_pem(key))
    prefix, input_msg = blindrsa.prepare(token)
    blinded, inv = blindrsa.blind(public, input_msg)
    blind_sig = blindrsa.blind_sign(key, blinded)
    return prefix, blindrsa.finalize(public, input_msg, blind_sig, inv)


# --- RFC 9474 Appendix A.1, one step at a time ------------------------------------------------------------


def test_vector_prepare_prepends_the_prefix(vector):
    prefix, input_msg = blindrsa.prepare(_h(vector, "msg"), rng=lambda n: _h(vector, "msg_prefix")[:n])
    assert prefix == _h(vector, "msg_prefix")
    assert input_msg == _h(vector, "prepared_msg")


def test_vector_emsa_pss_encoding(vector):
    n = _i(vector, "n")
    encoded = blindrsa.emsa_pss_encode(_h(vector, "prepared_msg"), n.bit_length() - 1, _h(vector, "salt"))
    assert encoded == _h(vector, "encoded_msg")


def test_vector_blind(vector, vector_key):
    r = pow(_i(vector, "inv"), -1, _i(vector, "n"))
    blinded, inv = blindrsa.blind(
        vector_key.public_key(), _h(vector, "prepared_msg"), salt=_h(vector, "salt"), r=r
    )
    assert blinded == _h(vector, "blinded_msg")
    assert inv == _i(vector, "inv")


def test_vector_blind_sign(vector, vector_key):
    # Base and exponent blinding are random, yet RSA signing is deterministic: the answer must match.
    assert blindrsa.blind_sign(vector_key, _h(vector, "blinded_msg")) == _h(vector, "blind_sig")
    assert blindrsa.blind_sign(vector_key, _h(vector, "blinded_msg")) == _h(vector, "blind_sig")


def test_vector_finalize(vector, vector_key):
    sig = blindrsa.finalize(
        vector_key.public_key(), _h(vector, "prepared_msg"), _h(vector, "blind_sig"), _i(vector, "inv")
    )
    assert sig == _h(vector, "sig")


def test_vector_verify(vector, vector_key):
    public = vector_key.public_key()
    assert blindrsa.verify(public, _h(vector, "msg_prefix"), _h(vector, "msg"), _h(vector, "sig"))
    assert not blindrsa.verify(public, _h(vector, "msg_prefix"), _h(vector, "msg")[:-1], _h(vector, "sig"))


def test_vector_finalize_refuses_a_wrong_inverse(vector, vector_key):
    input_msg, blind_sig = _h(vector, "prepared_msg"), _h(vector, "blind_sig")
    with pytest.raises(BlindSignatureError, match="invalid signature"):
        blindrsa.finalize(vector_key.public_key(), input_msg, blind_sig, _i(vector, "inv") + 1)


# --- fresh 3072-bit keys ----------------------------------------------------------------------------------


def test_round_trip_gives_a_standard_rsa_pss_signature(key):
    token = b"voter-token-" + bytes(range(20))
    prefix, sig = _issue(key, token)
    assert len(prefix) == blindrsa.PREFIX_LEN
    assert blindrsa.verify(key.public_key(), prefix, token, sig)
    # Any RSASSA-PSS verifier with the variant's parameters accepts it; this one raises if not.
    key.public_key().verify(
        sig, prefix + token, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384()
    )


def test_blinding_hides_the_token_and_signatures_are_randomized(key):
    public = key.public_key()
    token = b"the same token"
    _, input_msg = blindrsa.prepare(token)
    first, _ = blindrsa.blind(public, input_msg)
    second, _ = blindrsa.blind(public, input_msg)
    assert first != second
    assert input_msg not in first
    prefix_a, sig_a = _issue(key, token)
    prefix_b, sig_b = _issue(key, token)
    assert prefix_a != prefix_b and sig_a != sig_b


def test_forged_signatures_fail(key):
    token = b"ballot token"
    prefix, sig = _issue(key, token)
    flipped = bytes([sig[0] ^ 0x01]) + sig[1:]
    assert not blindrsa.verify(key.public_key(), prefix, token, flipped)
    assert not blindrsa.verify(key.public_key(), prefix, token, bytes(len(sig)))
    assert not blindrsa.verify(key.public_key(), prefix, token, sig[:-1])


def test_signature_from_another_key_fails(key, other_key):
    token = b"ballot token"
    prefix, sig = _issue(other_key, token)
    assert blindrsa.verify(other_key.public_key(), prefix, token, sig)
    assert not blindrsa.verify(key.public_key(), prefix, token, sig)


def test_finalize_refuses_a_blind_signature_from_another_key(key, other_key):
    other_n = other_key.public_key().public_numbers().n
    # The blinded message is uniform below this key's modulus; the other key can only sign it when it
    # is also below the other modulus (otherwise blind_sign refuses it first, which proves nothing here).
    while True:
        _, input_msg = blindrsa.prepare(b"ballot token")
        blinded, inv = blindrsa.blind(key.public_key(), input_msg)
        if int.from_bytes(blinded, "big") < other_n:
            break
    wrong = blindrsa.blind_sign(other_key, blinded)
    with pytest.raises(BlindSignatureError, match="invalid signature"):
        blindrsa.finalize(key.public_key(), input_msg, wrong, inv)


def test_tampered_prefix_or_token_fails(key):
    token = b"ballot token"
    prefix, sig = _issue(key, token)
    assert not blindrsa.verify(key.public_key(), bytes([prefix[0] ^ 0x80]) + prefix[1:], token, sig)
    assert not blindrsa.verify(key.public_key(), prefix, token + b"!", sig)
    # Moving bytes between prefix and token keeps prefix||token but is not what Prepare produced.
    assert not blindrsa.verify(key.public_key(), prefix + token[:1], token[1:], sig)


def test_blind_sign_rejects_out_of_range_and_wrong_size(key):
    n = key.public_key().public_numbers().n
    k = (n.bit_length() + 7) // 8
    with pytest.raises(BlindSignatureError, match="out of range"):
        blindrsa.blind_sign(key, n.to_bytes(k, "big"))
    with pytest.raises(BlindSignatureError, match="out of range"):
        blindrsa.blind_sign(key, b"\xff" * k)
    with pytest.raises(BlindSignatureError, match="bytes"):
        blindrsa.blind_sign(key, b"\x01" * (k - 1))


def test_blind_sign_never_returns_a_faulty_result(key, monkeypatch):
    _, input_msg = blindrsa.prepare(b"ballot token")
    blinded, _ = blindrsa.blind(key.public_key(), input_msg)
    real = blindrsa._rsasp1_crt
    monkeypatch.setattr(blindrsa, "_rsasp1_crt", lambda numbers, m: real(numbers, m) + 1)
    with pytest.raises(BlindSignatureError, match="signing failure"):
        blindrsa.blind_sign(key, blinded)


def test_finalize_rejects_wrong_size(key):
    _, input_msg = blindrsa.prepare(b"t")
    blinded, inv = blindrsa.blind(key.public_key(), input_msg)
    blind_sig = blindrsa.blind_sign(key, blinded)
    with pytest.raises(BlindSignatureError, match="unexpected input size"):
        blindrsa.finalize(key.public_key(), input_msg, blind_sig[1:], inv)


def test_blind_rejects_injected_values_out_of_range(key):
    n = key.public_key().public_numbers().n
    with pytest.raises(BlindSignatureError, match="blinding error"):
        blindrsa.blind(key.public_key(), b"x" * 40, r=n)
    with pytest.raises(BlindSignatureError, match="salt"):
        blindrsa.blind(key.public_key(), b"x" * 40, salt=b"short")


def test_prepare_refuses_a_short_random_source():
    with pytest.raises(BlindSignatureError):
        blindrsa.prepare(b"token", rng=lambda n: b"\x00" * (n - 1))


# --- keys and helpers -------------------------------------------------------------------------------------


def test_generate_key_refuses_small_keys():
    with pytest.raises(ValueError, match="too small"):
        blindrsa.generate_key(1024)


def test_public_key_pem_round_trip(key):
    pem = blindrsa.public_key_pem(key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in pem
    loaded = blindrsa.load_public_key_pem(pem)
    assert loaded.public_numbers() == key.public_key().public_numbers()
    assert blindrsa.public_key_pem(loaded) == pem


def test_load_public_key_pem_refuses_other_keys():
    # Only RSA keys are accepted, even when another kind is well-formed.
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ValueError, match="not an RSA"):
        blindrsa.load_public_key_pem(pem)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="too small"):
        blindrsa.load_public_key_pem(blindrsa.public_key_pem(small))


def test_i2osp_and_os2ip():
    assert blindrsa.i2osp(1, 4) == b"\x00\x00\x00\x01"
    assert blindrsa.os2ip(b"\x00\x00\x01\x00") == 256
    assert blindrsa.os2ip(blindrsa.i2osp(2**64 - 1, 8)) == 2**64 - 1
    with pytest.raises(BlindSignatureError):
        blindrsa.i2osp(256, 1)
    with pytest.raises(BlindSignatureError):
        blindrsa.i2osp(-1, 1)


@pytest.mark.parametrize("length", [0, 1, 2, 3, 31, 32, 33, 384])
def test_b64url_round_trip_without_padding(length):
    data = hashlib.shake_256(str(length).encode()).digest(length) if length else b""
    text = blindrsa.b64url_encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert blindrsa.b64url_decode(text) == data


@pytest.mark.parametrize("text", ["AA==", "A", "AB+/", "AB\n", "AB", "ab c", "é"])
def test_b64url_decode_refuses_non_canonical_text(text):
    with pytest.raises(ValueError):
        blindrsa.b64url_decode(text)


def test_receipt_is_sha256_of_prefix_and_token():
    prefix, token = b"\x01" * 32, b"token"
    assert blindrsa.receipt(prefix, token) == hashlib.sha256(prefix + token).hexdigest()
    assert blindrsa.receipt(prefix, token) != blindrsa.receipt(b"\x02" * 32, token)
