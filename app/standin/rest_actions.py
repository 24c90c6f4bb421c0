"""REST routes for Actions: workflow dispatch, runs, pending deployment reviews and environments."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import shapes
from .events import emit, run_json, workflow_json
from .http import Ctx, GitHubError, body_of, context, forbidden, invalid, no_content, not_found, page
from .ids import iso, node_id
from .model import Environment, Repo, Run


def _repo(request: Request) -> tuple[Ctx, Repo]:
    ctx = context(request)
    return ctx, ctx.repo(request.path_params["owner"], request.path_params["repo"])


def _run(repo: Repo, raw: str) -> Run:
    try:
        run = repo.runs.get(int(raw))
    except ValueError:
        run = None
    if run is None:
        raise not_found()
    return run


def _workflow(repo: Repo, raw: str):
    found = repo.workflows.get(raw) or next((w for w in repo.workflows.values() if str(w.id) == raw), None)
    if found is None:
        raise not_found()
    return found


async def dispatch(request: Request) -> Response:
    ctx, repo = _repo(request)
    wf = _workflow(repo, request.path_params["workflow_id"])
    data = await body_of(request)
    # GitHub lets only accounts with write access run a workflow by hand (triage is not enough).
    if not ctx.state.can_write(ctx.grant, repo):
        raise forbidden()
    if not isinstance(data.get("ref"), str) or not data["ref"]:
        raise invalid("Workflow", "ref", "missing_field")
    inputs = data.get("inputs") or {}
    if not isinstance(inputs, dict) or len(inputs) > 25:
        raise invalid("Workflow", "inputs")
    now = ctx.state.now()
    new_id = ctx.state.next_id()
    number = 1 + sum(1 for r in repo.runs.values() if r.workflow_id == wf.id)
    ref = data["ref"].removeprefix("refs/heads/")
    run = Run(
        new_id,
        node_id("WorkflowRun", new_id),
        repo.full_name,
        wf.id,
        number,
        ref,
        ctx.grant.login,
        inputs,
        now,
        now,
        environment=wf.environment,
    )
    # A job bound to an environment with required reviewers waits for them, as on GitHub.
    env = repo.environments.get(wf.environment or "")
    run.status = "waiting" if env is not None and env.reviewers else "queued"
    repo.runs[run.id] = run
    emit(
        ctx.state,
        ctx.base,
        "workflow_run",
        "requested",
        repo,
        ctx.grant.login,
        workflow=workflow_json(ctx.base, repo, wf),
        workflow_run=run_json(ctx.state, ctx.base, repo, run),
    )
    if data.get("return_run_details") is True:
        return JSONResponse({"workflow_run_id": run.id,
                             "run_url": f"{ctx.base.api}/repos/{repo.full_name}/actions/runs/{run.id}",
                             "html_url": f"{ctx.base.web}/{repo.full_name}/actions/runs/{run.id}"})
    return no_content()


async def get_run(request: Request) -> Response:
    ctx, repo = _repo(request)
    return JSONResponse(run_json(ctx.state, ctx.base, repo, _run(repo, request.path_params["run_id"])))


async def list_runs(request: Request) -> Response:
    ctx, repo = _repo(request)
    runs = sorted(repo.runs.values(), key=lambda r: r.id, reverse=True)
    if "workflow_id" in request.path_params:
        wf = _workflow(repo, request.path_params["workflow_id"])
        runs = [r for r in runs if r.workflow_id == wf.id]
    q = request.query_params
    runs = [
        r
        for r in runs
        if q.get("status") in (None, r.status, r.conclusion)
        and q.get("event") in (None, "workflow_dispatch")
        and q.get("actor") in (None, r.actor)
    ]
    chunk, headers = page(request, runs)
    return JSONResponse(
        {"total_count": len(runs), "workflow_runs": [run_json(ctx.state, ctx.base, repo, r) for r in chunk]},
        headers=headers,
    )


def _is_reviewer(ctx: Ctx, env: Environment, login: str) -> bool:
    for kind, ref in env.reviewers:
        if kind == "User" and ref == login:
            return True
        if kind == "Team":
            org, slug = ref.split("/", 1)
            team = ctx.state.orgs[org].teams.get(slug)
            if team is not None and login in team.members:
                return True
    return False


def _pending(ctx: Ctx, repo: Repo, run: Run) -> list[dict]:
    env = repo.environments.get(run.environment or "")
    if run.status != "waiting" or env is None:
        return []
    allowed = (
        ctx.grant.kind == "user"
        and _is_reviewer(ctx, env, ctx.grant.login)
        and not (env.prevent_self_review and ctx.grant.login == run.actor)
    )
    return [
        {
            "environment": shapes.environment_ref(ctx.base, repo, env),
            "wait_timer": env.wait_timer,
            "wait_timer_started_at": iso(run.created_at),
            "current_user_can_approve": allowed,
            "reviewers": [
                shapes.reviewer(ctx.base, ctx.state.users, ctx.state.orgs, k, r) for k, r in env.reviewers
            ],
        }
    ]


async def pending_deployments(request: Request) -> Response:
    ctx, repo = _repo(request)
    run = _run(repo, request.path_params["run_id"])
    if request.method == "GET":
        return JSONResponse(_pending(ctx, repo, run))
    data = await body_of(request)
    if data.get("state") not in ("approved", "rejected"):
        raise invalid("DeploymentReview", "state")
    if not isinstance(data.get("comment"), str):
        raise invalid("DeploymentReview", "comment", "missing_field")
    ids = data.get("environment_ids")
    env = repo.environments.get(run.environment or "")
    if env is None or run.status != "waiting" or not isinstance(ids, list) or env.id not in ids:
        raise invalid(
            "DeploymentReview",
            "environment_ids",
            "invalid",
            "No pending deployment for the given environment ids.",
        )
    if ctx.grant.kind != "user" or not _is_reviewer(ctx, env, ctx.grant.login):
        raise GitHubError(422, "You are not a required reviewer of this environment.")
    if env.prevent_self_review and ctx.grant.login == run.actor:
        raise GitHubError(422, "Self-review is not allowed for this environment.")
    now = ctx.state.now()
    run.reviews.append(
        {
            "state": data["state"],
            "comment": data["comment"],
            "user": ctx.grant.login,
            "environment": env.name,
            "at": iso(now),
        }
    )
    if data["state"] == "approved":
        run.status = "in_progress"
    else:
        run.status, run.conclusion = "completed", "failure"
    run.updated_at = now
    wf = next(w for w in repo.workflows.values() if w.id == run.workflow_id)
    run_body = run_json(ctx.state, ctx.base, repo, run)
    emit(
        ctx.state,
        ctx.base,
        "deployment_review",
        data["state"],
        repo,
        ctx.grant.login,
        approver=shapes.user(ctx.base, ctx.actor),
        comment=data["comment"],
        since=iso(run.created_at),
        workflow_run=run_body,
        workflow_job_runs=[
            {
                "id": run.id + 2,
                "name": wf.name,
                "status": "waiting",
                "conclusion": None,
                "html_url": f"{run_body['html_url']}/job/{run.id + 2}",
                "environment": env.name,
                "created_at": iso(run.created_at),
                "updated_at": iso(now),
            }
        ],
        reviewers=[{"type": "User", "reviewer": shapes.user(ctx.base, ctx.actor)}],
    )
    action = "in_progress" if data["state"] == "approved" else "completed"
    emit(
        ctx.state,
        ctx.base,
        "workflow_run",
        action,
        repo,
        ctx.grant.login,
        workflow=workflow_json(ctx.base, repo, wf),
        workflow_run=run_json(ctx.state, ctx.base, repo, run),
    )
    return JSONResponse([_deployment(ctx, repo, run, env)])


async def run_approvals(request: Request) -> Response:
    """The run's review history: every approval or rejection, oldest first, as GitHub lists it."""
    ctx, repo = _repo(request)
    run = _run(repo, request.path_params["run_id"])
    out = []
    for review in run.reviews:
        env = repo.environments.get(review["environment"])
        refs = [dict(shapes.environment_ref(ctx.base, repo, env), created_at=iso(env.created_at),
                     updated_at=iso(env.updated_at))] if env is not None else []
        out.append({
            "environments": refs,
            "state": review["state"],
            "user": shapes.user(ctx.base, ctx.state.users[review["user"]]),
            "comment": review["comment"],
        })
    return JSONResponse(out)


