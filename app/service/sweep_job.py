"""The sweep workflow's call as a stored job: a sweep cut short by a crash is taken up by any process."""
from __future__ import annotations

import json
from datetime import datetime

from app.service.context import Context
from app.service.once import Busy, remember
from app.service.polling import Apply
from app.service.sweep import sweep

EVENT = "conduct_sweep"  # never a GitHub event name, and the webhook endpoint accepts only those


def queue(store, run_id: int, attempt: int, now: datetime) -> str:
    """Store the sweep a run asks for; the same run calling again (curl's retry) is the same job."""
    job = f"sweep:{run_id}:{attempt}"
    store.record_delivery(job, EVENT, b"{}", now)
    return job


async def run(ctx: Context, apply: Apply, job: str) -> dict[str, int]:
    """The worker's side: one pass, its counts kept for the call that is waiting for them. A pass in which
    a unit was busy (a step held by another worker, maybe one that died) is run again once that claim can
    be taken over, rather than left to the next scheduled sweep: the job is deferred as a busy delivery is."""
    counts = await sweep(ctx, apply)
    if counts.get("busy"):
        raise Busy(f"{counts['busy']} sweep units held by another worker")
    remember(ctx.store, f"sweep-counts:{job}", json.dumps(counts))
    return counts


def counts(store, job: str) -> dict[str, int] | None:
    """What the job's pass did, once it has finished."""
    kept = store.effect_result(f"sweep-counts:{job}")
    return json.loads(kept) if kept else None
