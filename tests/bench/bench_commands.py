"""Benchmark: how long the command parser takes on GitHub's largest comments, ordinary and hostile."""
from __future__ import annotations

import time

from app.core.commands import new_commands, parse_commands

# GitHub caps a comment body at 65,536 characters.
LIMIT = 65_536


def _fill(unit: str) -> str:
    return (unit * (LIMIT // len(unit) + 1))[:LIMIT]


CASES = {
    "mixed markdown": _fill(
        "Some words about the case.\n/conduct note spoke with both parties\n> quoted\nlazy line\n\n"
        "```\n/conduct escalate\n```\n<!-- aside -->\n/conduct summary\nbody line\n\n"
    ),
    "all command lines": _fill("/conduct calm @user-1\n"),
    "one long line of backticks": _fill("`` ` ``` "),
    "one long line of comments": _fill("/conduct note <!-- a --> b "),
    "unclosed comment openers": _fill("<!--\n"),
    "nested quotes": _fill("> > > > text\n"),
    "one line of list markers": _fill("- "),
    "one line of quote markers": _fill(">  "),
    "one line of dashes and spaces": _fill("-  ") + "x",
}


def main() -> None:
    for name, body in CASES.items():
        rounds = 5
        start = time.perf_counter()
        for _ in range(rounds):
            found = parse_commands(body)
        parse_ms = (time.perf_counter() - start) / rounds * 1000
        start = time.perf_counter()
        new_commands(body, body)
        edit_ms = (time.perf_counter() - start) * 1000
        print(f"{name:28} {len(body):6} chars  {len(found):5} items  parse {parse_ms:7.1f} ms"
              f"  edit-compare {edit_ms:7.1f} ms")


if __name__ == "__main__":
    main()
