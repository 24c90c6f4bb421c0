"""The sweep workflow's call is a stored job: a pass a dead process left half-done is finished by the next
worker that takes its lease, and the same run calling again is the same pass."""
from __future__ import annotations

from datetime import timedelta

from test_sanctions_support import Clock, run
from test_sweep_units import two_cases_one_lift_due

from app.service import sweep_job
from app.service.worker import LEASE


def test_a_sweep_job_left_by_a_dead_worker_is_finished_by_the_next_one(store):
    clock = Clock()

    async def story():
        world, first, second, decision = await two_cases_one_lift_due(store, clock)
        job = sweep_job.queue(store, 4242, 1, clock())
        again = sweep_job.queue(store, 4242, 1, clock())  # curl's retry of the same call
        # A process takes the job and dies before finishing it: its lease runs out with nothing done.
        taken = store.claim_delivery("worker-that-died", clock(), LEASE)
        while taken is not None and taken.delivery_id != job:
            taken = store.claim_delivery("worker-that-died", clock(), LEASE)
        worker = world.service_app.state.worker
        before_lease = await worker.drain(), store.get_sanction(decision).state
        clock.advance(LEASE + timedelta(seconds=1))
        await worker.drain()
        await world.settle()
        return job, again, taken, before_lease, store.get_status(job), sweep_job.counts(store, job), \
            store.get_sanction(decision).state

    job, again, taken, before_lease, status, counts, lifted = run(story())
    assert again == job and taken is not None and taken.delivery_id == job
    assert before_lease == (0, "applied")  # the dead worker's lease is respected while it lasts
    assert status == "done" and lifted == "lifted"
    assert counts["sanctions"] >= 1 and counts["ticked"] >= 1


def test_a_re_run_of_the_workflow_is_a_new_pass(store):
    assert sweep_job.queue(store, 7, 1, Clock()()) != sweep_job.queue(store, 7, 2, Clock()())
