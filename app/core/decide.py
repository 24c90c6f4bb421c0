"""The decision function: (case, event, policy, now) -> (new case, intended effects). Pure."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from app.core import approval
from app.core import effects as fx
from app.core.case import Case, Decision, Entry, Lock
from app.core.commands import VERBS, Command, Problem, new_commands, parse_commands, verbs_for
from app.core.durations import DurationError, format_duration, parse_duration
from app.core.events import (
    MEDIATOR,
    SC,
    SYSTEM,
    Actor,
    Commented,
    Event,
    HelpRequested,
    LabelChanged,
    PollClosed,
    PollOpened,
    ReviewExpired,
    SCReviewed,
    Tick,
)
from app.core.history_bound import CEILING, bound, ends, over_ceiling
from app.core.policy import NO_ACTION, Policy
from app.core.stages import IllegalStep, Stage, mediator_trigger_to, step
from app.core.summary import SummaryRefused, parse_summary

NO_DECISION = "no-decision"
MAX_COMMANDS = 20  # commands read from one comment
URGENT_BAN = "urgent-ban"
# Stages in which a mediator may still ask the SC for an urgent temporary ban.
URGENT_STAGES = frozenset({Stage.INTAKE, Stage.MEDIATION, Stage.ESCALATED, Stage.POLLING, Stage.HOLD})


@dataclass(frozen=True)
class Outcome:
    case: Case
    effects: tuple[fx.Effect, ...]


class Refused(Exception):
    """A command or event the core will not carry out; the message is posted back, politely."""


class _Builder:
    """Collects effects with keys derived from the case, the event and the order, so a resume is exact."""

    def __init__(self, code: str, event_id: str, by_content: bool = False):
        self.prefix = f"{code}:{event_id}"
        self.by_content = by_content
        self.items: list[fx.Effect] = []

    def add(self, kind: type, **fields) -> None:
        if self.by_content:
            # Keyed by what is due, not by position: a timer retried later (its tick has another id, and
            # more may be due by then) finds the posts the failed try made, and repeats none of them.
            digest = hashlib.sha256(repr((kind.__name__, sorted(fields.items()))).encode()).hexdigest()[:16]
            self.items.append(kind(key=f"{self.prefix}:{digest}", **fields))
            return
        self.items.append(kind(key=f"{self.prefix}:{len(self.items)}", **fields))

    def post(self, where: str, template: str, mention_mediators: bool = False, **context) -> None:
        self.add(fx.Post, where=where, template=template, context=context, mention_mediators=mention_mediators)

    def tell(self, login: str | None, kind: str) -> None:
        """An e-mail notice that something new is in `login`'s inbox (it carries nothing of the case)."""
        if login:
            self.add(fx.Notify, login=login, news=kind)


def open_case(code: str, event: HelpRequested, policy: Policy, now: datetime) -> Outcome:
    """A new help request becomes a case in intake, acknowledged with its code name and deadline."""
    due = now + policy.process.acknowledge_within
    case = Case(
        code=code, channel=event.channel, opened_at=now, acknowledge_by=due, reporter=event.reporter,
        thread=event.thread, venue=event.venue, parties=tuple(dict.fromkeys((event.reporter, *event.about))),
        history=(Entry(at=now, actor=event.reporter, kind="opened", target=Stage.INTAKE, detail=event.channel),),
    )
    out = _Builder(code, event.id)
    out.add(fx.SetStage, stage=Stage.INTAKE)
    out.post("case", "new-case.md.j2", mention_mediators=True, code=code, channel=event.channel,
             thread=event.thread, due=due, about=list(event.about))
    out.post("reporter", "acknowledge.md.j2", code=code, due=due, channel=event.channel)
    out.tell(event.reporter, "acknowledged")
    return Outcome(bound(case), tuple(out.items))


