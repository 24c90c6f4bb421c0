"""One decision at a time per case, across processes: a second one waits, then decides from the first's state."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

from app.service import caseindex
from app.service.casefile import CaseFile
from app.service.once import Busy


@contextlib.asynccontextmanager
async def held(store, file: CaseFile, now: datetime) -> AsyncIterator[None]:
    """Hold the case's lock while deciding and saving (one state write, not the effects after it): without
    it, two processes deciding two events from the same state would each save theirs, and the second save
    would lose the first's. Held by a live worker: Busy (the delivery waits); left by a dead one: taken over."""
    key = f"case-lock:{file.ref}"
    if not store.claim_effect(key, now) and not store.reclaim_stale_effect(key, now):
        raise Busy(key)
    try:
        yield
    finally:
        store.release_effect(key)


def freshest(store, file: CaseFile) -> CaseFile:
    """`file`, or the state the app saved after it was read (every save indexes the state it wrote)."""
    row = store.indexed_case(file.number)
    if row is None or row.state_comment_id != file.state_comment_id:
        return file
    indexed = caseindex.case_of(row)
    mine, theirs = file.case.applied, indexed.applied
    # The newer of two states of one case has applied every event the older had, and more after them.
    newer = bool(theirs) and theirs[-1] not in mine and (not mine or mine[-1] in theirs)
    return CaseFile(file.repo, file.number, indexed, file.state_comment_id) if newer else file
