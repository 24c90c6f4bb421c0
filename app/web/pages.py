"""The service's own pages behind sign-in: the private help form, each party's inbox, the request to return."""
from __future__ import annotations

import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app.core.issue_form import field_problems, format_answers
from app.core.neutralise import neutralise_block
from app.core.threads import MESSAGE_MARKER, REPLY_MARKER, canonical_thread
from app.render.issue_form import render_form_html
from app.render.policy_page import render_policy_page
from app.service import casefile, submissions
from app.service.context import Context
from app.service.once import once
from app.web.auth import SignIn
from app.web.frame import error_page, markdown, page
from app.web.style import CSS
from app.wiring.forms import load_form

_MENTION = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})")
_MAX_REPLY = 20_000
_NONCE_BYTES = 12
# Hidden parts of a comment the app wrote: the party marker, the reply marker, the adapter's key marker.
_HIDDEN = re.compile(r"<!--\s*conduct-desk:[^>]*-->")
_HEADER = re.compile(r"^\*\*(?:Message to|Reply from|Request to return from) `[^`]*`\*\*[^\n]*\n")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return page(title, body, status, signed_in=True)


def _expired(path: str) -> HTMLResponse:
    return error_page("This page expired", "The page was open too long, or was sent from elsewhere, so nothing "
                      "was sent. Please open it again and send it once more.", (path, "Open the page again"),
                      400, signed_in=True)


def _readable(body: str) -> str:
    """A message as the person reads it: no markers, no staff header, rendered as safe HTML."""
    text = _HIDDEN.sub("", body).strip()
    return markdown(_HEADER.sub("", text, count=1).strip())


async def _post_once(ctx: Context, number: int, body: str, key: str) -> None:
    """One comment on the case per submitted page, however often the browser sends it."""
    async def send() -> str:
        return str((await ctx.github.create_comment(ctx.cases_repo, number, body, key=key)).id)

    await once(ctx.store, key, send, busy="skip")


