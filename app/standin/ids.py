"""Identifiers the stand-in hands out: numeric ids, GitHub-style node ids, tokens and timestamps."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from datetime import UTC, datetime

# GitHub's legacy global node id is base64("0<len(type)>:<Type><id>"), e.g. "MDU6SXNzdWUx" for Issue 1.
# Clients must treat node ids as opaque, so a decodable form is as good as the newer opaque one and
# lets `node(id:)` find the object without an index.
_LEGACY = re.compile(r"^0(\d+):([A-Za-z]+)(\d+)$")


def node_id(type_name: str, number: int) -> str:
    raw = f"0{len(type_name)}:{type_name}{number}"
    return base64.b64encode(raw.encode()).decode()


def parse_node_id(value: str) -> tuple[str, int] | None:
    """Return (type, id) for a node id this stand-in issued, or None for anything else."""
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    match = _LEGACY.match(raw)
    if not match or int(match.group(1)) != len(match.group(2)):
        return None
    return match.group(2), int(match.group(3))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with a `Z`, to the second, as GitHub writes timestamps."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token(prefix: str) -> str:
    """A token in GitHub's format: a type prefix (`ghs_`, `gho_`) and 36 base62-ish characters."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(36))
