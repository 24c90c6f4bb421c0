"""Every kind applied and lifted through the stand-in, as the SC's fallback approval and the sweep do it."""
from __future__ import annotations

from datetime import timedelta

from test_sanctions_support import (
    CASES,
    ORG,
    SUBJECT,
    WATCHED,
    Clock,
    approve_by_command,
    comments,
    decide,
    desk,
    open_case,
    org,
    run,
    state_of,
    teams_of,
    tick,
    world_for,
)

from app.sanctions.sweep import sweep


def test_a_member_leaves_the_org_before_the_block_and_gets_their_teams_back(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        assert SUBJECT not in org(world).blocks  # nothing before the SC approves
        await approve_by_command(world, number)
        applied = store.get_sanction(decision)
        blocked = SUBJECT in org(world).blocks and SUBJECT not in org(world).members
        clock.advance(timedelta(days=27))
        await tick(world, clock, number)
        still = SUBJECT in org(world).blocks
        clock.advance(timedelta(days=2))
        await tick(world, clock, number)
        return world, number, decision, applied, blocked, still

    world, number, decision, applied, blocked, still = run(story())
    assert applied.state == "applied" and applied.teams == ("triage",) and applied.was_member is True
    assert blocked and still
    assert SUBJECT not in org(world).blocks
    # GitHub invites someone outside the org when they are added to a team; they rejoin on accepting.
    assert org(world).teams["triage"].pending == {SUBJECT: "member"} and SUBJECT not in org(world).members
    assert world.state.accept_invitations(ORG, SUBJECT) == ["triage"]
    assert teams_of(world, SUBJECT) == ["triage"] and SUBJECT in org(world).members
    lifted = store.get_sanction(decision)
    assert lifted.state == "lifted" and lifted.lifted_at is not None
    bodies = comments(world, number)
    assert sum(f"**Lifted `{decision}`**" in b for b in bodies) == 1
    assert any("sent them an invitation for these teams" in b for b in bodies)
    assert sum("has ended and you are welcome back" in b for b in bodies) == 1  # the path-back note, to the person
    assert run(state_of(world, number)).stage.value == "closed"


def test_someone_outside_the_org_is_blocked_and_unblocked_with_a_note_to_reinvite_nobody(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        world.state.orgs[ORG].members.pop(SUBJECT)
        world.state.orgs[ORG].teams["triage"].members.pop(SUBJECT)
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        await approve_by_command(world, number)
        clock.advance(timedelta(days=29))
        await tick(world, clock, number)
        return world, number, decision

    world, number, decision = run(story())
    record = store.get_sanction(decision)
    assert record.teams == () and record.was_member is False and record.state == "lifted"
    assert SUBJECT not in org(world).blocks and "reinvite" not in record.details
    assert not any("re-invite" in b for b in comments(world, number))


def test_team_removal_takes_every_team_and_restores_them(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        world.state.add_team(ORG, "docs", [SUBJECT])
        number = await open_case(world)
        decision = await decide(world, clock, number, "team-removal")
        await approve_by_command(world, number)
        during = teams_of(world, SUBJECT), SUBJECT in org(world).members
        clock.advance(timedelta(weeks=12, minutes=1))
        await tick(world, clock, number)
        return world, decision, during

    world, decision, during = run(story())
    assert during == ([], True)
    assert teams_of(world, SUBJECT) == ["docs", "triage"]
    assert store.get_sanction(decision).teams == ("docs", "triage")


def test_interaction_limit_on_the_threads_repository(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "interaction-limit")
        await approve_by_command(world, number)
        limit = world.state.repo(WATCHED).interaction_limit
        clock.advance(timedelta(weeks=1, minutes=1))
        await tick(world, clock, number)
        return world, decision, limit

    world, decision, limit = run(story())
    assert limit.limit == "collaborators_only"
    assert timedelta(days=6, hours=23) <= limit.expires_at - store.get_sanction(decision).starts_at <= timedelta(days=7)
    assert world.state.repo(WATCHED).interaction_limit is None
    assert store.get_sanction(decision).details["repo"] == WATCHED


def test_a_limit_longer_than_githubs_expiry_is_renewed_by_the_sweep(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "interaction-limit")
        await approve_by_command(world, number)
        # As if GitHub's expiry ended before the decision does (a 4-week limit gets GitHub's one week):
        # here the limit runs three days of the decision's one week.
        store.update_details(decision, clock(), limit_until=(clock() + timedelta(days=3)).isoformat())
        before = await sweep(desk(world, clock), world.router.me)
        clock.advance(timedelta(days=2, hours=1))
        renewed = await sweep(desk(world, clock), world.router.me)
        return world, decision, before, renewed

    world, decision, before, renewed = run(story())
    assert not any(line.startswith("renew") for line in before)
    assert renewed == [f"renew {decision}: three_days"]


def test_an_interaction_limit_needs_a_thread(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world, with_thread=False)
        decision = await decide(world, clock, number, "interaction-limit")
        await approve_by_command(world, number)
        return world, decision

    world, decision = run(story())
    record = store.get_sanction(decision)
    assert record.state == "failed" and record.error_class == "CannotApply"
    assert all(r.interaction_limit is None for r in world.state.repos.values())


def test_a_warning_is_a_private_message_addressed_to_the_person(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "warning")
        await approve_by_command(world, number)
        clock.advance(timedelta(weeks=52, minutes=1))
        await tick(world, clock, number)
        return world, number, decision

    world, number, decision = run(story())
    messages = [b for b in comments(world, number) if f"<!-- conduct-desk:message to={SUBJECT} -->" in b]
    # The warning itself, what applies and why, then the path back: each addressed to the person, none a
    # staff instruction.
    assert len(messages) == 3 and "formal private warning" in messages[0] and "welcome back" in messages[2]
    assert not any("Mediators" in m or "please deliver" in m for m in messages)
    assert SUBJECT in org(world).members and SUBJECT not in org(world).blocks
    assert store.get_sanction(decision).state == "lifted"


def test_education_restricts_nothing(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "education")
        await approve_by_command(world, number)
        return world, number, decision

    world, number, decision = run(story())
    assert sum(f"**Education for `{SUBJECT}`**" in b for b in comments(world, number)) == 1
    assert teams_of(world, SUBJECT) == ["triage"] and not org(world).blocks
    assert store.get_sanction(decision).state == "applied"


def test_a_manual_checklist_is_reminded_until_every_box_is_ticked(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        number = await open_case(world)
        decision = await decide(world, clock, number, "off-github-ban")
        await approve_by_command(world, number)
        first = await sweep(desk(world, clock), world.router.me)
        same_day = await sweep(desk(world, clock), world.router.me)
        checklist_id = store.get_sanction(decision).details["checklist"]
        checklist = next(c for c in world.state.comments_of(world.state.repo(CASES), number)
                         if c.id == checklist_id)
        mediator = world.as_user("mediator-1")
        await mediator.update_comment(CASES, checklist_id, checklist.body.replace("- [ ]", "- [x]", 2))
        clock.advance(timedelta(days=1))
        partly = await sweep(desk(world, clock), world.router.me)
        await mediator.update_comment(CASES, checklist_id, checklist.body.replace("- [ ]", "- [x]"))
        clock.advance(timedelta(days=1))
        done = await sweep(desk(world, clock), world.router.me)
        clock.advance(timedelta(days=1))
        after = await sweep(desk(world, clock), world.router.me)
        await world.settle()
        return world, number, decision, first, same_day, partly, done, after

    world, number, decision, first, same_day, partly, done, after = run(story())
    assert first == same_day == [f"remind {decision}: 4 open"]
    assert partly == [f"remind {decision}: 2 open"]
    assert done == [f"remind {decision}: checklist complete"] and after == []
    reminders = [b for b in comments(world, number) if b.startswith(f"**Reminder for `{decision}`**")]
    assert len(reminders) == 2  # one a day while boxes were open, none once all were ticked


def test_an_urgent_ban_then_the_polls_ban_keeps_the_person_blocked_when_the_urgent_one_ends(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        world.state.add_collaborator(WATCHED, SUBJECT, "write")  # direct access the first block takes away
        number = await open_case(world)
        await world.as_user("mediator-1").create_comment(
            CASES, number, f"/conduct urgent-ban @{SUBJECT} 7d threats in the thread", key="u")
        await world.settle()
        urgent = (await state_of(world, number)).decisions[-1].id
        await approve_by_command(world, number)
        after_urgent = SUBJECT in org(world).blocks, store.get_sanction(urgent)
        poll = await decide(world, clock, number, "temporary-ban")
        await approve_by_command(world, number, "sc-2", "sc-3")
        clock.advance(timedelta(minutes=5))
        await tick(world, clock, number)  # the poll's ban replaced the urgent one: it is lifted now
        while_poll_ban = SUBJECT in org(world).blocks, dict(world.state.repo(WATCHED).collaborators), \
            store.get_sanction(poll)
        clock.advance(timedelta(weeks=12))
        await tick(world, clock, number)  # the poll's ban ends: the access the urgent ban took comes back
        return world, number, urgent, poll, after_urgent, while_poll_ban

    world, number, urgent, poll, (blocked, urgent_record), while_poll_ban = run(story())
    assert blocked and urgent_record.kind == "org_block" and urgent_record.teams == ("triage",)
    assert store.get_sanction(urgent).state == "lifted"
    still_blocked, access_then, handed = while_poll_ban
    assert still_blocked  # still blocked under the poll's decision
    assert handed.state == "applied" and handed.teams == ("triage",) and handed.was_member is True
    assert handed.details["collaborators"] == {WATCHED: "push"}  # handed over from the urgent ban
    assert any(f"stays blocked under `{poll}`" in b for b in comments(world, number))
    assert SUBJECT not in access_then
    assert store.get_sanction(poll).state == "lifted" and SUBJECT not in org(world).blocks
    # The block made them leave the org, so GitHub gives the access back as an invitation to accept.
    assert world.state.repo(WATCHED).invitations == {SUBJECT: "write"}


def test_a_ban_records_direct_collaborator_access_the_block_removes_and_gives_it_back(store):
    clock = Clock()

    async def story():
        world = await world_for(store, clock)
        world.state.orgs[ORG].members.pop(SUBJECT)
        world.state.orgs[ORG].teams["triage"].members.pop(SUBJECT)
        world.state.add_collaborator(WATCHED, SUBJECT, "write")  # an outside collaborator on the project
        number = await open_case(world)
        decision = await decide(world, clock, number, "temporary-ban")
        await approve_by_command(world, number)
        during = dict(world.state.repo(WATCHED).collaborators)
        clock.advance(timedelta(days=29))
        await tick(world, clock, number)
        return world, number, decision, during

    world, number, decision, during = run(story())
    assert store.get_sanction(decision).details["collaborators"] == {WATCHED: "push"}
    assert SUBJECT not in during  # GitHub removed the access when it blocked them
    # Outside the organisation, GitHub makes it an invitation; accepted, the access is back as it was.
    assert world.state.repo(WATCHED).invitations == {SUBJECT: "write"}
    assert any(f"Direct access restored to `{WATCHED}`" in b and "invitation" in b for b in comments(world, number))
