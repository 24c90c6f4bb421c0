"""Every create is findable afterwards: when GitHub makes the poll discussion, its result post or a workflow
run and then answers 502, the retry finds it instead of making a second one."""
from __future__ import annotations

from collections import Counter

from heal_support import POLICY, demo_with, run

FORUM = POLICY.roles.places.deliberation.repo
CASES = POLICY.roles.places.cases
DECISIONS = POLICY.roles.places.decisions
GUARDED = (b"createDiscussion", b"addDiscussionComment", b"/dispatches")


def first_of_each_lands_then_fails():
    seen: set[bytes] = set()

    def rule(_position, request):
        what = next((g for g in GUARDED if g in request.content or g in request.url.path.encode()), None)
        if what is None or what in seen:
            return None
        seen.add(what)
        return "after"

    return rule


def test_a_create_that_landed_but_answered_502_is_found_not_repeated():
    _state, proxy, world = run(demo_with({"writes_only": True, "rule": first_of_each_lands_then_fails()}))
    failed = [what for _, what, kind in proxy.log if kind == "after"]
    assert len(failed) == 3, failed  # each guarded kind of create really failed once, after landing
    forum = world.state.repo(FORUM)
    titles = Counter(d.title for d in forum.discussions.values())
    assert titles and all(count == 1 for count in titles.values()), titles  # one discussion per poll
    for discussion in forum.discussions.values():
        results = [c for c in discussion.comments if "conduct-desk:key=poll-published:" in c.body]
        assert len(results) == 1 and discussion.state == "closed" and discussion.locked
    # Dispatched runs (scheduled sweeps carry no inputs): poll-open, and the SC's approval of each decision.
    runs = Counter((r.workflow_id, tuple(sorted(r.inputs.items()))) for name in (CASES, DECISIONS)
                   for r in world.state.repo(name).runs.values() if r.inputs)
    assert len(runs) >= 4 and all(count == 1 for count in runs.values()), runs
