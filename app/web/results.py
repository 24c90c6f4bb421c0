"""GET /ballot/{poll}/result.json: the published record of a closed poll, for its electorate to recount."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.polls.ids import from_slug
from app.service.forget import poll_forgotten
from app.web.auth import SignIn


def result_routes(store, sign_in: SignIn) -> list[Route]:
    """Under /ballot/ (signed in): the record names who took a ballot, so it is for the electorate only."""

    async def result(request: Request) -> Response:
        login = sign_in.user(request)
        if login is None:
            return JSONResponse({"message": "Sign in with GitHub first (the result is for the poll's electorate)."},
                                status_code=401, headers={"Cache-Control": "no-store"})
        poll_id = from_slug(request.path_params["poll"])
        if poll_id and poll_forgotten(store, poll_id):
            # Its case was forgotten when its retention ended: the result is gone for good, and says so.
            return JSONResponse({"message": "This poll's case was forgotten under the policy's retention."},
                                status_code=410, headers={"Cache-Control": "no-store"})
        # Only what the sweep published after the deadline: there are no interim results to serve.
        text = store.effect_result(f"poll-result:{poll_id}") if poll_id and store.is_eligible(poll_id, login) else None
        if not text:
            return JSONResponse({"message": "No published result for you: the poll is unknown, still open, or "
                                            "you are not in its electorate."},
                                status_code=404, headers={"Cache-Control": "no-store"})
        return Response(text, media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{request.path_params["poll"]}.json"',
                                 "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})

    return [Route("/ballot/{poll}/result.json", result)]
