"""Find a decision's private case: the code name is the decision id's prefix, the issue is in the ledger."""
from __future__ import annotations

import re

from app.sanctions.desk import Desk
from app.service import casefile
from app.service.casefile import CaseFile, Identity

_DECISION = re.compile(r"^(C-\d{4}-\d{3,})-d\d+$")


def case_code(decision_id: str) -> str | None:
    match = _DECISION.match(decision_id)
    return match.group(1) if match else None


async def case_file(desk: Desk, me: Identity, decision_id: str) -> CaseFile | None:
    """The case the decision belongs to, read from the app's own state comment; None if there is none."""
    code = case_code(decision_id)
    known = desk.store.effect_result(f"case-issue:{code}") if code else None
    if not known:
        return None
    return await casefile.load(desk.github, desk.store, desk.cases_repo, int(known), me)
