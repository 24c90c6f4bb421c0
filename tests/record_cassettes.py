"""Re-record the GitHub adapter's vcrpy cassettes (tests/cassettes/), scrubbed of tokens, JWTs and ids.

How to run (from the repository root):

    # against the local stand-in (default; needs nothing else):
    .venv/bin/python tests/record_cassettes.py

    # against a real test organisation (a throwaway org with the Conduct Desk App installed, a private
    # repo `cases` with discussions on, a public repo `intake`, a team `mediators` with at least one member,
    # a workflow `.github/workflows/noop.yml` with `workflow_dispatch`, and a non-member user to block):
    CONDUCT_GITHUB_API_URL=https://api.github.com/ CONDUCT_APP_ID=123456 \\
    CONDUCT_APP_PRIVATE_KEY=/path/to/app.pem CONDUCT_TEST_ORG=my-test-org \\
    CONDUCT_TEST_MEMBER=some-member CONDUCT_TEST_OUTSIDER=some-non-member \\
    .venv/bin/python tests/record_cassettes.py

Every step below runs in order, each inside its own cassette `tests/cassettes/<step>.yaml`; the target
names used are written to `tests/cassettes/target.json` so `tests/test_adapter.py` replays the same steps
(record mode `none`). Scrubbing: the Authorization header (tokens and the App's JWT) is dropped, `token`
fields in JSON bodies become "REDACTED" (their `expires_at` a fixed far date), and installation ids
(in `/app/installations/{id}/` paths and in the installation's JSON) become a fixed placeholder.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vcr

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.github.adapter import GitHubAdapter  # noqa: E402
from app.github.client import ClientOptions, GitHubSettings, WritePacer, settings_from_env  # noqa: E402
from app.github.port import Reviewer  # noqa: E402

CASSETTES = Path(__file__).resolve().parent / "cassettes"
TARGET_FILE = CASSETTES / "target.json"
INSTALLATION_PLACEHOLDER = 1
REDACTED = "REDACTED"
TOKEN_EXPIRY = "2099-01-01T00:00:00Z"
_INSTALLATION_PATH = re.compile(r"/app/installations/\d+/")
_INSTALLATION_ID = re.compile(r"/installations/\d+(?=/|$)")


@dataclass(frozen=True)
class Target:
    """The names a recording uses; a real organisation supplies its own."""

    org: str = "acme"
    repo: str = "acme/cases"
    intake: str = "acme/intake"  # public: a request in it is transferred into `repo`
    team: str = "mediators"
    member: str = "mediator-1"
    outsider: str = "troll-1"
    workflow: str = "noop.yml"
    environment: str = "steering-council"
    app_id: int = 4242
    watched: str = "acme/project"  # public: a pull request in it carries `review_comment`
    # An inline review comment on a pull request in `watched`, written by `outsider` (seeded in the stand-in).
    review_comment: int = 900_001


# --------------------------------------------------------------------------- scrubbing


def scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if name.lower() == "authorization":
            del request.headers[name]
    request.uri = _INSTALLATION_PATH.sub(f"/app/installations/{INSTALLATION_PLACEHOLDER}/", request.uri)
    return request


def _scrub_json(value: Any, installation: bool) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "token" and isinstance(item, str):
                out[key] = REDACTED
            elif key == "expires_at" and "token" in value:
                # A fixed, far expiry: a replay months later must still find the token fresh, or githubkit
                # would ask for another one that the cassette does not hold.
                out[key] = TOKEN_EXPIRY
            elif installation and key == "id" and isinstance(item, int):
                out[key] = INSTALLATION_PLACEHOLDER
            elif isinstance(item, str):
                out[key] = _INSTALLATION_ID.sub(f"/installations/{INSTALLATION_PLACEHOLDER}", item)
            else:
                out[key] = _scrub_json(item, False)
        return out
    if isinstance(value, list):
        return [_scrub_json(v, False) for v in value]
    return value


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    raw = response["body"]["string"]
    try:
        data = json.loads(raw)
    except (ValueError, TypeError, UnicodeDecodeError):
        return response
    # The installation object (GET /orgs/{org}/installation) is the only top-level body with these keys.
    installation = isinstance(data, dict) and "access_tokens_url" in data and "app_id" in data
    response["body"]["string"] = json.dumps(_scrub_json(data, installation)).encode()
    headers = response["headers"]
    for name in [n for n in headers if n.lower() == "content-length"]:
        headers[name] = [str(len(response["body"]["string"]))]
    return response


def cassette_vcr(record_mode: str) -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        match_on=["method", "path", "query"],
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
        filter_headers=["authorization"],
    )


# --------------------------------------------------------------------------- the steps

Step = Callable[[GitHubAdapter, Target, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class StepDef:
    name: str
    covers: tuple[str, ...]  # port methods this step calls
    run: Step = field(repr=False)
    # The stand-in does not serve this yet, so it has no cassette unless recorded against a real org.
    standin_gap: bool = False


async def _issue(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    issue = await gh.create_issue(
        t.repo, "Case 1", "Request for help (recorded test case).", ["question"], key="case-1"
    )
    ctx["issue"] = issue
    return issue


async def _transfer(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    public = await gh.create_issue(t.intake, "Help request", "Please contact me.", [], key="intake-1")
    return await gh.transfer_issue(public.node_id, t.repo)


async def _delete_discussion_comment(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    comment = await gh.add_discussion_comment(ctx["discussion"].node_id, "/conduct help")
    return await gh.delete_discussion_comment(comment.node_id)


async def _update(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    return await gh.update_issue(t.repo, ctx["issue"].number, title="Case 1 (intake)", labels=["question"])


async def _ensure_label(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    await gh.ensure_label(t.repo, "stage: intake", "#c5def5", "A new case")
    return await gh.ensure_label(t.repo, "stage: intake", "0e8a16", "A new case, not yet read")


async def _labels(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    n = ctx["issue"].number
    added = await gh.add_labels(t.repo, n, ["stage: intake"])
    removed = await gh.remove_label(t.repo, n, "stage: intake")
    again = await gh.remove_label(t.repo, n, "stage: intake")
    final = await gh.set_labels(t.repo, n, ["stage: intake"])
    return added, removed, again, final


async def _comment(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    comment = await gh.create_comment(t.repo, ctx["issue"].number, "Acknowledged.", key="ack-1")
    ctx["comment"] = comment
    return comment


async def _minimize(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    await gh.minimize_comment(ctx["comment"].node_id, "RESOLVED")


async def _discussions(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    info = await gh.discussion_categories(t.repo)
    ctx["discussions"] = info
    return info


async def _create_discussion(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    info = ctx["discussions"]
    category = info.category("General") or info.categories[0]
    discussion = await gh.create_discussion(
        info.repo_node_id, category.node_id, "Poll 1", "Summary (recorded)."
    )
    ctx["discussion"] = discussion
    return discussion


async def _move(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    info = ctx["discussions"]
    other = next(c for c in info.categories if c.node_id != ctx["discussion"].category_id)
    return await gh.move_discussion(ctx["discussion"].node_id, other.node_id)


async def _environment(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    member = await gh.get_user(t.member)
    return await gh.put_environment(
        t.repo, t.environment, [Reviewer("User", member.id)], prevent_self_review=True
    )


async def _run_reviews(gh: GitHubAdapter, t: Target, ctx: dict[str, Any]) -> Any:
    # The port has no "list runs" (the desk only ever reads its own run, by GITHUB_RUN_ID), so the run
    # the dispatch step started is found with githubkit directly.
    owner, name = t.repo.split("/")
    runs = await gh._gh.rest.actions.async_list_workflow_runs(owner, name, t.workflow, per_page=1)
    run_id = runs.json()["workflow_runs"][0]["id"]
    return await gh.run_reviews(t.repo, run_id)


def _step(name: str, covers: str | tuple[str, ...], run: Step, standin_gap: bool = False) -> StepDef:
    return StepDef(name, (covers,) if isinstance(covers, str) else covers, run, standin_gap)


STEPS: tuple[StepDef, ...] = (
    _step("get_user", "get_user", lambda gh, t, c: gh.get_user(t.member)),
    _step("activity", "activity", lambda gh, t, c: gh.activity([t.repo], t.member)),
    _step("create_issue", "create_issue", _issue),
    _step("get_issue", "get_issue", lambda gh, t, c: gh.get_issue(t.repo, c["issue"].number)),
    _step("list_issues", "list_issues", lambda gh, t, c: gh.list_issues(t.repo, ["stage: intake"], "all")),
    _step("update_issue", "update_issue", _update),
    _step("ensure_label", "ensure_label", _ensure_label),
    _step("labels", ("add_labels", "remove_label", "set_labels"), _labels),
    _step(
        "add_assignees",
        "add_assignees",
        lambda gh, t, c: gh.add_assignees(t.repo, c["issue"].number, [t.member]),
    ),
    _step("create_comment", "create_comment", _comment),
    _step("get_comment", "get_comment", lambda gh, t, c: gh.get_comment(t.repo, c["comment"].id)),
    _step("list_comments", "list_comments", lambda gh, t, c: gh.list_comments(t.repo, c["issue"].number)),
    _step("find_comment", "find_comment", lambda gh, t, c: gh.find_comment(t.repo, c["issue"].number, "ack-1")),
    _step(
        "update_comment",
        "update_comment",
        lambda gh, t, c: gh.update_comment(t.repo, c["comment"].id, "Acknowledged; a mediator will reply."),
    ),
    _step("add_reaction", "add_reaction", lambda gh, t, c: gh.add_reaction(t.repo, c["comment"].id, "eyes")),
    _step("minimize_comment", "minimize_comment", _minimize),
    _step("lock_issue", "lock_issue", lambda gh, t, c: gh.lock_issue(t.repo, c["issue"].number, "resolved")),
    _step("unlock_issue", "unlock_issue", lambda gh, t, c: gh.unlock_issue(t.repo, c["issue"].number)),
    _step("team_members", "team_members", lambda gh, t, c: gh.team_members(t.org, t.team)),
    # Gap: the stand-in's GraphQL has no `organization` field yet.
    _step("user_teams", "user_teams", lambda gh, t, c: gh.user_teams(t.org, t.member), standin_gap=True),
    _step("is_org_member", "is_org_member", lambda gh, t, c: gh.is_org_member(t.org, t.member)),
    _step(
        "add_team_member", "add_team_member", lambda gh, t, c: gh.add_team_member(t.org, t.team, t.outsider)
    ),
    _step(
        "remove_team_member",
        "remove_team_member",
        lambda gh, t, c: gh.remove_team_member(t.org, t.team, t.outsider),
    ),
    _step("remove_org_member", "remove_org_member", lambda gh, t, c: gh.remove_org_member(t.org, t.outsider)),
    _step(
        "grant_direct_access",
        "grant_direct_access",
        lambda gh, t, c: gh.grant_direct_access(t.repo, t.outsider, "triage"),
    ),
    _step("direct_access", "direct_access", lambda gh, t, c: gh.direct_access(t.org, t.outsider)),
    _step("block_user", "block_user", lambda gh, t, c: gh.block_user(t.org, t.outsider)),
    _step("is_blocked", "is_blocked", lambda gh, t, c: gh.is_blocked(t.org, t.outsider)),
    _step("unblock_user", "unblock_user", lambda gh, t, c: gh.unblock_user(t.org, t.outsider)),
    _step(
        "set_interaction_limit",
        "set_interaction_limit",
        lambda gh, t, c: gh.set_interaction_limit(t.repo, "existing_users", "one_day"),
    ),
    _step(
        "remove_interaction_limit",
        "remove_interaction_limit",
        lambda gh, t, c: gh.remove_interaction_limit(t.repo),
    ),
    _step(
        "set_org_interaction_limit",
        "set_org_interaction_limit",
        lambda gh, t, c: gh.set_org_interaction_limit(t.org, "contributors_only", "one_day"),
    ),
    _step(
        "remove_org_interaction_limit",
        "remove_org_interaction_limit",
        lambda gh, t, c: gh.remove_org_interaction_limit(t.org),
    ),
    _step("put_environment", "put_environment", _environment),
    _step("get_environment", "get_environment", lambda gh, t, c: gh.get_environment(t.repo, t.environment)),
    _step(
        "dispatch_workflow",
        "dispatch_workflow",
        lambda gh, t, c: gh.dispatch_workflow(t.repo, t.workflow, "main", {"case": "1"}),
    ),
    _step("run_reviews", "run_reviews", _run_reviews),
    _step("workflow_runs", "workflow_runs", lambda gh, t, c: gh.workflow_runs(t.repo, t.workflow)),
    _step("discussion_categories", "discussion_categories", _discussions),
    _step("create_discussion", "create_discussion", _create_discussion),
    _step(
        "add_discussion_comment",
        "add_discussion_comment",
        lambda gh, t, c: gh.add_discussion_comment(c["discussion"].node_id, "The poll is open."),
    ),
    _step(
        "find_discussion",
        "find_discussion",
        lambda gh, t, c: gh.find_discussion(t.repo, c["discussion"].category_id, "poll-1"),
    ),
    _step(
        "find_discussion_comment",
        "find_discussion_comment",
        lambda gh, t, c: gh.find_discussion_comment(c["discussion"].node_id, "poll-open-1"),
    ),
    _step(
        "close_discussion", "close_discussion", lambda gh, t, c: gh.close_discussion(c["discussion"].node_id)
    ),
    _step("lock", "lock", lambda gh, t, c: gh.lock(c["discussion"].node_id, "resolved")),
    _step("move_discussion", "move_discussion", _move),
    _step("delete_discussion_comment", "delete_discussion_comment", _delete_discussion_comment),
    _step(
        "delete_discussion",
        "delete_discussion",
        lambda gh, t, c: gh.delete_discussion(c["discussion"].node_id),
    ),
    _step("delete_comment", "delete_comment", lambda gh, t, c: gh.delete_comment(t.repo, c["comment"].id)),
    _step("delete_review_comment", "delete_review_comment",
          lambda gh, t, c: gh.delete_review_comment(t.watched, t.review_comment)),
    _step("transfer_issue", "transfer_issue", _transfer),
    _step("delete_issue", "delete_issue", lambda gh, t, c: gh.delete_issue(c["issue"].node_id)),
)


async def run_steps(
    gh: GitHubAdapter,
    target: Target,
    wrap: Callable[[str], Any] | None = None,
    skip: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Run every step in order (each inside `wrap(name)`, e.g. a cassette); return results by step."""
    ctx: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for step in STEPS:
        if step.name in skip:
            continue
        if wrap is None:
            results[step.name] = await step.run(gh, target, ctx)
        else:
            with wrap(step.name):
                results[step.name] = await step.run(gh, target, ctx)
    return results


