"""Keeps a case's state well under GitHub's comment limit: people's text capped, old audit-only entries counted."""
from __future__ import annotations

from app.core.case import Case, Entry
from app.core.stages import Stage

# GitHub refuses a comment body over 65,536 characters, and the state comment must always be writable
# (a state that cannot be saved stops the case for good). The JSON is kept under BUDGET by folding; a
# mediator's command that would still leave it above CEILING is refused (decide.py), which leaves room for
# the visible table (at most SHOWN rows) and for what the events already in flight can still add.
#
# What else in a case grows, and why each stays small:
# - applied: the latest 100 event ids (Case.mark_applied).
# - decisions: one per urgent-ban command or poll closed with a sanction; a rejected or expired one leaves the
#   list. New requests are commands, refused past CEILING; a poll needs an escalation, also a command.
# - locks: one open lock per thread (a second lock extends it); an unlocked one is read by nothing, and only
#   the latest KEPT_LOCKS of them stay once the state is over budget. A new lock is refused past CEILING.
# - parties: the reporter, the people the report names, and whoever a mediator messages (a command).
# - mediators, recused: the policy's mediators and SC; each recuses at most once.
# - standing: one line per person a poll is about, written by the service when the poll opens.
# - summary: at most SUMMARY_MAX characters (summary.py); hold_reason: capped here like an entry's text.
# - decision totals: one count per ballot option, from the summary's action points.
BUDGET = 30_000
CEILING = 45_000
SHOWN = 50  # entries the state comment's table lists; the rest are counted there
DETAIL_MAX = 300  # characters of a person's text kept in an entry (the whole text is their comment's)
KEPT_LOCKS = 20  # unlocked time-outs kept once the state is over budget; nothing reads an unlocked one

# The kinds whose detail holds a person's free text, with how many leading words code reads (or that say
# which decision or thread the entry is about) and are never cut. Every other kind's detail is ids and
# logins the core wrote itself, and some are parsed whole (poll-sanction's action, lifted's decision id,
# sc-approve's "ID shortened to ...", the FINISHED kinds in deadlines.py): those are never touched.
FREE_TEXT = {
    "note": 0, "hold": 0, "unhold": 0, "resolve": 0, "assign": 0, "hide": 1,
    "urgent-ban-requested": 1,  # "DECISION-ID reason"
    "sc-reject": 1,  # "DECISION-ID comment" (an urgent ban's rejection; a poll's keeps only the id)
    "lock": 2,  # "THREAD DURATION reason"
}

# Kinds nothing reads back once written: decide, deadlines, retention, context cards, the transparency
# report, the polls, sanctions and notices read only stage changes (entries with a target), poll-*,
# sc-approve, sc-reject, resolve, escalate, lifted, review-opened, review-reminder, ack-overdue and
# urgent-ban-requested (decision ids are counted from it). What these record is kept on the case in its
# own field (mediators, recused, parties, locks, summary) or done already (a message, a card, a hide, a
# nudge), so the oldest of them may be folded into a count per kind without changing any decision.
FOLDABLE = frozenset({
    "note", "assign", "message", "context", "hide", "summary", "report-note", "lock", "unlock", "recuse",
    "calm", "summarize", "agree-to-disagree", "sc-approval",
})


def encoded_size(case: Case) -> int:
    """The characters the state block's JSON takes, with "<" and ">" escaped as state_block.encode does."""
    return _escaped(case.model_dump_json())


def _escaped(text: str) -> int:
    return len(text) + 5 * (text.count("<") + text.count(">"))


def cap(text: str, keep_words: int = 0, limit: int = DETAIL_MAX) -> str:
    """`text` with its first `keep_words` words whole and at most `limit` characters of the rest."""
    words = text.split(" ", keep_words)
    head, rest = words[:keep_words], " ".join(words[keep_words:])
    if len(rest) > limit:
        rest = rest[:limit].rstrip() + "…"
    return " ".join([*head, rest]) if rest or not head else " ".join(head)


def _capped(entry: Entry) -> Entry:
    keep = FREE_TEXT.get(entry.kind)
    if keep is None:
        return entry
    detail = cap(entry.detail, keep)
    return entry if detail == entry.detail else entry.model_copy(update={"detail": detail})


def _stripped(entry: Entry) -> Entry:
    """The entry with only the words code reads left of its detail: the last resort before the ceiling."""
    keep = FREE_TEXT.get(entry.kind)
    if keep is None:
        return entry
    detail = " ".join(entry.detail.split(" ")[:keep])
    return entry if detail == entry.detail else entry.model_copy(update={"detail": detail})


def bound(case: Case) -> Case:
    """The case as it is saved: every person's text in its history capped, and, when the state is over
    BUDGET, its oldest audit-only entries folded into `folded` (then old unlocked time-outs dropped, then
    the free text of the oldest entries left out) until it is under BUDGET or nothing more can go."""
    history = tuple(_capped(e) for e in case.history)
    hold_reason = cap(case.hold_reason) if case.hold_reason is not None else None
    if history != case.history or hold_reason != case.hold_reason:
        case = case.model_copy(update={"history": history, "hold_reason": hold_reason})
    size = encoded_size(case)
    while size > BUDGET and any(e.kind in FOLDABLE for e in case.history):
        case = _fold(case, size - BUDGET)
        size = encoded_size(case)
    if size > BUDGET:
        open_ = [lock for lock in case.locks if lock.unlocked_at is None]
        done = [lock for lock in case.locks if lock.unlocked_at is not None][-KEPT_LOCKS:]
        case = case.model_copy(update={"locks": tuple(lock for lock in case.locks if lock in open_ or lock in done)})
    if encoded_size(case) > BUDGET:
        case = _strip(case)
    return case


def _fold(case: Case, over: int) -> Case:
    """The oldest FOLDABLE entries folded into their counts, one by one, until `over` characters are gone."""
    folded = dict(case.folded)
    kept: list[Entry] = []
    # Each entry costs its JSON and a comma; the counts' own few characters are what bound() measures again.
    for entry in case.history:
        if over > 0 and entry.kind in FOLDABLE:
            over -= _escaped(entry.model_dump_json()) + 1
            folded[entry.kind] = folded.get(entry.kind, 0) + 1
            continue
        kept.append(entry)
    return case.model_copy(update={"history": tuple(kept), "folded": folded})


def _strip(case: Case) -> Case:
    """The oldest entries' free text left out, twenty at a time, until the state fits BUDGET."""
    history = list(case.history)
    for index, entry in enumerate(history):
        history[index] = _stripped(entry)
        if index % 20 == 19 and encoded_size(case.model_copy(update={"history": tuple(history)})) <= BUDGET:
            break
    return case.model_copy(update={"history": tuple(history)})


def over_ceiling(case: Case) -> bool:
    return encoded_size(case) > CEILING


def ends(before: Case, after: Case) -> bool:
    """True if `after` is `before` moved to an end: such a step is never refused for the state's size."""
    return after.stage in (Stage.RESOLVED, Stage.CLOSED) and before.stage is not after.stage