def _deployment(ctx: Ctx, repo: Repo, run: Run, env: Environment) -> dict:
    a = f"{ctx.base.api}/repos/{repo.full_name}/deployments/{run.id + 3}"
    return {
        "url": a,
        "id": run.id + 3,
        "node_id": node_id("Deployment", run.id + 3),
        "sha": f"{run.id:040x}",
        "ref": run.head_branch,
        "task": "deploy",
        "payload": {},
        "original_environment": env.name,
        "environment": env.name,
        "description": None,
        "creator": shapes.user(ctx.base, ctx.state.users[run.actor]),
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "statuses_url": f"{a}/statuses",
        "repository_url": f"{ctx.base.api}/repos/{repo.full_name}",
        "transient_environment": False,
        "production_environment": False,
    }


async def environment(request: Request) -> Response:
    ctx, repo = _repo(request)
    name = request.path_params["environment_name"]
    if request.method == "GET":
        env = repo.environments.get(name)
        if env is None:
            raise not_found()
        return JSONResponse(shapes.environment(ctx.base, ctx.state.users, ctx.state.orgs, repo, env))
    if not ctx.state.can_admin_org(ctx.grant, repo.owner):
        raise forbidden()
    data = await body_of(request)
    reviewers = [_reviewer_ref(ctx, repo, r) for r in data.get("reviewers") or []]
    if len(reviewers) > 6:
        raise GitHubError(422, "Only 6 reviewers are allowed.")
    wait = data.get("wait_timer", 0)
    if not isinstance(wait, int) or not 0 <= wait <= 43200:
        raise GitHubError(422, "Wait timer must be between 0 and 43200 minutes.")
    env = repo.environments.get(name) or ctx.state.add_environment(repo.full_name, name)
    env.reviewers, env.wait_timer = reviewers, wait
    env.prevent_self_review = bool(data.get("prevent_self_review", False))
    env.updated_at = ctx.state.now()
    return JSONResponse(shapes.environment(ctx.base, ctx.state.users, ctx.state.orgs, repo, env))


