"""Count an anonymous poll's ballots and decide its outcome under a severity-threshold or plurality rule."""
from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

NO_ACTION = "no-action"
ABSTAIN = "abstain"
NO_DECISION = "no-decision"
SEVERITY_THRESHOLD = "severity-threshold"
PLURALITY = "plurality"
RULES = (SEVERITY_THRESHOLD, PLURALITY)

# These words mean something to the tally itself, so no option may take them as its id.
_RESERVED_IDS = frozenset({ABSTAIN, NO_DECISION})


class TallyError(ValueError):
    """The poll's options, parameters or ballots cannot be tallied; the message says which and why."""


@dataclass(frozen=True)
class Option:
    """One possible outcome of a poll; a higher severity is a stronger action, and "no-action" is 0."""

    id: str
    severity: int


@dataclass(frozen=True)
class Tally:
    """What the ballots add up to: counts per option (and abstain), ballots cast, quorum, and outcome."""

    totals: dict[str, int]
    cast: int
    quorum_met: bool
    outcome: str


def check_options(options: Sequence[Option]) -> tuple[Option, ...]:
    """Return the options in severity order, or raise TallyError if they cannot make a poll."""
    if not options:
        raise TallyError(f"a poll needs options, at least {NO_ACTION!r}")
    ids: set[str] = set()
    severities: dict[int, str] = {}
    for option in options:
        if not isinstance(option, Option):
            raise TallyError(f"{option!r} is not an Option")
        if not isinstance(option.id, str) or not option.id.strip():
            raise TallyError(f"option id {option.id!r} must be a non-empty string")
        if option.id in _RESERVED_IDS:
            raise TallyError(f"{option.id!r} is reserved and cannot be an option id")
        # bool is an int subclass; True as a severity is a mistake, not the number 1.
        if isinstance(option.severity, bool) or not isinstance(option.severity, int) or option.severity < 0:
            raise TallyError(
                f"option {option.id!r}: severity {option.severity!r} must be a whole number >= 0"
            )
        if option.id in ids:
            raise TallyError(f"duplicate option id {option.id!r}")
        if option.severity in severities:
            raise TallyError(
                f"options {severities[option.severity]!r} and {option.id!r} share severity {option.severity}"
            )
        ids.add(option.id)
        severities[option.severity] = option.id
    if severities.get(0) != NO_ACTION:
        raise TallyError(f"the {NO_ACTION!r} option with severity 0 must always be offered")
    return tuple(sorted(options, key=lambda option: option.severity))


def _fraction(name: str, value: object) -> Fraction:
    # Floats are refused rather than converted: 2/3 has no exact float, and a tally must be exact.
    if isinstance(value, bool) or not isinstance(value, numbers.Rational):
        raise TallyError(f"{name} must be an exact fractions.Fraction, not {type(value).__name__} {value!r}")
    return Fraction(value)


def check_parameters(rule: str, threshold: object, quorum: object) -> tuple[Fraction, Fraction]:
    """Validate the rule, threshold (in (0, 1]) and quorum (in [0, 1]); return both as Fractions."""
    if rule not in RULES:
        raise TallyError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    threshold = _fraction("threshold", threshold)
    quorum = _fraction("quorum", quorum)
    if not 0 < threshold <= 1:
        raise TallyError(f"threshold {threshold} must be more than 0 and at most 1")
    if not 0 <= quorum <= 1:
        raise TallyError(f"quorum {quorum} must be between 0 and 1")
    return threshold, quorum


def _severity_threshold(ordered: tuple[Option, ...], counts: Counter[str], threshold: Fraction) -> str:
    voting = sum(counts[option.id] for option in ordered)
    if voting == 0:
        return NO_ACTION
    backing = support(ordered, counts, SEVERITY_THRESHOLD)
    for option in reversed(ordered):
        if Fraction(backing[option.id], voting) >= threshold:
            return option.id
    return NO_ACTION  # not reached: every non-abstaining ballot supports "no-action"


