"""Slash commands (`/conduct VERB ...`) in a comment body; code, quotes and HTML comments are skipped."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from app.core.durations import DurationError, parse_duration

__all__ = [
    "VERBS",
    "Command",
    "Problem",
    "Verb",
    "new_commands",
    "parse_commands",
    "parse_login",
    "verbs_for",
]


@dataclass(frozen=True)
class Command:
    """A well-formed command: `text` is the rest of its line, `body` the block below it (summary, message).

    `args` are the whitespace-split words of `text`, normalised where the verb's rules say so: logins
    lose their `@`, stage names and the `sc` sub-verb are lower-cased.
    """

    verb: str
    args: tuple[str, ...]
    text: str
    body: str
    line: int


@dataclass(frozen=True)
class Problem:
    """A command line that could not be used; `reason` is written to be posted back to its author."""

    verb: str
    line: int
    reason: str


@dataclass(frozen=True)
class Verb:
    """One row of the command table: who may use it, how it is written, what it does."""

    name: str
    roles: frozenset[str]
    usage: str
    summary: str
    takes_block: bool = False


ANYONE, MEDIATOR, SC, VOTER = "anyone", "mediator", "sc", "voter"


def _verb(name: str, roles: set[str], usage: str, summary: str, takes_block: bool = False) -> Verb:
    return Verb(name, frozenset(roles), usage, summary, takes_block)


# The one table of verbs. Its order is the order `/conduct commands` lists them in.
VERBS: Mapping[str, Verb] = MappingProxyType({v.name: v for v in (
    _verb("help", {ANYONE}, "/conduct help [what you need]", "Ask the mediators for help, privately."),
    _verb("commands", {ANYONE}, "/conduct commands", "List the commands you may use."),
    _verb("stage", {MEDIATOR}, "/conduct stage STAGE", "Move the case to another stage."),
    _verb("assign", {MEDIATOR}, "/conduct assign @login [@login ...]", "Assign mediators to the case."),
    _verb("note", {MEDIATOR}, "/conduct note TEXT", "Add a note to the case record."),
    _verb("hold", {MEDIATOR}, "/conduct hold REASON", "Pause the case's timers, with a reason."),
    _verb("unhold", {MEDIATOR}, "/conduct unhold [REASON]", "Restart the case's timers."),
    _verb("recuse", {MEDIATOR, SC}, "/conduct recuse", "Step back from this case."),
    _verb("summary", {MEDIATOR}, "/conduct summary, then the summary on the lines below",
          "Write the case summary that an escalation needs.", takes_block=True),
    _verb("escalate", {MEDIATOR}, "/conduct escalate [@person]", "Send the case, with its summary, to a poll."),
    _verb("resolve", {MEDIATOR}, "/conduct resolve [NOTE]", "Mark the case resolved."),
    _verb("urgent-ban", {MEDIATOR}, "/conduct urgent-ban @login DURATION REASON",
          "Ask the Steering Council for a temporary ban until the poll decides."),
    _verb("message", {MEDIATOR}, "/conduct message @login TEXT (or the text on the lines below)",
          "Send a private message to a party of the case.", takes_block=True),
    _verb("context", {MEDIATOR}, "/conduct context @login",
          "Post a private context card on a person: their standing and the cases that still weigh."),
    _verb("lock", {MEDIATOR}, "/conduct lock THREAD DURATION REASON",
          "Lock a heated public thread (GitHub's \"too heated\"); the sweep unlocks it when the time is up."),
    _verb("hide", {MEDIATOR}, "/conduct hide COMMENT-URL REASON",
          "Hide (minimize) a public comment, with a one-line note from the mediators in its thread."),
    _verb("report-note", {MEDIATOR}, "/conduct report-note, then the note on the lines below",
          "Add to the mediators' account of this period in the next transparency report (published as written).",
          takes_block=True),
    _verb("calm", {MEDIATOR, VOTER}, "/conduct calm [@login ...]", "Post a calm-down nudge in the public thread."),
    _verb("summarize", {MEDIATOR, VOTER}, "/conduct summarize [@login ...]",
          "Post a summarise-the-views nudge in the public thread."),
    _verb("agree-to-disagree", {MEDIATOR, VOTER}, "/conduct agree-to-disagree [@login ...]",
          "Post an agree-to-disagree nudge in the public thread."),
    _verb("sc", {SC}, "/conduct sc approve [shorten DURATION] [COMMENT], /conduct sc reject REASON, "
          "or /conduct sc lift [NOTE]",
          "Approve or reject the outcome as the Steering Council; at a ban's review, lift it."),
)})


def verbs_for(roles: frozenset[str]) -> list[Verb]:
    """The verbs someone holding `roles` may use, in table order; everyone holds the role "anyone"."""
    held = roles | {ANYONE}
    return [verb for verb in VERBS.values() if verb.roles & held]


# GitHub logins: letters, digits and single inner hyphens, at most 39 characters.
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")


def parse_login(text: str) -> str | None:
    """`"@mediator-1"` -> `"mediator-1"`; anything that is not one `@login` -> None."""
    text = text.strip()
    if text.startswith("@") and _LOGIN.fullmatch(text, 1):
        return text[1:]
    return None


# --- argument rules -------------------------------------------------------------------------------

class _Bad(Exception):
    """Raised by an argument check; its message is the Problem's reason."""


