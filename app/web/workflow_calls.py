"""The calls Actions workflows make: each run proves itself with its OIDC token, then the service acts."""
from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.core.policy import Policy
from app.github.errors import RateLimited, Unavailable
from app.polls.opening import CannotOpen
from app.sanctions import runs
from app.sanctions.desk import Desk
from app.sanctions.workflow import HELD, NOT_FOUND, OK, REFUSED, apply_command, show_markdown
from app.service import sweep_job
from app.service.context import Context
from app.service.polling import SetupError, open_case_poll
from app.service.reports import post_period_report
from app.web import bounded
from app.web.oidc import Expect, IssuerUnavailable, NotAllowed, NotAuthenticated, Verifier

log = logging.getLogger("conduct.workflows")
CASE = re.compile(r"^C-[0-9]{4}-[0-9]{3,6}$")
DECISION = re.compile(r"^C-[0-9]{4}-[0-9]{3,6}-d[0-9]{1,4}$")
MAX_BODY = 4096
SC_ENVIRONMENT = "steering-council"
# What started each workflow's runs on GitHub: a schedule or a dispatch (the app's, or an admin's by hand).
SWEEP_EVENTS = frozenset({"schedule", "workflow_dispatch"})
DISPATCH = frozenset({"workflow_dispatch"})
# Held (fewer SC approvals than the quorum) is accepted, not failed: the service applies it at the last one.
STATUS = {OK: 200, HELD: 202, REFUSED: 409, NOT_FOUND: 404}


