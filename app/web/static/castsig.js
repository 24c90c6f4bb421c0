// Ed25519 in WebCrypto for the ballot: the ballot key made in the browser, its signature over each cast, and
// the check of the service's signed receipt. The messages are byte for byte those of app/ballots/castsig.py.
import { b64urlDecode, b64urlEncode } from './blindrsa.js';

const encoder = new TextEncoder();
const ED25519 = { name: 'Ed25519' };

export class NoEd25519Error extends Error {}

function fields(domain, ...parts) {
  for (const part of parts) if (String(part).includes('\n')) throw new Error('a signed field cannot contain a newline');
  return encoder.encode([domain, ...parts.map(String)].join('\n'));
}

export const castMessage = (poll, choice, seq) => fields('conduct-cast-v1', poll, choice, seq);
export const receiptMessage = (poll, receipt, choice, seq) => fields('conduct-receipt-v1', poll, receipt, choice, seq);

// A fresh ballot key: { key: private seed (32 bytes), token: public key (32 bytes) }. Browsers without
// Ed25519 in WebCrypto (before Chromium 137, Firefox 129, Safari 17) get NoEd25519Error: there is no
// unsigned fallback, since an unsigned choice is one the operator could change.
export async function newKey() {
  let pair;
  try {
    pair = await crypto.subtle.generateKey(ED25519, true, ['sign', 'verify']);
  } catch (error) {
    throw new NoEd25519Error(`This browser cannot make an Ed25519 key (${error.name}).`);
  }
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  return { key: b64urlDecode(jwk.d), token: b64urlDecode(jwk.x) };
}

export async function sign(seed, token, message) {
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: b64urlEncode(seed), x: b64urlEncode(token) };
  const key = await crypto.subtle.importKey('jwk', jwk, ED25519, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign(ED25519, key, message));
}

export async function verify(publicKey, message, signature) {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, ED25519, false, ['verify']);
    return await crypto.subtle.verify(ED25519, key, signature, message);
  } catch {
    return false;
  }
}
