"""What each kind of notice says: one plain sentence and a link, never a case's text, a name or a party."""
from __future__ import annotations

from dataclasses import dataclass

SUBJECT = "Conduct desk: something new for you"

# One sentence per kind. None of them may take anything from a case: the e-mail passes through mail
# servers and mailboxes the desk does not control. What the news is, is behind the link and sign-in.
SENTENCES = {
    "acknowledged": "Your request for help was received and is now a private case.",
    "taken": "A mediator has taken up your request for help.",
    "resolved": "There is news about your request for help: the mediators have resolved it.",
    "decided": "There is news about your request for help: the community's process has reached a decision.",
    "closed": "Your request for help has been closed.",
    "message": "There is a new message for you from the mediators.",
    "sanction": "There is a decision that concerns you: what it is, why, when it ends and how to return.",
    "lifted": "A decision that concerned you has ended.",
    "poll": "A poll is open in which you can vote.",
    "poll-reminder": "A poll in which you can vote closes soon.",
}


@dataclass(frozen=True)
class Notice:
    kind: str
    subject: str
    body: str


def compose(kind: str, link: str, settings_link: str) -> Notice:
    """The notice of `kind` pointing at `link` (the person's inbox or ballot page)."""
    if kind not in SENTENCES:
        raise ValueError(f"no notice of kind {kind!r}")
    body = (f"Hello,\n\n{SENTENCES[kind]}\n\nPlease read it here (you sign in with GitHub):\n{link}\n\n"
            "This e-mail says nothing more on purpose; everything is behind the link.\n"
            f"To stop these e-mails: {settings_link}\n")
    return Notice(kind, SUBJECT, body)
