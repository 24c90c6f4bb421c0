"""The public Markdown page of the policy: what the community reads to know where the lines are."""
from __future__ import annotations

from app.core.policy import Policy
from app.core.tally import rule_in_words
from app.render import render


def render_policy_page(policy: Policy) -> str:
    return render("policy-page.md.j2", {
        "criteria": policy.criteria.criteria,
        "source": policy.criteria.source,
        "actions": policy.actions_by_severity(),
        "process": policy.process,
        "tally_rule": rule_in_words(*(getattr(policy.process.poll, name) for name in ("rule", "threshold", "quorum"))),
    })
