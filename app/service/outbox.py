"""A decision's effects, kept in the store from before its state is saved until every one is carried out."""
from __future__ import annotations

import logging
from datetime import timedelta

from app.core import effect_codec
from app.core import effects as fx
from app.github.errors import GitHubError
from app.render import render
from app.service.casefile import CaseFile
from app.service.once import Busy, once, remember

log = logging.getLogger("conduct.outbox")
# A step GitHub keeps refusing (not "later": "no") is given up after this many tries, said on the case,
# so one impossible step never stops the case's later events.
GIVE_UP_AFTER = 3
# An entry whose state was never saved is decided again when its delivery is retried (which replaces it);
# one older than every retry is left over from a delivery given up on, and is dropped.
UNSAVED_KEPT = timedelta(days=2)


def put(store, file: CaseFile, event_id: str, effects: tuple[fx.Effect, ...], now) -> None:
    """Record what the event's decision calls for, before its state is saved."""
    store.put_outbox(file.ref, event_id, effect_codec.dumps(effects), now)


async def carry_out(ctx, file: CaseFile) -> None:
    """Carry out the case's recorded effects whose state is saved, oldest first. A step that fails for
    now raises (the delivery or the sweep tries again); one GitHub refuses again and again is given up."""
    for pending in ctx.store.pending_outbox(file.ref):
        if pending.event_id not in file.case.applied:
            if ctx.now - pending.created_at > UNSAVED_KEPT:
                ctx.store.outbox_done(pending.entry)
            continue
        effects = effect_codec.loads(pending.effects)
        while True:
            try:
                await ctx.executor.run(file, effects)
                break
            except GitHubError as error:
                # Only GitHub's "no" (a 404, a 403, a 422) is counted toward giving up; "later" and any
                # fault of the desk's own raise as they are, and the step is tried again.
                if isinstance(error, Busy) or error.retryable:
                    raise
                tries = ctx.store.outbox_failed(pending.entry)
                # The executor goes in order and stops at the step that failed: the first one not done.
                step = next((e for e in effects if ctx.store.effect_result(e.key) is None), None)
                if tries < GIVE_UP_AFTER or step is None:
                    raise
                # That one step is given up, and the steps after it still happen: a thread gone from
                # GitHub must not keep the reporter and the mediators from hearing the rest.
                await _give_up(ctx, file, pending.event_id, step, type(error).__name__, tries)
                remember(ctx.store, step.key, f"given-up:{type(error).__name__}")
                ctx.store.outbox_reset_failures(pending.entry)  # the next step has tries of its own
        ctx.store.outbox_done(pending.entry)


async def _give_up(ctx, file: CaseFile, event_id: str, step: fx.Effect, error: str, tries: int) -> None:
    log.warning("effect given up case=%s event=%s error=%s step=%s", file.case.code, event_id, error,
                type(step).__name__)
    key = f"{file.case.code}:{event_id}:abandoned:{step.key}"
    body = render("effects-abandoned.md.j2", {"event": event_id, "step": type(step).__name__, "error": error,
                                               "tries": tries})

    async def post() -> str:
        return str((await ctx.github.create_comment(file.repo, file.number, body, key=key)).id)

    try:
        await once(ctx.store, key, post)
    except GitHubError as error:
        if error.retryable:
            raise  # said on the next try
        # The case cannot take a comment either: the log says it, and the case goes on regardless.
        log.warning("could not say so on the case case=%s error=%s", file.case.code, type(error).__name__)
