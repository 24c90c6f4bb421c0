"""Time the tally (both rules) and a build + write + parse + recount round trip at 100,000 ballots."""
from __future__ import annotations

import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere

from app.ballots.blindrsa import b64url_encode  # noqa: E402
from app.core.poll_result import build_result, parse_result, recount, result_to_json  # noqa: E402
from app.core.tally import ABSTAIN, PLURALITY, SEVERITY_THRESHOLD, Option, tally  # noqa: E402

BALLOTS = 100_000
OPTIONS = [Option("no-action", 0), Option("warning", 1), Option("temporary-ban", 3), Option("ban", 5)]


def timed(label: str, action, repeat: int = 3):
    """Run `action` `repeat` times and print the best wall time; return its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best * 1000:9.1f} ms")
    return result


def main() -> None:
    rng = random.Random(2026)  # fixed seed: the same ballots on every run, so numbers compare
    choices = [rng.choice([option.id for option in OPTIONS] + [ABSTAIN]) for _ in range(BALLOTS)]
    receipts = [f"{rng.getrandbits(128):032x}" for _ in range(BALLOTS)]
    ballots = list(zip(receipts, choices, strict=True))
    settings = {"threshold": Fraction(2, 3), "quorum": Fraction(1, 2), "electorate_size": BALLOTS}
    print(f"{BALLOTS:,} ballots, {len(OPTIONS)} options, Python {sys.version.split()[0]}")
    for rule in (SEVERITY_THRESHOLD, PLURALITY):
        timed(f"tally ({rule})", lambda rule=rule: tally(OPTIONS, choices, rule=rule, **settings))

    def build():
        return build_result("C-2026-014/1", OPTIONS, ballots, SEVERITY_THRESHOLD, **settings)

    document = timed("build_result", build)
    text = timed("result_to_json", lambda: result_to_json(document))
    parsed = timed("parse_result (JSON text)", lambda: parse_result(text))
    counted = timed("recount", lambda: recount(parsed))
    timed("recount with a trivial verify_ballot", lambda: recount(parsed, verify_ballot=lambda ballot: True))
    timed("build + write + parse + recount, end to end",
          lambda: recount(parse_result(result_to_json(build()))), repeat=1)
    print(f"document size {len(text.encode()) / 1e6:.1f} MB without signatures; recount ok={counted.ok}, "
          f"outcome={counted.outcome}")
    # The published record carries each ballot's token, prefix and 3072-bit signature as well (what a
    # recount verifies): the same 100,000 ballots with fields of exactly those sizes.
    token, prefix, signature = (b64url_encode(rng.randbytes(n)) for n in (32, 32, 384))
    signed = [(receipt, choice, {"token": token, "prefix": prefix, "signature": signature})
              for receipt, choice in ballots]
    record = timed("build_result + result_to_json, with signatures",
                   lambda: result_to_json(build_result("C-2026-014/1", OPTIONS, signed, SEVERITY_THRESHOLD,
                                                       **settings)), repeat=1)
    print(f"the published record with signatures (3072-bit key): {len(record.encode()) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
