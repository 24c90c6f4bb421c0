"""The service's own pages behind sign-in: the private help form, each party's inbox, the request to return."""
from __future__ import annotations

import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app.core.issue_form import field_problems, format_answers
from app.core.neutralise import neutralise_block
from app.core.threads import MESSAGE_MARKER, thread_of
from app.render.issue_form import render_form_html
from app.service import casefile, submissions
from app.service.context import Context
from app.web.auth import SignIn
from app.web.style import CSS
from app.wiring.forms import load_form

_MENTION = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})")
_MAX_REPLY = 20_000


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">"
           f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}"
           f"</title><style>{CSS}</style><body><main>{body}</main></body></html>")
    return HTMLResponse(doc, status_code=status, headers={"Cache-Control": "no-store",
                                                          "Referrer-Policy": "no-referrer"})


class Pages:
    """GET/POST /help (the private form) and GET/POST /inbox/{code} (messages with the mediators)."""

    def __init__(self, sign_in: SignIn, context: Callable[[], Context], forms_dir: Path, secret: str):
        self.sign_in, self.context, self.secret = sign_in, context, secret.encode()
        self.form = load_form((forms_dir / "private-report.yml").read_text(encoding="utf-8"))
        self.return_form = load_form((forms_dir / "request-to-return.yml").read_text(encoding="utf-8"))

    def _csrf(self, login: str, path: str) -> str:
        # Bound to the signed-in person and the page: a token from one form is useless on another.
        return hmac.new(self.secret, f"{login}\0{path}".encode(), hashlib.sha256).hexdigest()

    def _csrf_ok(self, login: str, path: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self._csrf(login, path), token)

    async def help_form(self, request: Request) -> Response:
        login = self.sign_in.require(request)
        if not isinstance(login, str):
            return login
        if request.method == "GET":
            return HTMLResponse(render_form_html(self.form, "/help", self._csrf(login, "/help"), css=CSS),
                                headers={"Cache-Control": "no-store"})
        data = await request.form()
        if not self._csrf_ok(login, "/help", data.get("csrf_token")):
            return _page("Not sent", "<p>This form expired. Please open it again.</p>", 400)
        answers = {q.id: (data.getlist(q.id) if q.type == "checkboxes" else data.get(q.id, ""))
                   for q in self.form.fields}
        problems = field_problems(self.form, answers)
        if any(problems.values()):
            return HTMLResponse(render_form_html(self.form, "/help", self._csrf(login, "/help"), problems, answers,
                                                 css=CSS),
                                status_code=422, headers={"Cache-Control": "no-store"})
        about = tuple(dict.fromkeys(m for m in _MENTION.findall(str(answers.get("who", ""))) if m != login))
        where = str(answers.get("where", "")).strip()
        report = format_answers(self.form, answers)
        ctx = self.context()
        # The same answers from the same person are the same submission: a reload or a second click opens
        # no second case. The page answers once the submission is stored; the worker opens the case.
        key = hmac.new(self.secret, f"{login}\0{report}".encode(), hashlib.sha256).hexdigest()[:32]
        receipt = submissions.submit(ctx.store, ctx.policy, key, login, report, about,
                                     where if thread_of(where) else None, ctx.now)
        worker = getattr(request.app.state, "worker", None)
        if worker is not None:
            worker.kick()
        code = html.escape(receipt.code)
        due = html.escape(receipt.acknowledge_by.strftime("%Y-%m-%d %H:%M"))
        return _page("Received", f"<h1>Thank you</h1><p>Your report is now private case <strong>{code}</strong>. "
                     f"A mediator will be in touch by {due} UTC.</p><p>Your messages with the mediators "
                     f"are at <a href=\"/inbox/{code}\">your inbox for {code}</a>.</p>")

    async def inbox(self, request: Request) -> Response:
        login = self.sign_in.require(request)
        if not isinstance(login, str):
            return login
        code = request.path_params["code"]
        ctx = self.context()
        number = ctx.store.effect_result(f"case-issue:{code}")
        file = await casefile.load(ctx.github, ctx.cases_repo, int(number), ctx.me) if number else None
        # The same answer for "no such case" and "not yours": the page must not confirm a case exists.
        if file is None or login not in (*file.case.parties, file.case.subject):
            return _page("Not found", "<p>There is no inbox for you here.</p>", 404)
        path = f"/inbox/{code}"
        if request.method == "POST":
            data = await request.form()
            text = str(data.get("reply", "")).strip()
            if not self._csrf_ok(login, path, data.get("csrf_token")):
                return _page("Not sent", "<p>This page expired. Please open it again.</p>", 400)
            if not text or len(text) > _MAX_REPLY:
                return _page("Not sent", "<p>Please write a reply (at most 20,000 characters).</p>", 422)
            body = f"**Reply from `{login}`** (through the inbox)\n\n{neutralise_block(text)}"
            await ctx.github.create_comment(ctx.cases_repo, file.number, body, key=f"reply:{secrets.token_hex(12)}")
        marker = MESSAGE_MARKER.format(login=login)
        messages = [c for c in await ctx.github.list_comments(ctx.cases_repo, file.number)
                    if ctx.me.wrote(c) and c.body.startswith(marker)]
        items = "".join(
            f"<li><time>{html.escape(c.created_at.strftime('%Y-%m-%d %H:%M'))} UTC</time>"
            f"<pre>{html.escape(c.body.removeprefix(marker).strip())}</pre></li>" for c in messages)
        return _page(f"Inbox {code}", (
            f"<h1>Messages about {html.escape(code)}</h1><ol>{items or '<li>No messages yet.</li>'}</ol>"
            f"<form method=\"post\"><input type=\"hidden\" name=\"csrf_token\" value=\"{self._csrf(login, path)}\">"
            "<label for=\"reply\">Your reply to the mediators</label><br>"
            "<textarea id=\"reply\" name=\"reply\" rows=\"8\" cols=\"70\" required></textarea><br>"
            "<button type=\"submit\">Send</button></form>"))

    async def request_to_return(self, request: Request) -> Response:
        """The path back: someone under a sanction asks the mediators to help them return. It is a page
        of the service, not an issue form, because a person blocked from the org cannot open issues."""
        login = self.sign_in.require(request)
        if not isinstance(login, str):
            return login
        form, path = self.return_form, "/return"
        if request.method == "GET":
            return HTMLResponse(render_form_html(form, path, self._csrf(login, path), css=CSS),
                                headers={"Cache-Control": "no-store"})
        data = await request.form()
        if not self._csrf_ok(login, path, data.get("csrf_token")):
            return _page("Not sent", "<p>This form expired. Please open it again.</p>", 400)
        answers = {q.id: data.get(q.id, "") for q in form.fields}
        problems = field_problems(form, answers)
        ctx = self.context()
        code = str(answers.get("case", "")).strip()
        number = ctx.store.effect_result(f"case-issue:{code}") if code else None
        file = await casefile.load(ctx.github, ctx.cases_repo, int(number), ctx.me) if number else None
        if file is None or login not in (*file.case.parties, file.case.subject):
            problems.setdefault("case", []).append("Please check the code name: it is in the message that told "
                                                   "you about the sanction.")
        if any(problems.values()):
            return HTMLResponse(render_form_html(form, path, self._csrf(login, path), problems, answers, css=CSS),
                                status_code=422, headers={"Cache-Control": "no-store"})
        mention = await ctx.roles.mention("mediators")
        body = (f"**Request to return from `{login}`**\n\n{format_answers(form, answers)}\n\ncc {mention}")
        await ctx.github.create_comment(ctx.cases_repo, file.number, body, key=f"return:{secrets.token_hex(12)}")
        return _page("Sent", f"<h1>Thank you</h1><p>The mediators of {html.escape(file.case.code)} have your "
                     f"request and will reply in <a href=\"/inbox/{html.escape(file.case.code)}\">your inbox</a>.</p>")

    def routes(self) -> list[Route]:
        return [Route("/help", self.help_form, methods=["GET", "POST"]),
                Route("/inbox/{code}", self.inbox, methods=["GET", "POST"]),
                Route("/return", self.request_to_return, methods=["GET", "POST"])]
