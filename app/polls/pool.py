"""The held ballot box: verified casts kept in memory and written in one sorted batch shortly before the deadline.

Why. Every write to the database is ordered: SQLite's WAL keeps page images in commit order, PostgreSQL gives
each transaction the next id (`xmin`) and writes its WAL in order. Marking a voter as signed for must be
written at once (it is what stops a second ballot), so if each cast were written at once too, a voter who
votes right after getting a ballot would sit next to their own mark in that order, and the operator would
pair them. Held here, no cast touches the database while the poll runs; the whole box is written in one
transaction, in key order, `lead` before the deadline (and on shutdown), so every ballot shares one commit.

What it costs, said in the README: a service process that dies without shutting down loses the casts it
held (the voter's signed receipt then shows the record is wrong), and a cast in the last `lead` before the
deadline is written on its own.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from app.store import StaleCast

LEAD = timedelta(minutes=2)


@dataclass(frozen=True)
class Held:
    choice: str
    extra: dict
    seq: int


class CastPool:
    """Casts per poll, the latest per ballot; `write(poll)` hands them to the store as one batch."""

    def __init__(self, store, *, lead: timedelta = LEAD, schedule: bool = True,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store, self.lead, self.schedule, self.clock = store, lead, schedule, clock
        self._held: dict[str, dict[bytes, Held]] = {}
        self._timers: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()

    def holds(self, deadline: datetime, now: datetime) -> bool:
        """Whether a cast arriving now is held (False in the last `lead`, when it is written at once)."""
        return now < deadline - self.lead

    def hold(self, poll_id: str, token_hash: bytes, choice: str, extra: dict, seq: int,
             deadline: datetime) -> Literal["new", "replaced", "unchanged"]:
        """Keep this cast until the box is written; a later number replaces an earlier one (StaleCast if not)."""
        with self._lock:
            box = self._held.setdefault(poll_id, {})
            before = box.get(token_hash)
            if before is None:
                # Written before (at a shutdown): the stored number still decides what may replace it.
                recorded = self.store.recorded_seq(poll_id, token_hash)
                if recorded is not None and seq <= recorded:
                    raise StaleCast(recorded)
                outcome = "new" if recorded is None else "replaced"
            elif seq < before.seq or (seq == before.seq and (choice, extra) != (before.choice, before.extra)):
                raise StaleCast(before.seq)
            else:
                outcome = "unchanged" if seq == before.seq else "replaced"
            box[token_hash] = Held(choice, extra, seq)
            self._arm(poll_id, deadline)
            return outcome

    def _arm(self, poll_id: str, deadline: datetime) -> None:
        if not self.schedule or poll_id in self._timers:
            return
        delay = max(0.0, (deadline - self.lead - self.clock()).total_seconds())
        timer = threading.Timer(delay, self.write, (poll_id,))
        timer.daemon = True
        self._timers[poll_id] = timer
        timer.start()

    def held(self, poll_id: str) -> int:
        with self._lock:
            return len(self._held.get(poll_id, {}))

    def write(self, poll_id: str) -> int:
        """Write the poll's held casts in one sorted transaction; return how many. Kept if the write fails."""
        with self._lock:
            box = self._held.pop(poll_id, {})
            self._timers.pop(poll_id, None)
            if not box:
                return 0
            try:
                self.store.cast_many(poll_id, [(token_hash, held.choice, held.extra, held.seq)
                                               for token_hash, held in box.items()], self.clock())
            except Exception:
                self._held[poll_id] = {**box, **self._held.get(poll_id, {})}
                raise
            return len(box)

    def write_all(self) -> int:
        """Write every poll's box (on shutdown)."""
        with self._lock:
            polls = list(self._held)
        return sum(self.write(poll_id) for poll_id in polls)