def decide(case: Case, event: Event, policy: Policy, now: datetime) -> Outcome:
    """Apply one event to a case. Illegal steps raise IllegalStep and change nothing."""
    # A tick's effects are keyed by the state they were decided from (saved after they are done) and by
    # what they are, so every tick until the save gives the same keys. The count of entries ever made, not
    # the history's length: folding old entries away must never bring an earlier state's key back.
    out = (_Builder(case.code, f"tick.{case.entries_made}", by_content=True) if isinstance(event, Tick)
           else _Builder(case.code, event.id))
    if case.forgotten_at is not None:
        # A forgotten case is a tombstone: nothing happens to it any more, and nothing can be asked of it.
        if isinstance(event, Tick):
            return Outcome(case, ())
        raise Refused(f"{case.code} was forgotten when its retention ended; only its tombstone is left")
    if isinstance(event, Commented):
        case = _comment(case, event, policy, now, out)
    elif isinstance(event, LabelChanged):
        case = _label(case, event, now, out)
    elif isinstance(event, PollOpened):
        case = _move(case, "poll-opened", SYSTEM, now, "system", event.poll, polls=case.polls + 1,
                     standing={**case.standing, **event.standing})
        out.add(fx.SetStage, stage=case.stage)
        out.post("case", "poll-opened.md.j2", poll=event.poll, deadline=event.deadline_text)
    elif isinstance(event, PollClosed):
        case = _poll_closed(case, event, policy, now, out)
    elif isinstance(event, SCReviewed):
        case = _reviewed(case, event, policy, now, out)
    elif isinstance(event, ReviewExpired):
        case = _expired(case, event, now, out)
    elif isinstance(event, Tick):
        case = _tick(case, policy, now, out)
    else:
        raise TypeError(f"not an event for an existing case: {type(event).__name__}")
    # Every outcome is bounded here, in one place, so no path can save a state GitHub would refuse.
    return Outcome(bound(case), tuple(out.items))


def _move(case: Case, trigger: str, role: str, now: datetime, actor: str, detail: str = "", **changes) -> Case:
    target = step(case.stage, trigger, role, case.held_from)
    entry = Entry(at=now, actor=actor, kind=trigger, source=case.stage, target=target, detail=detail)
    return case.with_entry(entry, stage=target, **changes)


# --- comments and commands ----------------------------------------------------------------------------


def _comment(case: Case, event: Commented, policy: Policy, now: datetime, out: _Builder) -> Case:
    found = (
        new_commands(event.previous_body, event.body) if event.previous_body is not None
        else parse_commands(event.body)
    )
    if len(found) > MAX_COMMANDS:
        # The work one comment can cause is bounded: a comment of thousands of commands is not thousands
        # of GitHub writes.
        out.post("case", "command-refused.md.j2", actor=event.actor.login, verb=found[MAX_COMMANDS].verb,
                 reason=f"only the first {MAX_COMMANDS} commands of a comment are read; "
                        f"{len(found) - MAX_COMMANDS} more were ignored")
        found = found[:MAX_COMMANDS]
    reacted = False
    said = len(out.items)
    for item in found:
        if isinstance(item, Problem):
            out.post("case", "command-refused.md.j2", actor=event.actor.login, verb=item.verb, reason=item.reason)
            continue
        try:
            case = _command(case, item, event.actor, policy, now, out)
        except (Refused, IllegalStep) as refusal:
            out.post("case", "command-refused.md.j2", actor=event.actor.login, verb=item.verb, reason=str(refusal))
        else:
            if event.comment_id is not None and item.verb not in ("commands", "summary") and not reacted:
                out.add(fx.React, comment_id=event.comment_id, content="+1")  # one reaction per comment
                reacted = True
    if event.decision is not None:
        # The SC cannot read the case: what the desk answers about their comment is said on the decision's
        # issue too (refusals and the SC's own outcomes only; nothing of the case's text).
        for item in out.items[said:]:
            if isinstance(item, fx.Post) and item.where == "case" and item.template in _TOLD_TO_SC:
                out.post("decision", item.template, **{**item.context, "decision": event.decision})
    return case


# What a comment on a decision's issue is answered with there as well as on the case.
_TOLD_TO_SC = frozenset({"command-refused.md.j2", "sc-approval-counted.md.j2", "sc-approved.md.j2",
                         "sc-rejected.md.j2", "sc-lift-counted.md.j2", "sc-lifted.md.j2"})


def _authorise(case: Case, command: Command, actor: Actor) -> None:
    verb = VERBS[command.verb]
    if "anyone" in verb.roles:
        return
    if not verb.roles & actor.roles:
        who = " or ".join(sorted(verb.roles))
        raise Refused(f"`/conduct {command.verb}` is for the {who}; `/conduct commands` lists what you can use")
    if actor.login in case.recused and command.verb != "commands":
        raise Refused(f"@{actor.login} has recused from {case.code}, so their commands no longer apply to it")


def _command(case: Case, command: Command, actor: Actor, policy: Policy, now: datetime, out: _Builder) -> Case:
    _authorise(case, command, actor)
    handler = _HANDLERS.get(command.verb)
    if handler is None:
        raise Refused(f"`/conduct {command.verb}` is not used on a private case")
    made = len(out.items)
    after = handler(case, command, actor, policy, now, out)
    if command.verb not in _ALWAYS and not ends(case, after) and over_ceiling(bound(after)):
        # What is left in the state after folding is what decisions rest on: past the ceiling a mediator
        # can still end the case, and the SC still review what is in flight, but nothing more is added.
        del out.items[made:]
        raise Refused(f"{case.code}'s state is full (over {CEILING:,} characters even with its old notes "
                      "summarised); the case can still be resolved or closed, and a new case opened")
    return after


