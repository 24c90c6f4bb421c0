"""What can happen to a case, as data: the adapters turn webhooks, runs and timers into these."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# Roles an actor can hold. The adapter resolves them from the policy's teams and lists; the core trusts
# them as given and never looks anything up.
MEDIATOR, SC, VOTER, SYSTEM = "mediator", "sc", "voter", "system"


@dataclass(frozen=True)
class Actor:
    login: str
    roles: frozenset[str] = frozenset()

    def has(self, role: str) -> bool:
        return role in self.roles


SYSTEM_ACTOR = Actor("conduct-desk", frozenset({SYSTEM}))


@dataclass(frozen=True)
class HelpRequested:
    """A help request arrived through the private form, the public issue form, or an in-thread signal."""

    id: str
    channel: str  # "form", "issue" or "signal"
    reporter: str
    thread: str | None = None
    about: tuple[str, ...] = ()
    # For a signal: where it was written ("issue-comment", "review-comment", "review", "discussion-comment").
    venue: str | None = None


@dataclass(frozen=True)
class Commented:
    """A comment on the private case, new or edited (then `previous_body` is what it said before)."""

    id: str
    actor: Actor
    body: str
    comment_id: int | None = None
    previous_body: str | None = None
    # Set when the comment was written on a decision's issue in the decisions place (by the SC, who cannot
    # read the case): what the desk answers is said there too.
    decision: str | None = None


@dataclass(frozen=True)
class LabelChanged:
    """Someone put a stage label on the case by hand."""

    id: str
    actor: Actor
    label: str


@dataclass(frozen=True)
class PollOpened:
    id: str
    poll: str
    deadline_text: str
    # One line per subject on their standing, as the voters read it in the discussion.
    standing: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PollClosed:
    id: str
    poll: str
    outcome: str  # an action id, "no-action" or "no-decision"
    totals: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SCReviewed:
    """The SC's review of a decision, from the environment review or the fallback command."""

    id: str
    actor: Actor
    decision: str
    approved: bool
    comment: str = ""
    shorten_to: timedelta | None = None


@dataclass(frozen=True)
class ReviewExpired:
    id: str
    decision: str


@dataclass(frozen=True)
class Tick:
    """The sweep's clock: reminders and sanctions whose time has come."""

    id: str


Event = HelpRequested | Commented | LabelChanged | PollOpened | PollClosed | SCReviewed | ReviewExpired | Tick
