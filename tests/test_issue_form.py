"""Issue forms as our own pages: real form files load, answers are checked and filed as GitHub files them."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.issue_form import (
    MAX_BODY,
    NO_RESPONSE,
    FormInvalid,
    field_problems,
    format_answers,
    validate_answers,
)
from app.core.neutralise import neutralise_block, neutralise_inline
from app.render.issue_form import render_form_html
from app.wiring.forms import load_form

FORMS = Path(__file__).resolve().parent.parent / ".github" / "ISSUE_TEMPLATE"
FORM_FILES = sorted(p for p in FORMS.glob("*.yml") if p.name != "config.yml") if FORMS.is_dir() else []

# A bug-report form shaped like the ones GitHub documents (syntax-for-githubs-form-schema), with every
# question type, a `render:` textarea and a multiple dropdown.
BUG_FORM = """
name: Bug report
description: Tell us what broke.
title: "[Bug]: "
labels: bug, triage
assignees: [maintainer-1]
type: Bug
body:
  - type: markdown
    attributes:
      value: "Thanks for taking the time to fill out this report!"
  - type: input
    id: version
    attributes:
      label: Version Number
    validations:
      required: true
  - type: textarea
    id: steps
    attributes:
      label: Steps to reproduce
      description: How do you trigger this bug?
  - type: dropdown
    id: browsers
    attributes:
      label: What browsers are you seeing the problem on?
      multiple: true
      options: [Firefox, Chrome, Safari]
  - type: dropdown
    id: severity
    attributes:
      label: Severity
      options: [Low, High]
      default: 0
    validations:
      required: true
  - type: textarea
    id: logs
    attributes:
      label: Relevant log output
      render: shell
  - type: checkboxes
    id: terms
    attributes:
      label: Code of Conduct
      options:
        - label: I agree to follow this project's Code of Conduct
          required: true
        - label: I searched existing issues
