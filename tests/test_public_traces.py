"""Nothing of a reporter stays public: read as an outsider with read access to the public repositories,
through the stand-in's REST and GraphQL API, after the app has moved each request into a private case."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from test_sanctions_support import case_issues

from app.wiring.local import API, build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
INTAKE, CASES = POLICY.roles.places.intake, POLICY.roles.places.cases
WATCHED = POLICY.roles.places.watched[0]
SECRET = "the build bot insulted me in the review"
EDITED = "and again on the mailing list"
ISSUE_GQL = """query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) {
  issue(number: $number) { title body userContentEdits(first: 50) { nodes { diff editor { login } } } } } }"""
NODE_GQL = """query($id: ID!) { node(id: $id) { ... on IssueComment { body isMinimized
  userContentEdits(first: 50) { nodes { diff } } } } }"""


class Outsider:
    """Someone with no role anywhere, reading what any GitHub user can read, and keeping all of it."""

    def __init__(self, world):
        token = world.state.user_token("outsider-1")
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app), base_url=API,
                                      headers={"Authorization": f"Bearer {token}"}, follow_redirects=True)
        self.read: list[str] = []

    async def get(self, path: str) -> httpx.Response:
        response = await self.http.get(path)
        self.read.append(f"{response.status_code} {response.text}")
        return response

    async def graphql(self, query: str, **variables) -> dict:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        self.read.append(response.text)
        return response.json()

    def saw(self, text: str) -> bool:
        return any(text.lower() in page.lower() for page in self.read)


def shown(body: str) -> str:
    """A body without the hidden marker the client adds."""
    return body.split("\n\n<!--")[0]


def codes(world) -> list[str]:
    return [issue.title for issue in case_issues(world).values()]


def test_minimized_comments_edit_history_and_renames_stay_readable_to_any_reader(store):
    """What hurts, modelled: hiding a comment or editing text in public removes nothing from a reader."""
    async def story():
        world = await build_world(POLICY, store)
        author = world.as_user("participant-1")
        thread = await author.create_issue(WATCHED, "A first title", SECRET, [], key="t")
        await author.update_issue(WATCHED, thread.number, title="Nothing to see", body="(removed)")
        comment = await author.create_comment(WATCHED, thread.number, SECRET, key="c")
        await author.update_comment(WATCHED, comment.id, "(removed)")
        await world.github.minimize_comment(comment.node_id, "RESOLVED")
        outsider = Outsider(world)
        events = (await outsider.get(f"/repos/{WATCHED}/issues/{thread.number}/events")).json()
        issue = await outsider.graphql(ISSUE_GQL, owner=WATCHED.split("/")[0], name=WATCHED.split("/")[1],
                                       number=thread.number)
        node = await outsider.graphql(NODE_GQL, id=comment.node_id)
        return events, issue, node

    events, issue, node = asyncio.run(story())
    renamed = {"from": "A first title", "to": "Nothing to see"}
    assert [(e["event"], e["rename"], e["actor"]["login"]) for e in events] == [("renamed", renamed, "participant-1")]
    edits = issue["data"]["repository"]["issue"]["userContentEdits"]["nodes"]
    assert [shown(e["diff"]) for e in edits] == ["(removed)", SECRET]
    assert node["data"]["node"]["isMinimized"] is True and shown(node["data"]["node"]["body"]) == "(removed)"
    assert [shown(e["diff"]) for e in node["data"]["node"]["userContentEdits"]["nodes"]] == ["(removed)", SECRET]


def test_a_public_form_request_leaves_nothing_readable_in_public(store):
    async def story():
        world = await build_world(POLICY, store)
        reporter = world.as_user("reporter-1")
        public = await reporter.create_issue(INTAKE, "Help request", f"### I need help\n\n{SECRET}", [], key="f")
        # The reporter changes their mind about the wording before the app gets to it: both versions exist.
        await reporter.update_issue(INTAKE, public.number, title=f"Help: {EDITED}", body=f"{SECRET} {EDITED}")
        await world.settle()
        outsider = Outsider(world)
        listed = await outsider.get(f"/repos/{INTAKE}/issues?state=all")
        direct = await outsider.get(f"/repos/{INTAKE}/issues/{public.number}")
        await outsider.get(f"/repos/{INTAKE}/issues/{public.number}/events")
        await outsider.get(f"/repos/{INTAKE}/issues/{public.number}/comments")
        owner, name = INTAKE.split("/")
        await outsider.graphql(ISSUE_GQL, owner=owner, name=name, number=public.number)
        await outsider.graphql(NODE_GQL, id=public.node_id)
        return world, outsider, listed, direct

    world, outsider, listed, direct = asyncio.run(story())
    (code,) = codes(world)
    assert listed.json() == [] and direct.status_code == 404
    for trace in (SECRET, EDITED, "reporter-1", code):
        assert not outsider.saw(trace), trace
    # The request and its history went to the cases repository, where the mediators read it.
    moved = [i for n, i in world.state.repo(CASES).issues.items() if n not in case_issues(world)]
    assert len(moved) == 1 and moved[0].user == "reporter-1" and moved[0].state == "closed"
    assert SECRET in moved[0].edits[0].text and moved[0].events[0]["event"] == "renamed"


def test_a_thread_signal_leaves_no_reporter_text_mention_or_code_in_the_thread(store):
    async def story():
        world = await build_world(POLICY, store)
        thread = await world.as_user("participant-1").create_issue(WATCHED, "Build fails", "It fails.", [], key="t")
        reporter = world.as_user("reporter-2")
        signal = await reporter.create_comment(WATCHED, thread.number, f"/conduct help {SECRET}", key="s")
        await world.settle()
        outsider = Outsider(world)
        comments = (await outsider.get(f"/repos/{WATCHED}/issues/{thread.number}/comments")).json()
        gone = await outsider.get(f"/repos/{WATCHED}/issues/comments/{signal.id}")
        node = await outsider.graphql(NODE_GQL, id=signal.node_id)
        return world, outsider, comments, gone, node

    world, outsider, comments, gone, node = asyncio.run(story())
    (code,) = codes(world)
    assert gone.status_code == 404 and node["data"]["node"] is None
    assert [shown(c["body"]) for c in comments] == ["The conduct mediators will be in touch."]
    for trace in (SECRET, "reporter-2", code, json.dumps(code)):
        assert not outsider.saw(trace), trace
    # The private copy holds the signal's text.
    (case,) = [i for i in world.state.repo(CASES).issues.values() if i.title == code]
    assert SECRET in case.body


REVIEW_GQL = """query($id: ID!) { node(id: $id) { ... on PullRequestReviewComment { body isMinimized } } }"""
DISCUSSION_GQL = """query($id: ID!, $thread: ID!) {
  signal: node(id: $id) { ... on DiscussionComment { body isMinimized } }
  thread: node(id: $thread) { ... on Discussion { comments(first: 50) { nodes { body } } } } }"""


def test_a_review_comment_signal_cannot_be_read_by_an_outsider_after_intake(store):
    async def story():
        world = await build_world(POLICY, store)
        pull = world.state.add_pull(WATCHED, "Faster parser", "participant-1")
        reporter = world.state.user_token("reporter-2")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app), base_url=API) as http:
            said = (await http.post(f"/repos/{WATCHED}/pulls/{pull.number}/comments",
                                    json={"body": f"/conduct help {SECRET}", "commit_id": "a" * 40,
                                          "path": "README.md", "line": 1},
                                    headers={"Authorization": f"Bearer {reporter}"})).json()
        await world.settle()
        outsider = Outsider(world)
        gone = await outsider.get(f"/repos/{WATCHED}/pulls/comments/{said['id']}")
        node = await outsider.graphql(REVIEW_GQL, id=said["node_id"])
        return world, outsider, gone, node

    world, outsider, gone, node = asyncio.run(story())
    assert gone.status_code == 404 and node["data"]["node"] is None
    assert not outsider.saw(SECRET)
    (case,) = list(case_issues(world).values())
    assert SECRET in case.body


def test_a_discussion_comment_signal_cannot_be_read_by_an_outsider_after_intake(store):
    async def story():
        world = await build_world(POLICY, store)
        world.state.repo(WATCHED).has_discussions = True
        world.state.add_discussion_category(WATCHED, "General")
        person = world.as_user("participant-1")
        found = await person.discussion_categories(WATCHED)
        thread = await person.create_discussion(found.repo_node_id, found.category("General").node_id,
                                                "Roadmap", "What next?")
        signal = await world.as_user("reporter-3").add_discussion_comment(thread.node_id, f"/conduct help {SECRET}")
        await world.settle()
        outsider = Outsider(world)
        seen = await outsider.graphql(DISCUSSION_GQL, id=signal.node_id, thread=thread.node_id)
        return world, outsider, seen

    world, outsider, seen = asyncio.run(story())
    assert seen["data"]["signal"] is None
    assert [shown(c["body"]).strip() for c in seen["data"]["thread"]["comments"]["nodes"]] == [
        "The conduct mediators will be in touch."]
    assert not outsider.saw(SECRET)
    (case,) = list(case_issues(world).values())
    assert SECRET in case.body


TRANSFER_GQL = """mutation($i: ID!, $r: ID!) { transferIssue(input: {issueId: $i, repositoryId: $r}) {
  issue { number } } }"""


def test_only_write_access_on_both_repositories_transfers_an_issue(store):
    """GitHub's "Transferring an issue to another repository": write access to both; triage is refused."""
    async def story():
        world = await build_world(POLICY, store)
        public = await world.as_user("participant-1").create_issue(INTAKE, "Help", "Please.", [], key="p")
        cases = world.state.repo(CASES)
        answers = {}
        for login, level in (("triager-1", "triage"), ("writer-1", "write")):
            world.state.add_collaborator(INTAKE, login, level)
            world.state.add_collaborator(CASES, login, level)
            token = world.state.user_token(login)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app), base_url=API,
                                         headers={"Authorization": f"Bearer {token}"}) as http:
                answers[level] = (await http.post("/graphql", json={"query": TRANSFER_GQL, "variables": {
                    "i": public.node_id, "r": cases.node_id}})).json()
                if level == "triage":
                    answers["still-public"] = public.number in world.state.repo(INTAKE).issues
        return answers

    answers = asyncio.run(story())
    assert answers["triage"]["errors"][0]["type"] == "FORBIDDEN" and answers["still-public"]
    assert answers["write"]["data"]["transferIssue"]["issue"]["number"] >= 1
