"""The workflows' calls to the service, attacked through HTTP: only the right run's OIDC token is heard."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from test_sanctions_support import (
    CASES,
    DECISIONS,
    SUBJECT,
    Clock,
    approve_by_command,
    decide,
    open_case,
    org,
    run,
    world_for,
)

from app.service import casefile
from app.standin.oidc import provider, start_job
from app.wiring.local import SERVICE_URL
from app.wiring.runner import run_job


async def review(world, run_id: int, login: str = "sc-1", state: str = "approved") -> None:
    """An SC member reviews the run's pending steering-council deployment, as on the run page."""
    env = world.state.repo(DECISIONS).environments["steering-council"]
    async with _github(world) as raw:
        answer = await raw.post(f"/repos/{DECISIONS}/actions/runs/{run_id}/pending_deployments",
                                headers={"authorization": f"token {world.state.user_token(login)}"},
                                json={"environment_ids": [env.id], "state": state, "comment": "ok"})
    assert answer.status_code == 200, answer.text


def number_of(world) -> int:
    (issue,) = world.state.repo(CASES).issues.values()
    return issue.number


def _github(world) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=world.sandbox_app), base_url="http://github.local")


async def token_for(world, repo: str, run_id: int, job: str, environment: str | None = None,
                    audience: str = SERVICE_URL) -> str:
    """What a job's `curl "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=..."` gets from the stand-in."""
    values = start_job(world.state, repo, run_id, job, environment)
    async with _github(world) as raw:
        answer = await raw.get(values["ACTIONS_ID_TOKEN_REQUEST_URL"], params={"audience": audience},
                               headers={"authorization": f"bearer {values['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["value"]


async def call(world, path: str, token: str | None, body: dict) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.service_app),
                                 base_url=SERVICE_URL) as service:
        return await service.post(f"/actions/{path}", json=body, headers=headers)


async def decided(store, clock):
    """A case whose poll chose a temporary ban: the app has dispatched sc-approval.yml for the decision."""
    world = await world_for(store, clock)
    number = await open_case(world)
    decision = await decide(world, clock, number, "temporary-ban")
    (run_id,) = [r.id for r in world.state.repo(DECISIONS).runs.values() if r.inputs.get("decision") == decision]
    return world, decision, run_id


async def apply_with(world, token, decision) -> httpx.Response:
    answer = await call(world, "sanction-apply", token, {"decision": decision})
    await world.settle()
    return answer


def test_the_approval_run_is_dispatched_in_the_decisions_place_and_applies_through_its_token(store):
    async def story():
        world, decision, run_id = await decided(store, Clock())
        runner = (httpx.ASGITransport(app=world.sandbox_app), httpx.ASGITransport(app=world.service_app))
        shown = await run_job(world.state, *runner, SERVICE_URL, DECISIONS, run_id, "sc-approval.yml", "show",
                              {"decision": decision})
        early = None
        try:
            await run_job(world.state, *runner, SERVICE_URL, DECISIONS, run_id, "sc-approval.yml", "apply",
                          {"decision": decision})
        except Exception as refusal:  # the job behind the environment does not start before the review
            early = refusal
        await review(world, run_id)
        await world.settle()
        held = await run_job(world.state, *runner, SERVICE_URL, DECISIONS, run_id, "sc-approval.yml", "apply",
                             {"decision": decision})
        await world.settle()
        # The policy asks two SC members; the second approves on the case and the service applies it.
        await approve_by_command(world, number_of(world), "sc-2")
        return world, decision, shown, early, held

    world, decision, shown, early, held = run(story())
    assert not world.state.repo(CASES).runs, "no approval run in the cases repository"
    assert shown.status_code == 200 and decision in shown.text and "temporary-ban" in shown.text
    assert CASES not in shown.text, "the SC's run page links nothing in the cases repository"
    assert early is not None and "waits for a review" in str(early)
    assert held.status_code == 202 and "1 of the 2" in held.text, held.text
    assert SUBJECT in org(world).blocks


def test_a_token_for_another_repository_is_refused(store):
    async def story():
        world, decision, run_id = await decided(store, Clock())
        await review(world, run_id)
        # The same workflow file in a repository where someone else can push and dispatch.
        other = world.state.add_repo("example-org", "playground", private=True)
        world.state.add_workflow(other.full_name, "sc-approval.yml", environment="steering-council")
        world.state.add_environment(other.full_name, "steering-council")
        other_run = await world.github.dispatch_workflow(other.full_name, "sc-approval.yml", "main",
                                                         {"case": "C-2026-001", "decision": decision})
        token = await token_for(world, other.full_name, other_run, "apply", "steering-council")
        return world, await apply_with(world, token, decision)

    world, answer = run(story())
    assert answer.status_code == 403 and "example-org/playground" in answer.json()["error"]
    assert SUBJECT not in org(world).blocks


