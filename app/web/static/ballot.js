// The ballot pages' script: get a blind-signed ballot (signed in), then cast it from its link (no cookie).
//
// Getting a ballot: make a fresh Ed25519 key, whose public half is the token; prepare and blind the token
// with the poll's public key, send only the blinded message, unblind and verify the answer, and show a
// link whose fragment carries the token, prefix, signature and the private key. Fragments are never sent
// to a server, so the service sees the token for the first time when the vote is cast, with no sign-in
// attached, and never sees the key: each cast is signed with it over (poll, choice, number).
import * as blindrsa from './blindrsa.js';
import * as castsig from './castsig.js';

const poll = JSON.parse(document.getElementById('poll-data').textContent);

function show(id, text) {
  const element = document.getElementById(id);
  element.textContent = text;
  return element;
}

// `credentials` is 'same-origin' only for asking for a signature, which needs the sign-in; a cast is sent
// with 'omit', so no cookie of any path goes with it, and with no referrer.
async function post(path, body, { headers = {}, credentials = 'omit' } = {}) {
  const response = await fetch(path, {
    method: 'POST',
    credentials,
    referrerPolicy: 'no-referrer',
    cache: 'no-store',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    // fall through: the status alone says it failed
  }
  return { status: response.status, ok: response.ok, data };
}

async function postJson(path, body, options) {
  const { ok, status, data } = await post(path, body, options);
  if (!ok) throw new Error(data.error || `The service answered ${status}.`);
  return data;
}

// --- the ballot page ---------------------------------------------------------------------------------

async function getBallot(button) {
  button.disabled = true;
  show('error', '');
  show('status', 'Making your ballot…');
  try {
    const publicKey = await blindrsa.loadPublicKeyPem(poll.public_key);
    const { key, token } = await castsig.newKey();
    const { prefix, inputMsg } = blindrsa.prepare(token);
    const { blindedMsg, inv } = await blindrsa.blind(publicKey, inputMsg);
    // The custom header proves the request comes from this page (a cross-site form cannot set it).
    const answer = await postJson(`/ballot/${poll.slug}/sign`, { blinded_msg: blindrsa.b64urlEncode(blindedMsg) },
      { headers: { 'X-Conduct-Ballot': '1' }, credentials: 'same-origin' });
    const signature = await blindrsa.finalize(publicKey, inputMsg, blindrsa.b64urlDecode(answer.blind_sig), inv);
    const fragment = new URLSearchParams({
      t: blindrsa.b64urlEncode(token),
      p: blindrsa.b64urlEncode(prefix),
      s: blindrsa.b64urlEncode(signature),
      k: blindrsa.b64urlEncode(key),
    });
    const link = `${location.origin}/polls/${poll.slug}/vote#${fragment}`;
    document.getElementById('ballot-link').href = link;
    document.getElementById('ballot-url').value = link;
    document.getElementById('ballot').hidden = false;
    show('status', 'Your ballot is ready.');
  } catch (error) {
    show('status', '');
    show('error', error instanceof castsig.NoEd25519Error
      ? `${error.message} Your ballot's key signs your choice, so nobody can change it; please use a current `
        + 'browser, or `conduct vote` from a terminal. No ballot was taken.'
      : error.message);
  }
}

// --- the vote page -------------------------------------------------------------------------------------

function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const ballot = { token: params.get('t'), prefix: params.get('p'), signature: params.get('s'), key: params.get('k') };
  if (!ballot.token || !ballot.prefix || !ballot.signature || !ballot.key) return null;
  return ballot;
}

function renderChoices(container) {
  for (const option of poll.options) {
    const label = document.createElement('label');
    label.className = 'choice';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'choice';
    input.value = option.id;
    input.required = true;
    const title = document.createElement('strong');
    title.textContent = ` ${option.title}`;
    const description = document.createElement('small');
    description.textContent = option.description;
    label.append(input, title, description);
    container.append(label);
  }
}

async function checkBallot(ballot) {
  // Catch a mangled link here, before the voter chooses; the server checks again when casting.
  const publicKey = await blindrsa.loadPublicKeyPem(poll.public_key);
  try {
    return await blindrsa.verify(publicKey, blindrsa.b64urlDecode(ballot.prefix),
      blindrsa.b64urlDecode(ballot.token), blindrsa.b64urlDecode(ballot.signature));
  } catch {
    return false;
  }
}

// Sign the choice with the ballot's key and send it. A later cast of this ballot (from another device)
// is answered 409 with its number: sign again with the next one.
let lastSeq = 0; // the number of this page's last accepted cast

async function cast(ballot, choice) {
  const { key, ...sent } = ballot;
  let seq = lastSeq + 1;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const message = castsig.castMessage(poll.poll, choice, seq);
    const castSig = await castsig.sign(blindrsa.b64urlDecode(key), blindrsa.b64urlDecode(ballot.token), message);
    const { status, ok, data } = await post(`/polls/${poll.slug}/cast`,
      { ...sent, choice, seq, cast_sig: blindrsa.b64urlEncode(castSig) });
    if (status === 409 && Number.isInteger(data.seq)) {
      seq = data.seq + 1;
      continue;
    }
    if (!ok) throw new Error(data.error || `The service answered ${status}.`);
    await checkReceipt(data, ballot, choice, seq);
    lastSeq = seq;
    return { ...data, text: `conduct-receipt:${poll.poll}:${data.receipt}:${seq}:${choice}:${data.receipt_sig}` };
  }
  throw new Error('The service keeps answering that a later vote is recorded.');
}

// The voter's own check: the receipt is for this ballot, this choice and this number, signed by the
// receipt key the poll was opened with. A receipt that fails is not shown as a success.
async function checkReceipt(answer, ballot, choice, seq) {
  const expected = await blindrsa.receipt(blindrsa.b64urlDecode(ballot.prefix), blindrsa.b64urlDecode(ballot.token));
  const signed = poll.receipt_key && typeof answer.receipt_sig === 'string' && await castsig.verify(
    blindrsa.b64urlDecode(poll.receipt_key), castsig.receiptMessage(poll.poll, answer.receipt, choice, seq),
    blindrsa.b64urlDecode(answer.receipt_sig));
  if (!signed || answer.receipt !== expected || answer.choice !== choice || answer.seq !== seq) {
    throw new Error('The service\'s receipt does not match your vote or is not signed by this poll\'s receipt '
      + 'key. Keep this page open and tell the mediators.');
  }
}

async function startVote(form) {
  const ballot = readFragment();
  if (!ballot) {
    show('error', 'This page needs the ballot link you got on the ballot page (the part after #).');
    return;
  }
  if (!(await checkBallot(ballot))) {
    show('error', 'This ballot link is damaged or belongs to another poll.');
    return;
  }
  renderChoices(document.getElementById('choices'));
  form.hidden = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    show('error', '');
    try {
      const choice = new FormData(form).get('choice');
      const answer = await cast(ballot, choice);
      const title = poll.options.find((option) => option.id === choice).title;
      show('done-text', answer.replaced
        ? `Your vote was changed to: ${title}.`
        : `Your vote was recorded: ${title}.`);
      show('receipt', answer.receipt);
      document.getElementById('receipt-text').value = answer.text;
      document.getElementById('done').hidden = false;
    } catch (error) {
      show('error', error.message);
    } finally {
      button.disabled = false;
    }
  });
}

const getButton = document.getElementById('get-ballot');
if (getButton) getButton.addEventListener('click', () => getBallot(getButton));
const voteForm = document.getElementById('vote');
if (voteForm) startVote(voteForm);
