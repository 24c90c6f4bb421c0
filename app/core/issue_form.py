"""GitHub issue forms as our own pages: load a form, check answers, file them as GitHub formats them."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from app.core.neutralise import neutralise_block, neutralise_inline

# GitHub refuses an issue body longer than this many characters.
MAX_BODY = 65_536
NO_RESPONSE = "_No response_"

Answers = Mapping[str, "str | list[str]"]


class FormInvalid(ValueError):
    """The form file cannot be used; every problem is listed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Lenient(BaseModel):
    # GitHub adds keys to the schema over time (`type`, `projects`, ...); an unknown key must not stop
    # the desk from showing a form GitHub itself accepts. The keys GitHub requires stay required.
    model_config = ConfigDict(extra="ignore", frozen=True)


def _id(value: Any) -> str:
    # GitHub: "can only contain alpha-numeric characters, -, and _". We need one on every question,
    # because answers come back from our HTML form keyed by it.
    if not isinstance(value, str) or not value or not all(c.isascii() and (c.isalnum() or c in "-_")
                                                          for c in value):
        raise ValueError(f"{value!r} is not an id: use letters, digits, - and _")
    return value


FieldId = Annotated[str, BeforeValidator(_id)]


class Validations(_Lenient):
    required: bool = False


class MarkdownAttributes(_Lenient):
    value: str


class TextAttributes(_Lenient):
    label: str = Field(min_length=1)
    description: str = ""
    placeholder: str = ""
    value: str = ""


class TextareaAttributes(TextAttributes):
    render: str | None = None


class DropdownAttributes(_Lenient):
    label: str = Field(min_length=1)
    description: str = ""
    multiple: bool = False
    options: list[str] = Field(min_length=1)
    default: int | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        # YAML reads an unquoted `- 1.0` or `- yes` as a number or boolean; GitHub shows it as written.
        if not isinstance(value, list):
            return value
        return [str(v) if isinstance(v, int | float | bool) else v for v in value]

    @model_validator(mode="after")
    def _distinct(self) -> DropdownAttributes:
        if len(set(self.options)) != len(self.options):
            raise ValueError("dropdown options must be distinct")
        if self.default is not None and not 0 <= self.default < len(self.options):
            raise ValueError(f"default {self.default} is not the index of an option")
        return self


class CheckboxOption(_Lenient):
    label: str = Field(min_length=1)
    required: bool = False


class CheckboxesAttributes(_Lenient):
    label: str = Field(min_length=1)
    description: str = ""
    options: list[CheckboxOption] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> CheckboxesAttributes:
        labels = [option.label for option in self.options]
        if len(set(labels)) != len(labels):
            raise ValueError("checkbox labels must be distinct")
        return self


class MarkdownItem(_Lenient):
    type: Literal["markdown"]
    attributes: MarkdownAttributes


class InputField(_Lenient):
    type: Literal["input"]
    id: FieldId
    attributes: TextAttributes
    validations: Validations = Validations()


class TextareaField(_Lenient):
    type: Literal["textarea"]
    id: FieldId
    attributes: TextareaAttributes
    validations: Validations = Validations()


class DropdownField(_Lenient):
    type: Literal["dropdown"]
    id: FieldId
    attributes: DropdownAttributes
    validations: Validations = Validations()


class CheckboxesField(_Lenient):
    type: Literal["checkboxes"]
    id: FieldId
    attributes: CheckboxesAttributes
    # GitHub puts `required` on each checkbox, not on the group; a group-level one is ignored there too.
    validations: Validations = Validations()


Question = InputField | TextareaField | DropdownField | CheckboxesField
Item = Annotated[MarkdownItem | Question, Field(discriminator="type")]


def _labels(value: Any) -> Any:
    # GitHub takes labels as a list or as one comma-separated string.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Form(_Lenient):
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    title: str = ""
    labels: Annotated[list[str], BeforeValidator(_labels)] = []
    body: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Form:
        ids = [field.id for field in self.fields]
        labels = [field.attributes.label for field in self.fields]
        if len(set(ids)) != len(ids):
            raise ValueError("two questions share an id")
        # The filed body finds each answer by its heading, so two questions cannot share a label.
        if len(set(labels)) != len(labels):
            raise ValueError("two questions share a label")
        if not self.fields:
            raise ValueError("the form asks nothing: it has only markdown")
        return self

    @property
    def fields(self) -> tuple[Question, ...]:
        """The questions, in order: every body item except markdown."""
        return tuple(item for item in self.body if not isinstance(item, MarkdownItem))

    def field(self, field_id: str) -> Question | None:
        return next((field for field in self.fields if field.id == field_id), None)


