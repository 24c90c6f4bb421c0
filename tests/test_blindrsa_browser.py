"""RFC 9474 blind signatures in Chromium: blindrsa.js against the A.1 vector and against the Python server."""

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.ballots import blindrsa

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[1] / "app" / "web" / "static"
VECTORS = Path(__file__).parent / "data" / "rfc9474_vectors.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A blank page on the test server's origin, so import() of the module is same-origin and WebCrypto has
# the secure context it needs (http://127.0.0.1 counts as one).
BLANK = "/__blank__.html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass  # keep test output free of request lines


@pytest.fixture(scope="module")
def base_url():
    handler = functools.partial(_QuietHandler, directory=str(STATIC))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def page(base_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's Chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        blank = "<!doctype html><title>blindrsa</title>"
        page.route(f"{base_url}{BLANK}", lambda route: route.fulfill(content_type="text/html", body=blank))
        page.goto(f"{base_url}{BLANK}")
        yield page
        browser.close()


@pytest.fixture(scope="module")
def vector():
    return json.loads(VECTORS.read_text())["RSABSSA-SHA384-PSS-Randomized"]


@pytest.fixture(scope="module")
def key():
    return blindrsa.generate_key(3072)


def _vector_pem(vector):
    public = rsa.RSAPublicNumbers(int(vector["e"], 16), int(vector["n"], 16)).public_key()
    return blindrsa.public_key_pem(public)


VECTOR_STEPS = """
async ([pem, v]) => {
  const b = await import('/blindrsa.js');
  const H = b.hexToBytes;
  const pk = await b.loadPublicKeyPem(pem);
  const { prefix, inputMsg } = b.prepare(H(v.msg), (n) => H(v.msg_prefix).slice(0, n));
  const encoded = await b.emsaPssEncode(inputMsg, pk.n.toString(2).length - 1, H(v.salt));
  const r = b.modInverse(BigInt('0x' + v.inv), pk.n);
  const { blindedMsg, inv } = await b.blind(pk, inputMsg, { salt: H(v.salt), r });
  const sig = await b.finalize(pk, inputMsg, H(v.blind_sig), inv);
  let wrongInv = null;
  try { await b.finalize(pk, inputMsg, H(v.blind_sig), inv + 1n); } catch (e) { wrongInv = e.message; }
  return {
    n: pk.n.toString(16), e: pk.e.toString(16), modulusLength: pk.modulusLength,
    prefix: b.bytesToHex(prefix), prepared: b.bytesToHex(inputMsg), encoded: b.bytesToHex(encoded),
    blinded: b.bytesToHex(blindedMsg), inv: inv.toString(16), sig: b.bytesToHex(sig),
    verifies: await b.verify(pk, prefix, H(v.msg), sig),
    tamperedPrefix: await b.verify(pk, prefix.map((x, i) => i === 0 ? x ^ 1 : x), H(v.msg), sig),
    wrongInv,
  };
}
"""


def test_js_runs_the_rfc_vector_step_by_step(page, vector):
    got = page.evaluate(VECTOR_STEPS, [_vector_pem(vector), vector])
    assert int(got["n"], 16) == int(vector["n"], 16)
    assert int(got["e"], 16) == int(vector["e"], 16)
    assert got["modulusLength"] == 512
    assert got["prefix"] == vector["msg_prefix"]
    assert got["prepared"] == vector["prepared_msg"]
    assert got["encoded"] == vector["encoded_msg"]
    assert got["blinded"] == vector["blinded_msg"]
    assert int(got["inv"], 16) == int(vector["inv"], 16)
    assert got["sig"] == vector["sig"]
    assert got["verifies"] is True
    assert got["tamperedPrefix"] is False
    assert got["wrongInv"] == "invalid signature"


BLIND_IN_BROWSER = """
async ([pem, tokenB64]) => {
  const b = await import('/blindrsa.js');
  const pk = await b.loadPublicKeyPem(pem);
  const { prefix, inputMsg } = b.prepare(b.b64urlDecode(tokenB64));
  const { blindedMsg, inv } = await b.blind(pk, inputMsg);
  // The voter's secrets stay in the page, as they would between the two requests of a real ballot.
  window.__ballot = { pk, prefix, inputMsg, inv };
  return b.b64urlEncode(blindedMsg);
}
"""

FINALIZE_IN_BROWSER = """
async (blindSigB64) => {
  const b = await import('/blindrsa.js');
  const { pk, prefix, inputMsg, inv } = window.__ballot;
  const sig = await b.finalize(pk, inputMsg, b.b64urlDecode(blindSigB64), inv);
  const token = inputMsg.slice(b.PREFIX_LEN);
  return {
    prefix: b.b64urlEncode(prefix), sig: b.b64urlEncode(sig),
    verifies: await b.verify(pk, prefix, token, sig), receipt: await b.receipt(prefix, token),
  };
}
"""


def test_browser_blinds_python_signs_browser_finalizes_python_verifies(page, key):
    token = bytes(range(32))
    blinded = blindrsa.b64url_decode(
        page.evaluate(BLIND_IN_BROWSER, [blindrsa.public_key_pem(key), blindrsa.b64url_encode(token)])
    )
    assert len(blinded) == 384
    blind_sig = blindrsa.blind_sign(key, blinded)
    got = page.evaluate(FINALIZE_IN_BROWSER, blindrsa.b64url_encode(blind_sig))
    prefix, sig = blindrsa.b64url_decode(got["prefix"]), blindrsa.b64url_decode(got["sig"])
    assert got["verifies"] is True
    assert blindrsa.verify(key.public_key(), prefix, token, sig)
    assert not blindrsa.verify(key.public_key(), prefix, token[:-1] + b"\x00", sig)
    assert got["receipt"] == blindrsa.receipt(prefix, token)


def test_browser_refuses_a_blind_signature_from_another_key(page, key):
    other = blindrsa.generate_key(2048)
    blinded = blindrsa.b64url_decode(
        page.evaluate(BLIND_IN_BROWSER, [blindrsa.public_key_pem(key), blindrsa.b64url_encode(b"token")])
    )
    # Sign the blinded value reduced into the other key's range, as a confused or hostile server might.
    n_other = other.public_key().public_numbers().n
    forged = blindrsa.blind_sign(other, (int.from_bytes(blinded, "big") % n_other).to_bytes(256, "big"))
    error = page.evaluate(
        """async (s) => {
          const b = await import('/blindrsa.js');
          const { pk, inputMsg, inv } = window.__ballot;
          const padded = new Uint8Array(pk.modulusLength);
          const raw = b.b64urlDecode(s);
          padded.set(raw, pk.modulusLength - raw.length);
          try { await b.finalize(pk, inputMsg, padded, inv); return null; } catch (e) { return e.message; }
        }""",
        blindrsa.b64url_encode(forged),
    )
    assert error == "invalid signature"


B64_AND_RECEIPT = """
async ([hex, prefixHex]) => {
  const b = await import('/blindrsa.js');
  const data = b.hexToBytes(hex);
  let refused = 0;
  for (const bad of ['AA==', 'A', 'AB+/', 'AB']) { try { b.b64urlDecode(bad); } catch { refused++; } }
  return {
    encoded: b.b64urlEncode(data),
    roundTrip: b.bytesToHex(b.b64urlDecode(b.b64urlEncode(data))),
    receipt: await b.receipt(b.hexToBytes(prefixHex), data),
    refused,
  };
}
"""


@pytest.mark.parametrize("length", [0, 1, 2, 3, 32, 385])
def test_js_base64url_and_receipt_match_python(page, length):
    data = bytes((7 * i + length) % 256 for i in range(length))
    prefix = bytes(range(32))
    got = page.evaluate(B64_AND_RECEIPT, [data.hex(), prefix.hex()])
    assert got["encoded"] == blindrsa.b64url_encode(data)
    assert got["roundTrip"] == data.hex()
    assert got["receipt"] == blindrsa.receipt(prefix, data)
    assert got["refused"] == 4
