"""Reporter text copied to GitHub stays inert: parsed as GitHub Markdown it pings, links and loads nothing."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from app.core.neutralise import inert_markers, neutralise_block, neutralise_inline

# GitHub's own Markdown parser (cmark-gfm, through the cmarkgfm bindings), with raw HTML let through
# so that any HTML the text managed to inject would show up as a tag in the output.
_GFM_OPTIONS = Options.CMARK_OPT_UNSAFE


def gfm(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=_GFM_OPTIONS)


# The patterns GitHub's filters link in text that is not inside code, pre or a link.
GITHUB_AUTOLINKS = {
    "mention": re.compile(r"(?:^|[^\w`])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][\w-]*)?"),
    "issue": re.compile(r"(?:^|[^\w&])#\d+\b"),
    "gh-issue": re.compile(r"\bGH-\d+\b", re.IGNORECASE),
    "repo-issue": re.compile(r"\b[\w.-]+/[\w.-]+#\d+\b"),
    "commit": re.compile(r"\b[0-9a-f]{7,40}\b"),
    "url": re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE),
}


class _Reader(HTMLParser):
    """Walks rendered HTML: which tags occur, text outside code, text inside code, and any comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.comments: list[str] = []
        self.outside: list[str] = []
        self.inside: list[str] = []
        self._code = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag in ("code", "pre"):
            self._code += 1

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_endtag(self, tag):
        if tag in ("code", "pre"):
            self._code -= 1

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_data(self, data):
        (self.inside if self._code else self.outside).append(data)


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def autolinks_outside_code(markdown: str) -> dict[str, list[str]]:
    """What GitHub would link: each autolink pattern's matches in the rendered text outside code."""
    text = "\n".join(read(gfm(markdown)).outside)
    return {name: found for name, pattern in GITHUB_AUTOLINKS.items() if (found := pattern.findall(text))}


_MD = MarkdownIt("gfm-like")  # tables, strikethrough, linkify (bare URLs), raw HTML on


def markdown_it_risks(markdown: str) -> list[str]:
    """Token types that would link, embed or run something; and text tokens outside code."""
    risky = {"image", "link_open", "html_inline", "html_block"}
    found: list[str] = []
    for token in _MD.parse(markdown):
        for item in [token, *(token.children or [])]:
            if item.type in risky:
                found.append(item.type)
            elif item.type == "text" and item.content.strip():
                found.append("text outside code")
    return found


# Fragments a reporter might paste: each one, raw, makes GitHub ping, link, load, hide or format something.
DANGEROUS = [
    "@reporter-1", "@example-org/mediators", "ping @sc-1!", "#123", "GH-42", "example-org/project#7",
    "https://github.com/example-org/project/issues/3", "https://github.com/example-org/project/pull/9",
    "www.example.com/x", "contact me: reporter-1@example.com", "deadbeefcafe1234",
    "![tracker](https://img.example.com/p.png)", "![ref][r]\n\n[r]: https://img.example.com/r.png",
    "<img src=https://img.example.com/i.png>", "<picture><source srcset=x.png></picture>",
    "<details><summary>open me</summary>hidden</details>", "<script>alert(1)</script>",
    "<!-- hidden from readers -->", "<https://example.com/auto>", "[link](https://example.com)",
    "# heading", "> quote", "- [ ] task", "| a | b |\n|---|---|\n| c | d |", "**bold** _em_ ~~s~~",
]
# Fragments that try to end the code early or to change how the rest is read.
TRICKY = [
    "```\nbreak out\n```", "~~~\nbreak out\n~~~", "`````", "`code`", "&lt;b&gt; &amp;", "    indented",
    "\\`escaped",
    "line one\r\nline two\rline three", "tab\there", "naïve café 日本語 🙂 \u202eevil",
]

words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
separators = st.sampled_from([" ", "\n", "\n\n", "\r\n", "`", "``", "```"])
fragments = st.one_of(st.sampled_from(DANGEROUS + TRICKY), words, separators)
reporter_text = st.lists(fragments, max_size=25).map("".join)