def form_from_document(document: object) -> Form:
    """Validate a parsed issue form (`.github/ISSUE_TEMPLATE/*.yml`); raise FormInvalid naming each problem."""
    if not isinstance(document, dict):
        raise FormInvalid(["an issue form is a mapping with name, description and body"])
    try:
        return Form.model_validate(document)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"])
            problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}" if where else item["msg"])
        raise FormInvalid(problems) from None


# --- answers -------------------------------------------------------------------------------------------


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [item for item in value if item.strip()]


def field_problems(form: Form, answers: Answers) -> dict[str, list[str]]:
    """Problems keyed by question id ("" for the form as a whole), for showing next to each question."""
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        problems.setdefault(key, []).append(message)

    for key in answers:
        if form.field(key) is None:
            add("", f"{key!r} is not a question on this form")
    for field in form.fields:
        label = field.attributes.label
        value = answers.get(field.id)
        if isinstance(field, InputField | TextareaField):
            if value is not None and not isinstance(value, str):
                add(field.id, f"“{label}” takes one text answer")
            elif field.validations.required and not (value or "").strip():
                add(field.id, f"“{label}” needs an answer")
            elif isinstance(field, InputField) and value and ("\n" in value or "\r" in value):
                add(field.id, f"“{label}” takes one line")
        elif isinstance(field, DropdownField):
            chosen = _as_list(value)
            for choice in chosen:
                if choice not in field.attributes.options:
                    add(field.id, f"“{choice}” is not one of the options for “{label}”")
            if len(chosen) > 1 and not field.attributes.multiple:
                add(field.id, f"“{label}” takes one option")
            if field.validations.required and not chosen:
                add(field.id, f"“{label}” needs an answer")
        else:
            ticked = _as_list(value)
            offered = [option.label for option in field.attributes.options]
            for choice in ticked:
                if choice not in offered:
                    add(field.id, f"“{choice}” is not one of the options for “{label}”")
            for option in field.attributes.options:
                if option.required and option.label not in ticked:
                    add(field.id, f"“{label}”: please tick “{option.label}”")
    if not problems:
        length = len(format_answers(form, answers))
        if length > MAX_BODY:
            add("", f"the answers are too long for GitHub: {length:,} characters, at most {MAX_BODY:,}")
    return problems


def validate_answers(form: Form, answers: Answers) -> list[str]:
    """Every problem with the answers: missing required ones, options not offered, too long."""
    return [message for messages in field_problems(form, answers).values() for message in messages]


def _answer(field: Question, value: str | list[str] | None) -> str:
    if isinstance(field, InputField):
        return neutralise_inline(value if isinstance(value, str) else "") or NO_RESPONSE
    if isinstance(field, TextareaField):
        text = value if isinstance(value, str) else ""
        return neutralise_block(text, field.attributes.render or "text") or NO_RESPONSE
    if isinstance(field, DropdownField):
        chosen = set(_as_list(value))
        # In the form's order, so that the same choices always read the same way.
        return ", ".join(option for option in field.attributes.options if option in chosen) or NO_RESPONSE
    ticked = set(_as_list(value))
    return "\n".join(f"- [{'X' if option.label in ticked else ' '}] {option.label}"
                     for option in field.attributes.options)


def format_answers(form: Form, answers: Answers) -> str:
    """The answers as GitHub files an issue form's answers, with the reporter's own text made inert.

    GitHub's format, checked against issue bodies GitHub created from forms (react-hook-form issue
    #7315 and pydata/xarray bug reports, as returned by the REST API), and the form schema docs
    (github/docs, syntax-for-githubs-form-schema.md):
    - each question (markdown items are not submitted) is `### {label}`, a blank line, the answer;
      questions are separated by a blank line, and the body has no trailing newline;
    - an empty answer is `_No response_`;
    - a dropdown's choices are joined with ", ";
    - checkboxes list every option as `- [X] label` or `- [ ] label` (capital X, as GitHub writes it);
    - a textarea with `render: lang` is filed as a ```lang fenced block.
    Where we differ, on purpose: GitHub copies input and textarea answers as raw Markdown, so they can
    ping, reference, load images and run HTML. Ours are neutralised (app/core/neutralise.py): an input
    answer becomes an inline code span and every textarea answer a fenced block (`text` unless the form
    says `render:`). Labels, dropdown options and checkbox labels come from our own form file, not from
    the reporter (validate_answers refuses any option the form does not offer), so they are kept as is.
    """
    sections = [f"### {field.attributes.label}\n\n{_answer(field, answers.get(field.id))}"
                for field in form.fields]
    return "\n\n".join(sections)
