"""Makes text copied from reporters inert on GitHub: no pings, references, images, HTML or hidden parts."""
from __future__ import annotations

import re

# The choice, and why.
#
# Whatever a reporter wrote is copied into private case issues. On GitHub that text would otherwise
# ping people (@login, @org/team), create cross-references that show up in other repositories'
# timelines (#123, GH-123, owner/repo#123, issue URLs, commit SHAs), fetch images from third-party
# servers (which tells them who reads the case, and when), run raw HTML (<details> folds, <picture>),
# and hide content (<!-- --> comments are invisible once rendered).
#
# Two ways to stop that were weighed:
# - Escaping Markdown and breaking each dangerous pattern (a zero-width joiner after "@", ...). It reads
#   as prose, but is only as safe as our list of GitHub's patterns, which we cannot test against
#   github.com from here, and which repositories extend with their own autolink prefixes. Copying a
#   URL out of it would also carry invisible characters into the mediator's browser.
# - Code. GitHub's text filters (mentions, issue and commit references) skip text inside `pre` and
#   `code` elements (html-pipeline's filters list IGNORE_PARENTS = pre, code, a), and Markdown does not
#   parse autolinks, images or HTML inside code. Nothing needs to be enumerated: it holds for patterns
#   we do not know about, and the exact characters survive copy and paste.
#
# We use code: free text goes in a fenced block whose fence is longer than any backtick run in it, so
# the text cannot close it; short single-line answers (a link, a few logins) go in an inline code span,
# built by the same rule. The price is that GitHub does not soft-wrap long lines in a fenced block, so
# a long paragraph scrolls sideways; we accept it, because the report must reach the mediators exactly
# as written and without side effects. Line breaks are kept; Windows and old Mac line endings become
# "\n" so that the number of lines the reporter saw is the number the mediators see.

# One exception to "exactly as written": Conduct Desk keeps its own records in HTML comments
# ("<!-- conduct-desk:... -->"), so copied text must never open or close one, in a code block or not. A word
# joiner (U+2060, invisible) goes into every "<!--" and "-->": the text reads the same, but it is no longer a
# marker, nor an HTML comment that hides what follows.
_JOINER = "\u2060"

_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BACKTICKS = re.compile(r"`+")
_LINE_ENDING = re.compile(r"\r\n?")
_WHITESPACE = re.compile(r"\s+")
# A fence's info string may not contain backticks (CommonMark 4.5); we allow only a language name.
_LANGUAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+.#-]{0,49}$")


def inert_markers(text: str) -> str:
    """`text` with no "<!--" or "-->" left in it, so it can neither forge nor close an HTML comment."""
    return text.replace("<!--", f"<!{_JOINER}--").replace("-->", f"--{_JOINER}>")


def without_html_comments(text: str) -> str:
    """Markdown a trusted person wrote, without its HTML comments: they did not see them, so they are not
    passed on (the markers GitHub clients add to a comment, say); any stray "<!--" or "-->" is defused."""
    return inert_markers(_HTML_COMMENT.sub("", text))


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def neutralise_block(text: str, language: str = "text") -> str:
    """Reporter text as a fenced code block nothing inside can escape; "" for text with no content.

    `language` becomes the fence's info string (GitHub's `render:` for issue forms); anything that is
    not a plain language name is dropped rather than trusted.
    """
    lines = _LINE_ENDING.sub("\n", text).split("\n")
    # Blank lines at the edges carry nothing and would only show as empty rows in the block.
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return ""
    body = inert_markers("\n".join(lines))
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    info = language if _LANGUAGE.match(language or "") else ""
    return f"{fence}{info}\n{body}\n{fence}"


def neutralise_inline(text: str) -> str:
    """A short answer (a link, a few logins, a title) as one inline code span; "" for no content.

    Line breaks become spaces: an inline field has one line, and a code span would turn them into
    spaces anyway.
    """
    content = inert_markers(_WHITESPACE.sub(" ", text).strip())
    if not content:
        return ""
    ticks = "`" * (_longest_backtick_run(content) + 1)
    # CommonMark strips one space from each side of a code span's content when both are there, so a
    # value that starts or ends with a backtick can be padded without changing what is shown.
    if content[0] == "`" or content[-1] == "`":
        content = f" {content} "
    return f"{ticks}{content}{ticks}"
