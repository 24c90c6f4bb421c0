// RSABSSA-SHA384-PSS-Randomized between @cloudflare/blindrsa-ts (an independent implementation) and ours:
// the browser module app/web/static/blindrsa.js here, the Python signer through tests/test_blindrsa_interop.py.
// One step per call: `node blindrsa-interop.mjs STEP` reads JSON on stdin, writes JSON on stdout; bytes are
// base64url, so the Python side holds the state between steps.
import { RSABSSA } from '@cloudflare/blindrsa-ts';
import * as ours from '../../app/web/static/blindrsa.js';

const suite = RSABSSA.SHA384.PSS.Randomized();
const PSS = { name: 'RSA-PSS', hash: 'SHA-384' };
const enc = ours.b64urlEncode;
const dec = ours.b64urlDecode;
const derOf = (pem) => Uint8Array.from(atob(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '')),
  (c) => c.charCodeAt(0));
const pemOf = (der) => `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...der)).match(/.{1,64}/g).join('\n')}\n`
  + '-----END PUBLIC KEY-----\n';
const publicKey = (pem) => crypto.subtle.importKey('spki', derOf(pem), PSS, true, ['verify']);

const steps = {
  // Cloudflare as the voter's client, against a key whose private half only the Python signer holds.
  async 'cf-blind'({ pem, msg }) {
    const prepared = suite.prepare(dec(msg));
    const { blindedMsg, inv } = await suite.blind(await publicKey(pem), prepared);
    return { prepared: enc(prepared), blinded: enc(blindedMsg), inv: enc(inv) };
  },
  async 'cf-finalize'({ pem, prepared, blind_sig: blindSig, inv }) {
    const signature = await suite.finalize(await publicKey(pem), dec(prepared), dec(blindSig), dec(inv));
    return { signature: enc(signature) };
  },
  // Cloudflare as the signer: a key of its own, kept by the caller as PKCS#8 between steps.
  async 'cf-keygen'() {
    const pair = await suite.generateKey({ modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1) });
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    return { pem: pemOf(spki), pkcs8: enc(new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey))) };
  },
  async 'cf-sign'({ pkcs8, blinded }) {
    const key = await crypto.subtle.importKey('pkcs8', dec(pkcs8), PSS, true, ['sign']);
    return { blind_sig: enc(await suite.blindSign(key, dec(blinded))) };
  },
  async 'cf-verify'({ pem, prepared, signature }) {
    return { ok: await suite.verify(await publicKey(pem), dec(signature), dec(prepared)) };
  },
  // Our browser module as the client, Cloudflare as the signer, and each verifying the other's result.
  async 'ours-with-cf-signer'({ pem, pkcs8, token }) {
    const key = await ours.loadPublicKeyPem(pem);
    const { prefix, inputMsg } = ours.prepare(dec(token));
    const { blindedMsg, inv } = await ours.blind(key, inputMsg);
    const { blind_sig: blindSig } = await steps['cf-sign']({ pkcs8, blinded: enc(blindedMsg) });
    const signature = await ours.finalize(key, inputMsg, dec(blindSig), inv);
    return { prefix: enc(prefix), signature: enc(signature),
             cf_ok: await suite.verify(await publicKey(pem), signature, inputMsg) };
  },
  async 'ours-verify'({ pem, prepared, signature }) {
    const bytes = dec(prepared);
    const ok = await ours.verify(await ours.loadPublicKeyPem(pem), bytes.slice(0, ours.PREFIX_LEN),
      bytes.slice(ours.PREFIX_LEN), dec(signature));
    return { ok };
  },
};

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const step = steps[process.argv[2]];
if (!step) throw new Error(`no step ${process.argv[2]}`);
process.stdout.write(JSON.stringify(await step(JSON.parse(Buffer.concat(chunks).toString() || '{}'))));