# Commands never refused for the state's size: they add at most an entry per decision or person in flight.
_ALWAYS = frozenset({"commands", "sc", "recuse"})


def _cmd_commands(case, command, actor, policy, now, out):
    roles = actor.roles | {"anyone"}
    out.post("case", "commands.md.j2", actor=actor.login,
             verbs=[{"usage": v.usage, "summary": v.summary} for v in verbs_for(frozenset(roles))])
    return case


def _cmd_stage(case, command, actor, policy, now, out):
    name = command.args[0]
    try:
        target = Stage(name)
    except ValueError:
        raise Refused(f"{name!r} is not a stage; the stages are {', '.join(s.value for s in Stage)}") from None
    if target is Stage.ESCALATED:
        raise Refused("a case is escalated with `/conduct escalate`, after a `/conduct summary`")
    if target is Stage.HOLD:
        raise Refused("a case is put on hold with `/conduct hold <reason>`")
    if target is Stage.RESOLVED:
        return _cmd_resolve(case, command, actor, policy, now, out)
    trigger = mediator_trigger_to(case.stage, target)
    if trigger is None:
        raise IllegalStep(f"a mediator cannot move a case from {case.stage.value} to {target.value}")
    return _take(case, trigger, actor, now, out)


def _take(case: Case, trigger: str, actor: Actor, now: datetime, out: _Builder, detail: str = "") -> Case:
    first_time = case.stage is Stage.INTAKE
    case = _move(case, trigger, MEDIATOR, now, actor.login, detail)
    if case.acknowledged_at is None:
        case = case.model_copy(update={"acknowledged_at": now})
    out.add(fx.SetStage, stage=case.stage)
    if trigger in _REPORTER_HEARS:
        template, kind = _REPORTER_HEARS[trigger]
        out.post("reporter", template, code=case.code)
        out.tell(case.reporter, kind)
    if first_time and case.stage is Stage.MEDIATION:
        # No file on anyone before a mediator has looked: the people a report names get a context card
        # only once a mediator takes the case (and any time a mediator asks, with `/conduct context`).
        for login in case.parties:
            if login != case.reporter:
                out.add(fx.ContextCard, login=login)
    return case


# What the reporter hears when a mediator moves their case (in general terms: never who did what).
_REPORTER_HEARS = {"take": ("taken.md.j2", "taken"), "resolve": ("resolved.md.j2", "resolved"),
                   "close": ("closed.md.j2", "closed")}


def _cmd_assign(case, command, actor, policy, now, out):
    mediators = policy.roles.roles.mediators.users
    logins = tuple(command.args)
    strangers = [login for login in logins if mediators is not None and login not in mediators]
    if strangers:
        raise Refused(f"only mediators can be assigned; not a mediator: {', '.join('@' + s for s in strangers)}")
    recused = [login for login in logins if login in case.recused]
    if recused:
        raise Refused(f"{', '.join('@' + r for r in recused)} recused from this case")
    assigned = tuple(dict.fromkeys((*case.mediators, *logins)))
    entry = Entry(at=now, actor=actor.login, kind="assign", detail=" ".join(logins))
    case = case.with_entry(entry, mediators=assigned)
    out.add(fx.Assign, logins=logins)
    if case.stage is Stage.INTAKE:
        case = _take(case, "take", actor, now, out)
    return case


def _cmd_note(case, command, actor, policy, now, out):
    return case.with_entry(Entry(at=now, actor=actor.login, kind="note", detail=command.text))


def _cmd_hold(case, command, actor, policy, now, out):
    held_from = case.stage
    case = _move(case, "hold", MEDIATOR, now, actor.login, command.text, held_from=held_from,
                 hold_reason=command.text)
    out.add(fx.SetStage, stage=case.stage)
    return case


def _cmd_unhold(case, command, actor, policy, now, out):
    case = _move(case, "unhold", MEDIATOR, now, actor.login, command.text)
    case = case.model_copy(update={"held_from": None, "hold_reason": None})
    out.add(fx.SetStage, stage=case.stage)
    return case


def _cmd_recuse(case, command, actor, policy, now, out):
    if actor.login in case.recused:
        raise Refused(f"@{actor.login} has already recused from {case.code}")
    entry = Entry(at=now, actor=actor.login, kind="recuse")
    return case.with_entry(entry, recused=(*case.recused, actor.login),
                           mediators=tuple(m for m in case.mediators if m != actor.login))


