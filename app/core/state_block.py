"""A case's authoritative state as a delimited block in a comment the app writes, and reading it back."""
from __future__ import annotations

import json
import re

from pydantic import ValidationError

from app.core.case import Case

BEGIN = "<!-- conduct-desk:state v1"
END = "-->"
_BLOCK = re.compile(re.escape(BEGIN) + r"\n(\{.*?\})\n" + re.escape(END), re.DOTALL)


class StateUnreadable(ValueError):
    """The block is there but does not hold a valid case; never guessed at, always reported."""


def encode(case: Case, visible: str = "") -> str:
    """The comment body: a readable part for mediators, then the state in an HTML comment.

    "<" and ">" are escaped inside the JSON (only strings can hold it), so no text a mediator wrote into a note
    can close the HTML comment early and spill the state, or forge a second block."""
    data = case.model_dump_json().replace("<", "\\u003c").replace(">", "\\u003e")
    return f"{visible.rstrip()}\n\n{BEGIN}\n{data}\n{END}\n"


def decode(body: str) -> Case | None:
    """The case in a comment body, or None if it has no state block. The caller must first check that
    the app itself wrote the comment: a reporter can paste a block into their own comment."""
    matches = _BLOCK.findall(body or "")
    if not matches:
        return None
    if len(matches) > 1:
        raise StateUnreadable("more than one state block in one comment")
    try:
        return Case.model_validate(json.loads(matches[0]))
    except (json.JSONDecodeError, ValidationError) as error:
        raise StateUnreadable(f"the state block does not hold a case: {type(error).__name__}") from None