def _plurality(ordered: tuple[Option, ...], counts: Counter[str]) -> str:
    # max() keeps the first of equal keys, and `ordered` runs from least severe, so ties go to the milder
    # option; with no votes at all every count is 0 and the winner is "no-action".
    return max(ordered, key=lambda option: counts[option.id]).id


def support(options: Sequence[Option], totals: dict[str, int], rule: str) -> dict[str, int]:
    """Each option's deciding support: under severity-threshold the ballots for it or a stronger option
    (a vote for a stronger action counts for every milder one), under plurality its own ballots."""
    ordered = check_options(options)
    if rule == PLURALITY:
        return {option.id: totals.get(option.id, 0) for option in ordered}
    out, running = {}, 0
    for option in reversed(ordered):
        running += totals.get(option.id, 0)
        out[option.id] = running
    return {option.id: out[option.id] for option in ordered}


def support_in_words(options: Sequence[Option], totals: dict[str, int], rule: str) -> dict[str, str]:
    """Each option's deciding support as the result shows it: "2 of 3 (warning or stronger)"."""
    backing = support(options, totals, rule)
    voting = sum(totals.get(option.id, 0) for option in options)
    ordered = check_options(options)
    strongest = ordered[-1].id
    return {option: (f"{count} of {voting}" if rule == PLURALITY or option == strongest
                     else f"{count} of {voting} ({option} or stronger)") for option, count in backing.items()}


def rule_in_words(rule: str, threshold: Fraction, quorum: Fraction) -> str:
    """How the tally works, in plain words: the one text the policy page, the poll and its result show."""
    taking_part = (f"At least {quorum} of the electorate must take part (abstaining counts), or the poll "
                   f"decides nothing and the case returns to the mediators.")
    if rule == PLURALITY:
        return (f"{taking_part} Abstentions then count for no option. The option with the most ballots wins; "
                "if two or more have the same number, the mildest of them wins.")
    return (f"{taking_part} Abstentions then count for no option. A vote for an action also supports every "
            f"milder one, since whoever wants the stronger action accepts at least the milder: an option's "
            f"support is the ballots for it or for a stronger option. The strongest option supported by at "
            f"least {threshold} of the ballots that do not abstain wins; \"no action\" always has all of them.")


def tally(
    options: Sequence[Option],
    choices: Iterable[str],
    *,
    rule: str = SEVERITY_THRESHOLD,
    threshold: Fraction,
    quorum: Fraction,
    electorate_size: int,
) -> Tally:
    """Count `choices` (option ids or "abstain") and decide the outcome; raise TallyError on bad input."""
    ordered = check_options(options)
    threshold, quorum = check_parameters(rule, threshold, quorum)
    if isinstance(electorate_size, bool) or not isinstance(electorate_size, int) or electorate_size < 1:
        raise TallyError(f"electorate size {electorate_size!r} must be a whole number >= 1")
    counts = Counter(choices)
    known = {option.id for option in ordered} | {ABSTAIN}
    unknown = sorted(str(choice) for choice in counts if choice not in known)
    if unknown:
        raise TallyError(f"ballot choice {unknown[0]!r} is not among the options or {ABSTAIN!r}")
    cast = sum(counts.values())
    if cast > electorate_size:
        raise TallyError(f"{cast} ballots cast but the electorate has only {electorate_size} members")
    totals = {option.id: counts[option.id] for option in ordered}
    totals[ABSTAIN] = counts[ABSTAIN]
    # Abstentions count towards quorum: an abstainer took part, they just did not choose.
    quorum_met = cast >= quorum * electorate_size
    if not quorum_met:
        outcome = NO_DECISION
    elif rule == PLURALITY:
        outcome = _plurality(ordered, counts)
    else:
        outcome = _severity_threshold(ordered, counts, threshold)
    return Tally(totals=totals, cast=cast, quorum_met=quorum_met, outcome=outcome)