def _cmd_summary(case, command, actor, policy, now, out):
    if case.stage not in (Stage.MEDIATION, Stage.HOLD):
        raise Refused(f"a summary is written during mediation; {case.code} is in {case.stage.value}")
    try:
        summary = parse_summary(command.body, policy)
    except SummaryRefused as refused:
        out.post("case", "summary-refused.md.j2", actor=actor.login, reasons=refused.reasons)
        return case
    out.post("case", "summary-accepted.md.j2", actor=actor.login,
             points=[{"action": p.action, "criteria": list(p.criteria)} for p in summary.action_points])
    return case.with_entry(Entry(at=now, actor=actor.login, kind="summary"), summary=summary)


def _cmd_escalate(case, command, actor, policy, now, out):
    if case.summary is None:
        raise Refused("escalation needs a summary first: what happened, the course of mediation, why it did "
                      "not resolve the issue, and the action points (`/conduct summary`)")
    subject = _subject(case, command.args[0].lstrip("@") if command.args else None)
    case = _move(case, "escalate", MEDIATOR, now, actor.login, subject, subject=subject)
    out.add(fx.SetStage, stage=case.stage)
    out.add(fx.Dispatch, workflow="poll-open.yml", inputs={"case": case.code})
    out.post("case", "escalated.md.j2", options=list(case.summary.options()))
    return case


def _cmd_resolve(case, command, actor, policy, now, out):
    return _take(case, "resolve", actor, now, out, detail=command.text)


def _cmd_urgent_ban(case, command, actor, policy, now, out):
    subject, duration_text = command.args[0].lstrip("@"), command.args[1]
    if case.stage not in URGENT_STAGES:
        raise Refused(f"an urgent ban is for an open case; {case.code} is in {case.stage.value}")
    duration = parse_duration(duration_text)
    limit = policy.process.urgent_ban.max_duration
    if duration > limit:
        raise Refused(f"an urgent ban lasts at most {format_duration(limit)} under the policy")
    decision = Decision(id=_next_decision_id(case), action=URGENT_BAN, subject=subject,
                        duration=duration, urgent=True, requested_at=now)
    reason = " ".join(command.args[2:])
    entry = Entry(at=now, actor=actor.login, kind="urgent-ban-requested", detail=f"{decision.id} {reason}")
    case = case.with_entry(entry, decisions=(*case.decisions, decision))
    out.add(fx.Dispatch, workflow="sc-approval.yml", place="decisions",
            inputs={"case": case.code, "decision": decision.id, "urgent": "true"})
    out.post("case", "approval-requested.md.j2", decision=decision.id, action=URGENT_BAN, subject=subject,
             duration=format_duration(duration), urgent=True, standing=case.standing.get(subject))
    return case


def _cmd_message(case, command, actor, policy, now, out):
    login = command.args[0].lstrip("@")
    out.add(fx.MessageParty, login=login, text=command.body)
    out.tell(login, "message")
    parties = case.parties if login in case.parties else (*case.parties, login)
    return case.with_entry(Entry(at=now, actor=actor.login, kind="message", detail=login), parties=parties)


def _cmd_deescalate(case, command, actor, policy, now, out):
    if case.thread is None:
        raise Refused(f"{case.code} links no public thread to post a note to")
    out.post("thread", f"deescalate-{command.verb}.md.j2", addressed=[a.lstrip("@") for a in command.args])
    return case.with_entry(Entry(at=now, actor=actor.login, kind=command.verb))


def _cmd_context(case, command, actor, policy, now, out):
    login = command.args[0]
    out.add(fx.ContextCard, login=login)
    return case.with_entry(Entry(at=now, actor=actor.login, kind="context", detail=login))


def _open_case(case: Case, verb: str) -> None:
    if case.stage in (Stage.RESOLVED, Stage.CLOSED):
        raise Refused(f"`/conduct {verb}` is for an open case; {case.code} is {case.stage.value}")


def _cmd_lock(case, command, actor, policy, now, out):
    _open_case(case, "lock")
    thread, duration_text, *reason = command.args
    if thread.split("#")[0] not in policy.roles.places.watched:
        raise Refused(f"{thread} is not in a watched repository, so Conduct Desk does not lock it")
    duration, limit = parse_duration(duration_text), policy.process.timeouts.lock_max
    if duration > limit:
        raise Refused(f"a thread is locked for at most {format_duration(limit)} under the policy")
    if any(lock.thread == thread and lock.unlocked_at is None for lock in case.locks):
        locks = tuple(lock.model_copy(update={"until": now + duration}) if lock.thread == thread else lock
                      for lock in case.locks)
    else:
        locks = (*case.locks, Lock(thread=thread, until=now + duration))
        out.add(fx.LockThread, thread=thread)
    entry = Entry(at=now, actor=actor.login, kind="lock", detail=f"{thread} {duration_text} {' '.join(reason)}")
    out.post("case", "thread-locked.md.j2", thread=thread, until=now + duration)
    return case.with_entry(entry, locks=locks)


