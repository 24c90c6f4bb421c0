"""`conduct poll recount RESULT.json`: recount a published poll result and say whether it holds."""
from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from app.core.poll_result import ParsedBallot, ParsedResult, Recount, ResultFormatError, parse_result, recount
from app.core.tally import ABSTAIN, SEVERITY_THRESHOLD, rule_in_words, support_in_words

# Exit codes, so a workflow can tell "the record is wrong" from "the record cannot be read".
MATCHES, DIFFERS, UNREADABLE = 0, 1, 2


def _shown(value: object) -> str:
    return "-" if value is None else str(value)


# Given the parsed result, returns the per-ballot check (or None): the check needs the result's public key.
VerifierFactory = Callable[[ParsedResult], Callable[[ParsedBallot], bool] | None]


def _report(parsed: ParsedResult, counted: Recount, out: TextIO) -> None:
    threshold = f", threshold {parsed.threshold}" if parsed.rule == SEVERITY_THRESHOLD else ""
    out.write(f"Poll {parsed.poll}: rule {parsed.rule}{threshold}, "
              f"quorum {parsed.quorum}, electorate {parsed.electorate_size}\n")
    out.write(f"How it is counted: {rule_in_words(parsed.rule, parsed.threshold, parsed.quorum)}\n")
    quorum = {True: "met", False: "not met", None: "cannot be judged"}[counted.quorum_met]
    out.write(f"Ballots published: {len(parsed.ballots)}; counted: {counted.cast}; quorum {quorum}\n")
    rows = [(option.id, str(option.severity)) for option in sorted(parsed.options, key=lambda o: o.severity)]
    rows.append((ABSTAIN, ""))
    rows += [(key, "?") for key in parsed.totals if key not in counted.totals]
    width = max(len("option"), *(len(name) for name, _ in rows))
    backing = support_in_words(parsed.options, counted.totals, parsed.rule)
    out.write(f"  {'option':<{width}}  severity  claimed  recounted  deciding support\n")
    for name, severity in rows:
        claimed, recomputed = parsed.totals.get(name), counted.totals.get(name)
        mark = "" if claimed == recomputed else "  <-- differs"
        out.write(f"  {name:<{width}}  {severity:>8}  {_shown(claimed):>7}  {_shown(recomputed):>9}  "
                  f"{backing.get(name, '-')}{mark}\n")
    out.write(f"Outcome: claimed {parsed.outcome}, recounted {_shown(counted.outcome)}\n")
    if counted.findings:
        out.write("Findings:\n")
        out.writelines(f"  - {finding}\n" for finding in counted.findings)
    out.write("Result: the published result matches its ballots.\n" if counted.ok
              else "Result: the published result does NOT match its ballots.\n")


def run(path: str, out: TextIO, make_verifier: VerifierFactory | None = None) -> int:
    """Recount the result at `path`, write an account to `out`; 0 matches, 1 differs, 2 malformed.

    `make_verifier`, when given, builds the per-ballot signature check from the parsed result.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        out.write(f"Cannot read {path}: {error.strerror or error}\n")
        return UNREADABLE
    try:
        parsed = parse_result(raw)
    except ResultFormatError as error:
        out.write(f"{path} is not a well-formed poll result: {error}\n")
        return UNREADABLE
    counted = recount(parsed, make_verifier(parsed) if make_verifier else None)
    _report(parsed, counted, out)
    return MATCHES if counted.ok else DIFFERS
