"""The published poll result: build it, parse it strictly, and recount it from its ballots alone."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import itemgetter
from typing import Annotated, Any, Literal, NotRequired

from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic needs this TypedDict, not typing's, before Python 3.12

from app.core.tally import ABSTAIN, RULES, Option, TallyError, check_options, check_parameters, tally

# The only optional fields a result may carry; a later step fills them for blind-signed ballots.
RESULT_EXTRA_FIELDS = ("public_key", "signed_count", "receipt_key", "issued")
BALLOT_EXTRA_FIELDS = ("token", "prefix", "signature", "seq", "cast_sig")

# A recount may find thousands of bad ballots; list this many of each kind and count the rest.
_LISTED_PER_KIND = 10


class ResultFormatError(ValueError):
    """A result document that is not well formed; the message names the offending field."""


# --- the document's shape, checked strictly (no coercion: "40" is not 40, true is not 1) --------------

def _nonzero_denominator(text: str) -> str:
    if "/" in text and int(text.split("/", 1)[1]) == 0:
        raise ValueError("denominator must not be 0")
    return text


_FractionText = Annotated[
    str, Field(pattern=r"^[0-9]{1,9}(/[0-9]{1,9})?$"), AfterValidator(_nonzero_denominator)
]
_Text = Annotated[str, Field(min_length=1)]
_Count = Annotated[int, Field(ge=0)]
_Receipt = Annotated[str, Field(pattern=r"^[0-9a-f]+$")]


_STRICT = ConfigDict(strict=True, extra="forbid")


# TypedDicts, not models: validating 100,000 ballots is several times faster when pydantic need not
# build an object for each one, and NotRequired says "may be absent" without also allowing null.
@with_config(_STRICT)
class _OptionDict(TypedDict):
    id: _Text
    severity: _Count


@with_config(_STRICT)
class _BallotDict(TypedDict):
    receipt: _Receipt
    choice: _Text
    token: NotRequired[_Text]
    prefix: NotRequired[_Text]
    signature: NotRequired[_Text]
    seq: NotRequired[Annotated[str, Field(pattern=r"^[1-9][0-9]{0,8}$")]]
    cast_sig: NotRequired[_Text]


@with_config(_STRICT)
class _ResultDict(TypedDict):
    poll: _Text
    rule: Literal[RULES]  # type: ignore[valid-type]
    threshold: _FractionText
    quorum: _FractionText
    electorate_size: Annotated[int, Field(ge=1)]
    options: list[_OptionDict]
    ballots: list[_BallotDict]
    totals: dict[str, _Count]
    outcome: _Text
    public_key: NotRequired[_Text]
    signed_count: NotRequired[_Count]
    receipt_key: NotRequired[_Text]
    issued: NotRequired[list[_Text]]


_RESULT = TypeAdapter(_ResultDict)

# --- what callers get back -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ParsedBallot:
    """One published ballot: its receipt and choice, and the blind-signature fields when present."""

    receipt: str
    choice: str
    token: str | None = None
    prefix: str | None = None
    signature: str | None = None
    seq: str | None = None
    cast_sig: str | None = None


@dataclass(frozen=True)
class ParsedResult:
    """A result document that passed the strict format check; the claims in it are not yet verified."""

    poll: str
    rule: str
    threshold: Fraction
    quorum: Fraction
    electorate_size: int
    options: tuple[Option, ...]
    ballots: tuple[ParsedBallot, ...]
    totals: dict[str, int]
    outcome: str
    public_key: str | None = None
    signed_count: int | None = None
    receipt_key: str | None = None
    issued: tuple[str, ...] | None = None  # who took a ballot, when the result names them


@dataclass(frozen=True)
class Recount:
    """What the ballots alone give, and every way the document's own claims differ from that."""

    ok: bool
    findings: list[str]
    totals: dict[str, int]
    outcome: str | None  # None when the ballots cannot be tallied at all (more ballots than voters)
    cast: int
    quorum_met: bool | None