_SAFE_WORD = re.compile(r"[A-Za-z0-9@._:+-]{1,40}")


def _show(word: str) -> str:
    # Words are echoed back into a public comment, so only plain ones are repeated: a backtick would
    # break out of the code span, and a long word is noise.
    return f"`{word}`" if _SAFE_WORD.fullmatch(word) else "that"


def _logins(verb: str, words: list[str], example: str) -> tuple[str, ...]:
    logins = []
    for word in words:
        login = parse_login(word)
        if login is None:
            raise _Bad(f"`/conduct {verb}` takes GitHub logins written with @, like `{example}`; "
                       f"{_show(word)} is not one.")
        logins.append(login)
    return tuple(logins)


def _login_words(text: str) -> list[str]:
    # "@a, @b" and "@a,@b" are how people write lists of names; accept both.
    return [w for w in re.split(r"[\s,]+", text) if w]


def _check_help(text: str, body: str) -> tuple[tuple[str, ...], str]:
    return tuple(text.split()), ""


def _no_args(verb: str, hint: str) -> Callable[[str, str], tuple[tuple[str, ...], str]]:
    def check(text: str, body: str) -> tuple[tuple[str, ...], str]:
        if text:
            raise _Bad(f"`/conduct {verb}` takes nothing after it{hint}.")
        return (), ""
    return check


def _required_text(verb: str, what: str, example: str) -> Callable[[str, str], tuple[tuple[str, ...], str]]:
    def check(text: str, body: str) -> tuple[tuple[str, ...], str]:
        if not text:
            raise _Bad(f"`/conduct {verb}` needs {what}, for example `/conduct {verb} {example}`.")
        return tuple(text.split()), ""
    return check


def _optional_text(text: str, body: str) -> tuple[tuple[str, ...], str]:
    return tuple(text.split()), ""


_STAGE = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _check_stage(text: str, body: str) -> tuple[tuple[str, ...], str]:
    words = text.split()
    if not words:
        raise _Bad("`/conduct stage` needs a stage name, for example `/conduct stage mediation`.")
    if len(words) > 1:
        raise _Bad("`/conduct stage` takes exactly one stage name; names of more than one word are "
                   "joined with hyphens, like `awaiting-approval`.")
    stage = words[0].lower()
    if not _STAGE.fullmatch(stage):
        raise _Bad(f"{_show(words[0])} is not a stage name: stage names are letters joined by hyphens, "
                   "like `mediation` or `awaiting-approval`.")
    return (stage,), ""


def _check_assign(text: str, body: str) -> tuple[tuple[str, ...], str]:
    words = _login_words(text)
    if not words:
        raise _Bad("`/conduct assign` needs at least one mediator's login, "
                   "for example `/conduct assign @mediator-1`.")
    return _logins("assign", words, "@mediator-1"), ""


def _check_summary(text: str, body: str) -> tuple[tuple[str, ...], str]:
    full = f"{text}\n{body}".strip()
    if not full:
        raise _Bad("`/conduct summary` needs the summary itself on the lines below it: what happened, "
                   "the course of mediation, why it did not resolve the issue, and the action points.")
    return tuple(text.split()), full


