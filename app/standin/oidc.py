"""Actions' OIDC provider: ID tokens for a running job, signed with the stand-in's key, and the JWKS."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .http import GitHubError, base_of, bearer, state_of
from .model import Repo, Run
from .state import SandboxError, SandboxState

# Like GHES (`https://HOSTNAME/_services/token`); github.com's issuer is token.actions.githubusercontent.com.
ISSUER_PATH = "/_services/token"
TOKEN_LIFETIME = timedelta(minutes=5)
CLAIMS = (
    "sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository", "repository_id",
    "repository_owner", "repository_owner_id", "repository_visibility", "run_id", "run_number", "run_attempt",
    "runner_environment", "actor", "actor_id", "workflow", "workflow_ref", "workflow_sha", "job_workflow_ref",
    "job_workflow_sha", "head_ref", "base_ref", "event_name", "ref_type", "environment",
)


@dataclass
class Job:
    """A job that has started on a runner: what its ACTIONS_ID_TOKEN_REQUEST_TOKEN stands for."""

    repo: str
    run_id: int
    name: str
    environment: str | None
    id_token: bool  # the job's `permissions:` grant `id-token: write`


@dataclass
class Provider:
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    jobs: dict[str, Job] = field(default_factory=dict)  # request token -> job


def provider(state: SandboxState) -> Provider:
    found = getattr(state, "oidc", None)
    if found is None:
        found = state.oidc = Provider()
    return found


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def start_job(state: SandboxState, repo: str, run_id: int, job: str, environment: str | None = None,
              id_token: bool = True, base: str | None = None) -> dict[str, str]:
    """What a runner puts in a job's environment. A job bound to an environment with required reviewers
    starts only once the run is approved, as on GitHub; without `id-token: write` there is no token URL."""
    target = state.repo(repo)
    run = target.runs.get(run_id)
    if run is None:
        raise SandboxError(f"no run {run_id} in {repo}")
    env = target.environments.get(environment or "")
    if environment is not None and env is not None and env.reviewers:
        if run.status != "in_progress" or not any(r["environment"] == environment and r["state"] == "approved"
                                                  for r in run.reviews):
            raise SandboxError(f"job {job} waits for a review of {environment}")
    base = (base or state.base_url).rstrip("/")
    values = {"GITHUB_REPOSITORY": repo, "GITHUB_RUN_ID": str(run.id), "GITHUB_JOB": job,
              "GITHUB_SERVER_URL": base, "GITHUB_REF": f"refs/heads/{run.head_branch}"}
    if id_token:
        request_token = secrets.token_urlsafe(24)
        provider(state).jobs[request_token] = Job(repo, run.id, job, environment, id_token)
        values["ACTIONS_ID_TOKEN_REQUEST_URL"] = f"{base}{ISSUER_PATH}/id-token?api-version=2.0"
        values["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = request_token
    return values


def claims_for(state: SandboxState, issuer: str, job: Job, audience: str) -> dict:
    target: Repo = state.repo(job.repo)
    run: Run = target.runs[job.run_id]
    wf = next(w for w in target.workflows.values() if w.id == run.workflow_id)
    ref = f"refs/heads/{run.head_branch}"
    workflow_ref = f"{target.full_name}/.github/workflows/{wf.path}@{ref}"
    sha = f"{run.id:040x}"
    now = state.jwt_clock()
    subject = (f"repo:{target.full_name}:environment:{job.environment}" if job.environment
               else f"repo:{target.full_name}:ref:{ref}")
    claims = {
        "jti": secrets.token_hex(16), "sub": subject, "aud": audience, "iss": issuer,
        "iat": int(now.timestamp()), "nbf": int(now.timestamp()), "exp": int((now + TOKEN_LIFETIME).timestamp()),
        "ref": ref, "ref_type": "branch", "sha": sha, "repository": target.full_name,
        "repository_id": str(target.id), "repository_owner": target.owner,
        "repository_owner_id": str(state.users[target.owner].id),
        "repository_visibility": "private" if target.private else "public",
        "run_id": str(run.id), "run_number": str(run.run_number), "run_attempt": "1",
        "runner_environment": "github-hosted", "actor": run.actor, "actor_id": str(state.users[run.actor].id),
        "workflow": wf.name, "workflow_ref": workflow_ref, "workflow_sha": sha,
        "job_workflow_ref": workflow_ref, "job_workflow_sha": sha, "head_ref": "", "base_ref": "",
        "event_name": getattr(run, "event", "workflow_dispatch"),
    }
    if job.environment:
        claims["environment"] = job.environment
    return claims


def _issuer(request: Request) -> str:
    return base_of(request).web + ISSUER_PATH


async def configuration(request: Request) -> Response:
    issuer = _issuer(request)
    return JSONResponse({
        "issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks", "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": ["id_token"], "claims_supported": list(CLAIMS),
        "id_token_signing_alg_values_supported": ["RS256"], "scopes_supported": ["openid"],
    })


async def jwks(request: Request) -> Response:
    found = provider(state_of(request))
    numbers = found.key.public_key().public_numbers()
    return JSONResponse({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": found.kid,
                                   "n": _b64(numbers.n), "e": _b64(numbers.e)}]})


async def id_token(request: Request) -> Response:
    """The runner's token service: the job's request token in, a signed ID token for `audience` out."""
    state = state_of(request)
    job = provider(state).jobs.get(bearer(request) or "")
    if job is None:
        raise GitHubError(401, "Bad credentials")
    issuer = _issuer(request)
    audience = request.query_params.get("audience") or f"{base_of(request).web}/{job.repo.split('/')[0]}"
    found = provider(state)
    token = jwt.encode(claims_for(state, issuer, job, audience), found.key, algorithm="RS256",
                       headers={"kid": found.kid, "typ": "JWT"})
    return JSONResponse({"count": len(token), "value": token})


routes = [
    Route(f"{ISSUER_PATH}/.well-known/openid-configuration", configuration, methods=["GET"]),
    Route(f"{ISSUER_PATH}/.well-known/jwks", jwks, methods=["GET"]),
    Route(f"{ISSUER_PATH}/id-token", id_token, methods=["GET"]),
]
