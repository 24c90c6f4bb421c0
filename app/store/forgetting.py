"""Forgetting a case in the store: every row about it goes once its retention has ended."""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from .base import StoreBase
from .case_index import case_index, case_people
from .keys import poll_keys
from .ledger import sanctions
from .notices import notices
from .schema import ballots, effects, electorate, issued, issued_tokens, polls

# The effect keys a poll leaves (its discussion, result and the steps of closing it).
POLL_KEYS = ("discussion", "poll-result", "poll-published", "poll-discussion-closed", "poll-archived")


class ForgetStore(StoreBase):
    def results_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """(key, result) of every completed effect whose key starts with `prefix`, in key order."""
        stmt = (select(effects.c.effect_key, effects.c.result)
                .where(effects.c.effect_key.startswith(prefix, autoescape=True), effects.c.status == "done")
                .order_by(effects.c.effect_key))
        with self._read() as conn:
            return [(key, result) for key, result in conn.execute(stmt)]

    def forget_case(self, code: str, poll_ids: list[str]) -> int:
        """Delete the case's effects, sanction rows, polls, electorates, issuance marks and ballots; keep only
        what holds nothing about it (the claimed case number, and the case issue's number). Returns the rows
        deleted; a second call deletes nothing and is harmless."""
        poll_effects = [f"{prefix}:{poll}" for poll in poll_ids for prefix in POLL_KEYS]
        with self._write() as conn:
            # The request that opened the case ("code:SOURCE" -> code) links it to a public thread or form.
            sources = [row[0].removeprefix("code:") for row in conn.execute(
                select(effects.c.effect_key).where(effects.c.effect_key.startswith("code:", autoescape=True),
                                                   effects.c.result == code))]
            conditions = [
                # Any key that names the case, its decisions or its polls, whatever its prefix ("tried:",
                # "sanction:", ...): "CODE:", "CODE-d" and "CODE/" never match a longer code.
                effects.c.effect_key.contains(f"{code}:", autoescape=True),
                effects.c.effect_key.contains(f"{code}-d", autoescape=True),
                effects.c.effect_key.contains(f"{code}/", autoescape=True),
                effects.c.effect_key.in_(poll_effects + [f"code:{source}" for source in sources]),
                *(effects.c.effect_key.startswith(f"{source}:", autoescape=True) for source in sources),
            ]
            deleted = conn.execute(delete(effects).where(or_(*conditions))).rowcount
            deleted += conn.execute(delete(sanctions).where(sanctions.c.case_code == code)).rowcount
            # A notice's key is the effect's that sent it ("CODE:..."): who was told what, and when.
            deleted += conn.execute(delete(notices).where(
                notices.c.notice_key.startswith(f"{code}:", autoescape=True))).rowcount
            for table in (ballots, issued_tokens, issued, electorate, poll_keys, polls):
                deleted += conn.execute(delete(table).where(table.c.poll_id.in_(poll_ids))).rowcount
            deleted += conn.execute(delete(polls).where(polls.c.case_id == code)).rowcount
            # The case index held the case's whole state: it goes too.
            numbers = select(case_index.c.issue_number).where(case_index.c.code == code).scalar_subquery()
            deleted += conn.execute(delete(case_people).where(case_people.c.issue_number.in_(numbers))).rowcount
            deleted += conn.execute(delete(case_index).where(case_index.c.code == code)).rowcount
        return deleted