# --- building --------------------------------------------------------------------------------------------

def _fraction_text(value: Fraction) -> str:
    # Always "n/d", even for 1/1, so every result writes its parameters the same way.
    return f"{value.numerator}/{value.denominator}"


def _ballot_row(ballot: Any) -> dict[str, Any]:
    if type(ballot) is tuple and len(ballot) == 2:  # the common case first: it decides big polls' speed
        return {"receipt": ballot[0], "choice": ballot[1]}
    if isinstance(ballot, Mapping):
        receipt, choice = ballot.get("receipt"), ballot.get("choice")
        fields = {key: value for key, value in ballot.items() if key not in ("receipt", "choice")}
    elif isinstance(ballot, tuple | list) and len(ballot) in (2, 3):
        receipt, choice, fields = ballot[0], ballot[1], (ballot[2] if len(ballot) == 3 else {})
    else:
        raise ResultFormatError(
            f"ballot {ballot!r} must be (receipt, choice), (receipt, choice, fields) or a dict"
        )
    odd = sorted(set(fields) - set(BALLOT_EXTRA_FIELDS))
    if odd:
        raise ResultFormatError(f"ballot {receipt!r}: {odd[0]!r} is not an optional ballot field")
    row = {"receipt": receipt, "choice": choice}
    row.update((name, fields[name]) for name in BALLOT_EXTRA_FIELDS if name in fields)
    return row


