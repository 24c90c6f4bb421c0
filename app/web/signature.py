"""Checks GitHub's X-Hub-Signature-256 over the raw body; anything but a well-formed SHA-256 is refused."""
from __future__ import annotations

import re

from githubkit.webhooks import verify

_SHA256 = re.compile(r"^sha256=[0-9a-f]{64}$")


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """True only for a valid `sha256=` signature. githubkit's verify would fall back to SHA-1 for any other
    prefix, so the shape is checked here first; its comparison is constant-time."""
    if not secret or not header or not _SHA256.match(header):
        return False
    return verify(secret, body, header)