class Refusal(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class WorkflowCalls:
    verifier: Verifier
    policy: Policy
    context: Callable[[], Context]
    apply: Callable[..., Awaitable[object]]  # the router's apply: decide, carry out, save
    public_url: str
    # How long the sweep call waits for its stored job before answering 202 (the job goes on regardless).
    sweep_wait: float = 120.0
    # Wakes the service's worker for a stored sweep job (the service sets it once its worker exists);
    # without it the job waits for the worker's next idle wake.
    wake: Callable[[], None] = lambda: None

    def expect(self, workflow: str, events: frozenset[str] = DISPATCH, environment: str | None = None) -> Expect:
        places = self.policy.roles.places
        repo = places.decisions if workflow == "sc-approval.yml" else places.cases
        return Expect(repo, workflow, events, environment)

    def routes(self) -> list[Route]:
        return [
            Route("/actions/sweep", self._guard(self.sweep), methods=["POST"]),
            Route("/actions/report", self._guard(self.report), methods=["POST"]),
            Route("/actions/poll-open", self._guard(self.poll_open), methods=["POST"]),
            Route("/actions/sanction-show", self._guard(self.sanction_show), methods=["POST"]),
            Route("/actions/sanction-apply", self._guard(self.sanction_apply), methods=["POST"]),
        ]

    def _guard(self, handler):
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except NotAuthenticated as refusal:
                return _error(401, str(refusal), {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            except NotAllowed as refusal:
                log.info("workflow call refused path=%s reason=%s", request.url.path, refusal)
                return _error(403, str(refusal))
            except IssuerUnavailable as refusal:
                return _error(503, str(refusal), {"Retry-After": "30"})
            except Refusal as refusal:
                return _error(refusal.status, str(refusal))
            except (Unavailable, RateLimited) as error:
                # GitHub is briefly down or asked us to wait: the step's `curl --retry` calls again, and
                # everything already done is keyed, so the next call does only what is left.
                log.info("workflow call deferred path=%s error=%s", request.url.path, type(error).__name__)
                return _error(503, f"GitHub answered {type(error).__name__}; call again", {"Retry-After": "5"})
        return endpoint

    async def _caller(self, request: Request, expect: Expect):
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("send the run's OIDC token as `Authorization: Bearer <token>`")
        return await self.verifier.verify(token.strip(), expect)

    async def sweep(self, request: Request) -> Response:
        """Store the pass as a job for the worker, then wait for it: the answer is its counts, or 202 if
        it takes longer. The job is the worker's, under its lease, so a crash does not lose it."""
        caller = await self._caller(request, self.expect("sweep.yml", SWEEP_EVENTS))
        ctx = self.context()
        job = sweep_job.queue(ctx.store, caller.run_id, caller.run_attempt, ctx.now)
        self.wake()
        waited = 0.0
        while (status := ctx.store.get_status(job)) not in ("done", "failed") and waited < self.sweep_wait:
            await asyncio.sleep(0.1)
            waited += 0.1
        counts = sweep_job.counts(ctx.store, job)
        if status == "failed" or counts is None:
            log.info("sweep run=%s job=%s status=%s", caller.run_id, job, status)
            return JSONResponse({"job": job, "status": status}, status_code=202)
        log.info("sweep run=%s %s", caller.run_id, " ".join(f"{k}={v}" for k, v in counts.items()))
        return JSONResponse(counts)

    async def report(self, request: Request) -> Response:
        caller = await self._caller(request, self.expect("report.yml", SWEEP_EVENTS))
        try:
            posted = await post_period_report(self.context())
        except ValueError as refusal:
            raise Refusal(409, str(refusal)) from None
        log.info("report run=%s period=%s", caller.run_id, posted["period"])
        return JSONResponse(posted)

    async def poll_open(self, request: Request) -> Response:
        caller = await self._caller(request, self.expect("poll-open.yml"))
        case = await _field(request, "case", CASE, "a case code name like C-2026-014")
        try:
            poll = await open_case_poll(self.context(), case, self.public_url, self.apply)
        except LookupError:
            raise Refusal(404, f"no case {case}") from None
        except (CannotOpen, SetupError) as refusal:
            raise Refusal(409, str(refusal)) from None
        log.info("poll opened run=%s case=%s", caller.run_id, case)
        return JSONResponse({"poll": poll})

    async def _decision_caller(self, request: Request, environment: str | None):
        caller = await self._caller(request, self.expect("sc-approval.yml", environment=environment))
        decision = await _field(request, "decision", DECISION, "a decision id like C-2026-014-d1")
        ctx = self.context()
        bound = runs.run_of(ctx.store, decision)
        if bound is None or bound != caller.run_id:
            # Only the run the app dispatched for this decision speaks for it: another run of the same
            # workflow (dispatched by hand, or for another decision) is refused whatever its reviews say.
            raise NotAllowed(f"run {caller.run_id} was not requested for {decision}")
        return caller, decision, ctx

    async def sanction_show(self, request: Request) -> Response:
        _caller, decision, ctx = await self._decision_caller(request, None)
        desk = Desk(ctx.github, ctx.store, ctx.policy, ctx.now)
        return PlainTextResponse(await show_markdown(desk, ctx.me, decision))

    async def sanction_apply(self, request: Request) -> Response:
        caller, decision, ctx = await self._decision_caller(request, SC_ENVIRONMENT)
        desk = Desk(ctx.github, ctx.store, ctx.policy, ctx.now)
        err = io.StringIO()
        # The gate (app/sanctions/gate.py) decides whether the SC's approval counts; this call only proves
        # that the request comes from the decision's own run, past the environment's review.
        code = await apply_command(desk, ctx.me, decision, caller.run_id, err)
        text = err.getvalue().strip()
        log.info("apply run=%s decision=%s exit=%s", caller.run_id, decision, code)
        if code in (OK, HELD):
            return PlainTextResponse(text + "\n", status_code=STATUS[code])
        return _error(STATUS.get(code, 503), text)


async def _field(request: Request, name: str, pattern: re.Pattern, what: str) -> str:
    try:
        data = bounded.loads(await bounded.read_body(request, MAX_BODY) or b"{}", max_depth=8)
    except bounded.BadBody as refusal:
        raise Refusal(refusal.status, "the body is too large" if refusal.status == 413 else
                      "the body is not JSON") from None
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, str) or not pattern.match(value):
        raise Refusal(422, f"`{name}` must be {what}")
    return value


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
