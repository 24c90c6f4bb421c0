"""`conduct poll open CASE`: freeze the electorate and options, make the poll's key, render the post."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization

from app.ballots import blindrsa, castsig
from app.core.case import Case
from app.core.events import PollOpened
from app.core.policy import NO_ACTION, Policy
from app.core.tally import rule_in_words
from app.polls.ids import ballot_url, make_poll_id
from app.polls.terms import NO_ACTION_TEXT, Choice, PollTerms
from app.render import render, when


class CannotOpen(ValueError):
    """The case cannot go to a poll as it stands; the message says why."""


@dataclass(frozen=True)
class OpenedPoll:
    """What the caller needs to post the discussion and feed the case: title, body and the event."""

    poll_id: str
    terms: PollTerms
    title: str
    body: str
    ballot_url: str
    event: PollOpened


def electorate_for(case: Case, voters: Iterable[str]) -> list[str]:
    """The voters minus everyone the case is about or who stepped back from it, sorted."""
    excluded = {*case.parties, *case.recused, *([case.subject] if case.subject else [])}
    # Logins are case-insensitive on GitHub: "Voter-1" in a team list is "voter-1" in a case.
    excluded_folded = {login.casefold() for login in excluded}
    return sorted({login for login in voters if login.casefold() not in excluded_folded})


def voters_mention(policy: Policy, electorate: list[str]) -> str:
    """Who the poll's discussion mentions, so GitHub notifies them: the voters team, or each voter."""
    role = policy.roles.roles.voters
    if role.team:
        return f"@{policy.roles.organization}/{role.team}"
    return " ".join(f"@{login}" for login in electorate)


def _choices(case: Case, policy: Policy) -> tuple[Choice, ...]:
    choices = []
    for option in case.summary.options():
        if option == NO_ACTION:
            choices.append(Choice(NO_ACTION, 0, *NO_ACTION_TEXT))
        else:
            action = policy.action(option)
            choices.append(Choice(action.id, action.severity, action.title, action.description))
    return tuple(sorted(choices, key=lambda choice: choice.severity))


def _private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def open_poll(case: Case, policy: Policy, store, voters: Iterable[str], now: datetime, *, public_url: str,
              key_bits: int = blindrsa.DEFAULT_KEY_BITS, standing: dict[str, str] | None = None) -> OpenedPoll:
    """Open the case's next poll and return the discussion post and the PollOpened event.

    `voters` are the logins of the policy's voters role, already resolved. Running this again for the
    same case state (after a crash, say) returns the same poll, key and post: the key is kept before
    the poll row is written, and the first key kept wins.
    """
    if case.summary is None:
        raise CannotOpen(f"case {case.code} has no accepted summary")
    electorate = electorate_for(case, voters)
    if not electorate:
        raise CannotOpen(f"case {case.code}: nobody is left to vote once the parties are excluded")
    poll_id = make_poll_id(case.code, case.polls + 1)
    existing = store.get_poll(poll_id)
    if existing is not None and existing.state != "open":
        # The case record is behind the store: this poll was held already. Never reopen it.
        raise CannotOpen(f"poll {poll_id} is already {existing.state}")
    kept = store.keep_poll_key(poll_id, _private_pem(blindrsa.generate_key(key_bits)))
    public_key = blindrsa.public_key_pem(serialization.load_pem_private_key(kept, password=None))
    rules = policy.process.poll
    terms = PollTerms(
        poll_id=poll_id, case=case.code, options=_choices(case, policy), rule=rules.rule,
        threshold=rules.threshold, quorum=rules.quorum, electorate_size=len(electorate),
        public_key=public_key, deadline=now + rules.duration,
        receipt_key=blindrsa.b64url_encode(castsig.receipt_public_key(kept)),
    )
    if not store.create_poll(poll_id, case.code, terms.to_frozen(), terms.deadline):
        # Opened before: what was frozen then stands (a rerun must not move the deadline).
        terms = PollTerms.from_poll(store.get_poll(poll_id))
    store.freeze_electorate(poll_id, electorate)
    link = ballot_url(public_url, poll_id)
    deadline_text = when(terms.deadline)
    body = render("poll-discussion.md.j2", {
        "poll": poll_id, "case": case.code, "deadline": deadline_text, "summary": case.summary,
        "options": terms.options, "rule": terms.rule, "threshold": terms.threshold, "quorum": terms.quorum,
        "electorate_size": terms.electorate_size, "ballot_url": link, "public_key": terms.public_key,
        "standing": standing or {},
        "receipt_key": terms.receipt_key, "mention": voters_mention(policy, electorate),
        "rule_words": rule_in_words(terms.rule, terms.threshold, terms.quorum),
    })
    return OpenedPoll(
        poll_id=poll_id, terms=terms, title=f"Poll {poll_id}: case {case.code}", body=body, ballot_url=link,
        event=PollOpened(id=f"poll-opened:{poll_id}", poll=poll_id, deadline_text=deadline_text,
                         standing=dict(standing or {})),
    )
