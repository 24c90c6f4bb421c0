"""An in-memory desk that feeds events to the core and keeps what it decided: the demo's engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.core import effects as fx
from app.core.case import Case, code_name
from app.core.decide import Outcome, decide, open_case
from app.core.events import Event, HelpRequested
from app.core.policy import Policy
from app.render import render


@dataclass
class Record:
    """One line of the timeline: an event, who caused it, the stage change, and the effects decided."""

    at: datetime
    case: str
    actor: str
    event: str
    source: str | None
    target: str | None
    effects: list[dict]

    def as_json(self) -> dict:
        return {"at": self.at.isoformat(), "case": self.case, "actor": self.actor, "event": self.event,
                "from": self.source, "to": self.target, "effects": self.effects}


def describe(effect: fx.Effect) -> dict:
    """An effect as plain data, with any post rendered, so a reader can see exactly what would happen."""
    data = {"type": type(effect).__name__, "key": effect.key}
    if isinstance(effect, fx.Post):
        data.update(where=effect.where, template=effect.template, text=render(effect.template, effect.context))
    elif isinstance(effect, fx.SetStage):
        data["label"] = effect.stage.label
    elif isinstance(effect, fx.Dispatch):
        data.update(workflow=effect.workflow, inputs=effect.inputs)
    elif isinstance(effect, fx.Assign):
        data["logins"] = list(effect.logins)
    elif isinstance(effect, (fx.ApplySanction, fx.LiftSanction)):
        data["decision"] = effect.decision
    elif isinstance(effect, fx.MessageParty):
        data["to"] = effect.login
    return data


@dataclass
class Desk:
    policy: Policy
    cases: dict[str, Case] = field(default_factory=dict)
    timeline: list[Record] = field(default_factory=list)

    def request(self, event: HelpRequested, now: datetime) -> str:
        code = code_name(now.year, 1 + sum(c.startswith(f"C-{now.year}-") for c in self.cases))
        outcome = open_case(code, event, self.policy, now)
        self._keep(None, outcome, event.reporter, f"help request ({event.channel})", now)
        return code

    def send(self, code: str, event: Event, now: datetime, label: str) -> Outcome:
        before = self.cases[code]
        outcome = decide(before, event, self.policy, now)
        actor = getattr(getattr(event, "actor", None), "login", "system")
        self._keep(before, outcome, actor, label, now)
        return outcome

    def _keep(self, before: Case | None, outcome: Outcome, actor: str, label: str, now: datetime) -> None:
        self.cases[outcome.case.code] = outcome.case
        source = before.stage.value if before else None
        target = outcome.case.stage.value
        self.timeline.append(Record(now, outcome.case.code, actor, label, source,
                                    target if target != source else None,
                                    [describe(effect) for effect in outcome.effects]))
