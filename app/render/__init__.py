"""Renders the Jinja2 templates in app/templates for comments, posts and pages."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from app.core.durations import format_duration, spoken_duration
from app.core.history_bound import SHOWN
from app.core.neutralise import inert_markers, neutralise_inline

CHANNEL_NAMES = {"form": "private form", "issue": "public issue form", "signal": "in-thread signal",
                 "block": "block made by hand"}


def when(value: datetime) -> str:
    """A time as people read it in a comment: always UTC, to the minute."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(value: timedelta) -> str:
    return format_duration(value)


def table_cell(value: str) -> str:
    """Text someone wrote, as an inert code span that stays in its table cell: GFM splits cells at every
    unescaped "|", even inside code, and shows an escaped one as "|"."""
    return neutralise_inline(value).replace("|", "\\|")


def finalize(value: object) -> object:
    """Every value a template prints: no "<!--" or "-->" from it, whoever wrote it (see neutralise)."""
    text = str(value)
    return inert_markers(text) if "<!--" in text or "-->" in text else value


@lru_cache(maxsize=1)
def environment() -> Environment:
    # Markdown, not HTML: autoescape stays off here, and text copied from reporters is neutralised
    # before it ever reaches a template.
    env = Environment(loader=PackageLoader("app.render", "templates"), undefined=StrictUndefined,
                      keep_trailing_newline=True, autoescape=False, trim_blocks=False,
                      finalize=finalize)
    env.filters["when"] = when
    env.filters["duration"] = duration
    env.filters["code"] = neutralise_inline
    env.filters["cell"] = table_cell
    env.filters["spoken"] = spoken_duration
    env.globals["channel_names"] = CHANNEL_NAMES
    env.globals["state_rows"] = SHOWN  # the audit rows a state comment lists (the rest are counted)
    return env


def render(template: str, context: dict | None = None) -> str:
    return environment().get_template(template).render(**(context or {}))