def _cmd_hide(case, command, actor, policy, now, out):
    comment, *reason = command.args
    repo = comment.split(":")[1]
    if repo not in policy.roles.places.watched:
        raise Refused("that comment is not in a watched repository, so Conduct Desk does not hide it")
    out.add(fx.HideComment, comment=comment, reason=" ".join(reason))
    return case.with_entry(Entry(at=now, actor=actor.login, kind="hide", detail=comment))


def _cmd_report_note(case, command, actor, policy, now, out):
    out.add(fx.ReportNote, text=command.body)
    return case.with_entry(Entry(at=now, actor=actor.login, kind="report-note"))


def _cmd_sc(case, command, actor, policy, now, out):
    sub = command.args[0]
    if sub == "lift":
        return _sc_lift(case, command, actor, policy, now, out)
    decision = _pending(case)
    if sub == "reject":
        event = SCReviewed(id=out.prefix, actor=actor, decision=decision.id, approved=False,
                           comment=" ".join(command.args[1:]))
        return _reviewed(case, event, policy, now, out)
    shorten = None
    rest = list(command.args[1:])
    if rest[:1] == ["shorten"]:
        try:
            shorten = parse_duration(rest[1])
        except (IndexError, DurationError) as error:
            raise Refused(f"`shorten` needs a duration: {error}") from None
    event = SCReviewed(id=out.prefix, actor=actor, decision=decision.id, approved=True, shorten_to=shorten)
    return _reviewed(case, event, policy, now, out)


def _next_decision_id(case: Case) -> str:
    # Counted from the audit history, not the live list: a rejected decision leaves the list, and its id
    # must never be given to another (the ledger, the workflow runs and the SC's reviews refer to it).
    made = sum(entry.kind in ("urgent-ban-requested", "poll-sanction") for entry in case.history)
    return f"{case.code}-d{made + 1}"


def _pending(case: Case) -> Decision:
    pending = case.pending_decisions
    if not pending:
        raise Refused(f"{case.code} has no decision waiting for the SC")
    return pending[-1]


def _replace(decisions: tuple[Decision, ...], updated: Decision) -> tuple[Decision, ...]:
    return tuple(updated if d.id == updated.id else d for d in decisions)


_HANDLERS = {
    "commands": _cmd_commands, "stage": _cmd_stage, "assign": _cmd_assign, "note": _cmd_note,
    "hold": _cmd_hold, "unhold": _cmd_unhold, "recuse": _cmd_recuse, "summary": _cmd_summary,
    "escalate": _cmd_escalate, "resolve": _cmd_resolve, "urgent-ban": _cmd_urgent_ban,
    "message": _cmd_message, "calm": _cmd_deescalate, "summarize": _cmd_deescalate,
    "agree-to-disagree": _cmd_deescalate, "sc": _cmd_sc, "context": _cmd_context, "lock": _cmd_lock,
    "hide": _cmd_hide, "report-note": _cmd_report_note,
}


# --- labels, polls, the SC and the clock ---------------------------------------------------------------


def _label(case: Case, event: LabelChanged, now: datetime, out: _Builder) -> Case:
    """A stage label put on by hand is adopted if a mediator could make that step; otherwise reverted."""
    name = event.label.removeprefix("stage: ")
    try:
        target = Stage(name)
    except ValueError:
        return case
    if target is case.stage:
        return case
    trigger = mediator_trigger_to(case.stage, target)
    if event.actor.has(MEDIATOR) and event.actor.login not in case.recused and trigger is not None:
        case = _move(case, trigger, MEDIATOR, now, event.actor.login, "label")
        out.add(fx.SetStage, stage=case.stage)
        return case
    out.add(fx.SetStage, stage=case.stage)
    why = ("only mediators move a case by label" if not event.actor.has(MEDIATOR)
           else f"a case cannot go from {case.stage.value} to {target.value} by hand")
    out.post("case", "label-reverted.md.j2", actor=event.actor.login, label=event.label, stage=case.stage.value,
             reason=why)
    return case


