"""The mediators' escalation summary: four written parts and action points taken from the policy."""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.policy import NO_ACTION, Policy

# Each part is found by a Markdown heading whose words contain one of these phrases. Headings rather
# than a form: mediators write summaries as ordinary comments on the private case.
PARTS = {
    "what_happened": ("what happened",),
    "course": ("course of mediation", "mediation so far"),
    "why_unresolved": ("why", "did not resolve", "not resolved"),
    "action_points": ("action points", "action point"),
}
PART_TITLES = {
    "what_happened": "What happened",
    "course": "Course of mediation",
    "why_unresolved": "Why mediation did not resolve it",
    "action_points": "Action points",
}
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# The summary is kept in the case's state (and shown to voters and the SC), which must stay well under
# GitHub's comment limit: its three written parts together are at most this long.
SUMMARY_MAX = 10_000
_POINT = re.compile(r"^\s*[-*+]\s+`?([a-z0-9-]+)`?\s*(?::\s*(.*))?$")


@dataclass(frozen=True)
class ActionPoint:
    action: str
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    what_happened: str
    course: str
    why_unresolved: str
    action_points: tuple[ActionPoint, ...]

    def options(self) -> tuple[str, ...]:
        """The poll's options from this summary: no-action always, then each action point."""
        return (NO_ACTION, *(point.action for point in self.action_points))


class SummaryRefused(ValueError):
    """The summary misses a part or names something the policy does not define; every reason listed."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def _part_for(heading: str) -> str | None:
    lowered = heading.lower()
    for part, phrases in PARTS.items():
        if any(phrase in lowered for phrase in phrases):
            return part
    return None


def _split(text: str) -> dict[str, str]:
    parts: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = _part_for(heading.group(1))
            if current is not None:
                parts.setdefault(current, [])
            continue
        if current is not None:
            parts[current].append(line)
    return {part: "\n".join(lines).strip() for part, lines in parts.items()}


def _action_points(text: str, policy: Policy, reasons: list[str]) -> tuple[ActionPoint, ...]:
    points: list[ActionPoint] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _POINT.match(line)
        if not match:
            reasons.append(f"the action point line {line.strip()!r} is not `- action-id: criterion-id, ...`")
            continue
        action_id, criteria_text = match.group(1), match.group(2) or ""
        criteria = tuple(c.strip().strip("`") for c in criteria_text.split(",") if c.strip())
        if action_id == NO_ACTION:
            reasons.append("no-action is always on the ballot; list only the actions you propose")
            continue
        if not policy.has_action(action_id):
            reasons.append(f"{action_id!r} is not an action in the published policy")
            continue
        if any(point.action == action_id for point in points):
            reasons.append(f"{action_id!r} is listed twice")
            continue
        if not criteria:
            reasons.append(f"the action point {action_id!r} names no criterion it rests on")
            continue
        allowed = policy.action(action_id).criteria
        for criterion in criteria:
            if not policy.has_criterion(criterion):
                reasons.append(f"{criterion!r} (for {action_id}) is not a criterion in the published policy")
            elif allowed is not None and criterion not in allowed:
                reasons.append(f"the policy does not allow {action_id!r} for {criterion!r}")
        points.append(ActionPoint(action_id, criteria))
    return tuple(points)


def parse_summary(text: str, policy: Policy) -> Summary:
    """Read a summary written under four headings; raise SummaryRefused with every reason if it is not whole."""
    # HTML comments are invisible on GitHub, so they are no part of what the mediators wrote.
    parts = _split(_HTML_COMMENT.sub("", text))
    reasons: list[str] = []
    for part, title in PART_TITLES.items():
        if not parts.get(part):
            reasons.append(f"the part '{title}' is missing or empty")
    points = _action_points(parts.get("action_points", ""), policy, reasons) if parts.get("action_points") else ()
    if parts.get("action_points") and not points and not reasons:
        reasons.append("the action points name no action")
    written = sum(len(parts.get(part, "")) for part in ("what_happened", "course", "why_unresolved"))
    if written > SUMMARY_MAX:
        reasons.append(f"the summary is {written:,} characters; at most {SUMMARY_MAX:,} are kept with the case, "
                       "so shorten it (the full account can stay in the case's comments)")
    if reasons:
        raise SummaryRefused(reasons)
    return Summary(parts["what_happened"], parts["course"], parts["why_unresolved"], points)
