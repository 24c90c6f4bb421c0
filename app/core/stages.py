"""The case stage machine: one table of legal steps; an illegal step raises and changes nothing."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The rules, in plain words, before the table that encodes them:
#
# 1. Every case starts in `intake`: a help request has arrived and nobody has picked it up yet.
# 2. A mediator takes it into `mediation`, or resolves it at once (a request that needs no more).
# 3. Mediation ends in `resolved` (most cases) or, only with a written summary, in `escalated`.
# 4. An escalated case goes to `polling` when the core developers' poll opens; mediators may withdraw
#    the escalation back to mediation before the poll opens.
# 5. When the poll closes: a sanction won -> `awaiting-approval`; "no action" or no quorum -> back to
#    `mediation`, where the mediators decide how to go on.
# 6. The SC approves (-> `action`) or rejects (-> back to `mediation`, with the reason). A review that
#    never comes expires back to `mediation` too. Nothing is applied to anyone outside `action`.
# 7. When the sanction's time ends and it is lifted, the case is `closed`. Resolved cases are closed by
#    a mediator, or reopened into mediation if the problem returns.
# 8. A mediator may put an open case (intake, mediation, escalated) on `hold` with a reason, and take it
#    off hold into the stage it came from. A case in a poll or before the SC is not held: those run on
#    fixed clocks that the community was promised.
# 9. `closed` is final. A request to return after a sanction is a new case with its own record.
#
# Who may take a step: "mediator" steps come from slash commands or labels on the case; "sc" from the
# SC's review; "system" from the app's own timers and workflows — never from a comment.


class Stage(StrEnum):
    INTAKE = "intake"
    MEDIATION = "mediation"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    POLLING = "polling"
    AWAITING_APPROVAL = "awaiting-approval"
    ACTION = "action"
    CLOSED = "closed"
    HOLD = "hold"

    @property
    def label(self) -> str:
        return f"stage: {self.value}"


@dataclass(frozen=True)
class Step:
    source: Stage
    trigger: str
    target: Stage | None  # None: back to the stage the case was held from
    role: str  # "mediator", "sc" or "system"
    needs: str = ""  # what else must be true, checked by the decision code that fires the trigger


S = Stage
TRANSITIONS: tuple[Step, ...] = (
    Step(S.INTAKE, "take", S.MEDIATION, "mediator"),
    Step(S.INTAKE, "resolve", S.RESOLVED, "mediator"),
    Step(S.MEDIATION, "resolve", S.RESOLVED, "mediator"),
    Step(S.MEDIATION, "escalate", S.ESCALATED, "mediator", "a valid summary"),
    Step(S.ESCALATED, "withdraw", S.MEDIATION, "mediator"),
    Step(S.ESCALATED, "poll-opened", S.POLLING, "system"),
    Step(S.POLLING, "poll-sanction", S.AWAITING_APPROVAL, "system"),
    Step(S.POLLING, "poll-no-action", S.MEDIATION, "system"),
    Step(S.POLLING, "poll-no-decision", S.MEDIATION, "system"),
    Step(S.AWAITING_APPROVAL, "sc-approve", S.ACTION, "sc"),
    Step(S.AWAITING_APPROVAL, "sc-reject", S.MEDIATION, "sc", "the SC's reason"),
    Step(S.AWAITING_APPROVAL, "review-expired", S.MEDIATION, "system"),
    Step(S.ACTION, "sanction-ended", S.CLOSED, "system"),
    Step(S.RESOLVED, "close", S.CLOSED, "mediator"),
    Step(S.RESOLVED, "reopen", S.MEDIATION, "mediator"),
    Step(S.INTAKE, "hold", S.HOLD, "mediator", "a reason"),
    Step(S.MEDIATION, "hold", S.HOLD, "mediator", "a reason"),
    Step(S.ESCALATED, "hold", S.HOLD, "mediator", "a reason"),
    Step(S.HOLD, "unhold", None, "mediator"),
)

_TABLE: dict[tuple[Stage, str], Step] = {(step.source, step.trigger): step for step in TRANSITIONS}
assert len(_TABLE) == len(TRANSITIONS), "two steps share a source and trigger"


class IllegalStep(ValueError):
    """A step the table does not allow from the current stage (or not for this role)."""


def step(current: Stage, trigger: str, role: str, held_from: Stage | None = None) -> Stage:
    """Return the stage after `trigger` by `role`; raise IllegalStep (changing nothing) if not allowed."""
    found = _TABLE.get((current, trigger))
    if found is None:
        allowed = ", ".join(sorted(t for (s, t) in _TABLE if s is current)) or "nothing (it is final)"
        raise IllegalStep(f"a case in {current.value} cannot {trigger}; from {current.value} it can: {allowed}")
    if found.role != role:
        raise IllegalStep(f"only the {found.role} can {trigger} a case in {current.value}")
    if found.target is None:
        if held_from is None:
            raise IllegalStep("this case was put on hold without a stage to return to")
        return held_from
    return found.target


def triggers_from(current: Stage, role: str | None = None) -> list[Step]:
    """The steps the table allows from `current`, optionally only those `role` may take."""
    return [s for s in TRANSITIONS if s.source is current and (role is None or s.role == role)]


def mediator_trigger_to(current: Stage, target: Stage) -> str | None:
    """The trigger a mediator would use to move `current` to `target` by hand (for /conduct stage)."""
    for candidate in TRANSITIONS:
        if candidate.source is current and candidate.target is target and candidate.role == "mediator":
            return candidate.trigger
    return None


def _node(stage: Stage) -> str:
    return stage.value.replace("-", "_")


def mermaid() -> str:
    """The stage diagram, drawn from the same table the code uses (the README embeds it)."""
    lines = ["stateDiagram-v2", "    [*] --> intake"]
    held_from = [s.source for s in TRANSITIONS if s.target is Stage.HOLD]
    for s in TRANSITIONS:
        # Mermaid state ids cannot hold hyphens; `unhold` returns to whichever stage was held.
        targets = held_from if s.target is None else [s.target]
        for target in targets:
            lines.append(f"    {_node(s.source)} --> {_node(target)}: {s.trigger} ({s.role})")
    lines.append("    closed --> [*]")
    return "\n".join(lines)