def _duration(verb: str, word: str | None) -> str:
    if word is None:
        raise _Bad(f"`/conduct {verb}` needs a duration such as `14d`: a whole number and h, d or w.")
    try:
        parse_duration(word.lower())
    except DurationError:
        raise _Bad(f"{_show(word)} is not a duration: write a whole number and h, d or w, "
                   "like `36h`, `14d` or `2w`.") from None
    return word.lower()


def _check_urgent_ban(text: str, body: str) -> tuple[tuple[str, ...], str]:
    words = text.split()
    example = "for example `/conduct urgent-ban @user-1 14d repeated harassment after a warning`"
    if not words:
        raise _Bad(f"`/conduct urgent-ban` needs a login, a duration and a reason, {example}.")
    (login,) = _logins("urgent-ban", words[:1], "@user-1")
    duration = _duration("urgent-ban", words[1] if len(words) > 1 else None)
    if len(words) < 3:
        raise _Bad(f"`/conduct urgent-ban` needs a reason after the duration, {example}.")
    return (login, duration, *words[2:]), ""


# A thread: its URL, or owner/repo#number. A comment: its URL (an issue or pull request conversation
# comment, `#issuecomment-ID`, or an inline review comment, `#discussion_rID`).
_THREAD_REF = re.compile(
    r"(?:https?://[^/\s]+/)?([A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100})(?:#|/(?:issues|pull)/)([1-9][0-9]{0,9})")
_COMMENT_REF = re.compile(
    r"https?://[^/\s]+/([A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100})/(?:issues|pull)/[1-9][0-9]{0,9}"
    r"(?:/files)?#(issuecomment-|discussion_r)([1-9][0-9]{0,19})")


def _check_lock(text: str, body: str) -> tuple[tuple[str, ...], str]:
    words = text.split()
    example = "for example `/conduct lock example-org/project#12 24h the thread needs a pause`"
    match = _THREAD_REF.fullmatch(words[0]) if words else None
    if match is None:
        raise _Bad(f"`/conduct lock` needs the thread (its link, or owner/repo#number), a duration and a "
                   f"reason, {example}.")
    duration = _duration("lock", words[1] if len(words) > 1 else None)
    if len(words) < 3:
        raise _Bad(f"`/conduct lock` needs a reason after the duration, {example}.")
    return (f"{match.group(1)}#{match.group(2)}", duration, *words[2:]), ""


def _check_hide(text: str, body: str) -> tuple[tuple[str, ...], str]:
    words = text.split()
    example = ("for example `/conduct hide https://github.com/example-org/project/issues/12#issuecomment-345 "
               "a personal remark`")
    match = _COMMENT_REF.fullmatch(words[0]) if words else None
    if match is None:
        raise _Bad(f"`/conduct hide` needs the comment's link (from its \"Copy link\" menu) and a reason, {example}.")
    if len(words) < 2:
        raise _Bad(f"`/conduct hide` needs a reason after the link, {example}.")
    kind = "issue" if match.group(2) == "issuecomment-" else "review"
    return (f"{kind}:{match.group(1)}:{match.group(3)}", *words[1:]), ""


def _check_report_note(text: str, body: str) -> tuple[tuple[str, ...], str]:
    full = f"{text}\n{body}".strip()
    if not full:
        raise _Bad("`/conduct report-note` needs the note itself, on the same line or the lines below: it is "
                   "published in the transparency report as written, so name nobody.")
    return (), full


def _check_message(text: str, body: str) -> tuple[tuple[str, ...], str]:
    words = text.split()
    example = "for example `/conduct message @reporter-1 thank you, we are looking into it`"
    if not words:
        raise _Bad(f"`/conduct message` needs the login of the person to write to, and the message, "
                   f"{example}.")
    (login,) = _logins("message", words[:1], "@reporter-1")
    # The rest of the command line is the message's first line, as with `summary`.
    first_line = text[len(words[0]):].strip()
    full = f"{first_line}\n{body}".strip()
    if not full:
        raise _Bad(f"`/conduct message` needs the message itself, on the same line or below it, {example}.")
    return (login, *words[1:]), full


