"""Durations as the policy and commands write them: a whole number and a unit (h, d, w)."""
from __future__ import annotations

import re
from datetime import timedelta

# Months and years are left out on purpose: their length varies, and a sanction's end must be exact.
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_PATTERN = re.compile(r"^([1-9][0-9]{0,4})([hdw])$")


class DurationError(ValueError):
    """A duration that is not a whole number followed by h, d or w."""


def parse_duration(text: str) -> timedelta:
    """Turn '36h', '14d' or '2w' into a timedelta; anything else raises DurationError."""
    match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise DurationError(f"{text!r} is not a duration: write a whole number and h, d or w, like 14d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(value: timedelta) -> str:
    """Write a timedelta back in the largest unit that divides it exactly."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h"):
        size = int(_UNITS[unit].total_seconds())
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise DurationError(f"{value} is not a whole number of hours")


def spoken_duration(value: timedelta) -> str:
    """The same duration in words, for the texts people read: '52w' -> '52 weeks', '1d' -> '1 day'."""
    text = format_duration(value)
    count, unit = int(text[:-1]), {"w": "week", "d": "day", "h": "hour"}[text[-1]]
    return f"{count} {unit}" + ("" if count == 1 else "s")
