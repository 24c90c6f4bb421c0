"""Which approval run a decision was requested on: recorded when the app dispatches it, read by the gate."""
from __future__ import annotations

from app.service.once import remember


def record(store, decision_id: str, run_id: int) -> int:
    """Bind the decision to its run (the first binding wins); the run it is bound to."""
    bound = int(remember(store, f"decision-run:{decision_id}", str(run_id)))
    remember(store, f"run-decision:{bound}", decision_id)
    return bound


def run_of(store, decision_id: str) -> int | None:
    """The run the decision was requested on, or None if the app never dispatched one."""
    found = store.effect_result(f"decision-run:{decision_id}")
    return int(found) if found else None


def decision_of(store, run_id: int) -> str | None:
    """The decision a run was dispatched for, or None for a run the app did not start."""
    return store.effect_result(f"run-decision:{run_id}")