def _poll_closed(case: Case, event: PollClosed, policy: Policy, now: datetime, out: _Builder) -> Case:
    totals = dict(event.totals)
    if event.outcome in (NO_DECISION, NO_ACTION):
        trigger = "poll-no-decision" if event.outcome == NO_DECISION else "poll-no-action"
        # An urgent ban lasts "until the poll decides": with no sanction decided it ends now, not at its date.
        ended = tuple(d.model_copy(update={"ends_at": now}) if d.urgent and d.approved_at and d.ends_at
                      and d.ends_at > now else d for d in case.decisions)
        case = _move(case, trigger, SYSTEM, now, "system", event.poll, decisions=ended)
        case = _lift_due(case, policy, now, out)
    else:
        action = policy.action(event.outcome)
        subject = case.subject or _subject(case, None)
        decision = Decision(id=_next_decision_id(case), action=action.id, subject=subject,
                            duration=action.span.default, poll=event.poll, totals=totals, requested_at=now,
                            reviewed_not_ended=not action.ends)
        case = _move(case, "poll-sanction", SYSTEM, now, "system", f"{event.poll} {action.id}",
                     decisions=(*case.decisions, decision))
        out.add(fx.Dispatch, workflow="sc-approval.yml", place="decisions",
                inputs={"case": case.code, "decision": decision.id, "urgent": "false"})
        out.post("case", "approval-requested.md.j2", decision=decision.id, action=action.id, subject=subject,
                 duration=format_duration(decision.duration), urgent=False, standing=case.standing.get(subject))
    out.add(fx.SetStage, stage=case.stage)
    out.post("case", "poll-closed.md.j2", poll=event.poll, outcome=event.outcome, totals=totals)
    return case


def _subject(case: Case, named: str | None) -> str:
    """The one person an escalation is about: named in the command, or the case's only other party."""
    if named:
        if named == case.reporter:
            raise Refused("the person who asked for help cannot be the subject of their own escalation")
        return named
    others = [p for p in case.parties if p != case.reporter]
    if len(others) != 1:
        raise Refused("name the person this escalation is about: `/conduct escalate @login`")
    return others[0]


def _reviewed(case: Case, event: SCReviewed, policy: Policy, now: datetime, out: _Builder) -> Case:
    """An SC member's review, from whichever path brought it (the environment review's webhook, the
    approval job reading the run's review history, a `/conduct sc` comment): the one rule for all.

    Only an eligible SC member counts (app/core/approval.py); one eligible rejection returns the case,
    as one rejection fails GitHub's environment review; an approval counts towards `sc_quorum` distinct
    eligible members, and the decision is approved when the quorum is met. A `shorten` asked for by any
    counted approver applies (the shortest asked for): shortening is always the milder choice."""
    decision = case.decision(event.decision)
    if decision is None or decision.approved_at is not None:
        raise Refused(f"{event.decision} is not a decision waiting for the SC on {case.code}")
    login = event.actor.login
    why = approval.refusal(case, decision, login, event.actor.has(SC))
    if why is not None:
        raise Refused(f"{why}, so this review of {decision.id} does not count")
    if not event.approved:
        entry = Entry(at=now, actor=login, kind="sc-reject", detail=f"{decision.id} {event.comment}")
        remaining = tuple(d for d in case.decisions if d.id != decision.id)
        if decision.urgent:
            case = case.with_entry(entry, decisions=remaining)
        else:
            case = _move(case, "sc-reject", SC, now, login, decision.id, decisions=remaining)
            out.add(fx.SetStage, stage=case.stage)
        out.post("case", "sc-rejected.md.j2", mention_mediators=True, decision=decision.id, reason=event.comment)
        return case
    if login in decision.approved_by:
        raise Refused(f"@{login} has already approved {decision.id}")
    if event.shorten_to is not None and event.shorten_to > decision.duration:
        raise Refused("the SC may shorten a duration, never lengthen it")
    asked = [d for d in (decision.shorten_to, event.shorten_to) if d is not None]
    shorten = min(asked) if asked else None
    approvers = approval.counted(case, decision, (*decision.approved_by, login))
    quorum = policy.process.approval.sc_quorum
    if not approval.quorum_met(approvers, quorum):
        updated = decision.model_copy(update={"approved_by": approvers, "shorten_to": shorten})
        entry = Entry(at=now, actor=login, kind="sc-approval", detail=decision.id)
        out.post("case", "sc-approval-counted.md.j2", decision=decision.id, count=len(approvers), needed=quorum)
        return case.with_entry(entry, decisions=_replace(case.decisions, updated))
    duration = min(decision.duration, shorten) if shorten is not None else decision.duration
    approved = decision.model_copy(update={
        "approved_by": approvers, "shorten_to": shorten,
        "approved_at": now, "duration": duration, "ends_at": now + duration})
    detail = decision.id + (f" shortened to {format_duration(duration)}" if duration != decision.duration else "")
    decisions = _replace(case.decisions, approved)
    if decision.urgent:
        case = case.with_entry(Entry(at=now, actor=login, kind="sc-approve", detail=detail),
                               decisions=decisions)
    else:
        # A poll's sanction replaces an urgent ban still in force: the poll has now decided.
        decisions = tuple(
            d.model_copy(update={"ends_at": now}) if d.urgent and d.ends_at and d.ends_at > now else d
            for d in decisions
        )
        case = _move(case, "sc-approve", SC, now, login, detail, decisions=decisions)
        out.add(fx.SetStage, stage=case.stage)
    out.add(fx.ApplySanction, decision=decision.id)
    out.post("case", "sc-approved.md.j2", decision=decision.id, action=decision.action, subject=decision.subject,
             ends=approved.ends_at, review=decision.reviewed_not_ended)
    _tell_subject(case, approved, policy, out)
    if not decision.urgent:
        out.post("reporter", "decided.md.j2", code=case.code)
        out.tell(case.reporter, "decided")
    return case


