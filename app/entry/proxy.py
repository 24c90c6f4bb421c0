"""`conduct sandbox proxy`: the fault proxy in front of the stand-in as its own process, one port per service
process, with a control plane that logs every call and arms a kill of the caller at a chosen one."""
from __future__ import annotations

import asyncio
import socket
import sys

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.standin.proxy import FaultProxy, is_write, kill_process, mutation, nth_match

# Headers that belong to one connection, not to the call (RFC 9110 7.6.1), and those the proxy recomputes.
HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
       "content-length", "content-encoding"}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class KillPlan:
    """Whom a kill fault ends: the process behind the door (the proxy's port) the call came in by."""

    def __init__(self, pids: dict[int, int]) -> None:
        self.pids = pids

    def __call__(self, request: httpx.Request) -> None:
        kill_process(self.pids[request.extensions["door"]])(request)


def proxy_app(upstream: str) -> Starlette:
    """Forwards every call to `upstream` through one FaultProxy, whichever door it came in by (so calls
    are counted across service processes in the order GitHub sees them); `/_proxy/` is the control plane."""
    faults = FaultProxy(httpx.AsyncHTTPTransport())
    calls: list[dict] = []
    base = upstream.rstrip("/")

    async def forward(request: Request) -> Response:
        body = await request.body()
        door = request.scope["server"][1]
        url = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # The caller's Host goes on: the stand-in's links (pagination, `url` fields) lead back through here.
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP]
        outgoing = httpx.Request(request.method, url, headers=headers, content=body, extensions={"door": door})
        call = {"door": door, "method": request.method, "path": request.url.path, "write": is_write(outgoing),
                "operation": mutation(outgoing), "status": None, "fault": None}
        calls.append(call)
        before = len(faults.log)
        answer = await faults.handle_async_request(outgoing)
        content = await answer.aread()
        call["status"] = answer.status_code
        if len(faults.log) > before:
            call["fault"] = faults.log[-1][2]
        return Response(content, status_code=answer.status_code,
                        headers={k: v for k, v in answer.headers.items() if k.lower() not in HOP})

    async def arm_kill(request: Request) -> Response:
        data = await request.json()
        try:
            when = data.get("when", "after")
            if when not in ("before", "after"):
                raise ValueError("when is before or after")
            pids = {int(door): int(pid) for door, pid in data["pids"].items()}
            rule = nth_match(str(data["method"]).upper(), str(data["path"]), int(data.get("nth", 1)),
                             f"kill-{when}", data.get("operation"))
        except (KeyError, TypeError, ValueError, AttributeError) as bad:
            return JSONResponse({"message": f"not a kill plan: {bad}"}, status_code=422)
        faults.rule, faults.kill = rule, KillPlan(pids)
        faults.kill_hold = float(data.get("hold", faults.kill_hold))
        faults.arm()
        return JSONResponse({"armed": True}, status_code=201)

    async def disarm(request: Request) -> Response:
        faults.rule, faults.kill, faults.armed = None, None, False
        return Response(status_code=204)

    async def read_calls(request: Request) -> Response:
        return JSONResponse(calls)

    async def clear_calls(request: Request) -> Response:
        calls.clear()
        return Response(status_code=204)

    return Starlette(routes=[
        Route("/_proxy/kill", arm_kill, methods=["POST"]),
        Route("/_proxy/kill", disarm, methods=["DELETE"]),
        Route("/_proxy/calls", read_calls, methods=["GET"]),
        Route("/_proxy/calls", clear_calls, methods=["DELETE"]),
        Route("/{path:path}", forward, methods=METHODS),
    ])


def run_proxy(ports: list[int], upstream: str) -> int:
    """Listen on 127.0.0.1 at each port (the control plane has no authentication) until stopped."""
    sockets = []
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sockets.append(sock)
    print("Fault proxy on " + ", ".join(f"http://127.0.0.1:{p}/" for p in ports) + f" in front of {upstream}",
          file=sys.stderr)
    config = uvicorn.Config(proxy_app(upstream), log_level="warning", access_log=False)
    asyncio.run(uvicorn.Server(config).serve(sockets=sockets))
    return 0
