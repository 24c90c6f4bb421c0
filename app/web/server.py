"""Assembles the ASGI service: webhook receiver, health check, and the pages other modules add."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.service.worker import Worker
from app.store.deliveries import Delivery
from app.web.frame import error_page
from app.web.group_commit import GroupCommit
from app.web.webhooks import webhook_endpoint


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_page("Page not found", "There is no page at this address. It may have moved, or the link was "
                      "cut short.", ("/", "Go to the start page"), 404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return error_page("Not possible here", "This address cannot be used that way (for example, signing out "
                      "needs the Sign out button).", ("/", "Go to the start page"), 405)


async def _failed(request: Request, exc: Exception) -> Response:
    # Logged by the server with its traceback; the person gets plain words and nothing of the error.
    return error_page("Something went wrong", "The desk could not finish this on its side. Nothing you sent "
                      "is lost; please try again in a moment.", ("/", "Go to the start page"), 500)


def create_app(*, secret: str, store, handle: Callable[[Delivery], Awaitable[None]],
               routes: Sequence[BaseRoute] = (), worker: Worker | None = None,
               now: Callable[[], datetime] | None = None,
               on_stop: Sequence[Callable[[], object]] = ()) -> Starlette:
    """The service. Nothing starts at import: the server runs this factory and the lifespan below;
    `on_stop` runs at its end (a stop or restart), once the worker is idle."""
    worker = worker or (Worker(store, handle, now) if now else Worker(store, handle))

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "pending_deliveries": store.pending_count()})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # Deliveries stored before a crash or restart are processed as soon as the service is back, and
        # the watch keeps looking, so a lease left by a dead process is taken up within the lease.
        watch = asyncio.get_running_loop().create_task(worker.watch())
        yield
        watch.cancel()
        await worker.wait_idle()
        # Here and not after the server returns: on SIGTERM uvicorn raises the signal again once it has
        # shut down, and the process ends there, before any code after the server would run.
        for stop in on_stop:
            stop()

    app = Starlette(
        routes=[
            Route("/webhooks/github", webhook_endpoint(secret, GroupCommit(store.record_deliveries), worker.kick,
                                                       now=now or (lambda: datetime.now(UTC))), methods=["POST"]),
            Route("/healthz", healthz),
            *routes,
        ],
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed, 500: _failed},
    )
    app.state.worker = worker
    app.state.store = store
    return app
