"""Every field a reporter or party writes is inert where the app renders it: read with GitHub's own
Markdown renderer (cmark-gfm), through the real form, issue and inbox paths."""
from __future__ import annotations

import asyncio
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from test_neutralise import autolinks_outside_code, gfm, read
from test_pages import CASES, POLICY, browser_for, csrf, file_report, setup
from test_sanctions_support import case_issues

from app.core.neutralise import inert_markers
from app.render import table_cell

INTAKE, WATCHED = POLICY.roles.places.intake, POLICY.roles.places.watched[0]
HOSTILE = "![seen](https://tracker.example/p.png) @sc-1 @example-org/sc example-org/project#5 GH-7 | x <b>"


def rows(markdown: str) -> list[list[str]]:
    """Each body row's cells as rendered."""
    html = gfm(markdown).replace("\n", "")
    return [cells for row in re.findall(r"<tr>(.*?)</tr>", html) if (cells := re.findall(r"<td>(.*?)</td>", row))]


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"), min_size=1, max_size=80))
def test_a_cell_holds_any_text_in_one_code_span_in_its_own_cell(text):
    if not text.strip():
        return
    table = f"| | |\n|---|---|\n| thread | {table_cell(text)} |\n| next | row |\n"
    (first, second) = rows(table)
    assert first[0] == "thread" and len(first) == 2 and second == ["next", "row"]
    cell = read(gfm(table))
    assert "img" not in cell.tags and "a" not in cell.tags and cell.comments == []
    shown = "".join(read(f"<p>{first[1]}</p>").inside)
    assert shown.split() == inert_markers(" ".join(text.split())).split()


def test_the_private_forms_where_field_reaches_the_case_inert_and_the_thread_as_its_url(store):
    async def story():
        world = await setup(store)
        reporter = await browser_for(world, "reporter-3")
        _, code = await file_report(world, reporter, where=f"https://github.com/{WATCHED}/issues/4 {HOSTILE}",
                                    **{"what-happened": HOSTILE})
        inbox = await reporter.get(f"/inbox/{code}")
        await reporter.post(f"/inbox/{code}", data={"reply": HOSTILE, "csrf_token": csrf(inbox.text)})
        page = await reporter.get(f"/inbox/{code}")
        number = int(world.store.effect_result(f"case-issue:{code}"))
        return world, number, page

    world, number, page = asyncio.run(story())
    issue = world.state.repo(CASES).issues[number]
    texts = [issue.body, *(c.body for c in world.state.comments_of(world.state.repo(CASES), number)
                           if c.user == world.router.me.bot_login)]
    for text in texts:
        rendered = read(gfm(text))
        assert "img" not in rendered.tags, text
        found = autolinks_outside_code(text)
        # The app's own words ping the mediators and link the service; nothing the reporter wrote links.
        own = {" @mediator-1", " @mediator-2"}
        found = {k: [v for v in values if v not in own and not v.startswith("http://127.0.0.1:8000/")]
                 for k, values in found.items()}
        assert not {k: v for k, v in found.items() if v}, text
    assert [r[0] for r in rows(issue.body)] == ["asked by", "thread", "people named"]
    assert f"https://github.com/{WATCHED}/issues/4" in issue.body and "tracker.example" in issue.body
    # The service's own page shows the reply as text, not as an image or a tag.
    assert page.status_code == 200 and "<img" not in page.text and "<b>" not in page.text
    assert "tracker.example/p.png" in page.text


def test_a_pipe_in_a_public_forms_link_stays_in_its_table_cell(store):
    async def story():
        world = await setup(store)
        body = f"### I need help\n\n- [X] please contact me\n\n### Link\n\nhttps://x.example/a|{HOSTILE.split()[0]}"
        await world.as_user("reporter-1").create_issue(INTAKE, "Help request", body, [], key="f")
        await world.settle()
        (case,) = list(case_issues(world).values())
        return case

    case = asyncio.run(story())
    table = rows(case.body)
    assert [len(r) for r in table] == [2, 2] and table[1][0] == "thread"
    assert table[1][1].startswith("<code>https://x.example/a|![seen]") and "img" not in read(gfm(case.body)).tags