def _reviewer_ref(ctx: Ctx, repo: Repo, raw: dict) -> tuple[str, str]:
    kind, wanted = raw.get("type"), raw.get("id")
    if kind == "User":
        user = next((u for u in ctx.state.users.values() if u.id == wanted), None)
        if user is not None:
            return "User", user.login
    if kind == "Team" and repo.owner in ctx.state.orgs:
        team = next((t for t in ctx.state.orgs[repo.owner].teams.values() if t.id == wanted), None)
        if team is not None:
            return "Team", f"{repo.owner}/{team.slug}"
    raise GitHubError(422, f"Reviewer {kind} {wanted} could not be found.")


R = "/repos/{owner}/{repo}/actions"
routes = [
    Route(f"{R}/workflows/{{workflow_id}}/dispatches", dispatch, methods=["POST"]),
    Route(f"{R}/workflows/{{workflow_id}}/runs", list_runs, methods=["GET"]),
    Route(f"{R}/runs", list_runs, methods=["GET"]),
    Route(f"{R}/runs/{{run_id}}", get_run, methods=["GET"]),
    Route(f"{R}/runs/{{run_id}}/pending_deployments", pending_deployments, methods=["GET", "POST"]),
    Route(f"{R}/runs/{{run_id}}/approvals", run_approvals, methods=["GET"]),
    Route("/repos/{owner}/{repo}/environments/{environment_name}", environment, methods=["GET", "PUT"]),
]
