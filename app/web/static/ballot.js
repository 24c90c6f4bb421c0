// The ballot pages' script: get a blind-signed ballot (signed in), then cast it from its link (no cookie).
//
// Getting a ballot: make a random 32-byte token, prepare and blind it with the poll's public key, send
// only the blinded message, unblind and verify the answer, and show a link whose fragment carries the
// token, prefix and signature. Fragments are never sent to a server, so the service sees the token
// for the first time when the vote is cast, with no sign-in attached.
import * as blindrsa from './blindrsa.js';

const TOKEN_LEN = 32;
const poll = JSON.parse(document.getElementById('poll-data').textContent);

function show(id, text) {
  const element = document.getElementById(id);
  element.textContent = text;
  return element;
}

// `credentials` is 'same-origin' only for asking for a signature, which needs the sign-in; a cast is sent
// with 'omit', so no cookie of any path goes with it, and with no referrer.
async function postJson(path, body, { headers = {}, credentials = 'omit' } = {}) {
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
  if (!response.ok) throw new Error(data.error || `The service answered ${response.status}.`);
  return data;
}

// --- the ballot page ---------------------------------------------------------------------------------

async function getBallot(button) {
  button.disabled = true;
  show('error', '');
  show('status', 'Making your ballot…');
  try {
    const publicKey = await blindrsa.loadPublicKeyPem(poll.public_key);
    const token = blindrsa.randomBytes(TOKEN_LEN);
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
    });
    const link = `${location.origin}/polls/${poll.slug}/vote#${fragment}`;
    document.getElementById('ballot-link').href = link;
    document.getElementById('ballot-url').value = link;
    document.getElementById('ballot').hidden = false;
    show('status', 'Your ballot is ready.');
  } catch (error) {
    show('status', '');
    show('error', error.message);
  }
}

// --- the vote page -------------------------------------------------------------------------------------

function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const ballot = { token: params.get('t'), prefix: params.get('p'), signature: params.get('s') };
  if (!ballot.token || !ballot.prefix || !ballot.signature) return null;
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
      const answer = await postJson(`/polls/${poll.slug}/cast`, { ...ballot, choice });
      const title = poll.options.find((option) => option.id === choice).title;
      show('done-text', answer.replaced
        ? `Your vote was changed to: ${title}.`
        : `Your vote was recorded: ${title}.`);
      show('receipt', answer.receipt);
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