def _tell_subject(case: Case, decision: Decision, policy: Policy, out: _Builder) -> None:
    """The person a sanction applies to hears what it is, why (the published criteria), when it ends or is
    reviewed, and how to return; nothing of the report and nothing about anyone else."""
    if decision.urgent or not policy.has_action(decision.action):
        title, criteria = "a temporary ban until the community's process decides", []
    else:
        title = policy.action(decision.action).title
        points = case.summary.action_points if case.summary else ()
        ids = next((p.criteria for p in points if p.action == decision.action), ())
        criteria = [policy.criterion(c).title for c in ids if policy.has_criterion(c)]
    out.post("party", "sanction-to-party.md.j2", login=decision.subject, decision=decision.id, title=title,
             criteria=criteria, until=decision.ends_at, ends=not decision.reviewed_not_ended)
    out.tell(decision.subject, "sanction")


def _expired(case: Case, event: ReviewExpired, now: datetime, out: _Builder) -> Case:
    decision = case.decision(event.decision)
    if decision is None or decision.approved_at is not None:
        return case
    remaining = tuple(d for d in case.decisions if d.id != decision.id)
    if decision.urgent:
        case = case.with_entry(Entry(at=now, actor="system", kind="review-expired", detail=decision.id),
                               decisions=remaining)
    else:
        case = _move(case, "review-expired", SYSTEM, now, "system", decision.id, decisions=remaining)
        out.add(fx.SetStage, stage=case.stage)
    out.post("case", "review-expired.md.j2", mention_mediators=True, decision=decision.id)
    return case


def _tick(case: Case, policy: Policy, now: datetime, out: _Builder) -> Case:
    """Timers: a late acknowledgement, and sanctions whose end or review date has come."""
    # A held case's own clock is paused (a sanction's end is not: that is a promise to the person).
    if (case.acknowledged_at is None and now >= case.acknowledge_by and case.stage is not Stage.HOLD
            and not any(e.kind == "ack-overdue" for e in case.history)):
        case = case.with_entry(Entry(at=now, actor="system", kind="ack-overdue"))
        out.post("case", "ack-overdue.md.j2", mention_mediators=True, code=case.code, due=case.acknowledge_by)
    case = _review_deadlines(case, policy, now, out)
    case = _unlock_due(case, now, out)
    case = _lift_due(case, policy, now, out)
    return _end_if_finished(case, now, out)


def _lift_due(case: Case, policy: Policy, now: datetime, out: _Builder) -> Case:
    """Sanctions whose end has come are lifted; those with a review date get their review opened."""
    for decision in case.decisions:
        if decision.ends_at is None or decision.ends_at > now:
            continue
        if any(e.kind in ("lifted", "review-opened") and e.detail == decision.id for e in case.history):
            continue
        if decision.reviewed_not_ended:
            case = case.with_entry(Entry(at=now, actor="system", kind="review-opened", detail=decision.id))
            out.post("case", "review-due.md.j2", mention_mediators=True, decision=decision.id,
                     subject=decision.subject)
            # The person hears that the review is open and how to reach the mediators: the path back
            # begins at the review, not only when a sanction ends.
            out.post("party", "review-to-party.md.j2", login=decision.subject, decision=decision.id,
                     title=_title(policy, decision))
            out.tell(decision.subject, "message")
            # The SC decides whether it ends, where it reads: the decision's own issue.
            out.post("decision", "review-due-sc.md.j2", decision=decision.id,
                     needed=policy.process.approval.sc_quorum)
            continue
        case = _lifted(case, decision, policy, now, "system", out)
    return case


def _title(policy: Policy, decision: Decision) -> str:
    return policy.action(decision.action).title if policy.has_action(decision.action) else "temporary ban"