def _one_login(verb: str, text: str) -> tuple[str, ...]:
    words = _login_words(text)
    if len(words) != 1:
        raise _Bad(f"`/conduct {verb}` takes exactly one login, for example `/conduct {verb} @participant-1`.")
    return _logins(verb, words, "@participant-1")


def _check_escalate(text: str, body: str) -> tuple[tuple[str, ...], str]:
    # The person the escalation is about may be named; the core requires it when the case has several.
    words = _login_words(text)
    if len(words) > 1:
        raise _Bad("`/conduct escalate` takes at most one login: the person the escalation is about, "
                   "for example `/conduct escalate @participant-1`.")
    return _logins("escalate", words, "@participant-1") if words else (), ""


def _nudge(verb: str) -> Callable[[str, str], tuple[tuple[str, ...], str]]:
    def check(text: str, body: str) -> tuple[tuple[str, ...], str]:
        return _logins(verb, _login_words(text), "@user-1"), ""
    return check


def _check_sc(text: str, body: str) -> tuple[tuple[str, ...], str]:
    words = text.split()
    sub = words[0].lower() if words else ""
    if sub == "approve":
        rest = words[1:]
        if rest and rest[0].lower() == "shorten":
            duration = _duration("sc approve shorten", rest[1] if len(rest) > 1 else None)
            return ("approve", "shorten", duration, *rest[2:]), ""
        return ("approve", *rest), ""
    if sub == "reject":
        if len(words) < 2:
            raise _Bad("`/conduct sc reject` needs the reason the mediators will read, "
                       "for example `/conduct sc reject the summary does not say which policy applies`.")
        return ("reject", *words[1:]), ""
    if sub == "lift":
        return ("lift", *words[1:]), ""
    shown = f"; {_show(words[0])} is none of them" if words else ""
    raise _Bad(f"`/conduct sc` is followed by `approve`, `reject` or `lift`{shown}. For example "
               "`/conduct sc approve`, `/conduct sc approve shorten 7d`, `/conduct sc reject REASON` or, at a "
               "ban's review, `/conduct sc lift`.")


_CHECKS: Mapping[str, Callable[[str, str], tuple[tuple[str, ...], str]]] = {
    "help": _check_help,
    "commands": _no_args("commands", ""),
    "stage": _check_stage,
    "assign": _check_assign,
    "note": _required_text("note", "the note's text", "spoke with both parties"),
    "hold": _required_text("hold", "a reason", "waiting for the reporter"),
    "unhold": _optional_text,
    "recuse": _optional_text,
    "summary": _check_summary,
    "escalate": _check_escalate,
    "resolve": _optional_text,
    "urgent-ban": _check_urgent_ban,
    "message": _check_message,
    "context": lambda text, body: (_one_login("context", text), ""),
    "report-note": _check_report_note,
    "lock": _check_lock,
    "hide": _check_hide,
    "calm": _nudge("calm"),
    "summarize": _nudge("summarize"),
    "agree-to-disagree": _nudge("agree-to-disagree"),
    "sc": _check_sc,
}
assert _CHECKS.keys() == VERBS.keys(), "every verb needs exactly one argument check"


# --- finding command lines ------------------------------------------------------------------------
#
# A line-by-line approximation of CommonMark's block structure, just deep enough to know which lines
# GitHub renders as ordinary paragraph text. When unsure it errs towards "not a command": a command
# ignored can be typed again, a command run from a quoted example cannot be taken back.

_NEWLINE = re.compile(r"\r\n|\r|\n")
_COMMAND = re.compile(r" {0,3}/conduct(?=[ \t]|$)", re.IGNORECASE)
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_QUOTE_PREFIX = re.compile(r"(?: {0,3}(?:(?:[-*+]|[0-9]{1,9}[.)])[ \t]+)*>[ \t]?)+")
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_THEMATIC = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})")
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|1[.)])[ \t]+\S")
# HTML blocks of CommonMark kinds 1 to 6, the ones that may interrupt a paragraph (kind 7, any other
# tag, may not: a lazy line starting with `<span>` stays in the quote).
_HTML_START = re.compile(
    r" {0,3}(?:<!--|<\?|<![A-Za-z]|<!\[CDATA\[|<(?:pre|script|style|textarea)(?:[ \t>]|$)"
    r"|</?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details"
    r"|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr"
    r"|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search"
    r"|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:[ \t>]|/>|$))",
    re.IGNORECASE,
)


