"""Whole intake paths against the local GitHub stand-in: signed webhooks in, private cases out."""
from __future__ import annotations

import asyncio
from pathlib import Path

from test_sanctions_support import case_issues

from app.github.errors import NotFound
from app.wiring.local import build_world
from app.wiring.policy_files import load_policy

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policy")
INTAKE, CASES = POLICY.roles.places.intake, POLICY.roles.places.cases
WATCHED = POLICY.roles.places.watched[0]


def run(coro):
    return asyncio.run(coro)


def cases(world):
    """The case issues (a public request transferred in beside its case is not one)."""
    return list(case_issues(world).values())


def comments(world, repo, number):
    return world.state.comments_of(world.state.repo(repo), number)


async def world_for(store):
    return await build_world(POLICY, store)


def test_public_issue_form_becomes_a_private_case_and_is_redacted(store):
    async def story():
        world = await world_for(store)
        reporter = world.as_user("reporter-1")
        public = await reporter.create_issue(
            INTAKE, "Help request", "### I need help\n\n- [X] please contact me\n\n### Link\n\n"
            "https://github.com/example-org/project/issues/9", ["conduct: intake"], key="form")
        await world.settle()
        return world, public

    world, public = run(story())
    (case,) = cases(world)
    assert case.title == "C-2026-001" or case.title.startswith("C-20")
    assert "stage: intake" in case.labels
    texts = [c.body for c in comments(world, CASES, case.number)]
    assert any("conduct-desk:state v1" in t for t in texts)
    assert "https://github.com/example-org/project/issues/9" in case.body
    # The request left the public repository whole, into the cases repository (closed, locked, pointing
    # at its case); nothing was edited in public first (tests/test_public_traces.py reads it as an outsider).
    assert public.number not in world.state.repo(INTAKE).issues
    (moved,) = [i for i in world.state.repo(CASES).issues.values() if i.node_id == public.node_id]
    assert moved.state == "closed" and moved.locked and "please contact me" in moved.body and not moved.edits
    assert any(case.title in c.body for c in comments(world, CASES, moved.number))


def test_a_thread_signal_opens_a_case_linking_the_thread_and_is_deleted(store):
    async def story():
        world = await world_for(store)
        participant = world.as_user("participant-1")
        thread = await participant.create_issue(WATCHED, "Build fails", "It fails.", [], key="t")
        reporter = world.as_user("reporter-2")
        signal = await reporter.create_comment(WATCHED, thread.number, "/conduct help this got heated", key="s")
        await world.settle()
        return world, thread, signal

    world, thread, signal = run(story())
    (case,) = cases(world)
    assert signal.html_url in case.body and "this got heated" in case.body
    assert not [c for c in comments(world, WATCHED, thread.number) if c.id == signal.id]  # deleted
    assert any("mediators will be in touch" in c.body for c in comments(world, WATCHED, thread.number))


def test_a_mediator_works_the_case_by_commenting(store):
    async def story():
        world = await world_for(store)
        reporter = world.as_user("reporter-1")
        await reporter.create_issue(INTAKE, "Help request", "- [X] please contact me", [], key="f")
        await world.settle()
        (case,) = cases(world)
        mediator = world.as_user("mediator-1")
        await mediator.create_comment(CASES, case.number, "/conduct assign @mediator-1", key="m1")
        await world.settle()
        council = world.as_user("sc-1")  # the SC has no access to the cases: GitHub answers 404
        try:
            await council.create_comment(CASES, case.number, "/conduct resolve", key="m2")
        except NotFound:
            refused = True
        await world.settle()
        return world, case.number, refused

    world, number, refused = run(story())
    case = world.state.repo(CASES).issues[number]
    assert "stage: mediation" in case.labels and "stage: intake" not in case.labels
    assert case.assignees == ["mediator-1"]
    assert refused and not any(c.user == "sc-1" for c in world.state.comments_of(world.state.repo(CASES), number))


def test_a_pasted_state_block_is_not_trusted(store):
    async def story():
        world = await world_for(store)
        await world.as_user("reporter-1").create_issue(INTAKE, "Help request", "help", [], key="f")
        await world.settle()
        (case,) = cases(world)
        from app.service.casefile import load

        ours = await load(world.github, world.store, CASES, case.number, world.router.me)
        forged = ours.case.model_copy(update={"stage": ours.case.stage.__class__("action")})
        from app.core.state_block import encode

        await world.as_user("mediator-1").create_comment(CASES, case.number, encode(forged), key="x")
        await world.settle()
        again = await load(world.github, world.store, CASES, case.number, world.router.me)
        return ours, again

    ours, again = run(story())
    assert again.case.stage.value == "intake"
    # The same state but for the ids of events applied since (the mediator's comment is one).
    assert again.case.model_copy(update={"applied": ()}) == ours.case.model_copy(update={"applied": ()})


def test_an_edited_or_deleted_state_comment_is_put_back(store):
    import httpx

    from app.service.casefile import load
    from app.wiring.local import API

    async def story():
        world = await world_for(store)
        await world.as_user("reporter-1").create_issue(INTAKE, "Help request", "help", [], key="f")
        await world.settle()
        (case,) = cases(world)
        before = await load(world.github, world.store, CASES, case.number, world.router.me)
        mediator = world.as_user("mediator-1")
        await mediator.update_comment(CASES, before.state_comment_id, "stage: action, trust me")
        await world.settle()
        after_edit = await load(world.github, world.store, CASES, case.number, world.router.me)
        token = world.state.user_token("mediator-1")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app), base_url=API) as raw:
            gone = await raw.delete(f"/repos/{CASES}/issues/comments/{after_edit.state_comment_id}",
                                    headers={"Authorization": f"Bearer {token}"})
        await world.settle()
        after_delete = await load(world.github, world.store, CASES, case.number, world.router.me)
        notes = [c.body for c in comments(world, CASES, case.number) if "has been put back" in c.body]
        return before, after_edit, gone.status_code, after_delete, notes

    before, after_edit, deleted, after_delete, notes = run(story())
    assert after_edit.case == before.case and after_edit.state_comment_id == before.state_comment_id
    assert deleted == 204
    assert after_delete is not None and after_delete.case == before.case
    assert after_delete.state_comment_id != before.state_comment_id
    assert len(notes) == 2 and all(n.startswith("@mediator-1") for n in notes)
