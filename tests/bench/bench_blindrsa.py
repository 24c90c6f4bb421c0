"""Benchmark: blind_sign and verify throughput (operations per second) at 3072 and 4096 bits."""

import time
from functools import partial

from app.ballots import blindrsa


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
            "blind_sign": partial(blindrsa.blind_sign, key, blinded),
            "verify": partial(blindrsa.verify, public, prefix, token, sig),
            "blind (client)": partial(blindrsa.blind, public, input_msg),
            "finalize (client)": partial(blindrsa.finalize, public, input_msg, blind_sig, inv),
        }
        for name, fn in rows.items():
            rate, count = _rate(fn)
            print(f"RSA-{bits} {name:<18} {rate:9.1f} ops/s  ({count} runs, {1000 / rate:7.3f} ms each)")


if __name__ == "__main__":
    main()