def _lifted(case: Case, decision: Decision, policy: Policy, now: datetime, actor: str, out: _Builder,
            note: str = "") -> Case:
    """The sanction lifted, on record, and the person given the path back."""
    case = case.with_entry(Entry(at=now, actor=actor, kind="lifted", detail=decision.id))
    out.add(fx.LiftSanction, decision=decision.id)
    out.post("party", "path-back.md.j2", login=decision.subject, decision=decision.id,
             title=_title(policy, decision), note=note, note_from="the Steering Council")
    out.tell(decision.subject, "lifted")
    return case


def under_review(case: Case) -> tuple[Decision, ...]:
    """Sanctions whose review date has come and that are not lifted: the SC decides whether they end."""
    opened = {e.detail for e in case.history if e.kind == "review-opened"}
    return tuple(d for d in case.decisions if d.id in opened and not _finished(case, d))


def _sc_lift(case: Case, command: Command, actor: Actor, policy: Policy, now: datetime, out: _Builder) -> Case:
    """An SC member's vote to lift a ban at its review: the approval rule's eligibility and quorum, as for
    approving a sanction (nobody lifts their own case's ban; one member alone does not either)."""
    reviewed = under_review(case)
    if not reviewed:
        raise Refused(f"no sanction on {case.code} is under review: one with an end date ends by itself, and "
                      "a review opens on its date")
    decision = reviewed[-1]
    why = approval.refusal(case, decision, actor.login, actor.has(SC))
    if why is not None:
        raise Refused(f"{why}, so this vote to lift {decision.id} does not count")
    earlier = [e.actor for e in case.history if e.kind == "sc-lift" and e.detail == decision.id]
    if actor.login in earlier:
        raise Refused(f"@{actor.login} has already voted to lift {decision.id}")
    case = case.with_entry(Entry(at=now, actor=actor.login, kind="sc-lift", detail=decision.id))
    voters = approval.counted(case, decision, (*earlier, actor.login))
    quorum = policy.process.approval.sc_quorum
    if not approval.quorum_met(voters, quorum):
        out.post("case", "sc-lift-counted.md.j2", decision=decision.id, count=len(voters), needed=quorum)
        return case
    note = " ".join(command.args[1:])
    case = _lifted(case, decision, policy, now, actor.login, out, note)
    out.post("case", "sc-lifted.md.j2", decision=decision.id)
    return _end_if_finished(case, now, out)


def _end_if_finished(case: Case, now: datetime, out: _Builder) -> Case:
    """Every approved sanction has ended: the case has done its work and closes (the reporter is told)."""
    if case.stage is Stage.ACTION and all(_finished(case, d) for d in case.decisions if d.approved_at):
        case = _move(case, "sanction-ended", SYSTEM, now, "system")
        out.add(fx.SetStage, stage=case.stage)
        # The person who asked for help hears that the case has ended; what was applied to whom is not
        # theirs to be told (the transparency report gives the community the counts).
        out.post("reporter", "case-ended.md.j2", code=case.code)
        out.tell(case.reporter, "closed")
    return case


def _unlock_due(case: Case, now: datetime, out: _Builder) -> Case:
    """A time-out ends on time, whatever stage the case is in by then."""
    due = [lock for lock in case.locks if lock.unlocked_at is None and lock.until <= now]
    if not due:
        return case
    for lock in due:
        out.add(fx.UnlockThread, thread=lock.thread)
        out.post("case", "thread-unlocked.md.j2", thread=lock.thread)
    locks = tuple(lock.model_copy(update={"unlocked_at": now}) if lock in due else lock for lock in case.locks)
    return case.with_entry(Entry(at=now, actor="system", kind="unlock",
                                 detail=" ".join(lock.thread for lock in due)), locks=locks)


def _review_deadlines(case: Case, policy: Policy, now: datetime, out: _Builder) -> Case:
    """GitHub fails a pending deployment review after 30 days; the case says so a week earlier, and when
    the policy's limit passes the request expires and the case returns to the mediators."""
    rules = policy.process.approval
    for decision in case.pending_decisions:
        expires = decision.requested_at + rules.review_expires_after
        if now >= expires:
            case = _expired(case, ReviewExpired(out.prefix, decision.id), now, out)
        elif now >= expires - rules.remind_before and not any(
                e.kind == "review-reminder" and e.detail == decision.id for e in case.history):
            case = case.with_entry(Entry(at=now, actor="system", kind="review-reminder", detail=decision.id))
            out.post("case", "review-reminder.md.j2", mention_mediators=True, decision=decision.id, expires=expires)
    return case


def _finished(case: Case, decision: Decision) -> bool:
    return any(e.kind == "lifted" and e.detail == decision.id for e in case.history)

