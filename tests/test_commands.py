"""Tests for the `/conduct` command parser: where commands are found, how they are checked, and edits."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.commands import (
    VERBS,
    Command,
    Problem,
    Verb,
    new_commands,
    parse_commands,
    parse_login,
    verbs_for,
)


def commands(body: str) -> list[Command]:
    found = parse_commands(body)
    assert all(isinstance(item, Command) for item in found), found
    return found


def only(body: str) -> Command | Problem:
    found = parse_commands(body)
    assert len(found) == 1, found
    return found[0]


def problem(body: str) -> Problem:
    item = only(body)
    assert isinstance(item, Problem), item
    return item


def seen(body: str) -> list[tuple[str, int]]:
    return [(item.verb, item.line) for item in parse_commands(body)]


# --- what a command line is --------------------------------------------------------------------------

def test_a_command_line_gives_its_verb_words_raw_text_and_line():
    body = "Thanks for the update.\n\n/conduct hold  waiting for the reporter \nMore text."
    assert parse_commands(body) == [
        Command("hold", ("waiting", "for", "the", "reporter"), "waiting for the reporter", "", 3)
    ]


def test_several_commands_are_returned_in_comment_order():
    body = "/conduct assign @mediator-1\nSome words.\n/conduct stage mediation\n/conduct note spoke to both"
    assert seen(body) == [("assign", 1), ("stage", 3), ("note", 4)]


def test_a_command_directly_below_paragraph_text_still_counts():
    assert seen("I talked with both parties.\n/conduct resolve") == [("resolve", 2)]


@pytest.mark.parametrize("indent", ["", " ", "  ", "   "])
def test_up_to_three_leading_spaces_are_allowed(indent):
    assert seen(f"{indent}/conduct escalate") == [("escalate", 1)]


def test_slash_conduct_in_the_middle_of_a_line_is_not_a_command():
    assert parse_commands("Please do not type /conduct escalate here.") == []
    assert parse_commands("- /conduct escalate") == []
    assert parse_commands("`/conduct escalate`") == []


@pytest.mark.parametrize("line", ["/conductor escalate", "/conduct:escalate", "/conducts escalate",
                                  "conduct escalate", "\\/conduct escalate", "//conduct escalate"])
def test_near_misses_are_not_commands(line):
    assert parse_commands(line) == []


def test_verb_and_prefix_match_case_insensitively_and_verbs_come_back_lower_case():
    assert seen("/conduct HOLD waiting\n/Conduct Escalate\n/CONDUCT stage Mediation") == [
        ("hold", 1), ("escalate", 2), ("stage", 3)]
    assert only("/CONDUCT stage Mediation").args == ("mediation",)


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_every_markdown_line_ending_gives_the_same_result(newline):
    body = newline.join(["Hello", "/conduct note first", "```", "/conduct note code", "```",
                         "/conduct summary", "line one", "line two", "/conduct escalate"])
    found = parse_commands(body)
    assert [(item.verb, item.line) for item in found] == [("note", 2), ("summary", 6), ("escalate", 9)]
    assert found[0].text == "first"
    assert found[1].body == "line one\nline two"


def test_a_tab_may_separate_the_verb_from_its_arguments():
    assert only("/conduct\thold\twaiting for you").args == ("waiting", "for", "you")


# --- code blocks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fence", ["```", "~~~", "````", "~~~~~~"])
def test_commands_in_fenced_code_are_ignored_and_the_fence_closes(fence):
    body = f"{fence}\n/conduct escalate\n{fence}\n/conduct resolve"
    assert seen(body) == [("resolve", 4)]


def test_a_fence_with_an_info_string_or_indent_still_hides_commands():
    assert seen("  ```text\n/conduct escalate\n  ```\n/conduct resolve") == [("resolve", 4)]


def test_a_closing_fence_must_use_the_same_character():
    assert parse_commands("```\n~~~\n/conduct escalate\n~~~") == []
    assert parse_commands("~~~\n```\n/conduct escalate\n```") == []


def test_a_closing_fence_must_be_at_least_as_long_as_the_opening():
    assert parse_commands("````\n```\n/conduct escalate\n```") == []
    assert seen("```\n/conduct escalate\n`````\n/conduct resolve") == [("resolve", 4)]


def test_a_fence_line_with_text_after_it_does_not_close_the_block():
    assert parse_commands("```\n``` not a close\n/conduct escalate") == []


def test_an_unclosed_fence_runs_to_the_end_of_the_comment():
    assert seen("/conduct note before\n```\n/conduct escalate\n\n/conduct resolve") == [("note", 1)]


def test_inline_triple_backticks_do_not_open_a_fence():
    assert seen("```inline`code``` here\n/conduct escalate") == [("escalate", 2)]


def test_an_indented_code_block_hides_its_lines_from_the_state_machine():
    # The fence here is code, not a fence, so it must not swallow the real command below.
    assert seen("Example:\n\n    ```\n    /conduct escalate\n\n/conduct resolve") == [("resolve", 6)]


@pytest.mark.parametrize("indent", ["    ", "\t", "  \t", "        "])
def test_lines_indented_as_code_are_never_commands(indent):
    assert parse_commands(f"Example:\n\n{indent}/conduct escalate") == []


# --- quotes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("quoted", ["> /conduct escalate", ">/conduct escalate", "   > /conduct escalate",
                                    "> > /conduct escalate", ">> /conduct escalate", "- > /conduct escalate",
                                    "> - /conduct escalate"])
def test_quoted_commands_are_ignored(quoted):
    assert parse_commands(quoted) == []
    assert seen(f"{quoted}\n\n/conduct resolve") == [("resolve", 3)]


def test_a_lazy_line_after_a_quote_belongs_to_the_quote():
    # GitHub renders the second line inside the quote, so it is quoted text, not a command.
    assert parse_commands("> You said:\n/conduct escalate") == []
    assert parse_commands("> > deeply\n/conduct escalate\n/conduct resolve") == []


def test_a_blank_line_ends_a_quote():
    assert seen("> You said:\n\n/conduct escalate") == [("escalate", 3)]
    assert seen("> You said:\n>\n/conduct escalate") == [("escalate", 3)]


def test_a_heading_or_fence_interrupts_a_quote_and_the_text_after_is_live():
    assert seen("> quoted\n## Next steps\n/conduct escalate") == [("escalate", 3)]
    assert seen("> quoted\n```\n/conduct note code\n```\n/conduct escalate") == [("escalate", 5)]


def test_only_html_that_may_interrupt_a_paragraph_ends_a_quote():
    assert parse_commands("> quoted\n<span>inline html</span>\n/conduct escalate") == []
    assert seen("> quoted\n<!-- aside -->\n/conduct escalate") == [("escalate", 3)]
    assert seen("> quoted\n<div>\n/conduct escalate") == [("escalate", 3)]


def test_a_fence_inside_a_quote_ends_with_the_quote():
    assert seen("> ```\n> /conduct note code\n/conduct escalate") == [("escalate", 3)]
    # The quote is still open while its fence is, and code lines cannot be lazy continuations.
    assert parse_commands("> ```\n> /conduct note code\n> ```\n> text\n/conduct escalate") == []


# --- HTML comments --------------------------------------------------------------------------------

def test_commands_in_html_comments_are_ignored():
    assert parse_commands("<!-- /conduct escalate -->") == []
    assert seen("<!--\n/conduct escalate\n-->\n/conduct resolve") == [("resolve", 4)]
    assert seen("text <!-- hidden\n\n/conduct escalate\n\nstill hidden -->\n/conduct resolve") == [
        ("resolve", 6)]


def test_an_unclosed_html_comment_runs_to_the_end():
    assert parse_commands("<!--\n/conduct escalate\n/conduct resolve") == []


def test_a_comment_inside_a_code_span_or_code_block_hides_nothing():
    assert seen("Type `<!--` to start a comment.\n/conduct escalate") == [("escalate", 2)]
    assert seen("```\n<!--\n```\n/conduct escalate") == [("escalate", 4)]
    assert seen("    <!--\n\n/conduct escalate") == [("escalate", 3)]


def test_a_fence_inside_an_html_comment_is_not_a_fence():
    assert seen("<!--\n```\n-->\n/conduct escalate") == [("escalate", 4)]


def test_a_comment_on_a_command_line_is_left_out_of_its_text():
    command = only("/conduct hold waiting <!-- private aside --> for the reporter")
    assert command.args == ("waiting", "for", "the", "reporter")
    assert "aside" not in command.text
    assert problem("/conduct hold <!-- reason later\n-->").verb == "hold"


def test_a_comment_opened_in_a_quote_hides_lines_after_the_quote():
    assert parse_commands("> quoted <!--\n\n/conduct escalate\n-->") == []


# --- unknown and bare commands ---------------------------------------------------------------------

def test_an_unknown_verb_is_a_problem_that_lists_the_known_verbs():
    found = problem("/conduct escalte")
    assert found.verb == "escalte" and found.line == 1
    assert "`/conduct escalte`" in found.reason
    for name in VERBS:
        assert f"`{name}`" in found.reason


def test_an_unknown_verb_with_markup_is_not_echoed_back():
    found = problem("/conduct `@everyone`")
    assert "@everyone" not in found.reason
    assert found.reason.startswith("That is not a command")


def test_a_bare_conduct_line_is_a_problem():
    found = problem("/conduct   ")
    assert found.verb == ""
    assert "/conduct commands" in found.reason


def test_problems_and_commands_keep_their_order():
    assert seen("/conduct frob\n/conduct escalate\n/conduct") == [("frob", 1), ("escalate", 2), ("", 3)]


# --- arguments, verb by verb -----------------------------------------------------------------------

@pytest.mark.parametrize(("line", "args"), [
    ("/conduct help", ()),
    ("/conduct help someone is shouting at me", ("someone", "is", "shouting", "at", "me")),
    ("/conduct commands", ()),
    ("/conduct stage mediation", ("mediation",)),
    ("/conduct stage awaiting-approval", ("awaiting-approval",)),
    ("/conduct assign @mediator-1", ("mediator-1",)),
    ("/conduct assign @mediator-1 @Mediator-2", ("mediator-1", "Mediator-2")),
    ("/conduct assign @mediator-1, @mediator-2,@m3", ("mediator-1", "mediator-2", "m3")),
    ("/conduct note spoke with both", ("spoke", "with", "both")),
    ("/conduct hold waiting for the reporter", ("waiting", "for", "the", "reporter")),
    ("/conduct unhold", ()),
    ("/conduct unhold reporter answered", ("reporter", "answered")),
    ("/conduct recuse", ()),
    ("/conduct recuse I know one party", ("I", "know", "one", "party")),
    ("/conduct escalate", ()),
    ("/conduct resolve", ()),
    ("/conduct resolve apology accepted", ("apology", "accepted")),
    ("/conduct urgent-ban @user-1 14d threats", ("user-1", "14d", "threats")),
    ("/conduct urgent-ban @user-1 36H threats in two threads",
     ("user-1", "36h", "threats", "in", "two", "threads")),
    ("/conduct calm", ()),
    ("/conduct calm @user-1 @user-2", ("user-1", "user-2")),
    ("/conduct summarize @user-1", ("user-1",)),
    ("/conduct agree-to-disagree", ()),
    ("/conduct sc approve", ("approve",)),
    ("/conduct sc APPROVE fair outcome", ("approve", "fair", "outcome")),
    ("/conduct sc approve shorten 7d", ("approve", "shorten", "7d")),
    ("/conduct sc approve Shorten 2w too long", ("approve", "shorten", "2w", "too", "long")),
    ("/conduct sc reject no policy cited", ("reject", "no", "policy", "cited")),
])
def test_well_formed_arguments(line, args):
    command = only(line)
    assert isinstance(command, Command), command
    assert command.args == args
    parts = line.split(maxsplit=2)
    assert command.text == (parts[2] if len(parts) == 3 else "")


@pytest.mark.parametrize(("line", "verb", "says"), [
    ("/conduct commands please", "commands", "takes nothing"),
    ("/conduct stage", "stage", "needs a stage name"),
    ("/conduct stage awaiting approval", "stage", "exactly one stage name"),
    ("/conduct stage intake!", "stage", "is not a stage name"),
    ("/conduct stage -intake", "stage", "is not a stage name"),
    ("/conduct stage 2", "stage", "is not a stage name"),
    ("/conduct assign", "assign", "at least one"),
    ("/conduct assign mediator-1", "assign", "`mediator-1` is not one"),
    ("/conduct assign @mediator-1 @-bad", "assign", "`@-bad` is not one"),
    ("/conduct assign @bad-", "assign", "is not one"),
    ("/conduct assign @two--hyphens", "assign", "is not one"),
    ("/conduct assign @" + "a" * 40, "assign", "is not one"),
    ("/conduct note", "note", "needs the note's text"),
    ("/conduct hold", "hold", "needs a reason"),
    ("/conduct summary", "summary", "needs the summary"),
    ("/conduct escalate now", "escalate", "takes GitHub logins"),
    ("/conduct escalate @participant-1 @participant-2", "escalate", "at most one login"),
    ("/conduct urgent-ban", "urgent-ban", "needs a login, a duration and a reason"),
    ("/conduct urgent-ban user-1 14d threats", "urgent-ban", "`user-1` is not one"),
    ("/conduct urgent-ban @user-1", "urgent-ban", "needs a duration"),
    ("/conduct urgent-ban @user-1 forever threats", "urgent-ban", "`forever` is not a duration"),
    ("/conduct urgent-ban @user-1 2mo threats", "urgent-ban", "`2mo` is not a duration"),
    ("/conduct urgent-ban @user-1 0d threats", "urgent-ban", "`0d` is not a duration"),
    ("/conduct urgent-ban @user-1 14d", "urgent-ban", "needs a reason"),
    ("/conduct message", "message", "needs the login"),
    ("/conduct message hello there", "message", "`hello` is not one"),
    ("/conduct message @reporter-1", "message", "needs the message itself"),
    ("/conduct calm everyone", "calm", "`everyone` is not one"),
    ("/conduct summarize @user-1 please", "summarize", "`please` is not one"),
    ("/conduct agree-to-disagree @", "agree-to-disagree", "`@` is not one"),
    ("/conduct sc", "sc", "`approve`, `reject` or `lift`"),
    ("/conduct sc maybe", "sc", "`maybe` is none of them"),
    ("/conduct sc reject", "sc", "needs the reason"),
    ("/conduct sc approve shorten", "sc", "needs a duration"),
    ("/conduct sc approve shorten soon", "sc", "`soon` is not a duration"),
])
def test_malformed_arguments_give_a_specific_polite_problem(line, verb, says):
    found = problem(line)
    assert found.verb == verb
    assert found.line == 1
    assert says in found.reason
    assert found.reason.endswith(".")


def test_a_problem_names_its_verb_and_shows_an_example():
    assert problem("/conduct hold").reason == (
        "`/conduct hold` needs a reason, for example `/conduct hold waiting for the reporter`.")


def test_words_with_backticks_are_not_echoed_in_a_problem():
    found = problem("/conduct assign `@x`")
    assert "`@x`" not in found.reason and "that is not one" in found.reason


# --- block bodies ----------------------------------------------------------------------------------

def test_a_summary_takes_the_lines_below_it_until_the_next_command():
    body = ("/conduct summary\n\n## What happened\nA long thread.\n\n> quoted: /conduct note\n\n"
            "/conduct escalate\nAfterwards.")
    summary, escalate = commands(body)
    assert summary.body == "## What happened\nA long thread.\n\n> quoted: /conduct note"
    assert summary.args == () and summary.text == ""
    assert (escalate.verb, escalate.line, escalate.body) == ("escalate", 8, "")


def test_text_on_the_summary_line_is_the_first_line_of_its_body():
    summary = only("/conduct summary What happened:\nthe rest\n\n")
    assert summary.body == "What happened:\nthe rest"
    assert summary.text == "What happened:"


def test_a_summary_block_includes_quoted_and_fenced_command_lines():
    summary = only("/conduct summary\n```\n/conduct escalate\n```\n> /conduct resolve")
    assert summary.body == "```\n/conduct escalate\n```\n> /conduct resolve"


def test_a_summary_block_also_ends_at_a_problem_line():
    summary, bad = parse_commands("/conduct summary\nbody\n/conduct frob\ntail")
    assert summary.body == "body"
    assert isinstance(bad, Problem) and bad.line == 3


def test_verbs_without_a_block_leave_the_following_text_alone():
    assert only("/conduct note short\nand a longer paragraph").body == ""


def test_a_message_body_joins_the_line_text_and_the_block():
    assert only("/conduct message @reporter-1 Hello,\nwe read your report.").body == (
        "Hello,\nwe read your report.")
    message = only("/conduct message @reporter-1\n\nThank you for writing.\n")
    assert message.args == ("reporter-1",) and message.body == "Thank you for writing."
    assert only("/conduct message @reporter-1 thanks").args == ("reporter-1", "thanks")


# --- edits -----------------------------------------------------------------------------------------

def test_a_new_comment_runs_everything():
    body = "/conduct note one\n/conduct frob"
    assert new_commands(None, body) == parse_commands(body)


def test_resaving_the_same_comment_runs_nothing():
    body = "/conduct note one\n/conduct stage mediation\n/conduct frob\n/conduct summary\nbody"
    assert new_commands(body, body) == []


def test_reordering_or_respacing_runs_nothing():
    old = "/conduct note one\n/conduct stage mediation\n/conduct summary\nfirst  line\nsecond"
    new = "Edited.\n/conduct stage  mediation\n/conduct summary first line\n\nsecond\n/conduct note   one "
    assert new_commands(old, new) == []


def test_only_added_commands_run_and_they_carry_their_new_line_numbers():
    old = "/conduct note one"
    new = "/conduct hold waiting\n/conduct note one\n/conduct note two"
    assert [(c.verb, c.text, c.line) for c in new_commands(old, new)] == [
        ("hold", "waiting", 1), ("note", "two", 3)]


def test_commands_are_counted_as_a_multiset():
    old = "/conduct calm\n/conduct calm"
    added = new_commands(old, "/conduct calm\n/conduct calm\n/conduct calm")
    assert [(c.verb, c.line) for c in added] == [("calm", 3)]
    assert new_commands(old, "/conduct calm") == []


def test_moving_block_text_onto_the_command_line_is_not_new():
    below = "/conduct message @reporter-1\nThank you."
    assert new_commands(below, "/conduct message @reporter-1 Thank you.") == []
    assert new_commands("/conduct summary\nIt began.\nThen.", "/conduct summary It began.\nThen.") == []
    other = new_commands(below, "/conduct message @reporter-2\nThank you.")
    assert [c.args for c in other] == [("reporter-2",)]


def test_a_changed_summary_body_is_a_new_summary():
    added = new_commands("/conduct summary\ndraft", "/conduct summary\nfinal text")
    assert [(c.verb, c.body) for c in added] == [("summary", "final text")]


def test_fixing_a_typo_runs_the_fixed_command_and_an_unchanged_problem_is_not_repeated():
    assert [c.verb for c in new_commands("/conduct hodl waiting", "/conduct hold waiting")] == ["hold"]
    assert new_commands("/conduct hodl waiting", "/conduct hodl waiting\nmore text") == []


def test_a_command_moved_out_of_a_quote_by_an_edit_is_new():
    assert [c.verb for c in new_commands("> /conduct escalate", "/conduct escalate")] == ["escalate"]


# --- the verb table --------------------------------------------------------------------------------

def test_every_verb_has_roles_usage_and_summary_from_the_known_set():
    for name, verb in VERBS.items():
        assert isinstance(verb, Verb) and verb.name == name
        assert verb.roles and verb.roles <= {"anyone", "mediator", "sc", "voter"}
        assert verb.usage.startswith(f"/conduct {name}")
        assert verb.summary.endswith(".")
    assert {name for name, verb in VERBS.items() if verb.takes_block} == {"summary", "message", "report-note"}


def test_the_verb_table_cannot_be_changed():
    with pytest.raises(TypeError):
        VERBS["new"] = VERBS["help"]  # type: ignore[index]


def test_verbs_for_each_role():
    anyone = [v.name for v in verbs_for(frozenset())]
    assert anyone == ["help", "commands"]
    sc = [v.name for v in verbs_for(frozenset({"sc"}))]
    assert sc == ["help", "commands", "recuse", "sc"]
    mediator = [v.name for v in verbs_for(frozenset({"mediator"}))]
    assert "sc" not in mediator and {"stage", "summary", "urgent-ban", "recuse"} <= set(mediator)
    both = verbs_for(frozenset({"mediator", "sc"}))
    assert [v.name for v in both] == list(VERBS)


# --- logins ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "login"), [
    ("@mediator-1", "mediator-1"), (" @A1 ", "A1"), ("@" + "a" * 39, "a" * 39), ("@a-b-c", "a-b-c"),
    ("mediator-1", None), ("@", None), ("@-a", None), ("@a-", None), ("@a--b", None), ("@" + "a" * 40, None),
    ("@a_b", None), ("@a.b", None), ("@@a", None), ("@a b", None), ("@dependabot[bot]", None), ("", None),
])
def test_parse_login(text, login):
    assert parse_login(text) == login


# --- properties ------------------------------------------------------------------------------------

_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .,!?@-", max_size=30)
_command_line = st.builds(
    lambda indent, verb, args: f"{indent}/conduct {verb} {args}".rstrip(),
    st.sampled_from(["", " ", "  ", "   "]),
    st.sampled_from([*VERBS, "FROB", "Hold", "stage"]),
    _words,
)
# Text that leaves no block open: it cannot contain fence, quote or comment openers of its own.
_plain = st.lists(
    st.one_of(_words, _command_line, st.just(""), st.just("# heading"), st.just("- item"),
              st.just("```\ncode\n```"), st.just("<!-- aside -->"), st.just("> quote\n")),
    max_size=5,
).map(lambda lines: "\n".join(lines))


def _fenced(char_and_lengths, line, closed):
    char, opening, extra = char_and_lengths
    close = f"\n{char * (opening + extra)}" if closed else ""
    return f"{char * opening}\n{line}{close}"


_wrapped = st.one_of(
    st.builds(_fenced, st.tuples(st.sampled_from("`~"), st.integers(3, 6), st.integers(0, 2)),
              _command_line, st.booleans()),
    st.builds(lambda marks, line: f"{marks}{line}", st.sampled_from(["> ", ">", "> > ", ">>", "   > "]),
              _command_line),
    # A quoted paragraph (it starts with a letter) takes the next line in lazily.
    st.builds(lambda quote, line: f"> {quote}\n{line}", st.from_regex(r"[a-z][a-z ]{0,20}", fullmatch=True),
              _command_line),
    st.builds(lambda line: f"<!--\n{line}\n-->", _command_line),
)


def _line_of(body: str, marker: str) -> int:
    return body.split("\n").index(marker) + 1


@given(_plain, _wrapped, _plain)
def test_a_command_inside_a_fence_quote_or_comment_is_never_returned(before, wrapped, after):
    body = f"{before}\n\nMARKER\n{wrapped}\n\n{after}"
    start = _line_of(body, "MARKER")
    hidden = range(start + 1, start + 1 + wrapped.count("\n") + 1)
    assert [item for item in parse_commands(body) if item.line in hidden] == []


@given(_plain, _command_line, _plain)
def test_the_same_command_line_in_plain_text_is_returned(before, line, after):
    body = f"{before}\n\nMARKER\n{line}\n\n{after}"
    at = _line_of(body, "MARKER") + 1
    assert [item.line for item in parse_commands(body) if item.line == at] == [at]


@given(_plain)
def test_resaving_any_comment_runs_nothing(body):
    assert new_commands(body, body) == []
    assert new_commands(None, body) == parse_commands(body)


_one_line_commands = st.lists(
    _command_line.filter(lambda line: line.split()[1].lower() not in {"summary", "message", "report-note"}), max_size=6)


@given(_one_line_commands.flatmap(lambda lines: st.tuples(st.just(lines), st.permutations(lines))))
def test_reordering_commands_runs_nothing_and_adding_one_runs_only_it(pair):
    lines, shuffled = pair
    old = "\n".join(lines)
    assert new_commands(old, "\n".join(shuffled)) == []
    added = new_commands(old, "\n".join([*shuffled, "/conduct escalate"]))
    assert [(item.verb, item.line) for item in added] == [("escalate", len(lines) + 1)]
