"""Plays GitHub's runner for one job of this project's workflows on the stand-in: the job's one call."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import httpx
import yaml

from app.standin.oidc import start_job

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def job_spec(workflow: str, job: str) -> tuple[str | None, str, bool]:
    """The job's environment, the service path its step calls, and whether it may ask for an OIDC token."""
    spec = yaml.safe_load((WORKFLOWS / workflow).read_text(encoding="utf-8"))["jobs"][job]
    env = spec.get("environment")
    step = next(s for s in spec["steps"] if s.get("name") == "Call the desk")
    return (env.get("name") if isinstance(env, dict) else env, step["env"]["CALL"],
            (spec.get("permissions") or {}).get("id-token") == "write")


async def run_job(state, github: httpx.AsyncBaseTransport, service: httpx.AsyncBaseTransport, service_url: str,
                  repo: str, run_id: int, workflow: str, job: str, body: dict | None = None) -> httpx.Response:
    """Start the job on the stand-in (a job behind a reviewed environment starts only once approved), get
    its OIDC token for the service's URL as the step's curl does, and make the step's one call."""
    environment, call, id_token = job_spec(workflow, job)
    values = start_job(state, repo, run_id, job, environment, id_token)
    async with httpx.AsyncClient(transport=github) as http:
        answer = await http.get(f"{values['ACTIONS_ID_TOKEN_REQUEST_URL']}&audience={quote(service_url, safe='')}",
                                headers={"Authorization": f"bearer {values['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"})
        answer.raise_for_status()
    token = answer.json()["value"]
    async with httpx.AsyncClient(transport=service, timeout=600) as http:
        return await http.post(f"{service_url}/actions/{call}", content=json.dumps(body or {}),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
