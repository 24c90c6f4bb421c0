"""What a poll was opened on, frozen for its life: options, rule, threshold, quorum, electorate size, key."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from app.core.tally import ABSTAIN, NO_ACTION, Option

# Plain words for the two choices the policy does not define, shown on the ballot like the actions.
NO_ACTION_TEXT = ("No action", "Nothing is restricted; the case returns to the mediators.")
ABSTAIN_TEXT = ("Abstain", "You take part (it counts towards the quorum) but support no option.")


@dataclass(frozen=True)
class Choice:
    """One option as the voter sees it: the policy's title and description, and its severity."""

    id: str
    severity: int
    title: str
    description: str


@dataclass(frozen=True)
class PollTerms:
    poll_id: str
    case: str
    options: tuple[Choice, ...]  # by severity, from no-action; abstain is always allowed besides these
    rule: str
    threshold: Fraction
    quorum: Fraction
    electorate_size: int
    public_key: str  # PEM (SubjectPublicKeyInfo)
    deadline: datetime
    receipt_key: str | None = None  # base64url raw Ed25519 public key that signs receipts (polls since v2)

    @property
    def tally_options(self) -> tuple[Option, ...]:
        return tuple(Option(choice.id, choice.severity) for choice in self.options)

    @property
    def valid_choices(self) -> frozenset[str]:
        return frozenset(choice.id for choice in self.options) | {ABSTAIN}

    def ballot_choices(self) -> list[Choice]:
        """Every choice on the ballot, by severity, then abstain."""
        return [*self.options, Choice(ABSTAIN, -1, *ABSTAIN_TEXT)]

    def to_frozen(self) -> dict:
        """The JSON kept in the poll row; the deadline lives in its own column."""
        return {
            "options": [[c.id, c.severity, c.title, c.description] for c in self.options],
            "rule": self.rule,
            "threshold": f"{self.threshold.numerator}/{self.threshold.denominator}",
            "quorum": f"{self.quorum.numerator}/{self.quorum.denominator}",
            "electorate_size": self.electorate_size,
            "public_key": self.public_key,
            **({"receipt_key": self.receipt_key} if self.receipt_key else {}),
        }

    @classmethod
    def from_poll(cls, poll) -> PollTerms:
        """Read the terms back from a store Poll."""
        frozen = poll.frozen
        return cls(
            poll_id=poll.poll_id,
            case=poll.case_id,
            options=tuple(Choice(*option) for option in frozen["options"]),
            rule=frozen["rule"],
            threshold=Fraction(frozen["threshold"]),
            quorum=Fraction(frozen["quorum"]),
            electorate_size=frozen["electorate_size"],
            public_key=frozen["public_key"],
            deadline=poll.deadline,
            receipt_key=frozen.get("receipt_key"),
        )


__all__ = ["ABSTAIN", "NO_ACTION", "Choice", "PollTerms"]