def _indent(line: str) -> int:
    """Columns of leading whitespace, with tabs stopping at multiples of four as in CommonMark."""
    column = 0
    for char in line:
        if char == " ":
            column += 1
        elif char == "\t":
            column += 4 - column % 4
        else:
            break
    return column


def _fence_open(line: str) -> tuple[str, int] | None:
    match = _FENCE_OPEN.fullmatch(line)
    if not match:
        return None
    fence, info = match.groups()
    if fence[0] == "`" and "`" in info:
        return None  # an info string with a backtick makes this inline code, not a fence
    return fence[0], len(fence)


def _closes(line: str, fence: tuple[str, int]) -> bool:
    match = _FENCE_CLOSE.fullmatch(line)
    return bool(match) and match.group(1)[0] == fence[0] and len(match.group(1)) >= fence[1]


def _mask_code_spans(line: str) -> str:
    """Blank out inline code spans so that a `<!--` inside backticks is not read as a comment."""
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", line)]
    # For each run, the next run of the same length (a code span closes only on an equal run);
    # found from the right so the whole line costs linear time.
    following: list[int | None] = [None] * len(runs)
    last_seen: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        following[index] = last_seen.get(length)
        last_seen[length] = index
    chars = list(line)
    index = 0
    while index < len(runs):
        closing = following[index]
        if closing is None:
            index += 1
            continue
        for pos in range(runs[index][0], runs[closing][1]):
            chars[pos] = " "
        index = closing + 1
    return "".join(chars)


def _comment_spans(line: str, start: int) -> tuple[list[tuple[int, int]], bool]:
    """HTML comments opening in `line` from `start`: their spans, and whether the last stays open."""
    masked = _mask_code_spans(line)
    spans = []
    position = start
    while (opening := masked.find("<!--", position)) != -1:
        # Searching from +2 lets `<!-->` and `<!--->` close themselves, as CommonMark says they do.
        closing = line.find("-->", opening + 2)
        if closing == -1:
            spans.append((opening, len(line)))
            return spans, True
        spans.append((opening, closing + 3))
        position = closing + 3
    return spans, False


def _without(line: str, spans: list[tuple[int, int]]) -> str:
    kept, position = [], 0
    for begin, end in spans:
        kept.append(line[position:begin])
        position = end
    kept.append(line[position:])
    return "".join(kept)


@dataclass
class _Scanner:
    """Block state carried from one line to the next."""

    fence: tuple[str, int] | None = None        # open fenced code block: fence character and length
    comment: bool = False                         # inside a multi-line HTML comment
    paragraph: bool = False                       # a paragraph is open, so an indented line continues it
    quote_paragraph: bool = False                 # a quoted paragraph is open: lazy lines join the quote
    quote_fence: tuple[str, int] | None = None  # open fenced code block inside a quote

    def visible(self, line: str) -> str | None:
        """The line as rendered text (HTML comments removed) if it is paragraph text; else None."""
        if self.comment:
            closing = line.find("-->")
            if closing != -1:
                self.comment = False
                self._comments(line, closing + 3)
            self.paragraph = self.quote_paragraph = False
            return None
        if self.fence is not None:
            if _closes(line, self.fence):
                self.fence = None
            return None
        if not line.strip():
            self.paragraph = self.quote_paragraph = False
            self.quote_fence = None
            return None
        quote = _QUOTE_PREFIX.match(line)
        if quote:
            self.paragraph = False
            self._quoted(line[quote.end():])
            return None
        self.quote_fence = None  # a line outside the quote ends it, and any fence inside it
        if self.quote_paragraph:
            if not self._interrupts(line):
                self._comments(line, 0)  # a lazy line belongs to the quote, and may open a comment
                return None
            self.quote_paragraph = False
        if _indent(line) >= 4 and not self.paragraph:
            return None  # indented code block
        if _indent(line) < 4 and (fence := _fence_open(line)) is not None:
            self.fence = fence
            self.paragraph = False
            return None
        self.paragraph = not (_HEADING.match(line) or _THEMATIC.fullmatch(line))
        return _without(line, self._comments(line, 0))

    def _quoted(self, inner: str) -> None:
        if self.quote_fence is not None:
            if _closes(inner, self.quote_fence):
                self.quote_fence = None
            return
        if not inner.strip():
            self.quote_paragraph = False
            return
        if _indent(inner) >= 4 and not self.quote_paragraph:
            return  # indented code inside the quote
        if _indent(inner) < 4 and (fence := _fence_open(inner)) is not None:
            self.quote_fence = fence
            self.quote_paragraph = False
            return
        self.quote_paragraph = not (_HEADING.match(inner) or _THEMATIC.fullmatch(inner))
        self._comments(inner, 0)

    def _interrupts(self, line: str) -> bool:
        # The blocks that may interrupt a paragraph, and so end a quote instead of joining it lazily.
        return bool(
            _indent(line) < 4
            and (_fence_open(line) or _HEADING.match(line) or _THEMATIC.fullmatch(line)
                 or _LIST_ITEM.match(line) or _HTML_START.match(line))
        )

    def _comments(self, line: str, start: int) -> list[tuple[int, int]]:
        spans, still_open = _comment_spans(line, start)
        if still_open:
            self.comment = True
        return spans


