"""Effects ledger: an action with a stable key (e.g. "C-2026-014:ack-comment") is applied once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update

from .base import StoreBase, StoreError
from .schema import effects

# A worker claims the key before acting and completes it after. The unique key makes the claim the
# single point of decision, so a delivery processed twice, or two workers racing, act once.
# A worker that dies between claim and complete leaves the key claimed: the effect may or may not
# have happened. Only a check against GitHub can tell, so a claim is taken over (reclaim_stale_effect)
# only by a caller that checks first (the executor looks for the comment's marker before posting).
# A worker that knows its action did not happen calls release_effect.


class EffectStore(StoreBase):
    def claim_effect(self, key: str, now: datetime | None = None) -> bool:
        """True if this caller now holds the effect; False if someone holds or completed it. `now` is the
        caller's clock, the one it later judges the claim's age by (reclaim_stale_effect)."""
        stmt = (
            self._insert(effects)
            .values(effect_key=key, status="claimed", claimed_at=now or datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[effects.c.effect_key])
            .returning(effects.c.effect_key)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def reclaim_stale_effect(self, key: str, now: datetime, older_than: timedelta | None = None) -> bool:
        """Take over a claim left by a worker that died (claimed, never completed, older than
        `older_than`, by default the store's claim_timeout). True if this caller now holds it; the caller
        must check whether it happened."""
        older_than = self.claim_timeout if older_than is None else older_than
        stmt = (
            update(effects)
            .where(effects.c.effect_key == key, effects.c.status == "claimed",
                   or_(effects.c.claimed_at.is_(None), effects.c.claimed_at < now - older_than))
            .values(claimed_at=now)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def complete_effect(self, key: str, result: str) -> None:
        """Record that the claimed effect happened, with a short result (e.g. the comment's id)."""
        stmt = (
            update(effects)
            .where(effects.c.effect_key == key, effects.c.status == "claimed")
            .values(status="done", result=result)
        )
        with self._write() as conn:
            if conn.execute(stmt).rowcount != 1:
                raise StoreError(f"effect {key!r} is not claimed")

    def release_effect(self, key: str) -> None:
        """Give up a claim whose action did not happen, so a retry may claim it again."""
        stmt = delete(effects).where(effects.c.effect_key == key, effects.c.status == "claimed")
        with self._write() as conn:
            conn.execute(stmt)

    def effect_result(self, key: str) -> str | None:
        """The completed effect's result, or None if it is unknown or still only claimed."""
        stmt = select(effects.c.result).where(effects.c.effect_key == key, effects.c.status == "done")
        with self._read() as conn:
            return conn.execute(stmt).scalar_one_or_none()
