// RSA blind signatures (RFC 9474, RSABSSA-SHA384-PSS-Randomized): the voter's side, in the browser.
//
// The voter's browser makes a random token, prepares and blinds it, sends only the blinded message to
// the server, and unblinds the server's answer. The server signs once per eligible voter but never sees
// the token. The result is an ordinary RSASSA-PSS signature (SHA-384, MGF1-SHA-384, 48-byte salt) over
// prefix || token. Mirrors app/ballots/blindrsa.py; section numbers below are RFC 9474's.
// No framework, no build step: BigInt for the arithmetic, WebCrypto for hashing, randomness and the
// final RSA-PSS verification. Only public-key operations happen here, so nothing needs to be constant-time.

// Section 5, variant 1: SHA-384, MGF1-SHA-384, 48-byte salt, randomized preparation (32-byte prefix).
export const HASH_LEN = 48;
export const SALT_LEN = 48;
export const PREFIX_LEN = 32;
export const MIN_KEY_BITS = 2048;

const PSS_VERIFY = { name: 'RSA-PSS', saltLength: SALT_LEN };

export class BlindSignatureError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BlindSignatureError';
  }
}

// --- bytes -----------------------------------------------------------------------------------------------

export function randomBytes(length) {
  const out = new Uint8Array(length);
  crypto.getRandomValues(out);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function hexToBytes(hex) {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Base64url without padding (RFC 4648 section 5): how values travel between browser and server.
export function b64urlEncode(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function b64urlDecode(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error('not unpadded base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  // One value, one text: refuse encodings with stray low bits, as the Python side does.
  if (b64urlEncode(out) !== text) throw new Error('not canonical base64url');
  return out;
}

// --- section 3 (notation): int_to_bytes / bytes_to_int are RFC 8017's I2OSP / OS2IP ----------------------

export function i2osp(x, length) {
  if (x < 0n || x >= 1n << BigInt(8 * length)) throw new BlindSignatureError('integer too large');
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function os2ip(bytes) {
  return bytes.length === 0 ? 0n : BigInt('0x' + bytesToHex(bytes));
}

function bitLength(x) {
  return x === 0n ? 0 : x.toString(2).length;
}

// --- modular arithmetic ----------------------------------------------------------------------------------

export function modPow(base, exponent, modulus) {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result % modulus;
}

function gcd(a, b) {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

// Extended Euclid; fails when a and n share a factor (section 3, inverse_mod).
export function modInverse(a, n) {
  let [oldR, r] = [((a % n) + n) % n, n];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new BlindSignatureError('blinding error');
  return ((oldS % n) + n) % n;
}

// --- keys ------------------------------------------------------------------------------------------------

// Import the server's SubjectPublicKeyInfo PEM (what public_key_pem() in Python produces). WebCrypto both
// parses the DER and, exported as a JWK, hands back n and e, so no ASN.1 code lives here.
export async function loadPublicKeyPem(pem) {
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  const cryptoKey = await crypto.subtle.importKey(
    'spki', der, { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']);
  const jwk = await crypto.subtle.exportKey('jwk', cryptoKey);
  const n = os2ip(b64urlDecode(jwk.n));
  const e = os2ip(b64urlDecode(jwk.e));
  if (bitLength(n) < MIN_KEY_BITS) throw new BlindSignatureError('RSA key too small');
  return { n, e, modulusLength: Math.ceil(bitLength(n) / 8), cryptoKey };
}

// --- section 4.1: Prepare (PrepareRandomize) -------------------------------------------------------------

// `rng` exists so the RFC's vector can inject its msg_prefix; section 7.4 says real callers must not.
export function prepare(msg, rng = randomBytes) {
  const prefix = rng(PREFIX_LEN);
  if (prefix.length !== PREFIX_LEN) throw new BlindSignatureError('random source returned the wrong length');
  return { prefix, inputMsg: concat(prefix, msg) };
}

// --- RFC 8017 section 9.1.1 (EMSA-PSS-ENCODE) with MGF1 (appendix B.2.1), as section 4.2 requires --------

async function sha384(data) {
  return new Uint8Array(await crypto.subtle.digest('SHA-384', data));
}

async function mgf1(seed, length) {
  const blocks = [];
  for (let counter = 0; blocks.length * HASH_LEN < length; counter++) {
    blocks.push(await sha384(concat(seed, i2osp(BigInt(counter), 4))));
  }
  return concat(...blocks).slice(0, length);
}

export async function emsaPssEncode(msg, emBits, salt) {
  if (salt.length !== SALT_LEN) throw new BlindSignatureError('salt must be 48 bytes');
  const emLen = Math.ceil(emBits / 8);
  const mHash = await sha384(msg); // step 2
  if (emLen < HASH_LEN + SALT_LEN + 2) throw new BlindSignatureError('encoding error'); // step 3
  const h = await sha384(concat(new Uint8Array(8), mHash, salt)); // steps 5-6
  const db = concat(new Uint8Array(emLen - SALT_LEN - HASH_LEN - 2), Uint8Array.of(1), salt); // 7-8
  const mask = await mgf1(h, emLen - HASH_LEN - 1); // step 9
  const maskedDb = db.map((b, i) => b ^ mask[i]); // step 10
  maskedDb[0] &= 0xff >> (8 * emLen - emBits); // step 11
  return concat(maskedDb, h, Uint8Array.of(0xbc)); // step 12
}

// --- section 4.2: Blind ----------------------------------------------------------------------------------

// Uniform r in [1, n) by rejection sampling, retried until it is invertible (section 4.2 steps 6-8).
function randomUnit(n) {
  const bits = bitLength(n);
  const length = Math.ceil(bits / 8);
  const topMask = 0xff >> (8 * length - bits);
  for (;;) {
    const bytes = randomBytes(length);
    bytes[0] &= topMask;
    const r = os2ip(bytes);
    if (r > 0n && r < n && gcd(r, n) === 1n) return r;
  }
}

// Returns { blindedMsg, inv }. `salt` and `r` are for the RFC's test vectors only (section 7.4).
export async function blind(publicKey, inputMsg, { salt, r } = {}) {
  const { n, e, modulusLength } = publicKey;
  // RFC 8017 section 8.1.1 encodes to modBits - 1 bits, which keeps m < n and standard verifiers happy.
  const encoded = await emsaPssEncode(inputMsg, bitLength(n) - 1, salt ?? randomBytes(SALT_LEN));
  const m = os2ip(encoded); // step 3
  if (gcd(m, n) !== 1n) throw new BlindSignatureError('invalid input'); // steps 4-5
  if (r === undefined) r = randomUnit(n);
  else if (r < 1n || r >= n) throw new BlindSignatureError('blinding error');
  const inv = modInverse(r, n); // steps 7-8
  const z = (m * modPow(r, e, n)) % n; // steps 9-10
  return { blindedMsg: i2osp(z, modulusLength), inv };
}

// --- section 4.4: Finalize -------------------------------------------------------------------------------

export async function finalize(publicKey, inputMsg, blindSig, inv) {
  const { n, modulusLength, cryptoKey } = publicKey;
  if (blindSig.length !== modulusLength) throw new BlindSignatureError('unexpected input size'); // step 1
  const z = os2ip(blindSig); // step 2
  if (z >= n) throw new BlindSignatureError('invalid signature');
  const sig = i2osp((z * inv) % n, modulusLength); // steps 3-4
  if (!(await crypto.subtle.verify(PSS_VERIFY, cryptoKey, sig, inputMsg))) { // steps 5-6
    throw new BlindSignatureError('invalid signature');
  }
  return sig;
}

// --- section 4.5: Verification ---------------------------------------------------------------------------

export async function verify(publicKey, prefix, token, signature) {
  if (prefix.length !== PREFIX_LEN) return false;
  return crypto.subtle.verify(PSS_VERIFY, publicKey.cryptoKey, signature, concat(prefix, token));
}

// The voter's receipt for a cast ballot: SHA-256 of prefix || token, in hex (same as Python's receipt()).
export async function receipt(prefix, token) {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', concat(prefix, token))));
}
