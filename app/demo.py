"""`conduct demo`: scripted cases through the core on a simulated clock, printed as a timeline."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from app.core.events import MEDIATOR, SC, Actor, Commented, HelpRequested, LabelChanged
from app.desk import Desk, Record
from app.policy_files import load_policy

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEDIATOR_1 = Actor("mediator-1", frozenset({MEDIATOR}))
MEDIATOR_2 = Actor("mediator-2", frozenset({MEDIATOR}))
SC_1 = Actor("sc-1", frozenset({SC}))
CONTRIBUTOR = Actor("contributor-5", frozenset())

SUMMARY_MISSING_PART = """/conduct summary
### What happened
In a review thread, participant-2 called another contributor's work worthless.
### Action points
- warning: personal-attack
"""

SUMMARY = """/conduct summary
### What happened
In a review thread, participant-2 called another contributor's work worthless, and kept replying to
them in three other threads after being asked to stop.
### Course of mediation
Both people were contacted privately. The reporter asked only that it stop. participant-2 declined to
talk and posted again the same day.
### Why mediation did not resolve it
The behaviour continued after a calm-down note and a private request from the mediators.
### Action points
- warning: personal-attack, harassment
- temporary-ban: harassment
"""


class Clock:
    """The demo's simulated clock: nothing here reads the real time."""

    def __init__(self, start: datetime):
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _comment(desk: Desk, clock: Clock, code: str, actor: Actor, body: str, n: int) -> None:
    event = Commented(id=f"comment-{n}", actor=actor, body=body, comment_id=n)
    first = body.strip().splitlines()[0]
    desk.send(code, event, clock.now, first)


def run_script(desk: Desk) -> None:
    """Case one is resolved in mediation; case two escalates with a written summary."""
    clock = Clock(START)
    n = 100
    one = desk.request(HelpRequested(id="d-1", channel="signal", reporter="reporter-1",
                                     thread="https://github.com/example-org/project/issues/41",
                                     about=("participant-1",)), clock.now)
    clock.advance(hours=2)
    _comment(desk, clock, one, MEDIATOR_1, "/conduct assign @mediator-1", n := n + 1)
    clock.advance(minutes=20)
    _comment(desk, clock, one, MEDIATOR_1, "/conduct calm @participant-1 @reporter-1", n := n + 1)
    clock.advance(hours=20)
    _comment(desk, clock, one, MEDIATOR_1,
             "Spoke with both.\n/conduct note both agreed to keep the review on the code", n := n + 1)
    clock.advance(days=1)
    _comment(desk, clock, one, MEDIATOR_1, "/conduct resolve both agreed how to continue", n := n + 1)
    clock.advance(days=1)
    _comment(desk, clock, one, MEDIATOR_1, "/conduct stage closed", n := n + 1)

    clock.advance(days=3)
    two = desk.request(HelpRequested(id="d-2", channel="issue", reporter="reporter-2",
                                     about=("participant-2",)), clock.now)
    clock.advance(hours=1)
    _comment(desk, clock, two, MEDIATOR_2, "/conduct assign @mediator-2", n := n + 1)
    clock.advance(hours=1)
    desk.send(two, LabelChanged(id="label-1", actor=CONTRIBUTOR, label="stage: resolved"), clock.now,
              "label 'stage: resolved' added by hand")
    clock.advance(hours=3)
    _comment(desk, clock, two, CONTRIBUTOR, "/conduct escalate", n := n + 1)
    clock.advance(days=1)
    _comment(desk, clock, two, MEDIATOR_2, "/conduct hold waiting to hear back from participant-2", n := n + 1)
    clock.advance(days=2)
    _comment(desk, clock, two, MEDIATOR_2, "/conduct unhold heard back", n := n + 1)
    clock.advance(hours=2)
    _comment(desk, clock, two, MEDIATOR_2, "/conduct escalate", n := n + 1)
    _comment(desk, clock, two, MEDIATOR_2, SUMMARY_MISSING_PART, n := n + 1)
    clock.advance(hours=1)
    _comment(desk, clock, two, MEDIATOR_2, SUMMARY, n := n + 1)
    clock.advance(minutes=5)
    _comment(desk, clock, two, MEDIATOR_2, "/conduct escalate", n := n + 1)


def _print_record(record: Record, out: TextIO) -> None:
    move = f"  [{record.source} → {record.target}]" if record.target and record.source else (
        f"  [→ {record.target}]" if record.target else "")
    out.write(f"{record.at:%Y-%m-%d %H:%M}  {record.case}  {record.actor}: {record.event}{move}\n")
    for effect in record.effects:
        kind = effect["type"]
        if kind == "Post":
            first = effect["text"].strip().splitlines()[0]
            out.write(f"{'':18}↳ post to {effect['where']}: {first[:110]}\n")
        elif kind == "SetStage":
            out.write(f"{'':18}↳ label {effect['label']!r}\n")
        elif kind == "Dispatch":
            out.write(f"{'':18}↳ start workflow {effect['workflow']} {effect['inputs']}\n")
        elif kind == "React":
            continue
        else:
            detail = {k: v for k, v in effect.items() if k not in ("type", "key")}
            out.write(f"{'':18}↳ {kind} {detail}\n")


def main(out: TextIO, as_json: bool = False, policy_dir: str | Path = "policy") -> int:
    desk = Desk(load_policy(policy_dir))
    run_script(desk)
    for record in desk.timeline:
        if as_json:
            out.write(json.dumps(record.as_json(), sort_keys=True) + "\n")
        else:
            _print_record(record, out)
    if not as_json:
        out.write("\nCases at the end:\n")
        for code, case in desk.cases.items():
            out.write(f"  {code}: {case.stage.value} ({len(case.history)} audit entries)\n")
    return 0
