"""`conduct setup`: check the org against the plan; with apply, create what the API can and check again."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from app.core.policy import Policy
from app.github.admin import AdminAdapter
from app.github.client import ClientOptions
from app.github.errors import GitHubError

from .checks import check_all
from .plan import Options, Plan, build_plan
from .report import Finding, Status, exit_code, render


async def run_setup(admin: AdminAdapter, plan: Plan, apply: bool = False) -> list[Finding]:
    """`--check` (apply=False) only reads. `--apply` runs each MISSING item's fix in order, then reads again;
    items it made show as CREATED, and one it could not make shows as ACTION NEEDED with GitHub's refusal."""
    findings = await check_all(admin, plan)
    if not apply:
        return findings
    made: set[str] = set()
    failed: dict[str, str] = {}
    for finding in findings:
        if finding.status is not Status.MISSING or finding.fix is None:
            continue
        try:
            await finding.fix()
        except GitHubError as exc:
            failed[finding.key] = str(exc)
        else:
            made.add(finding.key)
    after = []
    for finding in await check_all(admin, plan):
        if finding.key in failed:
            finding = Finding(
                finding.key, Status.ACTION, f"could not create it ({failed[finding.key]}): {finding.detail}"
            )
        elif finding.key in made and finding.status is Status.OK:
            finding = Finding(finding.key, Status.CREATED, finding.detail)
        after.append(finding)
    return after


async def setup_command(
    policy: Policy,
    options: Options,
    token: str,
    *,
    apply: bool = False,
    out: TextIO | None = None,
    client_options: ClientOptions | None = None,
    adapter: Callable[[str, str, ClientOptions | None], AdminAdapter] | None = None,
) -> int:
    """What `conduct setup [--check | --apply]` runs: print one line per item and return the exit status.

    `token` is an organisation owner's token (setup changes org settings the App itself may not); the App's
    own credentials are not used here.
    """
    out = out or sys.stdout
    build = adapter or (lambda t, url, o: AdminAdapter.with_token(t, url, o))
    admin = build(token, options.api_url, client_options)
    plan = build_plan(policy, options)
    findings = await run_setup(admin, plan, apply=apply)
    print(render(findings), file=out)
    code = exit_code(findings)
    todo = sum(1 for f in findings if f.status in (Status.MISSING, Status.ACTION))
    print(f"{'ready' if code == 0 else f'{todo} item(s) to do'}", file=out)
    return code
