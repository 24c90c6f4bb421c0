"""Intended actions, as data: the core returns these and the GitHub adapter carries them out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.stages import Stage

# Where a post goes. "case": the private case issue; "reporter": back to whoever asked for help, by the
# channel they used (party inbox, redacted public issue, or the thread); "party": the inbox of the party
# named in the context's "login"; "thread": the public thread a case links (de-escalation notes only);
# "discussion": the core developers' poll discussion; "decision": the issue of the decision named in the
# context's "decision", in the decisions place, where the SC reads and writes.
PLACES = ("case", "reporter", "party", "thread", "discussion", "decision")


@dataclass(frozen=True)
class Effect:
    # A stable key (case, event, position) so that an effect list cut short by a failure can be resumed
    # without applying anything twice.
    key: str


@dataclass(frozen=True)
class SetStage(Effect):
    stage: Stage


@dataclass(frozen=True)
class Post(Effect):
    where: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    mention_mediators: bool = False


@dataclass(frozen=True)
class React(Effect):
    comment_id: int
    content: str = "+1"


@dataclass(frozen=True)
class Assign(Effect):
    logins: tuple[str, ...]


@dataclass(frozen=True)
class Dispatch(Effect):
    """Start a workflow: poll-open.yml in the cases repo, sc-approval.yml in the decisions repo."""

    workflow: str
    inputs: dict[str, str]
    place: str = "cases"  # "cases" or "decisions"


@dataclass(frozen=True)
class MessageParty(Effect):
    """A mediator's message to one party, delivered to that party's private inbox page."""

    login: str
    text: str


@dataclass(frozen=True)
class Notify(Effect):
    """Tell one person, by e-mail, that there is something new in their inbox (`news`: the notice's kind), and
    nothing more; where no address is known the case asks the mediators to hand the link over."""

    login: str
    news: str  # the notice's kind (app/notices/kinds.py)


@dataclass(frozen=True)
class ApplySanction(Effect):
    decision: str


@dataclass(frozen=True)
class LiftSanction(Effect):
    decision: str


@dataclass(frozen=True)
class ContextCard(Effect):
    """Post a private context card on `login` to the case: their standing and the cases that still weigh."""

    login: str


@dataclass(frozen=True)
class LockThread(Effect):
    """Lock a public thread (owner/repo#number) as "too heated"; `unlock` is the other way."""

    thread: str
    note: str = ""


@dataclass(frozen=True)
class UnlockThread(Effect):
    thread: str


@dataclass(frozen=True)
class HideComment(Effect):
    """Minimize a public comment (`issue:owner/repo:ID` or `review:owner/repo:ID`) and post the note."""

    comment: str
    reason: str


@dataclass(frozen=True)
class ReportNote(Effect):
    """Keep a mediator's note for the next transparency report (kept apart from the case, which may be
    forgotten before the report is published)."""

    text: str
