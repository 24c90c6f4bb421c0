"""The sanctions ledger on both databases: one row per decision, teams kept once, due and active lists."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_sanctions_support import POLICY

from app.sanctions.kinds import interaction_expiry, plan_for
from app.store.ledger import Sanction

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def record(decision_id="C-2026-001-d1", subject="participant-1", kind="org_block", ends=timedelta(days=28),
           review=False) -> Sanction:
    return Sanction(decision_id=decision_id, case_code=decision_id.rsplit("-d", 1)[0], action_id="temporary-ban",
                    kind=kind, subject=subject, approved_by=("sc-1", "sc-2"), starts_at=T0,
                    ends_at=None if review else T0 + ends, review_at=T0 + ends if review else None,
                    details={"case_issue": 7})


def test_a_decision_is_begun_once_and_read_back(store):
    first, created = store.begin_sanction(record(), T0)
    again, created_again = store.begin_sanction(record(), T0 + timedelta(minutes=1))
    assert created and not created_again
    assert first == again
    assert first.state == "applying" and first.approved_by == ("sc-1", "sc-2") and first.teams is None
    assert first.details == {"case_issue": 7} and first.ends_at == T0 + timedelta(days=28)
    assert store.get_sanction("C-2026-001-d9") is None


def test_teams_are_recorded_once_so_a_resumed_apply_cannot_forget_them(store):
    store.begin_sanction(record(), T0)
    store.record_teams("C-2026-001-d1", ["triage", "core"], True, T0)
    # A resumed apply sees the person already outside their teams: its empty record must not win.
    kept = store.record_teams("C-2026-001-d1", [], False, T0)
    assert kept.teams == ("core", "triage") and kept.was_member is True
    merged = store.merge_teams("C-2026-001-d1", ["docs"], False, T0)
    assert merged.teams == ("core", "docs", "triage") and merged.was_member is True


def test_only_one_run_holds_an_apply_and_a_failure_frees_it(store):
    store.begin_sanction(record(), T0)
    assert not store.claim_sanction("C-2026-001-d1", "applying", T0, T0 - timedelta(minutes=15))
    failed = store.fail_sanction("C-2026-001-d1", "Unavailable", T0)
    assert (failed.state, failed.failed_from, failed.error_class, failed.attempts) == \
        ("failed", "applying", "Unavailable", 1)
    assert store.fail_sanction("C-2026-001-d1", "Forbidden", T0).attempts == 2
    assert store.unfinished_applies(T0) != []
    assert store.claim_sanction("C-2026-001-d1", "applying", T0, T0 - timedelta(minutes=15))
    assert not store.claim_sanction("C-2026-001-d1", "applying", T0, T0 - timedelta(minutes=15))
    # A run that died without recording anything is free once it is stale.
    assert store.claim_sanction("C-2026-001-d1", "applying", T0 + timedelta(hours=1), T0 + timedelta(minutes=1))
    assert store.set_sanction_state("C-2026-001-d1", "applied", T0, from_states=("applying",))
    done = store.get_sanction("C-2026-001-d1")
    assert done.state == "applied" and done.error_class is None and done.failed_from is None


def test_due_lists_ended_sanctions_until_lifted_and_never_review_dated_ones(store):
    store.begin_sanction(record("C-2026-001-d1", ends=timedelta(days=7)), T0)
    store.begin_sanction(record("C-2026-002-d1", ends=timedelta(days=30)), T0)
    store.begin_sanction(record("C-2026-003-d1", ends=timedelta(days=1), review=True), T0)
    for decision in ("C-2026-001-d1", "C-2026-002-d1", "C-2026-003-d1"):
        store.set_sanction_state(decision, "applied", T0)
    assert store.due_sanctions(T0 + timedelta(days=6)) == []
    assert [s.decision_id for s in store.due_sanctions(T0 + timedelta(days=8))] == ["C-2026-001-d1"]
    assert store.claim_sanction("C-2026-001-d1", "lifting", T0, T0)
    store.set_sanction_state("C-2026-001-d1", "lifted", T0 + timedelta(days=8), from_states=("lifting",))
    assert [s.decision_id for s in store.due_sanctions(T0 + timedelta(days=31))] == ["C-2026-002-d1"]
    assert store.get_sanction("C-2026-001-d1").lifted_at == T0 + timedelta(days=8)


def test_active_sanctions_for_a_login(store):
    store.begin_sanction(record("C-2026-001-d1"), T0)
    store.begin_sanction(record("C-2026-002-d1", subject="participant-2"), T0)
    store.begin_sanction(record("C-2026-003-d1"), T0 + timedelta(days=1))
    store.set_sanction_state("C-2026-001-d1", "lifted", T0)
    assert [s.decision_id for s in store.active_sanctions("participant-1")] == ["C-2026-003-d1"]
    assert [s.decision_id for s in store.active_sanctions("participant-2")] == ["C-2026-002-d1"]
    assert store.active_sanctions("reporter-1") == []


def test_details_merge_and_bad_states_are_refused(store):
    store.begin_sanction(record(), T0)
    store.update_details("C-2026-001-d1", T0, repo="example-org/project")
    assert store.update_details("C-2026-001-d1", T0, notice=5).details == \
        {"case_issue": 7, "repo": "example-org/project", "notice": 5}
    with pytest.raises(ValueError):
        store.set_sanction_state("C-2026-001-d1", "failed", T0)
    with pytest.raises(ValueError):
        store.set_sanction_state("C-2026-001-d1", "gone", T0)


@pytest.mark.parametrize(("days", "expiry"), [
    (0.5, "one_day"), (1, "one_day"), (2, "one_day"), (3, "three_days"), (7, "one_week"), (28, "one_week"),
    (30, "one_month"), (179, "one_month"), (180, "six_months"), (400, "six_months"),
])
def test_interaction_expiry_is_the_longest_that_fits(days, expiry):
    assert interaction_expiry(timedelta(days=days))[0] == expiry


def test_an_urgent_ban_is_an_org_block_whose_teams_come_back():
    from app.core.case import Decision

    urgent = Decision(id="C-2026-001-d1", action="urgent-ban", subject="x", duration=timedelta(days=7),
                      urgent=True, requested_at=T0)
    plan = plan_for(urgent, POLICY)
    assert (plan.kind, plan.restore, plan.ends) == ("org_block", True, True)
    long_ban = plan_for(urgent.model_copy(update={"action": "long-ban", "urgent": False}), POLICY)
    assert (long_ban.kind, long_ban.restore, long_ban.ends) == ("org_block", False, False)
