"""The private form's HTML page, drawn from an issue form: labels tied to inputs, no script."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.core.issue_form import (
    Answers,
    CheckboxesField,
    DropdownField,
    Form,
    InputField,
    MarkdownItem,
    Question,
    TextareaField,
)


@lru_cache(maxsize=1)
def _markdown():
    # The form's own Markdown (intro text, descriptions, checkbox labels) is ours, not a reporter's; it
    # is rendered with raw HTML off so that even a careless edit of a form file cannot put HTML in the page.
    return MarkdownIt("commonmark", {"html": False, "linkify": True}).enable("linkify")


@lru_cache(maxsize=1)
def _environment():
    # A page, so HTML autoescaping is on (unlike app/render/__init__.py, which renders Markdown for GitHub).
    env = Environment(loader=PackageLoader("app.render", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "html.j2"], default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["markdown"] = lambda text: Markup(_markdown().render(text))
    env.filters["markdown_inline"] = lambda text: Markup(_markdown().renderInline(text))
    return env


def _initial(field: Question, values: Answers | None) -> list[str]:
    """What a question shows: the reporter's last answer if they sent one, else the form's preset."""
    if values is not None and field.id in values:
        value = values[field.id]
        return [value] if isinstance(value, str) else list(value)
    if isinstance(field, InputField | TextareaField):
        return [field.attributes.value] if field.attributes.value else []
    if isinstance(field, DropdownField) and field.attributes.default is not None:
        return [field.attributes.options[field.attributes.default]]
    return []


def render_form_html(form: Form, action_url: str, csrf_token: str,
                     errors: Sequence[str] | Mapping[str, list[str]] = (),
                     values: Answers | None = None, css: str = "") -> str:
    """The form as a plain, accessible HTML page (no script): labels tied to inputs, required marked,
    descriptions and problems linked with aria-describedby. `errors` is validate_answers' list (shown
    at the top) or field_problems' mapping (also shown next to each question)."""
    by_field: Mapping[str, list[str]] = errors if isinstance(errors, Mapping) else {"": list(errors)}
    summary = [(key, message) for key, messages in by_field.items() for message in messages]
    questions = []
    for item in form.body:
        if isinstance(item, MarkdownItem):
            questions.append({"kind": "markdown", "text": item.attributes.value})
            continue
        questions.append({
            "kind": item.type, "field": item, "id": item.id, "dom": f"q-{item.id}",
            "attributes": item.attributes, "required": _is_required(item),
            "errors": list(by_field.get(item.id, [])), "initial": _initial(item, values),
        })
    return _environment().get_template("issue-form.html.j2").render(
        form=form, action_url=action_url, csrf_token=csrf_token, summary=summary, questions=questions, css=css)


def _is_required(field: Question) -> bool:
    if isinstance(field, CheckboxesField):
        return any(option.required for option in field.attributes.options)
    return field.validations.required
