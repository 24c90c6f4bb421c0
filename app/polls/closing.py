"""`conduct sweep`: close every poll past its deadline exactly once, publish its result, destroy its key."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.events import PollClosed
from app.core.poll_result import build_result, result_to_json
from app.polls.terms import PollTerms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClosedPoll:
    """A poll this sweep closed: the published result (document and JSON text) and the core event."""

    poll_id: str
    case: str
    result: dict[str, Any]
    result_json: str
    event: PollClosed


def result_for(poll, ballots, issued: list[str]) -> ClosedPoll:
    """Tally a poll's ballots into its published result; the same ballots always give the same text.

    The result names who took a ballot (`issued`): it is published to the electorate only, so that the
    number of ballots can be checked and anyone a ballot was minted for, who took none, sees their name.
    """
    terms = PollTerms.from_poll(poll)
    rows = [(token_hash.hex(), choice, extra or {}) for token_hash, choice, extra in ballots]
    extra = {"public_key": terms.public_key, "signed_count": len(issued)}
    if terms.receipt_key:
        extra |= {"receipt_key": terms.receipt_key, "issued": sorted(issued)}
    document = build_result(terms.poll_id, terms.tally_options, rows, terms.rule, terms.threshold,
                            terms.quorum, terms.electorate_size, extra=extra)
    event = PollClosed(id=f"poll-closed:{terms.poll_id}", poll=terms.poll_id, outcome=document["outcome"],
                       totals=dict(document["totals"]))
    return ClosedPoll(terms.poll_id, terms.case, document, result_to_json(document), event)


def close_due_polls(store, now: datetime,
                    publish: Callable[[ClosedPoll], None] | None = None) -> list[ClosedPoll]:
    """Close every open poll whose deadline is at or before `now`; return those this call closed.

    Each poll closes in one store transaction (`Store.close_poll`): tally, `publish(closed)` if given,
    destroy the private key, mark closed. If `publish` raises (GitHub is down, say) the poll stays open
    and the next sweep tries again, so `publish` must be idempotent (post under an effect key derived
    from `closed.event.id`). Two sweeps at once never close one poll twice; a sweep that dies leaves its
    poll untouched for the next one. Without `publish`, a caller that dies before posting the returned
    results loses the post: pass `publish` to post before the close is committed.
    A poll that fails to close is logged (by id and error class) and left for the next sweep; the
    others still close.
    """
    closed: list[ClosedPoll] = []

    def finish(poll, ballots, issued: list[str]) -> ClosedPoll:
        result = result_for(poll, ballots, issued)
        if publish is not None:
            publish(result)
        return result

    for poll_id in store.due_polls(now):
        try:
            done = store.close_poll(poll_id, now, finish)
        except Exception as error:  # one poll's failure must not keep the others open
            log.error("poll %s could not be closed (%s); the next sweep retries", poll_id,
                      type(error).__name__)
            continue
        if done is None:
            continue  # another sweep holds or has closed it
        closed.append(done)
        try:
            # Rewrite the poll's rows in key order and compact, so issue and cast order leave no trace.
            store.scrub_poll(poll_id)
            store.purge_destroyed_keys()
        except Exception as error:
            log.warning("poll %s closed but not scrubbed (%s); run the scrub again", poll_id,
                        type(error).__name__)
    return closed