def test_a_token_from_another_workflow_is_refused(store):
    async def story():
        world, decision, _ = await decided(store, Clock())
        sweep_run = world.state.schedule_run(CASES, "sweep.yml")
        token = await token_for(world, CASES, sweep_run, "sweep")
        as_apply = await apply_with(world, token, decision)
        as_poll = await call(world, "poll-open", token, {"case": "C-2026-001"})
        as_sweep = await call(world, "sweep", token, {})
        return world, as_apply, as_poll, as_sweep

    world, as_apply, as_poll, as_sweep = run(story())
    assert as_apply.status_code == 403 and as_poll.status_code == 403
    assert "poll-open.yml" in as_poll.json()["error"]
    assert as_sweep.status_code == 200 and set(as_sweep.json()) >= {"closed", "ticked"}
    assert SUBJECT not in org(world).blocks


def test_a_token_from_another_ref_is_refused(store):
    async def story():
        world, decision, _ = await decided(store, Clock())
        # A run of the workflow as changed on a branch, dispatched for the same decision and approved.
        branch_run = await world.github.dispatch_workflow(DECISIONS, "sc-approval.yml", "refs/heads/edited",
                                                          {"case": "C-2026-001", "decision": decision})
        await review(world, branch_run)
        token = await token_for(world, DECISIONS, branch_run, "apply", "steering-council")
        return world, await apply_with(world, token, decision)

    world, answer = run(story())
    assert answer.status_code == 403 and "refs/heads/edited" in answer.json()["error"]
    assert SUBJECT not in org(world).blocks


def test_a_token_for_another_audience_is_refused(store):
    async def story():
        world, decision, run_id = await decided(store, Clock())
        await review(world, run_id)
        token = await token_for(world, DECISIONS, run_id, "apply", "steering-council", audience="https://elsewhere")
        return world, await apply_with(world, token, decision)

    world, answer = run(story())
    assert answer.status_code == 401 and SERVICE_URL in answer.json()["error"]
    assert SUBJECT not in org(world).blocks


def test_an_expired_token_is_refused(store):
    async def story():
        world, decision, run_id = await decided(store, Clock())
        await review(world, run_id)
        # Issued twenty minutes ago: GitHub's tokens live for minutes.
        world.state.jwt_clock = lambda: datetime.now(UTC) - timedelta(minutes=20)
        token = await token_for(world, DECISIONS, run_id, "apply", "steering-council")
        return world, await apply_with(world, token, decision)

    world, answer = run(story())
    assert answer.status_code == 401 and "expired" in answer.json()["error"]
    assert SUBJECT not in org(world).blocks


def test_apply_without_the_environment_claim_is_refused(store):
    async def story():
        world, decision, run_id = await decided(store, Clock())
        # The show job of the decision's own run: no review has released it, so its token has no environment.
        token = await token_for(world, DECISIONS, run_id, "show")
        return world, await apply_with(world, token, decision), await call(world, "sanction-show", token,
                                                                             {"decision": decision})

    world, answer, shown = run(story())
    assert answer.status_code == 403 and "steering-council" in answer.json()["error"]
    assert shown.status_code == 200
    assert SUBJECT not in org(world).blocks


def test_a_token_for_another_run_of_the_approval_workflow_is_refused(store):
    async def story():
        world, decision, _ = await decided(store, Clock())
        # A second run on main for the same decision (dispatched by hand), approved by an SC member.
        second = await world.github.dispatch_workflow(DECISIONS, "sc-approval.yml", "main",
                                                      {"case": "C-2026-001", "decision": decision})
        await review(world, second)
        token = await token_for(world, DECISIONS, second, "apply", "steering-council")
        return world, second, await apply_with(world, token, decision)

    world, second, answer = run(story())
    assert answer.status_code == 403 and f"run {second}" in answer.json()["error"]
    assert SUBJECT not in org(world).blocks


