"""The SC's approval rule, the same on every path: who may review a decision, and how many must approve."""
from __future__ import annotations

from collections.abc import Iterable

from app.core.case import Case, Decision


def refusal(case: Case, decision: Decision, login: str, is_sc: bool) -> str | None:
    """Why `login` may not approve or reject `decision`, or None if they may.

    Only a current SC member who is neither a party to the case (its reporter, the person the decision
    is about, anyone else the case names) nor recused from it: nobody judges their own case."""
    if not is_sc:
        return "only the SC approves or rejects a decision"
    if login in case.recused:
        return f"@{login} has recused from {case.code}"
    if login == decision.subject:
        return f"@{login} is the person {decision.id} is about"
    if login == case.reporter or login in case.parties:
        return f"@{login} is a party to {case.code}"
    return None


def counted(case: Case, decision: Decision, logins: Iterable[str],
            sc_members: frozenset[str] | None = None) -> tuple[str, ...]:
    """The distinct approvers among `logins` who count now, in the order given: one who has recused since
    approving no longer does, nor (when `sc_members` is given) one who has left the SC. Without it, each
    login is taken as the SC member they were when their approval was recorded."""
    return tuple(login for login in dict.fromkeys(logins)
                 if refusal(case, decision, login, sc_members is None or login in sc_members) is None)


def quorum_met(approvers: tuple[str, ...], quorum: int) -> bool:
    return len(approvers) >= max(1, quorum)