def build_result(
    poll_id: str,
    options: Sequence[Option],
    ballots: Iterable[Any],
    rule: str,
    threshold: Fraction,
    quorum: Fraction,
    electorate_size: int,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Tally the ballots and return the result document, ballots sorted by receipt, keys in a fixed order.

    Each ballot is `(receipt, choice)`, `(receipt, choice, fields)` or a dict with "receipt" and "choice";
    `fields` and `extra` may only hold the blind-signature fields. Raises TallyError for a poll that
    cannot be tallied and ResultFormatError for anything the published document could not carry.
    """
    extra = dict(extra or {})
    unknown = sorted(set(extra) - set(RESULT_EXTRA_FIELDS))
    if unknown:
        raise ResultFormatError(f"extra: {unknown[0]!r} is not an optional result field")
    rows = [_ballot_row(ballot) for ballot in ballots]
    receipts = [row["receipt"] for row in rows]
    if not all(isinstance(receipt, str) for receipt in receipts):
        raise ResultFormatError("ballots: every receipt must be a string of lowercase hex")
    if len(set(receipts)) != len(receipts):
        repeated = min(receipt for receipt, count in Counter(receipts).items() if count > 1)
        raise ResultFormatError(f"ballots: receipt {repeated!r} appears more than once")
    rows.sort(key=itemgetter("receipt"))
    ordered = check_options(options)
    threshold, quorum = check_parameters(rule, threshold, quorum)
    counted = tally(ordered, (row["choice"] for row in rows), rule=rule, threshold=threshold,
                    quorum=quorum, electorate_size=electorate_size)
    document: dict[str, Any] = {
        "poll": poll_id,
        "rule": rule,
        "threshold": _fraction_text(threshold),
        "quorum": _fraction_text(quorum),
        "electorate_size": electorate_size,
        "options": [{"id": option.id, "severity": option.severity} for option in ordered],
        "ballots": rows,
        "totals": counted.totals,
        "outcome": counted.outcome,
    }
    document.update((name, extra[name]) for name in RESULT_EXTRA_FIELDS if name in extra)
    # Whatever we publish must pass our own strict reader, or a recount of it would fail for nothing.
    _validate(document)
    return document


# json's indent= forces its slow pure-Python encoder, so the layout below is made by hand around the fast
# one; it also reads better: one option or ballot per line, so a diff between two results shows ballots.
_ENCODE = json.JSONEncoder(allow_nan=False).encode
_STRING = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def _one_line(item: Any) -> str:
    # A ballot is a flat object of strings: writing it directly is several times faster than the encoder.
    if isinstance(item, dict) and all(type(value) is str for value in item.values()):
        return "{" + ", ".join(f"{_STRING(key)}: {_STRING(value)}" for key, value in item.items()) + "}"
    return _ENCODE(item)


def result_to_json(document: Mapping[str, Any]) -> str:
    """Serialise a result document the same way every time: key order kept, one ballot per line, ASCII."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {_one_line(item)}" for item in value)
            lines.append(f"  {_ENCODE(key)}: [\n{items}\n  ]")
        else:
            lines.append(f"  {_ENCODE(key)}: {_ENCODE(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


# --- parsing ---------------------------------------------------------------------------------------------

def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys; in a public record a second "outcome" is tampering.
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ResultFormatError(f"{key}: the key appears twice in one object")
        seen[key] = value
    return seen


def _not_a_number(name: str) -> Any:
    raise ResultFormatError(f"{name} is not valid JSON")


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "document"


def _validate(data: Any) -> _ResultDict:
    try:
        return _RESULT.validate_python(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        more = error.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        raise ResultFormatError(f"{_field_path(first['loc'])}: {first['msg']}{suffix}") from None


def parse_result(data: Mapping[str, Any] | str | bytes) -> ParsedResult:
    """Check a result document (JSON text or already-loaded JSON) strictly; raise ResultFormatError if bad."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data, object_pairs_hook=_no_duplicate_keys, parse_constant=_not_a_number)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ResultFormatError(f"not valid JSON: {error}") from None
        except RecursionError:
            raise ResultFormatError("not valid JSON: nested too deeply") from None
    checked = _validate(data)
    options = tuple(Option(option["id"], option["severity"]) for option in checked["options"])
    threshold = Fraction(checked["threshold"])
    quorum = Fraction(checked["quorum"])
    try:
        check_options(options)
    except TallyError as error:
        raise ResultFormatError(f"options: {error}") from None
    try:
        check_parameters(checked["rule"], threshold, quorum)
    except TallyError as error:
        raise ResultFormatError(f"threshold/quorum: {error}") from None
    return ParsedResult(
        poll=checked["poll"],
        rule=checked["rule"],
        threshold=threshold,
        quorum=quorum,
        electorate_size=checked["electorate_size"],
        options=options,
        ballots=tuple(
            ParsedBallot(ballot["receipt"], ballot["choice"], ballot.get("token"), ballot.get("prefix"),
                         ballot.get("signature"), ballot.get("seq"), ballot.get("cast_sig"))
            for ballot in checked["ballots"]
        ),
        totals=dict(checked["totals"]),
        outcome=checked["outcome"],
        public_key=checked.get("public_key"),
        signed_count=checked.get("signed_count"),
        receipt_key=checked.get("receipt_key"),
        issued=tuple(checked["issued"]) if "issued" in checked else None,
    )


# --- recounting ------------------------------------------------------------------------------------------

def _listed(findings: list[str], kind: str, items: list[str]) -> None:
    findings.extend(f"{kind}: {item}" for item in items[:_LISTED_PER_KIND])
    if len(items) > _LISTED_PER_KIND:
        findings.append(f"{kind}: and {len(items) - _LISTED_PER_KIND} more")


def _check_receipts(ballots: Sequence[ParsedBallot], findings: list[str]) -> None:
    receipts = [ballot.receipt for ballot in ballots]
    # Counting from 1, as a reader of the file would: the second ballot is "ballot 2".
    for number, (before, after) in enumerate(zip(receipts, receipts[1:], strict=False), start=2):
        if before > after:
            findings.append(f"ballots are not sorted by receipt: ballot {number} ({after}) "
                            f"comes after {before}")
            break
    repeated = sorted(receipt for receipt, count in Counter(receipts).items() if count > 1)
    _listed(findings, "receipt appears more than once", repeated)


def _valid_choices(
    parsed: ParsedResult,
    verify_ballot: Callable[[ParsedBallot], bool] | None,
    findings: list[str],
) -> list[str]:
    known = {option.id for option in parsed.options} | {ABSTAIN}
    choices: list[str] = []
    unknown: list[str] = []
    unverified: list[str] = []
    for ballot in parsed.ballots:
        if ballot.choice not in known:
            unknown.append(f"{ballot.receipt} chose {ballot.choice!r}")
            continue
        if verify_ballot is not None:
            # The verifier answers False or raises ValueError with its reason; anything else is a bug
            # in the verifier and should stay loud rather than pass as a bad ballot.
            try:
                good, reason = bool(verify_ballot(ballot)), "does not verify"
            except ValueError as error:
                good, reason = False, str(error) or "does not verify"
            if not good:
                unverified.append(f"{ballot.receipt} {reason}")
                continue
        choices.append(ballot.choice)
    # Invalid ballots are left out of the recount: they are not votes, whatever the file counted.
    _listed(findings, "ballot choice is not an option (not counted)", unknown)
    _listed(findings, "ballot fails verification (not counted)", unverified)
    return choices


def recount(
    parsed: ParsedResult,
    verify_ballot: Callable[[ParsedBallot], bool] | None = None,
) -> Recount:
    """Recompute totals and outcome from the ballots alone and list every difference from the claims.

    `verify_ballot(ballot)` (optional) returns True for a genuine ballot and False, or raises ValueError
    with a reason, for one that is not; failing ballots are reported and not counted.
    """
    findings: list[str] = []
    _check_receipts(parsed.ballots, findings)
    if parsed.issued is not None:
        # The names are published to the electorate: each can say "I took none", so the count is checked.
        if len(set(parsed.issued)) != len(parsed.issued):
            findings.append("the list of voters who took a ballot names someone twice")
        if parsed.signed_count != len(parsed.issued):
            findings.append(f"the result says {parsed.signed_count} ballots were signed but names "
                            f"{len(parsed.issued)} voters who took one")
    elif parsed.receipt_key is not None:
        findings.append("the result does not name the voters who took a ballot, so its count cannot be checked")
    if parsed.signed_count is not None:
        if len(parsed.ballots) > parsed.signed_count:
            findings.append(f"{len(parsed.ballots)} ballots published but only {parsed.signed_count} "
                            f"were signed")
        if parsed.signed_count > parsed.electorate_size:
            findings.append(f"{parsed.signed_count} ballots signed for an electorate of "
                            f"{parsed.electorate_size}")
    choices = _valid_choices(parsed, verify_ballot, findings)
    cast = len(choices)
    # More ballots than voters has no outcome; tally against a large-enough electorate only to get the
    # totals to show, and report the overflow instead of an outcome.
    overflow = cast > parsed.electorate_size
    counted = tally(parsed.options, choices, rule=parsed.rule, threshold=parsed.threshold,
                    quorum=parsed.quorum, electorate_size=max(parsed.electorate_size, cast))
    outcome: str | None = counted.outcome
    quorum_met: bool | None = counted.quorum_met
    if overflow:
        findings.append(f"{cast} ballots counted but the electorate has only "
                        f"{parsed.electorate_size} members")
        outcome = quorum_met = None
    for key in [*counted.totals, *(key for key in parsed.totals if key not in counted.totals)]:
        claimed, recomputed = parsed.totals.get(key), counted.totals.get(key)
        if claimed != recomputed:
            findings.append(f"totals[{key!r}]: the file claims {'nothing' if claimed is None else claimed}, "
                            f"the ballots give {'nothing' if recomputed is None else recomputed}")
    if outcome is not None and parsed.outcome != outcome:
        findings.append(f"outcome: the file claims {parsed.outcome!r}, the ballots give {outcome!r}")
    return Recount(ok=not findings, findings=findings, totals=counted.totals, outcome=outcome,
                   cast=cast, quorum_met=quorum_met)
