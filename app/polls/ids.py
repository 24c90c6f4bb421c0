"""Poll ids (`C-2026-014/1`) and their URL form (`C-2026-014-1`), which needs no percent-encoding."""
from __future__ import annotations

import re

from app.core.case import is_code_name

# A poll id is the case's code name, a slash and the poll's number within the case. URLs use a hyphen
# instead of the slash: a slash would be a path separator, and %2F is decoded (or refused) differently
# by proxies and frameworks. The case code itself ends in digits, so the last hyphen is unambiguous.
_POLL_ID = re.compile(r"^(C-\d{4}-\d{3,})/([1-9]\d{0,5})$")
_SLUG = re.compile(r"^(C-\d{4}-\d{3,})-([1-9]\d{0,5})$")


def make_poll_id(case_code: str, number: int) -> str:
    if not is_code_name(case_code) or number < 1:
        raise ValueError(f"no poll {number!r} for case {case_code!r}")
    return f"{case_code}/{number}"


def to_slug(poll_id: str) -> str:
    """`C-2026-014/1` -> `C-2026-014-1`."""
    match = _POLL_ID.match(poll_id)
    if not match:
        raise ValueError(f"{poll_id!r} is not a poll id")
    return f"{match.group(1)}-{match.group(2)}"


def from_slug(slug: str) -> str | None:
    """`C-2026-014-1` -> `C-2026-014/1`; None for anything else, so a route can answer 404."""
    match = _SLUG.match(slug)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def ballot_url(public_url: str, poll_id: str) -> str:
    """The signed-in page that issues ballots; under /ballot/, where the sign-in cookie goes (never /polls/)."""
    return f"{public_url.rstrip('/')}/ballot/{to_slug(poll_id)}"

