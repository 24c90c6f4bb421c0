"""`/conduct help` in every venue of a watched repository, and blocks made by hand, through signed webhooks."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from test_sanctions_support import Clock, case_issues

from app.core.state_block import decode
from app.standin.proxy import FaultProxy, nth_match
from app.wiring.local import API, build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
CASES, WATCHED, ORG = POLICY.roles.places.cases, POLICY.roles.places.watched[0], POLICY.roles.organization


def run(coro):
    return asyncio.run(coro)


async def as_person(world, login, method, path, body):
    token = world.state.user_token(login)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app), base_url=API) as github:
        answer = await github.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return answer.json() if answer.content else None


def the_case(world):
    (issue,) = world.state.repo(CASES).issues.values()
    state = next(c.body for c in world.state.comments_of(world.state.repo(CASES), issue.number)
                 if "conduct-desk:state" in c.body)
    return issue, decode(state)


def test_help_in_an_inline_review_comment_opens_a_case_and_is_deleted(store):
    async def story():
        world = await build_world(POLICY, store)
        pull = world.state.add_pull(WATCHED, "Faster parser", "participant-1")
        said = await as_person(world, "reporter-1", "POST", f"/repos/{WATCHED}/pulls/{pull.number}/comments",
                               {"body": "/conduct help the review comments mock my English", "commit_id": "a" * 40,
                                "path": "README.md", "line": 1})
        await world.settle()
        return world, pull, said

    world, pull, said = run(story())
    issue, case = the_case(world)
    assert "mock my English" in issue.body and case.venue == "review-comment" and case.channel == "signal"
    assert said["id"] not in world.state.review_items  # deleted, not minimized
    answers = [c.body for c in world.state.comments_of(world.state.repo(WATCHED), pull.number)]
    assert any("The conduct mediators will be in touch" in b for b in answers)  # on the pull request's conversation


def test_help_in_a_review_body_opens_a_case_and_is_hidden(store):
    async def story():
        world = await build_world(POLICY, store)
        pull = world.state.add_pull(WATCHED, "Faster parser", "participant-1")
        said = await as_person(world, "reporter-2", "POST", f"/repos/{WATCHED}/pulls/{pull.number}/reviews",
                               {"event": "COMMENT", "body": "Looks fine.\n/conduct help the author insulted me"})
        await world.settle()
        return world, said

    world, said = run(story())
    issue, case = the_case(world)
    assert "insulted me" in issue.body and case.venue == "review"
    # GitHub's API has no delete for a review's body: it can only be minimized.
    assert world.state.review_items[said["id"]].minimized is not None


async def help_in_a_discussion(world):
    """reporter-3 writes `/conduct help` in a comment on a discussion of the watched repository."""
    repo = world.state.repo(WATCHED)
    repo.has_discussions = True
    world.state.add_discussion_category(WATCHED, "General")
    person = world.as_user("participant-1")
    found = await person.discussion_categories(WATCHED)
    discussion = await person.create_discussion(found.repo_node_id, found.category("General").node_id,
                                                "Roadmap", "What next?")
    await world.as_user("reporter-3").add_discussion_comment(discussion.node_id,
                                                             "/conduct help someone keeps following me here")


def discussion_answers(world) -> list[str]:
    (disc,) = world.state.repo(WATCHED).discussions.values()
    return [c.body for c in disc.comments if "The conduct mediators will be in touch" in c.body]


def test_help_in_a_discussion_comment_opens_a_case_and_is_deleted(store):
    async def story():
        world = await build_world(POLICY, store)
        await help_in_a_discussion(world)
        await world.settle()
        return world

    world = run(story())
    issue, case = the_case(world)
    assert "keeps following me" in issue.body and case.venue == "discussion-comment"
    (disc,) = world.state.repo(WATCHED).discussions.values()
    (answer,) = disc.comments  # the signal is deleted, not minimized
    assert "The conduct mediators will be in touch" in answer.body


class WorkerDied(Exception):
    """The worker ends after acting and before recording it (a real one would be killed there)."""


def test_a_discussion_answer_left_by_a_worker_that_died_is_found_and_not_posted_again(store, monkeypatch):
    clock, died = Clock(), []
    claim, complete = store.claim_effect, store.complete_effect

    def hiding(key: str) -> bool:
        return key.startswith("signal:") and key.endswith(":hide")

    def claim_long_ago(key, now=None):
        # The dead worker's claim is old by the time its delivery is retried: the next worker takes it over.
        return claim(key, clock() - timedelta(hours=1) if hiding(key) else now)

    def dies_before_recording(key, result):
        if hiding(key) and not died:
            died.append(key)  # the signal is deleted and the answer posted, but nothing says so
            raise WorkerDied(key)
        return complete(key, result)

    monkeypatch.setattr(store, "claim_effect", claim_long_ago)
    monkeypatch.setattr(store, "complete_effect", dies_before_recording)

    async def story():
        world = await build_world(POLICY, store, now=clock)
        await help_in_a_discussion(world)
        await world.settle()
        assert died and len(discussion_answers(world)) == 1  # the answer landed before the worker died
        clock.advance(timedelta(hours=1))  # the delivery's retry is due
        await world.settle()
        return world

    world = run(story())
    assert store.effect_result(died[0]) is not None  # the step is recorded now
    issue, case = the_case(world)
    assert "keeps following me" in issue.body and case.venue == "discussion-comment"
    (answer,) = discussion_answers(world)
    assert "conduct-desk:key=" in answer  # findable by its marker


def test_a_discussion_answer_whose_reply_was_lost_is_found_and_not_posted_again(store):
    clock, proxies = Clock(), []

    def faulty(inner):
        # GitHub posts the answer and then answers 502: the desk cannot tell whether it was posted.
        rule = nth_match("POST", "/graphql", 1, "after", operation="AddDiscussionComment")
        proxies.append(FaultProxy(inner, rule=rule).arm())
        return proxies[0]

    async def story():
        world = await build_world(POLICY, store, now=clock, wrap_transport=faulty)
        await help_in_a_discussion(world)
        await world.settle()
        clock.advance(timedelta(hours=1))  # any retry of the delivery is due
        await world.settle()
        return world

    world = run(story())
    assert [kind for _, _, kind in proxies[0].log] == ["after"]
    the_case(world)
    assert len(discussion_answers(world)) == 1


def test_a_help_line_in_a_quote_of_a_review_opens_nothing(store):
    async def story():
        world = await build_world(POLICY, store)
        pull = world.state.add_pull(WATCHED, "Faster parser", "participant-1")
        await as_person(world, "reporter-1", "POST", f"/repos/{WATCHED}/pulls/{pull.number}/reviews",
                        {"event": "COMMENT", "body": "> /conduct help\nquoting the docs"})
        await world.settle()
        return world

    world = run(story())
    assert world.state.repo(CASES).issues == {}


async def blocked_by_hand(store, times: int = 1):
    """An organisation owner blocks participant-3 by hand and lifts the block again, `times` over."""
    world = await build_world(POLICY, store, now=lambda: datetime(2026, 4, 1, 12, 0, tzinfo=UTC))
    world.state.add_org_member(ORG, "owner-1", role="admin")
    for _ in range(times):
        await as_person(world, "owner-1", "PUT", f"/orgs/{ORG}/blocks/participant-3", None)
        await world.settle()
        await as_person(world, "owner-1", "DELETE", f"/orgs/{ORG}/blocks/participant-3", None)
        await world.settle()
    return world


def test_a_block_made_by_hand_is_put_on_record_for_the_mediators(store):
    world = run(blocked_by_hand(store))
    issue, case = the_case(world)
    assert case.channel == "block" and case.reporter == "owner-1" and "participant-3" in case.parties
    assert "`owner-1` blocked `participant-3`" in issue.body and case.opened_at.date().isoformat() == "2026-04-01"
    bodies = [c.body for c in world.state.comments_of(world.state.repo(CASES), issue.number)]
    assert any("**Unblocked by hand**: `owner-1` lifted the organisation's block on `participant-3`" in b
               for b in bodies)


def test_the_apps_own_block_opens_no_second_record(store):
    async def story():
        world = await build_world(POLICY, store)
        await world.github.block_user(ORG, "participant-3")  # as the app does when applying a sanction
        await world.settle()
        return world

    world = run(story())
    assert world.state.repo(CASES).issues == {}


def test_a_second_block_by_hand_is_its_own_case_and_its_unblock_is_noted_there(store):
    world = run(blocked_by_hand(store, times=2))
    numbers = sorted(case_issues(world))
    assert len(numbers) == 2
    for number in numbers:  # each case has its own unblock note, exactly one
        bodies = [c.body for c in world.state.comments_of(world.state.repo(CASES), number)]
        assert sum("**Unblocked by hand**" in b for b in bodies) == 1, number
