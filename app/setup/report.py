"""Setup's findings: one line per item, OK / MISSING / ACTION NEEDED, and the exit status they imply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "OK"
    MISSING = "MISSING"  # setup can create it: `--apply` does
    ACTION = "ACTION NEEDED"  # only a person can: the detail says what to click, where
    CREATED = "CREATED"  # made by this `--apply` run (and checked again afterwards)


Fix = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Finding:
    key: str  # stable id, e.g. "label example-org/conduct-cases stage: intake"
    status: Status
    detail: str
    fix: Fix | None = None  # how `--apply` creates a MISSING item

    def line(self) -> str:
        return f"{self.status.value:<13} {self.key}: {self.detail}"


def render(findings: Iterable[Finding]) -> str:
    return "\n".join(f.line() for f in findings)


def passed(findings: Iterable[Finding]) -> bool:
    """Ready: nothing missing and nothing for a person to do."""
    return all(f.status in (Status.OK, Status.CREATED) for f in findings)


def exit_code(findings: Iterable[Finding]) -> int:
    return 0 if passed(findings) else 1
