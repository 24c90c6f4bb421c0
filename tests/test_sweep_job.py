"""The sweep workflow's call is a stored job: a pass a dead process left half-done is finished by the next
worker that takes its lease, and the same run calling again is the same pass."""
from __future__ import annotations

from datetime import timedelta

from test_sanctions_support import CASES, Clock, run, state_of
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


def test_a_pass_with_a_case_held_by_another_worker_is_run_again_until_that_case_is_done(store):
    clock = Clock()

    async def story():
        world, first, second, decision = await two_cases_one_lift_due(store, clock)
        # Another worker is deciding the second case right now (it may have died doing so): its lock is held.
        lock = f"case-lock:{CASES}#{second}"
        assert store.claim_effect(lock, clock())
        job = sweep_job.queue(store, 4243, 1, clock())
        worker = world.service_app.state.worker
        await worker.drain()
        await world.settle()
        during = store.get_status(job), sweep_job.counts(store, job), store.get_sanction(decision).state
        second_during = (await state_of(world, second)).applied
        store.release_effect(lock)  # that worker saved and let go
        clock.advance(LEASE + timedelta(seconds=1))
        await worker.drain()
        await world.settle()
        return during, second_during, store.get_status(job), sweep_job.counts(store, job), \
            (await state_of(world, second)).applied

    during, second_during, status, counts, second_after = run(story())
    # The pass did everything else (the lift first) and did not call itself done: the job waits one lease.
    assert during[0] != "done" and during[1] is None and during[2] == "lifted"
    # Run again once the lock was free: the second case's timers fired, and the job is done.
    assert status == "done" and counts is not None and "busy" not in counts
    assert len(second_after) > len(second_during)