"""

# An issue body in the shape GitHub itself files for such a form. The shape (headings, blank lines, a
# reporter's "\r\n" kept inside a textarea answer, `_No response_`, "- [X]", no trailing newline) is
# that of bodies GitHub created, as the REST API returns them: react-hook-form/react-hook-form#7315
# and pydata/xarray bug reports ("### Relevant log output\n\n_No response_"); the fenced `render:`
# answer is that of browser-use bug reports ("### Code Sample\n\n```python\n...\n```"). Words are ours.
GITHUB_BODY = (
    "### Version Number\n\n7.22.1\n\n"
    "### Steps to reproduce\n\n1. Open the page, ask @maintainer-1\r\n2. See #12 and <b>this</b>\r\n\n\n"
    "### What browsers are you seeing the problem on?\n\nFirefox, Chrome\n\n"
    "### Severity\n\nHigh\n\n"
    "### Relevant log output\n\n_No response_\n\n"
    "### Code of Conduct\n\n- [X] I agree to follow this project's Code of Conduct\n"
    "- [ ] I searched existing issues"
)
GITHUB_ANSWERS = {
    "version": "7.22.1",
    "steps": "1. Open the page, ask @maintainer-1\r\n2. See #12 and <b>this</b>\r\n",
    "browsers": ["Chrome", "Firefox"],
    "severity": "High",
    "logs": "",
    "terms": ["I agree to follow this project's Code of Conduct"],
}


def sections(body: str) -> list[tuple[str, str]]:
    """An issue-form body split into (heading, answer) pairs, as issue-form parsers read it."""
    parts = re.split(r"(?:^|\n\n)### (.+)\n\n", body)
    assert parts[0] == ""
    return list(zip(parts[1::2], parts[2::2], strict=True))


@pytest.fixture(scope="module")
def bug():
    return load_form(BUG_FORM)


# --- loading -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_every_form_file_in_the_repository_loads_and_files_empty_answers(path):
    form = load_form(path.read_text())
    assert form.fields and all(field.id for field in form.fields)
    body = format_answers(form, {})
    assert [heading for heading, _ in sections(body)] == [f.attributes.label for f in form.fields]
    needs_answer = {f.id for f in form.fields if f.validations.required}
    needs_tick = {f.id for f in form.fields
                  if f.type == "checkboxes" and any(o.required for o in f.attributes.options)}
    assert set(field_problems(form, {})) == needs_answer | needs_tick


def test_the_private_report_form_files_a_full_report_without_problems():
    path = FORMS / "private-report.yml"
    if not path.exists():
        pytest.skip("the private report form is not in this tree")
    form = load_form(path.read_text())
    answers = {}
    for field in form.fields:
        if field.type in ("input", "textarea"):
            answers[field.id] = f"answer for {field.id}"
        elif field.type == "dropdown":
            answers[field.id] = field.attributes.options[-1]
        else:
            answers[field.id] = [option.label for option in field.attributes.options]
    assert validate_answers(form, answers) == []
    assert NO_RESPONSE not in format_answers(form, answers)


def test_a_form_loads_with_keys_we_do_not_know_and_labels_as_a_string(bug):
    assert bug.labels == ["bug", "triage"]
    assert [f.id for f in bug.fields] == ["version", "steps", "browsers", "severity", "logs", "terms"]
    assert len(bug.body) == 7


@pytest.mark.parametrize("broken, complaint", [
    ("description: x\nbody: [{type: input, id: a, attributes: {label: A}}]", "name"),
    ("name: x\ndescription: x\nbody: []", "body"),
    ("name: x\ndescription: x\nbody: [{type: input, attributes: {label: A}}]", "id"),
    ("name: x\ndescription: x\nbody: [{type: input, id: 'a b', attributes: {label: A}}]", "not an id"),
    ("name: x\ndescription: x\nbody: [{type: input, id: a, attributes: {}}]", "label"),
    ("name: x\ndescription: x\nbody: [{type: dropdown, id: a, attributes: {label: A, options: [x, x]}}]",
     "distinct"),
    ("name: x\ndescription: x\nbody: [{type: dropdown, id: a,"
     " attributes: {label: A, options: [x], default: 3}}]", "default"),
    ("name: x\ndescription: x\nbody: [{type: input, id: a, attributes: {label: A}},"
     " {type: input, id: a, attributes: {label: B}}]", "share an id"),
    ("name: x\ndescription: x\nbody: [{type: input, id: a, attributes: {label: A}},"
     " {type: input, id: b, attributes: {label: A}}]", "share a label"),
    ("name: x\ndescription: x\nbody: [{type: markdown, attributes: {value: hi}}]", "asks nothing"),
    ("name: x\ndescription: x\nbody: [{type: radio, id: a, attributes: {label: A}}]", "type"),
    ("- just a list", "mapping"),
    ("name: [unclosed", "not YAML"),
])
def test_a_broken_form_is_refused_with_the_reason(broken, complaint):
    with pytest.raises(FormInvalid) as refused:
        load_form(broken)
    assert complaint in str(refused.value)


# --- the body, as GitHub files it -----------------------------------------------------------------------


def test_the_body_has_githubs_shape_and_only_free_text_is_neutralised(bug):
    ours = sections(format_answers(bug, GITHUB_ANSWERS))
    theirs = sections(GITHUB_BODY)
    assert [h for h, _ in ours] == [h for h, _ in theirs]
    for (heading, our_answer), (_, their_answer), field in zip(ours, theirs, bug.fields, strict=True):
        if field.type == "input":
            assert our_answer == neutralise_inline(their_answer), heading
        elif field.type == "textarea" and their_answer != NO_RESPONSE:
            assert our_answer == neutralise_block(their_answer, field.attributes.render or "text"), heading
        else:
            assert our_answer == their_answer, heading


def test_a_rendered_textarea_is_fenced_in_its_language(bug):
    body = format_answers(bug, {"logs": "Traceback (most recent call last):\n  boom"})
    expected = "```shell\nTraceback (most recent call last):\n  boom\n```"
    assert dict(sections(body))["Relevant log output"] == expected


def test_the_body_ends_without_a_trailing_newline_like_githubs(bug):
    body = format_answers(bug, GITHUB_ANSWERS)
    assert body.endswith("- [ ] I searched existing issues") and GITHUB_BODY.endswith(body[-20:])


answer_pieces = list("ab @#<>!`[]()\n\r-_/:*~|") + ["GH-1", "![i](x)", "<!--", "### h\n\n"]
answer_text = st.lists(st.sampled_from(answer_pieces), max_size=30).map("".join)


@settings(max_examples=150, deadline=None)
@given(version=answer_text, steps=answer_text, logs=answer_text,
       browsers=st.lists(st.sampled_from(["Firefox", "Chrome", "Safari"]), unique=True),
       terms=st.lists(st.sampled_from(["I agree to follow this project's Code of Conduct",
                                        "I searched existing issues"]), unique=True))
def test_any_answers_give_one_section_per_question_and_nothing_that_links_or_loads(
        bug, version, steps, logs, browsers, terms):
    answers = {"version": version, "steps": steps, "logs": logs, "browsers": browsers, "terms": terms}
    body = format_answers(bug, answers)
    html = cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE)
    assert re.findall(r"<h3>(.*?)</h3>", html) == [f.attributes.label for f in bug.fields]
    assert not re.search(r"<(?!/?(?:h3|p|em|pre|code|ul|li|input)\b)", html)
    outside_code = re.sub(r"<(pre|code)\b.*?</\1>", "", html, flags=re.S)
    assert not re.search(r"(?<![\w`])@\w|#\d|<img|<a ", outside_code)


# --- checking answers -----------------------------------------------------------------------------------


def test_missing_required_answers_are_named(bug):
    problems = validate_answers(bug, {"version": "  ", "severity": ""})
    assert any("Version Number" in p and "needs an answer" in p for p in problems)
    assert any("Severity" in p for p in problems)
    assert any("Code of Conduct" in p and "tick" in p for p in problems)
    assert not any("Steps to reproduce" in p for p in problems)


def test_options_the_form_does_not_offer_are_refused(bug):
    good = {"version": "1", "severity": "Low", "terms": ["I agree to follow this project's Code of Conduct"]}
    assert validate_answers(bug, good) == []
    opera = validate_answers(bug, {**good, "browsers": ["Opera"]})
    assert "“Opera” is not one of the options" in opera[0]
    assert "takes one option" in validate_answers(bug, {**good, "severity": ["Low", "High"]})[0]
    assert "not one of the options" in validate_answers(bug, {**good, "terms": [*good["terms"], "I lied"]})[0]
    assert "not a question" in validate_answers(bug, {**good, "extra": "x"})[0]
    assert "one line" in validate_answers(bug, {**good, "version": "1\n2"})[0]
    assert "one text answer" in validate_answers(bug, {**good, "steps": ["a", "b"]})[0]


def test_answers_longer_than_github_takes_are_refused(bug):
    good = {"version": "1", "severity": "Low", "terms": ["I agree to follow this project's Code of Conduct"]}
    room = MAX_BODY - len(format_answers(bug, {**good, "steps": "x"})) + 1
    assert validate_answers(bug, {**good, "steps": "x" * room}) == []
    (problem,) = validate_answers(bug, {**good, "steps": "x" * (room + 1)})
    assert "too long" in problem and "65,536" in problem


def test_problems_are_kept_per_question_for_the_page(bug):
    problems = field_problems(bug, {"browsers": ["Opera"], "nope": "x"})
    assert set(problems) == {"", "version", "browsers", "severity", "terms"}


# --- the page -------------------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.stack: list[str] = []
        self.controls_in_fieldset: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"])
        if tag in ("input", "select", "textarea") and "fieldset" in self.stack:
            self.controls_in_fieldset.add(attributes.get("id") or "")
        if tag not in ("input", "meta", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)


def page(html: str) -> _Page:
    parsed = _Page()
    parsed.feed(html)
    return parsed


@pytest.mark.parametrize("source", [BUG_FORM, *[p.read_text() for p in FORM_FILES]])
def test_every_control_has_a_label_and_its_descriptions_exist(source):
    form = load_form(source)
    html = render_form_html(form, "/forms/x", "csrf-1", field_problems(form, {}), {})
    parsed = page(html)
    controls = [(t, a) for t, a in parsed.elements
                if t in ("input", "select", "textarea") and a.get("type") != "hidden"]
    assert controls
    for _, attributes in controls:
        assert attributes["id"] in parsed.label_for
        for described in (attributes.get("aria-describedby") or "").split():
            assert described in parsed.ids
    for tag, attributes in parsed.elements:
        if tag == "fieldset":
            for described in (attributes.get("aria-describedby") or "").split():
                assert described in parsed.ids
    assert not any(tag == "script" for tag, _ in parsed.elements)
    hidden = [a for t, a in parsed.elements if t == "input" and a.get("type") == "hidden"]
    assert hidden == [{"type": "hidden", "name": "csrf_token", "value": "csrf-1"}]


def test_required_questions_are_marked_and_a_problem_is_tied_to_its_question(bug):
    html = render_form_html(bug, "/forms/bug", "t", field_problems(bug, {}), {})
    parsed = page(html)
    version = next(a for t, a in parsed.elements if a.get("id") == "q-version")
    assert "required" in version and version["aria-invalid"] == "true"
    assert "q-version-problems" in version["aria-describedby"].split()
    steps = next(a for t, a in parsed.elements if a.get("id") == "q-steps")
    assert "required" not in steps and steps["aria-describedby"] == "q-steps-description"
    assert any(t == "a" and a.get("href") == "#q-version" for t, a in parsed.elements)
    assert any(a.get("role") == "alert" for _, a in parsed.elements)


def test_answers_are_shown_again_escaped_and_presets_fill_a_blank_form(bug):
    hostile = '"><script>alert(1)</script>'
    html = render_form_html(bug, "/forms/bug", "t", [], {"version": hostile, "steps": "</textarea><b>x",
                                                         "browsers": ["Chrome"]})
    parsed = page(html)
    assert not any(t in ("script", "b") for t, _ in parsed.elements)
    version = next(a for t, a in parsed.elements if a.get("id") == "q-version")
    assert version["value"] == hostile
    assert "</textarea><b>x" in "".join(parsed.text)
    chrome = next(a for t, a in parsed.elements if a.get("value") == "Chrome")
    assert "checked" in chrome
    blank = page(render_form_html(bug, "/forms/bug", "t"))
    low = next(a for t, a in blank.elements if t == "option" and a.get("value") == "Low")
    assert "selected" in low