def _command_lines(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(index, visible text) of every line that is a command line."""
    scanner = _Scanner()
    for index, line in enumerate(lines):
        visible = scanner.visible(line)
        if visible is not None and _COMMAND.match(line) and _COMMAND.match(visible):
            yield index, visible


def _parse(body: str) -> list[tuple[Command | Problem, tuple[str, ...]]]:
    """Each command or problem, with the key that `new_commands` compares them by."""
    lines = _NEWLINE.split(body)
    found = list(_command_lines(lines))
    results: list[tuple[Command | Problem, tuple[str, ...]]] = []
    for position, (index, visible) in enumerate(found):
        rest = _COMMAND.match(visible)
        assert rest is not None
        verb_word, text = ([*visible[rest.end():].split(maxsplit=1), "", ""])[:2]
        text = text.strip()
        verb = verb_word.lower()
        line_number = index + 1
        key = (verb, _normal(text), "")
        if not verb:
            results.append((Problem("", line_number, "`/conduct` needs a command after it; "
                                    "`/conduct commands` lists the ones you can use."), key))
            continue
        spec = VERBS.get(verb)
        if spec is None:
            known = ", ".join(f"`{name}`" for name in VERBS)
            shown = f"`/conduct {verb_word}`" if _SAFE_WORD.fullmatch(verb_word) else "That"
            reason = f"{shown} is not a command I know. The commands are: {known}."
            results.append((Problem(verb, line_number, reason), key))
            continue
        block = ""
        if spec.takes_block:
            end = found[position + 1][0] if position + 1 < len(found) else len(lines)
            block = "\n".join(lines[index + 1:end]).strip()
        try:
            args, full_body = _CHECKS[verb](text, block)
        except _Bad as bad:
            results.append((Problem(verb, line_number, str(bad)), (*key[:2], _normal(block))))
            continue
        command = Command(verb, args, text, full_body, line_number)
        results.append((command, (verb, _normal(_head(text, full_body)), _normal(full_body))))
    return results


def _normal(text: str) -> str:
    return " ".join(text.split())


def _head(text: str, body: str) -> str:
    """The part of a command's line text that did not become the first line of its body.

    Text written on the command line or just below it gives the same body, and an edit that moves it
    from one to the other must not count as a new command.
    """
    first_line = body.split("\n", 1)[0]
    if first_line and text.endswith(first_line):
        return text[: len(text) - len(first_line)]
    return text


def parse_commands(body: str) -> list[Command | Problem]:
    """Every command line in a comment body, in order, as a Command or, if it cannot be used, a Problem."""
    return [item for item, _ in _parse(body)]


def new_commands(old_body: str | None, new_body: str) -> list[Command | Problem]:
    """The commands an edit added: those of `new_body` not already in `old_body`, counted as a multiset.

    Commands are compared by verb and whitespace-normalised text and body, so re-saving, reordering or
    re-spacing a comment runs nothing again, while a third copy where there were two runs once.
    """
    already = Counter(key for _, key in _parse(old_body)) if old_body is not None else Counter()
    added: list[Command | Problem] = []
    for item, key in _parse(new_body):
        if already[key] > 0:
            already[key] -= 1
        else:
            added.append(item)
    return added