# --------------------------------------------------------------------------- the stand-in


def seed_sandbox(state: Any, public_key_pem: str, target: Target = Target()) -> None:
    """The world the recorded steps expect: org, private cases repo with discussions, team, users, App."""
    owner, name = target.repo.split("/")
    state.add_org(target.org)
    state.add_repo(owner, name, private=True, has_discussions=True)
    state.add_team(target.org, target.team, [target.member, "mediator-2"])
    state.add_user(target.outsider)
    state.add_workflow(target.repo, target.workflow)
    state.register_app(target.app_id, public_key_pem)
    state.install_app(target.app_id, target.org, 77)
    state.add_repo(*target.intake.split("/"), private=False)
    state.add_repo(*target.watched.split("/"), private=False)
    pull = state.add_pull(target.watched, "A change", target.outsider)
    state.add_review_comment(target.watched, pull.number, target.outsider, "/conduct help", target.review_comment)


def new_app_key() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class SandboxServer:
    """The stand-in under uvicorn on 127.0.0.1 (a real socket, so timeouts are real), in a thread."""

    def __init__(self, state: Any) -> None:
        import uvicorn

        from app.standin import create_app

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(create_app(state), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> SandboxServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the stand-in did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


# --------------------------------------------------------------------------- main


async def _record(settings: GitHubSettings, target: Target, standin: bool) -> None:
    recorder = cassette_vcr("all")
    CASSETTES.mkdir(exist_ok=True)
    for old in CASSETTES.glob("*.yaml"):
        old.unlink()
    options = ClientOptions(pacer=WritePacer())
    with recorder.use_cassette("connect.yaml"):
        gh = await GitHubAdapter.for_org(settings, target.org, options)
    skip = frozenset(s.name for s in STEPS if s.standin_gap) if standin else frozenset()
    await run_steps(gh, target, lambda name: recorder.use_cassette(f"{name}.yaml"), skip)
    TARGET_FILE.write_text(json.dumps(dataclasses.asdict(target), indent=2) + "\n")


def main() -> None:
    org = os.environ.get("CONDUCT_TEST_ORG")
    if org:
        settings = settings_from_env()
        if settings.app_id is None or not settings.private_key:
            raise SystemExit("CONDUCT_APP_ID and CONDUCT_APP_PRIVATE_KEY are required with CONDUCT_TEST_ORG")
        target = Target(
            org=org,
            repo=f"{org}/cases",
            intake=f"{org}/intake",
            member=os.environ["CONDUCT_TEST_MEMBER"],
            outsider=os.environ["CONDUCT_TEST_OUTSIDER"],
            app_id=settings.app_id,
        )
        asyncio.run(_record(settings, target, standin=False))
    else:
        from app.standin import SandboxState

        private, public = new_app_key()
        state = SandboxState()
        target = Target()
        seed_sandbox(state, public, target)
        with SandboxServer(state) as server:
            settings = GitHubSettings(api_url=server.url, app_id=target.app_id, private_key=private)
            asyncio.run(_record(settings, target, standin=True))
    print(f"recorded {len(list(CASSETTES.glob('*.yaml')))} cassettes in {CASSETTES}")


if __name__ == "__main__":
    main()
