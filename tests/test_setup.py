"""`conduct setup` on the stand-in: a fresh org, what --check finds, what --apply makes, what is left."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import contract
import httpx
import pytest
import yaml

from app.core.stages import Stage
from app.github.admin import AdminAdapter
from app.github.client import ClientOptions, WritePacer, token_client
from app.setup import Options, Status, build_plan, exit_code, run_setup, setup_command
from app.setup.plan import PLACEHOLDER_URL, load_manifest
from app.standin import SandboxState, create_app
from app.wiring.local import app_key
from app.wiring.policy_files import load_policy

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
API = "http://github.local/"
WEB = "http://github.local"
PUBLIC_URL = "https://desk.example.net"
ORG = "example-org"
INTAKE, CASES, FORUM = f"{ORG}/conduct-help", f"{ORG}/conduct-cases", f"{ORG}/core-forum"
DECISIONS = f"{ORG}/conduct-decisions"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def policy():
    return load_policy(ROOT / "policy")


# --------------------------------------------------------------------------- traffic, contract-checked


@dataclass
class Recorder:
    exchanges: list[dict[str, Any]] = field(default_factory=list)

    async def on_request(self, request: httpx.Request) -> None:
        raw = request.content
        path = request.url.raw_path.decode().split("?", 1)[0]
        self.exchanges.append(
            {
                "method": request.method,
                "path": path,
                "body": json.loads(raw) if raw else None,
                "query": dict(parse_qsl(request.url.query.decode())),
                "status": 0,
            }
        )

    async def on_response(self, response: httpx.Response) -> None:
        await response.aread()
        exchange = next(e for e in reversed(self.exchanges) if e["status"] == 0)
        exchange["status"] = response.status_code
        exchange["response"] = response.json() if response.content else None

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        return {"request": [self.on_request], "response": [self.on_response]}

    def writes(self) -> list[tuple[str, str]]:
        return [
            (e["method"], e["path"])
            for e in self.exchanges
            if e["method"] != "GET" and not e["path"].endswith("/graphql")
        ]


def checkable_path(path: str) -> str:
    # The contents API takes a file path with its slashes (GitHub 404s on %2F for some tokens), but
    # tests/contract.py's `{path}` matcher takes one segment only; escape the tail for the check alone.
    head, sep, tail = path.partition("/contents/")
    return head + sep + quote(tail, safe="") if sep else path


def contract_problems(recorder: Recorder) -> list[str]:
    problems: list[str] = []
    for e in recorder.exchanges:
        if e["path"].endswith("/graphql"):
            problems += contract.check_graphql(e["body"]["query"], e["body"].get("variables"))
            continue
        path = checkable_path(e["path"])
        problems += contract.check_rest_request(e["method"], path, e["query"], e["body"])
        problems += contract.check_rest_response(e["method"], path, e["status"], e["response"])
    return problems


# --------------------------------------------------------------------------- a fresh org


@dataclass
class World:
    state: SandboxState
    app: Any
    recorder: Recorder
    owner_token: str

    def options(self) -> ClientOptions:
        return ClientOptions(
            transport=httpx.ASGITransport(app=self.app),
            pacer=WritePacer(0),
            event_hooks=self.recorder.hooks(),
        )

    def admin(self, token: str | None = None) -> AdminAdapter:
        return AdminAdapter.with_token(token or self.owner_token, API, self.options())

    def client(self, login: str):
        """A plain githubkit client acting as `login`, for what a person does outside setup."""
        return token_client(self.state.user_token(login), API, self.options())


@pytest.fixture
def world() -> World:
    """What an org has before setup: its repositories, teams and people, the App installed, nothing else."""
    state = SandboxState()
    state.add_org(ORG)
    state.add_org_member(ORG, "owner-1", "admin")
    state.add_repo(ORG, "conduct-help", private=False)
    state.add_repo(ORG, "conduct-cases", private=True)
    state.add_repo(ORG, "core-forum", private=True)  # discussions not yet on
    state.add_repo(ORG, "conduct-decisions", private=True)
    for name in ("project", "website"):
        state.add_repo(ORG, name, private=False)
    state.add_team(ORG, "core-developers", ["voter-1", "voter-2", "voter-3"])
    state.add_team(ORG, "steering-council", ["sc-1", "sc-2", "sc-3"])
    for login in ("mediator-1", "mediator-2"):  # professional mediators: outside collaborators
        state.add_user(login)
    state.register_app(4242, app_key()[1], slug="conduct-desk")
    state.install_app(4242, ORG, 77)
    app = create_app(state)
    return World(state, app, Recorder(), state.user_token("owner-1"))


def options(**kw: Any) -> Options:
    return Options(**({"public_url": PUBLIC_URL, "api_url": API} | kw))


def statuses(findings) -> set[tuple[str, str]]:
    return {(f.status.value, f.key) for f in findings if f.status is not Status.OK}


STAGES = [stage.label for stage in Stage]
FRESH = {
    ("ACTION NEEDED", f"org {ORG} base permission"),
    ("ACTION NEEDED", f"discussions {FORUM}"),
    ("ACTION NEEDED", "app conduct-desk permissions"),
    ("ACTION NEEDED", "app conduct-desk events"),
    *(("MISSING", f"label {CASES} {name!r}") for name in STAGES),
    ("MISSING", f"label {INTAKE} 'conduct: intake'"),
    ("MISSING", f"access {CASES} user mediator-1"),
    ("MISSING", f"access {CASES} user mediator-2"),
    ("MISSING", f"access {FORUM} team core-developers"),
    ("MISSING", f"access {DECISIONS} team steering-council"),
    ("MISSING", f"environment {DECISIONS} steering-council"),
    ("MISSING", f"file {INTAKE} .github/ISSUE_TEMPLATE/help-request.yml"),
    ("MISSING", f"file {INTAKE} .github/ISSUE_TEMPLATE/config.yml"),
    *(("MISSING", f"file {CASES} .github/workflows/{name}") for name in ("poll-open.yml", "sweep.yml", "report.yml")),
    ("MISSING", f"file {DECISIONS} .github/workflows/sc-approval.yml"),
    ("MISSING", f"variable {CASES} CONDUCT_SERVICE_URL"),
    ("MISSING", f"variable {DECISIONS} CONDUCT_SERVICE_URL"),
}


def people_do_their_part(world: World, policy) -> None:
    """What setup cannot do by API, done the way a person would (the stand-in's UI is its model)."""
    state = world.state
    state.orgs[ORG].base_permission = "none"
    forum = state.repos[FORUM]
    forum.has_discussions = True
    state.add_discussion_category(FORUM, policy.roles.places.deliberation.category)
    state.add_discussion_category(FORUM, policy.roles.places.deliberation.archive_category)
    manifest = load_manifest()
    installation = state.installations[77]
    installation.permissions = dict(manifest["default_permissions"])
    installation.events = list(manifest["default_events"])
    state.repos[DECISIONS].environments["steering-council"].can_admins_bypass = False


async def accept_invitations(world: World) -> None:
    """Each mediator accepts the invitation setup sent, with their own token, as on GitHub."""
    owner = world.client("owner-1")
    listed = (await owner.rest.repos.async_list_invitations(*CASES.split("/"))).json()
    assert {i["invitee"]["login"]: i["permissions"] for i in listed} == {
        "mediator-1": "triage",
        "mediator-2": "triage",
    }
    for invitation in listed:
        mediator = world.client(invitation["invitee"]["login"])
        await mediator.rest.repos.async_accept_invitation_for_authenticated_user(invitation["id"])


# --------------------------------------------------------------------------- the story


async def test_check_on_a_fresh_org_lists_exactly_what_is_missing_and_changes_nothing(world, policy):
    plan = build_plan(policy, options())
    findings = await run_setup(world.admin(), plan)

    assert statuses(findings) == FRESH
    assert exit_code(findings) == 1
    assert world.recorder.writes() == []  # --check only reads
    assert world.state.repos[CASES].environments == {}
    assert contract_problems(world.recorder) == []
    # Every manual item says where to click.
    assert all(WEB in f.detail for f in findings if f.status is Status.ACTION)


async def test_apply_creates_what_the_api_can_and_then_check_passes(world, policy):
    plan = build_plan(policy, options())
    applied = await run_setup(world.admin(), plan, apply=True)

    made = {f.key for f in applied if f.status is Status.CREATED}
    assert made == {key for status, key in FRESH if status == "MISSING"} - {
        f"access {CASES} user mediator-1",
        f"access {CASES} user mediator-2",
    }
    # Outside collaborators are invited, not added: each must accept.
    invited = {f.key: f.detail for f in applied if f.key.startswith(f"access {CASES} user")}
    assert all(f"{WEB}/{CASES}/invitations" in d and "must accept" in d for d in invited.values())
    # What only a person can do is still listed, now with the admin bypass of the new environment.
    assert {key for status, key in statuses(applied) if status == "ACTION NEEDED"} == {
        f"org {ORG} base permission",
        f"discussions {FORUM}",
        "app conduct-desk permissions",
        "app conduct-desk events",
        f"access {CASES} user mediator-1",
        f"access {CASES} user mediator-2",
        f"environment {DECISIONS} steering-council admin bypass",
    }

    people_do_their_part(world, policy)
    await accept_invitations(world)
    final = await run_setup(world.admin(), plan)
    assert statuses(final) == set()
    assert exit_code(final) == 0
    assert contract_problems(world.recorder) == []

    state = world.state
    cases = state.repos[CASES]
    labels = {lab.name: (lab.color, lab.description) for lab in cases.labels.values()}
    assert all(labels[name][1] for name in STAGES) and len({labels[n][0] for n in STAGES}) == len(STAGES)
    decisions = state.repos[DECISIONS]
    env = decisions.environments["steering-council"]
    assert env.reviewers == [("Team", f"{ORG}/steering-council")] and env.prevent_self_review
    assert env.deployment_branch_policy == {"protected_branches": True, "custom_branch_policies": False}
    # Mediators triage the cases and nobody else reaches them; the SC reads the decisions, nobody writes there.
    assert cases.environments == {} and cases.team_access == {}
    assert cases.collaborators == {"mediator-1": "triage", "mediator-2": "triage"}
    assert decisions.team_access == {"steering-council": "read"} and decisions.collaborators == {}
    assert state.repos[FORUM].team_access == {"core-developers": "triage"}
    checked = {f.key: f.detail for f in final}
    assert checked[f"no access {CASES} team steering-council"].startswith("none")
    assert checked[f"no access {CASES} team core-developers"].startswith("none")
    # The public forms point at this deployment; the private forms were not published.
    forms = state.repos[INTAKE].files
    assert set(forms) == {".github/ISSUE_TEMPLATE/help-request.yml", ".github/ISSUE_TEMPLATE/config.yml"}
    assert all(PLACEHOLDER_URL not in text and PUBLIC_URL in text for text in forms.values())
    chooser = yaml.safe_load(forms[".github/ISSUE_TEMPLATE/config.yml"])
    assert chooser["contact_links"][0]["url"] == f"{PUBLIC_URL}/help"
    assert (
        decisions.files[".github/workflows/sc-approval.yml"]
        == (ROOT / ".github/workflows/sc-approval.yml").read_text()
    )
    assert set(cases.files) == {".github/workflows/poll-open.yml", ".github/workflows/sweep.yml",
                                ".github/workflows/report.yml"}
    # The workflows' one setting is the service's URL; no repository holds a secret.
    assert cases.variables == decisions.variables == {"CONDUCT_SERVICE_URL": PUBLIC_URL}
    assert cases.secrets == decisions.secrets == {}


async def test_apply_twice_changes_nothing_the_second_time(world, policy):
    plan = build_plan(policy, options())
    await run_setup(world.admin(), plan, apply=True)
    before = len(world.recorder.writes())
    again = await run_setup(world.admin(), plan, apply=True)
    # Pending invitations are reported, not re-sent; everything made the first time is left alone.
    assert world.recorder.writes()[before:] == []
    assert not any(f.status is Status.CREATED for f in again)


async def test_a_file_edited_by_hand_is_reported_and_restored(world, policy):
    plan = build_plan(policy, options())
    await run_setup(world.admin(), plan, apply=True)
    world.state.repos[CASES].files[".github/workflows/sweep.yml"] = "name: tampered\n"
    findings = await run_setup(world.admin(), plan)
    sweep = next(f for f in findings if f.key == f"file {CASES} .github/workflows/sweep.yml")
    assert (sweep.status, sweep.detail) == (Status.MISSING, "differs from this release's")
    await run_setup(world.admin(), plan, apply=True)
    assert (
        world.state.repos[CASES].files[".github/workflows/sweep.yml"]
        == (ROOT / ".github/workflows/sweep.yml").read_text()
    )


async def test_an_app_secret_left_from_an_earlier_release_must_be_deleted(world, policy):
    world.state.repos[CASES].secrets["CONDUCT_APP_PRIVATE_KEY"] = b"sealed"
    findings = await run_setup(world.admin(), build_plan(policy, options()), apply=True)
    finding = next(f for f in findings if f.key == f"secret {CASES} CONDUCT_APP_PRIVATE_KEY")
    assert finding.status is Status.ACTION
    assert f"gh secret delete CONDUCT_APP_PRIVATE_KEY --repo {CASES}" in finding.detail
    assert next(f for f in findings if f.key == f"secret {DECISIONS} CONDUCT_DATABASE_URL").status is Status.OK


async def test_more_access_than_the_process_gives_is_reported(world, policy):
    """A mediator with write (who could push a workflow) and an SC team that reads the cases."""
    await run_setup(world.admin(), build_plan(policy, options()), apply=True)
    world.state.add_collaborator(CASES, "mediator-1", "write")
    world.state.grant_team(CASES, "steering-council", "read")
    findings = {f.key: f for f in await run_setup(world.admin(), build_plan(policy, options()))}
    mediator = findings[f"access {CASES} user mediator-1"]
    assert mediator.status is Status.ACTION and "more than triage" in mediator.detail
    sc = findings[f"no access {CASES} team steering-council"]
    assert sc.status is Status.ACTION and "must have none" in sc.detail


async def test_a_plan_without_private_reviewers_points_to_the_sc_command_fallback(world, policy):
    world.state.orgs[ORG].plan = "team"
    plan = build_plan(policy, options())
    findings = await run_setup(world.admin(), plan, apply=True)
    env = next(f for f in findings if f.key == f"environment {DECISIONS} steering-council")
    assert env.status is Status.OK
    assert (
        "/conduct sc approve" in env.detail and f"{policy.process.approval.sc_quorum} approvals" in env.detail
    )
    assert world.state.repos[DECISIONS].environments == {}
    assert not any("/environments/" in path for _method, path in world.recorder.writes())


async def test_a_refused_write_becomes_an_action_with_githubs_reason(world, policy):
    world.state.inject("PUT", r"/environments/", 422, times=5)
    plan = build_plan(policy, options())
    findings = await run_setup(world.admin(), plan, apply=True)
    env = next(f for f in findings if f.key == f"environment {DECISIONS} steering-council")
    assert env.status is Status.ACTION and env.detail.startswith("could not create it (")
    # The rest was still made.
    assert next(f for f in findings if f.key == f"label {CASES} 'stage: intake'").status is Status.CREATED


async def test_a_wrong_environment_is_reported_and_repaired(world, policy):
    plan = build_plan(policy, options())
    await run_setup(world.admin(), plan, apply=True)
    env = world.state.repos[DECISIONS].environments["steering-council"]
    env.prevent_self_review = False
    env.reviewers = [("User", "owner-1")]
    finding = next(
        f for f in await run_setup(world.admin(), plan) if f.key == f"environment {DECISIONS} steering-council"
    )
    assert finding.status is Status.MISSING
    assert finding.detail == "the SC are not exactly its required reviewers; self-review is allowed"
    await run_setup(world.admin(), plan, apply=True)
    assert env.reviewers == [("Team", f"{ORG}/steering-council")] and env.prevent_self_review


async def test_private_forms_in_the_public_repo_are_flagged(world, policy):
    world.state.repos[INTAKE].files[".github/ISSUE_TEMPLATE/private-report.yml"] = "name: x\n"
    findings = await run_setup(world.admin(), build_plan(policy, options()))
    flagged = next(f for f in findings if f.key == f"file {INTAKE} .github/ISSUE_TEMPLATE/private-report.yml")
    assert flagged.status is Status.ACTION and "must not be public" in flagged.detail


async def test_the_installation_must_match_the_manifest_exactly(world, policy):
    manifest = load_manifest()
    installation = world.state.installations[77]
    installation.permissions = dict(manifest["default_permissions"]) | {"contents": "write"}
    installation.permissions.pop("discussions")
    installation.events = list(manifest["default_events"])
    findings = await run_setup(world.admin(), build_plan(policy, options()))
    perms = next(f for f in findings if f.key == "app conduct-desk permissions")
    assert perms.status is Status.ACTION
    assert "missing discussions: write" in perms.detail and "not used, remove contents" in perms.detail
    assert next(f for f in findings if f.key == "app conduct-desk events").status is Status.OK


async def test_setup_command_prints_one_line_per_item_and_exits_by_the_result(world, policy):
    out = io.StringIO()

    def adapter(token, api_url, client_options):
        assert (token, api_url) == (world.owner_token, API)
        return world.admin(token)

    code = await setup_command(policy, options(), world.owner_token, out=out, adapter=adapter)
    lines = out.getvalue().splitlines()
    assert code == 1
    assert len(lines) == len(FRESH) + sum(1 for line in lines if line.startswith("OK ")) + 1
    assert lines[-1] == f"{len(FRESH)} item(s) to do"
    assert any(line.startswith("OK") and f"no access {CASES} team steering-council" in line for line in lines)