class Pages:
    """GET/POST /help (the private form) and GET/POST /inbox/{code} (messages with the mediators)."""

    def __init__(self, sign_in: SignIn, context: Callable[[], Context], forms_dir: Path, secret: str):
        self.sign_in, self.context, self.secret = sign_in, context, secret.encode()
        self.form = load_form((forms_dir / "private-report.yml").read_text(encoding="utf-8"))
        self.return_form = load_form((forms_dir / "request-to-return.yml").read_text(encoding="utf-8"))

    def _csrf(self, login: str, path: str) -> str:
        # Bound to the signed-in person and the page, and new on every page load: its random part names one
        # submission, so a double click or a reload of what was sent repeats nothing.
        nonce = secrets.token_hex(_NONCE_BYTES)
        return nonce + self._mac(login, path, nonce)

    def _mac(self, login: str, path: str, nonce: str) -> str:
        return hmac.new(self.secret, f"{login}\0{path}\0{nonce}".encode(), hashlib.sha256).hexdigest()

    def _csrf_ok(self, login: str, path: str, token) -> str | None:
        """The submission's nonce if the token is this person's for this page; None otherwise."""
        token = str(token or "")
        nonce, mac = token[:2 * _NONCE_BYTES], token[2 * _NONCE_BYTES:]
        return nonce if len(nonce) == 2 * _NONCE_BYTES and hmac.compare_digest(self._mac(login, path, nonce), mac) \
            else None

    async def home(self, request: Request) -> Response:
        signed_in = self.sign_in.user(request) is not None
        return page("Welcome", (
            "<h1>Conduct Desk</h1><p>This is the community's desk for help with conduct. If something in the "
            "project made you feel unsafe or unwelcome, you can ask for help privately: only the mediators "
            "read what you write.</p><ul>"
            "<li><a href=\"/help\">Ask for help privately</a></li>"
            "<li><a href=\"/policy\">Read the code of conduct policy</a>: what counts, and what can follow</li>"
            "<li><a href=\"/return\">Ask to return</a> after a sanction</li>"
            "<li><a href=\"/notices\">Your e-mail notices</a>: turn them off or on</li></ul>"
            "<p>If you have a case, the e-mail the desk sent you links your inbox for it.</p>"
            + ("" if signed_in else "<p><a href=\"/login?next=/\">Sign in with GitHub</a></p>")), signed_in=signed_in)

    async def policy(self, request: Request) -> Response:
        text = render_policy_page(self.context().policy)
        return page("Policy", markdown(text), signed_in=self.sign_in.user(request) is not None)

    async def help_form(self, request: Request) -> Response:
        login = self.sign_in.require(request)
        if not isinstance(login, str):
            return login
        if request.method == "GET":
            return HTMLResponse(render_form_html(self.form, "/help", self._csrf(login, "/help"), css=CSS),
                                headers={"Cache-Control": "no-store"})
        data = await request.form()
        if not self._csrf_ok(login, "/help", data.get("csrf_token")):
            return _expired("/help")
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
                                     canonical_thread(where), ctx.now)
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
        if number is None and submissions.submitted_by(ctx.store, code) == login.lower():
            # The reporter's own form, stored but not yet filed (GitHub slow or down): say so, not "no inbox".
            return _page(f"Inbox {code}", (
                f"<h1>Messages about {html.escape(code)}</h1><p role=\"status\">Your report is received and "
                "kept safe; the desk is filing it for the mediators now. Your messages with them will be here: "
                "please look again in a few minutes.</p>"))
        file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, int(number), ctx.me) if number else None
        # The same answer for "no such case" and "not yours": the page must not confirm a case exists.
        if file is None or login.lower() not in {p.lower() for p in (*file.case.parties, file.case.subject or "")}:
            return error_page("No inbox here", "There is no inbox for you at this address. If a message from the "
                              "desk brought you here, check that you are signed in with the GitHub account it was "
                              "for.", ("/", "Go to the start page"), 404, signed_in=True)
        path = f"/inbox/{code}"
        if request.method == "POST":
            data = await request.form()
            text = str(data.get("reply", "")).strip()
            nonce = self._csrf_ok(login, path, data.get("csrf_token"))
            if not nonce:
                return _expired(path)
            if not text or len(text) > _MAX_REPLY:
                return error_page("Not sent", "Please write a reply of at most 20,000 characters; nothing was "
                                  "sent.", (path, "Back to your inbox"), 422, signed_in=True)
            body = (f"{REPLY_MARKER.format(login=login)}\n**Reply from `{login}`** (through the inbox)\n\n"
                    f"{neutralise_block(text)}")
            # One comment per page load however often it is sent; then a redirect, so a reload only reads.
            await _post_once(ctx, file.number, body, f"reply:{code}:{nonce}")
            return RedirectResponse(f"{path}?sent=1", status_code=303)
        wanted = {MESSAGE_MARKER.format(login=login).lower(): "mediators", REPLY_MARKER.format(login=login).lower():
                  "mine"}
        items = []
        for c in await ctx.github.list_comments(ctx.cases_repo, file.number):
            side = wanted.get(c.body.split("\n", 1)[0].strip().lower()) if ctx.me.wrote(c) else None
            if side:
                who = "You wrote" if side == "mine" else "The mediators wrote"
                items.append(f"<li class=\"{side}\"><p class=\"who\">{who}, <time>"
                             f"{html.escape(c.created_at.strftime('%Y-%m-%d %H:%M'))} UTC</time></p>"
                             f"{_readable(c.body)}</li>")
        sent = ("<p role=\"status\">Your reply was sent to the mediators. It is below; they will answer "
                "here.</p>") if request.query_params.get("sent") else ""
        return _page(f"Inbox {code}", (
            f"<h1>Messages about {html.escape(code)}</h1>{sent}"
            f"<ol class=\"messages\">{''.join(items) or '<li>No messages yet.</li>'}</ol>"
            f"<form method=\"post\" action=\"{quote(path)}\">"
            f"<input type=\"hidden\" name=\"csrf_token\" value=\"{self._csrf(login, path)}\">"
            "<label for=\"reply\">Your reply to the mediators</label>"
            "<textarea id=\"reply\" name=\"reply\" rows=\"8\" required></textarea>"
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
        nonce = self._csrf_ok(login, path, data.get("csrf_token"))
        if not nonce:
            return _expired(path)
        answers = {q.id: data.get(q.id, "") for q in form.fields}
        problems = field_problems(form, answers)
        ctx = self.context()
        code = str(answers.get("case", "")).strip()
        number = ctx.store.effect_result(f"case-issue:{code}") if code else None
        file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, int(number), ctx.me) if number else None
        if file is None or login not in (*file.case.parties, file.case.subject):
            problems.setdefault("case", []).append("Please check the code name: it is in the message that told "
                                                   "you about the sanction.")
        if any(problems.values()):
            return HTMLResponse(render_form_html(form, path, self._csrf(login, path), problems, answers, css=CSS),
                                status_code=422, headers={"Cache-Control": "no-store"})
        mention = await ctx.roles.mention("mediators")
        body = (f"{REPLY_MARKER.format(login=login)}\n**Request to return from `{login}`**\n\n"
                f"{format_answers(form, answers)}\n\ncc {mention}")
        await _post_once(ctx, file.number, body, f"return:{file.case.code}:{nonce}")
        return _page("Sent", f"<h1>Thank you</h1><p>The mediators of {html.escape(file.case.code)} have your "
                     f"request and will reply in <a href=\"/inbox/{html.escape(file.case.code)}\">your inbox</a>.</p>")

    def routes(self) -> list[Route]:
        return [Route("/", self.home), Route("/policy", self.policy),
                Route("/help", self.help_form, methods=["GET", "POST"]),
                Route("/inbox/{code}", self.inbox, methods=["GET", "POST"]),
                Route("/return", self.request_to_return, methods=["GET", "POST"])]
