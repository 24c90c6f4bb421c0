"""Reads an issue form's YAML (`.github/ISSUE_TEMPLATE/*.yml`) into the core's form model."""
from __future__ import annotations

import yaml

from app.core.issue_form import Form, FormInvalid, form_from_document


def load_form(yaml_text: str) -> Form:
    """Parse an issue form; raise FormInvalid naming each problem."""
    try:
        document = yaml.safe_load(yaml_text)
    except yaml.YAMLError as error:
        raise FormInvalid([f"not YAML: {error}"]) from None
    return form_from_document(document)