def expected_block_text(text: str) -> str:
    """What a reader should see in the block: the text, with line endings unified and blank edges gone."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return shown_markers("\n".join(lines).replace("\0", "\ufffd"))


def shown_markers(text: str) -> str:
    """The one change a reader sees: an invisible word joiner inside each "<!--" and "-->"."""
    return text.replace("<!--", "<!\u2060--").replace("-->", "--\u2060>")


@pytest.mark.parametrize("fragment", DANGEROUS)
def test_each_fragment_is_dangerous_before_and_inert_after(fragment):
    """The detectors can fail: every raw fragment trips one, and none trips after neutralising."""
    raw = read(gfm(fragment))
    raw_trips = (
        autolinks_outside_code(fragment) or raw.comments or set(raw.tags) - {"p", "pre", "code", "br"}
        or markdown_it_risks(fragment)
    )
    assert raw_trips
    for safe in (neutralise_block(fragment), neutralise_inline(fragment)):
        assert autolinks_outside_code(safe) == {}
        assert markdown_it_risks(safe) == []
        assert read(gfm(safe)).comments == []


@settings(max_examples=300, deadline=None)
@given(reporter_text)
def test_a_block_renders_as_one_code_block_showing_exactly_the_text(text):
    block = neutralise_block(text)
    expected = expected_block_text(text)
    if not expected.strip():
        assert block == ""
        return
    page = read(gfm(block))
    assert page.tags == ["pre", "code"]
    assert page.comments == [] and "".join(page.outside).strip() == ""
    assert "".join(page.inside) == expected + "\n"
    assert markdown_it_risks(block) == []
    assert autolinks_outside_code(block) == {}


@settings(max_examples=300, deadline=None)
@given(reporter_text)
def test_an_inline_answer_renders_as_one_code_span_showing_the_words(text):
    inline = neutralise_inline(text)
    words_in = text.split()
    if not words_in:
        assert inline == ""
        return
    page = read(gfm(f"Where: {inline}"))
    assert page.tags == ["p", "code"]
    assert page.comments == [] and "".join(page.outside).strip() == "Where:"
    shown = "".join(page.inside)
    assert shown.replace("\ufffd", "\0").split() == shown_markers(" ".join(words_in)).split()
    assert markdown_it_risks(inline) == []


@settings(max_examples=200, deadline=None)
@given(reporter_text, reporter_text)
def test_a_block_cannot_swallow_or_leak_into_what_follows(first, second):
    """Two neutralised blocks and a heading in one body stay three separate things."""
    a, b = neutralise_block(first), neutralise_block(second)
    body = "\n\n".join(part for part in (a, "### Next question", b) if part)
    tags = read(gfm(body)).tags
    assert tags.count("h3") == 1
    assert tags.count("pre") == (1 if a else 0) + (1 if b else 0)


@settings(max_examples=300, deadline=None)
@given(reporter_text)
def test_no_neutralised_text_holds_an_html_comment_marker(text):
    """The app's own records are HTML comments: copied text can neither open nor close one."""
    for made in (neutralise_block(text), neutralise_inline(text)):
        assert "<!--" not in made and "-->" not in made


def test_a_pasted_state_block_or_key_marker_is_defused():
    pasted = "<!-- conduct-desk:state v1\n{}\n-->\n<!-- conduct-desk:key=C-2026-001:state -->"
    block = neutralise_block(pasted)
    assert "conduct-desk:state v1" in block and "<!-- conduct-desk" not in block and "-->" not in block
    assert inert_markers(inert_markers(pasted)) == inert_markers(pasted)


def test_line_breaks_are_kept_and_unified():
    block = neutralise_block("\n\nfirst\r\nsecond\rthird\n\n  indented\n\n")
    assert block == "```text\nfirst\nsecond\nthird\n\n  indented\n```"


def test_the_fence_outgrows_the_longest_backtick_run():
    block = neutralise_block("a ```` b\n`````")
    assert block.startswith("``````text\n") and block.endswith("\n``````")
    assert neutralise_inline("use ``x`` here") == "```use ``x`` here```"
    assert neutralise_inline("`edge`") == "`` `edge` ``"


def test_only_a_plain_language_name_becomes_the_info_string():
    assert neutralise_block("x", "python").startswith("```python\n")
    assert neutralise_block("x", "py`thon x").startswith("```\n")
    assert neutralise_block("x", "").startswith("```\n")


def test_an_inline_answer_is_one_line():
    assert neutralise_inline("  @reporter-1\n  and\t@participant-1  ") == "`@reporter-1 and @participant-1`"
    assert neutralise_inline(" \n\t ") == ""
