"""Benchmark: blind_sign and verify throughput (operations per second) at 3072 and 4096 bits.

blind_sign runs on GMP (gmpy2) where installed and on Python's own integers otherwise; both are measured,
and OpenSSL's own RSA-PSS signature (the same private-key operation, through `cryptography`) is the
reference, in the same run.
"""

import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere

from cryptography.hazmat.primitives import hashes  # noqa: E402

from app.ballots import bigint, blindrsa  # noqa: E402


def _python_ints(fn):
    def run():
        saved, bigint.gmpy2 = bigint.gmpy2, None
        try:
            return fn()
        finally:
            bigint.gmpy2 = saved
    return run


def _rate(fn, seconds: float = 2.0) -> tuple[float, int]:
    """Run fn repeatedly for about `seconds`; return (operations per second, operations run)."""
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed, count


def main() -> None:
    for bits in (3072, 4096):
        key = blindrsa.generate_key(bits)
        public = key.public_key()
        token = b"bench-token-" + bytes(20)
        prefix, input_msg = blindrsa.prepare(token)
        blinded, inv = blindrsa.blind(public, input_msg)
        blind_sig = blindrsa.blind_sign(key, blinded)
        sig = blindrsa.finalize(public, input_msg, blind_sig, inv)
        if not blindrsa.verify(public, prefix, token, sig):
            raise SystemExit("round trip failed; not benchmarking")

        rows = {
            f"blind_sign ({bigint.BACKEND})": partial(blindrsa.blind_sign, key, blinded),
            "blind_sign (python ints)": _python_ints(partial(blindrsa.blind_sign, key, blinded)),
            "OpenSSL sign (ref.)": partial(key.sign, token, blindrsa._pss_padding(), hashes.SHA384()),
            "verify": partial(blindrsa.verify, public, prefix, token, sig),
            "blind (client)": partial(blindrsa.blind, public, input_msg),
            "finalize (client)": partial(blindrsa.finalize, public, input_msg, blind_sig, inv),
        }
        rates = {}
        for name, fn in rows.items():
            rate, count = _rate(fn)
            rates[name] = rate
            print(f"RSA-{bits} {name:<26} {rate:9.1f} ops/s  ({count} runs, {1000 / rate:7.3f} ms each)")
        reference = rates["OpenSSL sign (ref.)"]
        for name in (f"blind_sign ({bigint.BACKEND})", "blind_sign (python ints)"):
            print(f"RSA-{bits} {name:<26} {reference / rates[name]:9.1f}x the time of OpenSSL's private operation")


if __name__ == "__main__":
    main()