def test_a_forged_signature_is_refused(store):
    async def story():
        world, decision, run_id = await decided(store, Clock())
        await review(world, run_id)
        genuine = await token_for(world, DECISIONS, run_id, "apply", "steering-council")
        claims = jwt.decode(genuine, options={"verify_signature": False})
        kid = provider(world.state).kid
        other_key = rsa.generate_private_key(65537, 2048)
        forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": kid})
        unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
        head, body, _signature = genuine.split(".")
        tampered = ".".join((head, jwt.utils.base64url_encode(
            jwt.utils.base64url_decode(body).replace(b'"refs/heads/main"', b'"refs/heads/main" ')).decode(),
            _signature))
        answers = [await apply_with(world, token, decision) for token in (forged, unsigned, tampered, None, "x")]
        return world, answers

    world, answers = run(story())
    assert [a.status_code for a in answers] == [401] * 5, [a.text for a in answers]
    assert SUBJECT not in org(world).blocks


def test_bad_bodies_get_a_clear_4xx(store):
    async def story():
        world, decision, run_id = await decided(store, Clock())
        token = await token_for(world, DECISIONS, run_id, "show")
        return [await call(world, "sanction-show", token, body)
                for body in ({}, {"decision": "../etc"}, {"decision": 7}, {"decision": "C-2026-999-d1"})]

    answers = run(story())
    assert [a.status_code for a in answers] == [422, 422, 422, 403]


def test_the_sc_reads_the_decision_in_its_own_place_and_acts_only_there_with_sc_commands(store):
    async def story():
        world, decision, run_id = await decided(store, Clock())
        repo = world.state.repo(DECISIONS)
        (number,) = repo.issues
        issue = repo.issues[number]
        # Neither a mediator's command nor an SC member's other command on the decision acts on the case.
        world.state.add_collaborator(DECISIONS, "mediator-1", "triage")
        await world.as_user("mediator-1").create_comment(DECISIONS, number, "/conduct sc approve", key="m")
        await world.as_user("sc-1").create_comment(DECISIONS, number, "/conduct resolve done", key="x")
        await world.settle()
        case_comments = [c.body for c in world.state.comments_of(world.state.repo(CASES), 1)]
        case = (await casefile.load(world.github, world.store, CASES, 1, world.router.me)).case
        sc_cannot_see = await _sc_sees_case(world)
        return world, decision, issue, case_comments, case, sc_cannot_see

    world, decision, issue, case_comments, case, sc_cannot_see = run(story())
    assert issue.title == f"Decision {decision}" and "temporary-ban" in issue.body
    assert CASES not in issue.body and "/issues/" not in issue.body
    # The mediator's `sc approve` reached the core, which refused it (not an SC member); `resolve` never left.
    assert case.decision(decision).approved_by == () and case.stage.value == "awaiting-approval"
    assert not any("resolve" in b and "sc-1" in b for b in case_comments)
    assert sc_cannot_see


async def _sc_sees_case(world) -> bool:
    from app.github.errors import NotFound

    try:
        await world.as_user("sc-1").get_issue(CASES, 1)
    except NotFound:
        return True
    return False


def test_setup_check_on_the_stand_in_org_lists_the_places_and_roles(store):
    import io

    from app.github.admin import AdminAdapter
    from app.github.client import ClientOptions, WritePacer
    from app.setup import Options, setup_command

    async def story():
        world = await world_for(store, Clock())
        world.state.add_org_member(world.policy.roles.organization, "org-owner", "admin")
        out = io.StringIO()
        options = ClientOptions(transport=httpx.ASGITransport(app=world.sandbox_app), pacer=WritePacer(0))
        await setup_command(world.policy, Options(public_url=SERVICE_URL, api_url="http://github.local/"),
                            world.state.user_token("org-owner"), out=out,
                            adapter=lambda token, url, _o: AdminAdapter.with_token(token, url, options))
        return out.getvalue().splitlines()

    lines = run(story())
    ok = [line for line in lines if line.startswith("OK")]
    assert any(f"access {CASES} user mediator-1: triage" in line for line in ok), lines
    assert any(f"no access {CASES} team steering-council: none" in line for line in ok), lines
    assert any(f"no access {CASES} team core-developers: none" in line for line in ok), lines
    assert any(f"access {DECISIONS} team steering-council: read" in line for line in ok), lines
    assert any(f"repo {DECISIONS}: private" in line for line in ok), lines
    assert any(f"environment {DECISIONS} steering-council" in line for line in lines), lines


def test_a_mediator_with_triage_cannot_run_a_workflow_by_hand(store):
    async def story():
        world = await world_for(store, Clock())
        try:
            await world.as_user("mediator-1").dispatch_workflow(CASES, "poll-open.yml", "main", {"case": "C-2026-001"})
        except Exception as refusal:
            return world, type(refusal).__name__
        return world, None

    world, refused = run(story())
    assert refused == "Forbidden" and not world.state.repo(CASES).runs


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_workflow_steps_run_for_real_with_curl_against_served_github_and_service(store):
    """The jobs' own bash, with real curl and jq, against the stand-in and the service on real ports: the
    token from the runner's URL, the JWKS fetched over HTTP by the service, one call per job."""
    import asyncio
    import os

    import uvicorn
    import yaml
    from starlette.applications import Starlette

    from app.service.context import Context
    from app.web.oidc import Verifier, json_getter
    from app.web.workflow_calls import WorkflowCalls
    from app.wiring.runner import WORKFLOWS

    github_port, service_port = _port(), _port()
    github_url, service_url = f"http://127.0.0.1:{github_port}", f"http://127.0.0.1:{service_port}"

    async def step(world, repo, run_id, workflow, job, inputs):
        spec = yaml.safe_load((WORKFLOWS / workflow).read_text())["jobs"][job]
        (call,) = spec["steps"]
        values = start_job(world.state, repo, run_id, job, spec.get("environment"), base=github_url)
        env = {"PATH": os.environ["PATH"], **values, **{k: v for k, v in call["env"].items() if "${{" not in v},
               "CONDUCT_SERVICE_URL": service_url, "GITHUB_STEP_SUMMARY": os.devnull, **inputs}
        shell = await asyncio.create_subprocess_exec("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                                     call["run"], env=env, stdout=asyncio.subprocess.PIPE,
                                                     stderr=asyncio.subprocess.PIPE)
        out, err = await shell.communicate()
        await world.settle()
        return shell.returncode, out.decode(), err.decode()

    async def story():
        world, decision, run_id = await decided(store, Clock())
        calls = WorkflowCalls(Verifier(service_url, json_getter(), issuer=f"{github_url}/_services/token"),
                              world.policy,
                              lambda: Context.make(world.github, world.policy, world.store, world.router.me,
                                                   world.now(), service_url),
                              world.router.apply, service_url, wake=world.service_app.state.worker.kick)
        servers = [uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
                   for app, port in ((world.sandbox_app, github_port), (Starlette(routes=calls.routes()),
                                                                          service_port))]
        tasks = [asyncio.create_task(server.serve()) for server in servers]
        while not all(server.started for server in servers):
            await asyncio.sleep(0.05)
        try:
            sweep_run = world.state.schedule_run(CASES, "sweep.yml")
            swept = await step(world, CASES, sweep_run, "sweep.yml", "sweep", {})
            shown = await step(world, DECISIONS, run_id, "sc-approval.yml", "show", {"DECISION": decision})
            await review(world, run_id)
            applied = await step(world, DECISIONS, run_id, "sc-approval.yml", "apply", {"DECISION": decision})
            await approve_by_command(world, 0, "sc-2")  # the policy's second SC approval: the service applies
            unreachable = await step(world, DECISIONS, run_id, "sc-approval.yml", "show",
                                {"DECISION": decision, "CONDUCT_SERVICE_URL": "http://127.0.0.1:1"})
        finally:
            for server in servers:
                server.should_exit = True
            await asyncio.gather(*tasks)
        return world, swept, shown, applied, unreachable

    world, swept, shown, applied, unreachable = run(story())
    assert swept[0] == 0 and '"ticked"' in swept[1], swept
    assert shown[0] == 0 and decision_in(shown[1]), shown
    assert applied[0] == 0 and "held: " in applied[1], applied  # 202: one of the two approvals, not a failure
    assert unreachable[0] != 0, "a call that cannot reach the service fails the job"
    assert SUBJECT in org(world).blocks


def decision_in(text: str) -> bool:
    return "## Decision C-2026-001-d1" in text and "temporary-ban" in text


def test_keys_are_taken_only_from_the_issuer_itself(store):
    """An issuer document that points its keys at another host (where a forger's keys would be) is refused."""
    from app.web.oidc import Expect, NotAuthenticated, Verifier

    async def story():
        world, decision, run_id = await decided(store, Clock())
        await review(world, run_id)
        token = await token_for(world, DECISIONS, run_id, "apply", "steering-council")
        issuer = "http://github.local/_services/token"

        async def lying(url: str) -> dict:
            return {"issuer": issuer, "jwks_uri": "http://github.local/_services/token.evil/keys"}

        try:
            await Verifier(SERVICE_URL, lying, issuer=issuer).verify(token, Expect(DECISIONS, "sc-approval.yml",
                                                                                   frozenset({"workflow_dispatch"})))
        except NotAuthenticated as refusal:
            return str(refusal)
        return None

    assert "does not name its own keys" in (run(story()) or "")
