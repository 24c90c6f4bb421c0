"""`conduct demo`: scripted cases through the service, the adapter and the local GitHub stand-in."""
from __future__ import annotations

import asyncio
import io
import json
import re
import secrets
import tempfile
import textwrap
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

import httpx

with warnings.catch_warnings():
    # Starlette's test client suggests another HTTP package; the demo's in-process voters are fine as is.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from app.github.errors import NotFound
from app.polls import client
from app.polls.verifier import recount_file
from app.service.context import Context
from app.store import open_store
from app.web.auth import SESSION_COOKIE, SignIn
from app.web.ballot import ballot_routes
from app.web.pages import Pages
from app.web.results import result_routes
from app.wiring.local import API, APP_SLUG, LocalWorld, build_world
from app.wiring.policy_files import load_policy
from app.wiring.runner import run_job

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PUBLIC_URL = "http://desk.local"
WIDTH = 120  # the widest line the text timeline prints

SUMMARY_MISSING_PART = """/conduct summary
### What happened
In a review thread, participant-2 called another contributor's work worthless.
### Action points
- warning: personal-attack
"""

SUMMARY = """/conduct summary
### What happened
In a review thread, participant-2 called another contributor's work worthless, and kept replying to
them in three other threads after being asked to stop.
### Course of mediation
Both people were contacted privately. The reporter asked only that it stop. participant-2 declined to
talk and posted again the same day.
### Why mediation did not resolve it
The behaviour continued after a calm-down note and a private request from the mediators.
### Action points
- warning: personal-attack, harassment
- temporary-ban: harassment
"""

SUMMARY_3 = """/conduct summary
### What happened
participant-2 sent the reporter private messages about their conference talk.
### Course of mediation
The mediators spoke with both; participant-2 apologised and agreed to stop, and an urgent ban was in place.
### Why mediation did not resolve it
The reporter asked for the core developers to decide whether anything more is needed.
### Action points
- warning: harassment
"""


class Clock:
    """The demo's simulated clock, shared by the stand-in and the service: nothing reads real time."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Timeline:
    """What a reader sees: each step, then the stage changes and the app's posts it caused."""

    out: TextIO
    as_json: bool
    seen_entries: dict[str, int] = field(default_factory=dict)
    seen_comments: set[int] = field(default_factory=set)
    seen_issues: set[str] = field(default_factory=set)
    seen_discussions: dict[int, str] = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)

    def emit(self, record: dict) -> None:
        self.records.append(record)
        if self.as_json:
            self.out.write(json.dumps(record, sort_keys=True, default=str) + "\n")
            return
        if record["type"] == "step":
            self.out.write("\n" + _wrap(f"{record['at'][:16].replace('T', ' ')}  {record['who']}: {record['what']}",
                                        "", " " * 18))
        elif record["type"] == "stage":
            self.out.write(_wrap(f"[{record['case']}] {record['from']} → {record['to']}  "
                                 f"(by {record['by']}, {record['trigger']})", " " * 18, " " * 20))
        elif record["type"] == "post":
            first, *rest = record["text"].split("\n")
            self.out.write(_wrap(f"↳ {record['where']}: {first}", " " * 18, " " * 20))
            for line in rest:
                self.out.write(_wrap(line, " " * 20, " " * 22))


def _wrap(text: str, first: str, rest: str) -> str:
    """Whole words on lines of at most WIDTH characters: a long post is wrapped, never cut."""
    return "\n".join(textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                                   break_long_words=True, break_on_hyphens=False) or [first]) + "\n"


class Script:
    def __init__(self, world: LocalWorld, clock: Clock, timeline: Timeline, sign_in: SignIn):
        self.world, self.clock, self.timeline, self.sign_in = world, clock, timeline, sign_in
        # The voters' browsers: the ballot pages of the in-process service.
        self.browser = TestClient(world.service_app, base_url=PUBLIC_URL)
        places = world.policy.roles.places
        self.intake, self.cases, self.watched = places.intake, places.cases, places.watched[0]
        self.decisions = places.decisions
        # What happens between two steps besides the webhooks (a test lets scheduled sweeps run here).
        self.between: Callable[[], Awaitable[None]] | None = None

    async def step(self, who: str, what: str, action: Callable[[], Awaitable[object]] | None = None,
                   **later: float) -> object:
        self.clock.advance(**(later or {"minutes": 5}))
        self.timeline.emit({"type": "step", "at": self.clock.now.isoformat(), "who": who, "what": what})
        result = await action() if action else None
        await self.world.settle()
        if self.between is not None:
            await self.between()
        self.report()
        return result

    def report(self) -> None:
        """Print what changed on GitHub: stage moves from the cases' audit history, and the app's posts."""
        state = self.world.state
        for repo_name, repo in state.repos.items():
            for number in sorted(repo.issues):
                for comment in state.comments_of(repo, number):
                    if comment.id in self.timeline.seen_comments or comment.user != self.world.github.bot_login:
                        continue
                    self.timeline.seen_comments.add(comment.id)
                    if "conduct-desk:state" in comment.body:
                        continue
                    where = f"{repo_name}#{number}"
                    lines = [ln for ln in comment.body.splitlines() if ln.strip() and not ln.startswith("<!--")]
                    # The first line, and the reasons of a refusal, which are what a mediator reads first.
                    shown = lines[:1] + [ln for ln in lines[1:] if ln.startswith(("- ", "| C-"))][:5]
                    if lines[0].startswith("**Message to") and len(lines) > 1:
                        shown = lines[:2]  # a message in a party's inbox: who it is for, and how it begins
                    self.timeline.emit({"type": "post", "where": where, "text": "\n".join(shown)})
        decisions = state.repo(self.decisions)
        for number, issue in sorted(decisions.issues.items()):
            if f"{decisions.full_name}#{number}" not in self.timeline.seen_issues:
                self.timeline.seen_issues.add(f"{decisions.full_name}#{number}")
                self.timeline.emit({"type": "post", "where": f"{decisions.full_name}#{number}",
                                    "text": f"{issue.title} (summary and poll totals for the SC; no report)"})
        forum = state.repo(self.world.policy.roles.places.deliberation.repo)
        for disc in forum.discussions.values():
            status = "closed and locked" if disc.state == "closed" and disc.locked else "open"
            category = next((c.name for c in forum.categories if c.id == disc.category_id), "?")
            status = f"{status}, in {category}"
            if self.timeline.seen_discussions.get(disc.id) != status:
                self.timeline.seen_discussions[disc.id] = status
                self.timeline.emit({"type": "post", "where": f"{forum.full_name} discussion #{disc.number}",
                                    "text": f"{disc.title} ({status}; comments: {len(disc.comments)})"})
        for number in sorted(state.repo(self.cases).issues):
            text = state_body(self.world, number)
            if text is None:
                continue
            from app.core.state_block import decode

            case = decode(text)
            # Counted by entries ever made, not by position: folding takes old entries out of the history.
            new = case.entries_made - self.timeline.seen_entries.get(case.code, 0)
            for entry in case.history[len(case.history) - min(new, len(case.history)):]:
                if entry.target is not None:
                    self.timeline.emit({"type": "stage", "case": case.code, "at": entry.at.isoformat(),
                                        "from": entry.source.value if entry.source else "new",
                                        "to": entry.target.value, "by": entry.actor, "trigger": entry.kind})
            self.timeline.seen_entries[case.code] = case.entries_made

    def case_number(self, code: str) -> int:
        """The case's issue number, as the service recorded it (a public request moved in takes one too)."""
        return int(self.world.store.effect_result(f"case-issue:{code}"))

    def say(self, login: str, number: int, body: str, **later: float):
        first = body.strip().splitlines()[0]
        return self.step(login, f"comments on the case: {first}",
                         lambda: self.world.as_user(login).create_comment(self.cases, number, body,
                                                                          key=f"demo-{self.clock.now.timestamp()}"),
                         **later)

    def sc_says(self, login: str, decision: str, body: str, **later: float):
        """An SC member comments on the decision's issue in the decisions repository (no access to cases)."""
        number = int(self.world.store.effect_result(f"decision-issue:{decision}"))
        return self.step(login, f"comments on the decision's issue: {body}",
                         lambda: self.world.as_user(login).create_comment(self.decisions, number, body,
                                                                          key=f"demo-{self.clock.now.timestamp()}"),
                         **later)

    async def run(self) -> None:
        world = self.world
        # Case one: an in-thread signal, mediated and resolved with a public calm-down note.
        thread = await world.as_user("participant-1").create_issue(self.watched, "Review of the parser change",
                                                                   "The parser change breaks my plugin.", [],
                                                                   key="demo-thread")
        await world.as_user("participant-2").create_comment(self.watched, thread.number, "Works for me.",
                                                            key="demo-reply")
        await self.step("reporter-1", f"writes `/conduct help` in {self.watched}#{thread.number}",
                        lambda: world.as_user("reporter-1").create_comment(
                            self.watched, thread.number, "/conduct help the replies here are getting personal",
                            key="demo-signal"))
        await self.say("mediator-1", 1, "/conduct assign @mediator-1", hours=2)
        await self.say("mediator-1", 1, "/conduct calm @participant-1 @reporter-1", minutes=20)
        await self.step("participant-2", f"replies in {self.watched}#{thread.number}: a personal remark",
                        lambda: self.heated(thread.number), minutes=10)
        await self.say("mediator-1", 1, f"/conduct lock {self.watched}#{thread.number} 24h tempers are running high",
                       minutes=5)
        await self.say("mediator-1", 1, f"/conduct hide {self.remark.html_url} a personal remark", minutes=5)
        await self.say("mediator-1", 1, "/conduct context @participant-2", minutes=5)
        await self.say("mediator-1", 1, "Spoke with both.\n/conduct note both agreed to keep the review on the code",
                       hours=20)
        await self.say("mediator-1", 1, "/conduct resolve both agreed how to continue", days=1)
        await self.say("mediator-1", 1, "/conduct stage closed", days=1)

        # Case two: the public issue form, mediation that does not resolve it, and an escalation.
        await self.step("reporter-2", f"opens the public help form in {self.intake}",
                        lambda: world.as_user("reporter-2").create_issue(
                            self.intake, "Help request", "### I need help\n\n- [X] Please contact me\n",
                            ["conduct: intake"], key="demo-form"), days=3)
        await self.say("mediator-2", 2, "/conduct assign @mediator-2", hours=1)
        await self.step("sc-1", "tries to open the case (the SC has no access to the cases repository)",
                        self.sc_reads_case, hours=1)
        # An organisation owner reaches every repository on GitHub; the desk still takes no step from them.
        world.state.add_org_member(world.policy.roles.organization, "org-owner", "admin")
        await self.step("org-owner", "adds the label `stage: resolved` to the case by hand",
                        lambda: world.as_user("org-owner").add_labels(self.cases, 2, ["stage: resolved"]), hours=1)
        await self.say("org-owner", 2, "/conduct escalate", hours=3)
        await self.say("mediator-2", 2, "/conduct message @participant-2 Could we talk about the review thread?",
                       hours=1)
        await self.say("mediator-2", 2, "/conduct hold waiting to hear back from participant-2", days=1)
        await self.say("mediator-2", 2, "/conduct unhold heard back", days=2)
        await self.say("mediator-2", 2, "/conduct escalate", hours=2)
        await self.say("mediator-2", 2, SUMMARY_MISSING_PART, minutes=10)
        await self.say("mediator-2", 2, SUMMARY, hours=1)
        await self.say("mediator-2", 2, "/conduct escalate @participant-2", minutes=5)

        # Case three: the private form, through the service's page (signed in), left unacknowledged.
        await self.step("reporter-3", "signs in and submits the private help form", self.private_form, hours=1)
        await self.step("Actions", "runs sweep.yml, 25 hours later: one OIDC-authenticated call to the service",
                        self.sweep, hours=25)

        # The poll: the app dispatched poll-open.yml at the escalation; its run asks the service to open it.
        await self.step("Actions", "runs poll-open.yml for C-2026-002: one OIDC-authenticated call",
                        lambda: self.open_poll("C-2026-002"))
        poll = "C-2026-002/1"
        links = {}
        for voter, choice in (("voter-1", "temporary-ban"), ("voter-2", "temporary-ban"), ("voter-3", "warning"),
                              ("voter-4", "abstain"), ("voter-5", "warning")):
            links[voter] = await self.step(voter, f"signs in, gets a blind-signed ballot, votes {choice}",
                                           lambda v=voter, c=choice: self.vote(v, poll, c), minutes=30)
        await self.step("participant-2", "tries to get a ballot (a party to the case)",
                        lambda: self.vote("participant-2", poll, "no-action"), minutes=10)
        await self.step("voter-5", "reopens their ballot link and changes the vote to temporary-ban",
                        lambda: self.revote(links["voter-5"], "temporary-ban"), hours=5)
        await self.step("Actions", "runs sweep.yml after the 72-hour deadline", self.sweep, hours=72)
        await self.step("anyone", "recounts the published result (conduct poll recount)", self.recount, minutes=1)

        # The SC's gate, in the decisions repository: the approval run waits on the steering-council environment.
        decision = "C-2026-002-d1"
        await self.step("Actions", f"sc-approval.yml in {self.decisions} shows {decision} on its run page "
                        "(OIDC-authenticated call)", lambda: self.show(decision), minutes=5)
        await self.step("sc-1", "approves the steering-council deployment review",
                        lambda: self.review(decision, "approved", "Agreed, but shorten 3w: a first offence."),
                        hours=3)
        await self.step("Actions", f"the released apply job asks the service to apply {decision} with its OIDC "
                        "token (environment steering-council, the decision's own run)",
                        lambda: self.apply(decision), minutes=2)
        # One review releases the job, but the policy asks two SC members: the second approves on the case.
        await self.sc_says("sc-3", decision, "/conduct sc approve", hours=1)
        self.note(f"participant-2 blocked: {self.blocked('participant-2')}")

        # An urgent ban on case three: the SC rejects the first request, approves the second.
        third = self.case_number("C-2026-003")
        await self.say("mediator-1", third, "/conduct assign @mediator-1", hours=1)
        await self.say("mediator-1", third, "/conduct urgent-ban @participant-2 14d threats in private messages",
                       minutes=30)
        await self.step("sc-2", "rejects the urgent ban review: talk with them first",
                        lambda: self.review("C-2026-003-d1", "rejected", "Please talk with them first."), hours=2)
        await self.say("mediator-1", third,
                       "/conduct urgent-ban @participant-2 7d the threats continued after we talked", days=1)
        await self.step("sc-2", "approves the second urgent ban review",
                        lambda: self.review("C-2026-003-d2", "approved", "Seven days."), hours=1)
        await self.step("Actions", "the released apply job asks the service to apply C-2026-003-d2 (OIDC)",
                        lambda: self.apply("C-2026-003-d2"), minutes=2)
        await self.sc_says("sc-3", "C-2026-003-d2", "/conduct sc approve", minutes=30)
        # Case three's poll decides no action: the urgent ban ends then, not at the end of its week.
        await self.say("mediator-1", third, SUMMARY_3, hours=2)
        await self.say("mediator-1", third, "/conduct escalate @participant-2", minutes=5)
        await self.step("Actions", "runs poll-open.yml for C-2026-003: one OIDC-authenticated call",
                        lambda: self.open_poll("C-2026-003"))
        for voter in ("voter-1", "voter-2", "voter-3", "voter-4"):
            await self.step(voter, "signs in, gets a blind-signed ballot, votes no-action",
                            lambda v=voter: self.vote(v, "C-2026-003/1", "no-action"), minutes=30)
        await self.step("Actions", "runs sweep.yml after the poll's deadline", self.sweep, hours=72)

        await self.step("Actions", "runs sweep.yml eight days later", self.sweep, days=8)
        await self.step("Actions", "runs sweep.yml after the 30-day cooling-off and the ban, which the SC shortened to "
                        "three weeks", self.sweep,
                        days=21)
        self.note(f"participant-2 blocked: {self.blocked('participant-2')}")

    async def heated(self, number: int) -> None:
        self.remark = await self.world.as_user("participant-2").create_comment(
            self.watched, number, "Only an idiot would write a plugin like that.", key="demo-remark")

    async def sc_reads_case(self) -> None:
        try:
            await self.world.as_user("sc-1").get_issue(self.cases, 2)
        except NotFound:
            self.note(f"GitHub answers 404 Not Found for {self.cases}#2")

    def blocked(self, login: str) -> bool:
        return login in self.world.state.orgs[self.world.policy.roles.organization].blocks

    async def job(self, repo: str, run_id: int, workflow: str, job: str, body: dict | None = None):
        """The runner's side of one job: its OIDC token from the stand-in, then its one call to the service,
        repeated on a 5xx as the step's `curl --retry 3` does (after the wait the service asked for)."""
        for attempt in range(4):
            answer = await run_job(self.world.state, httpx.ASGITransport(app=self.world.sandbox_app),
                                   httpx.ASGITransport(app=self.world.service_app), PUBLIC_URL, repo, run_id,
                                   workflow, job, body)
            if answer.status_code < 500 or attempt == 3:
                return answer
            wait = answer.headers.get("retry-after", "")
            self.clock.advance(seconds=int(wait) if wait.isdigit() else 2 ** attempt)
        return answer

    async def show(self, decision: str) -> None:
        answer = await self.job(self.decisions, self.run_for(decision), "sc-approval.yml", "show",
                                {"decision": decision})
        block = answer.text.split("```text\n", 1)[-1].split("\n```", 1)[0]
        self.note(f"HTTP {answer.status_code}; the run page shows:\n{block}")

    def run_for(self, decision: str) -> int:
        repo = self.world.state.repo(self.decisions)
        for run in sorted(repo.runs.values(), key=lambda r: r.id, reverse=True):
            if run.inputs.get("decision") == decision:
                return run.id
        raise LookupError(decision)

    async def review(self, decision: str, state: str, comment: str) -> None:
        """What an SC member does on the run page: review the pending steering-council deployment."""
        repo = self.world.state.repo(self.decisions)
        reviewer = {"C-2026-002-d1": "sc-1"}.get(decision, "sc-2")
        environment = repo.environments["steering-council"].id
        token = self.world.state.user_token(reviewer)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.world.sandbox_app),
                                     base_url=API) as github:
            answer = await github.post(
                f"/repos/{self.decisions}/actions/runs/{self.run_for(decision)}/pending_deployments",
                json={"environment_ids": [environment], "state": state, "comment": comment},
                headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()

    async def apply(self, decision: str) -> None:
        answer = await self.job(self.decisions, self.run_for(decision), "sc-approval.yml", "apply",
                                {"decision": decision})
        self.note(f"POST /actions/sanction-apply: HTTP {answer.status_code}: {answer.text.strip()}")

    async def open_poll(self, code: str) -> None:
        (run,) = [r for r in self.world.state.repo(self.cases).runs.values() if r.inputs.get("case") == code]
        answer = await self.job(self.cases, run.id, "poll-open.yml", "open", {"case": code})
        self.note(f"POST /actions/poll-open: HTTP {answer.status_code}: {answer.text.strip()}")
        # The discussion's standing lines are what the voters read first.
        forum = self.world.state.repo(self.world.policy.roles.places.deliberation.repo)
        newest = max(forum.discussions.values(), key=lambda d: d.number)
        standing = [line for line in newest.body.splitlines() if line.startswith("- `") and "within retention" in line]
        self.note("\n".join(["the poll's discussion, under Standing:", *standing]))

    async def private_form(self) -> None:
        cookie = self.sign_in.sessions.dumps({"login": "reporter-3"})  # as if signed in through GitHub
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.world.service_app),
                                     base_url=PUBLIC_URL, cookies={SESSION_COOKIE: cookie}) as browser:
            form = await browser.get("/help")
            token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text).group(1)
            consent = re.search(r'name="consent" value="([^"]+)"', form.text).group(1)
            sent = await browser.post("/help", data={
                "csrf_token": token, "consent": consent, "who": "@participant-2",
                "what-happened": "Someone keeps sending me private messages about my talk.",
                "where": "", "what-would-help": "A mediator contacts the other party",
                "urgency": "Soon, within a few days"})
        page = re.sub(r"<[^>]+>", "", re.search(r"<p>(.*?)</p>", sent.text).group(1))
        self.note(f"the page says: {page.strip()}")

    def ctx(self) -> Context:
        return Context.make(self.world.github, self.world.policy, self.world.store, self.world.router.me,
                            self.clock.now)

    async def sweep(self) -> None:
        run_id = self.world.state.schedule_run(self.cases, "sweep.yml")
        answer = await self.job(self.cases, run_id, "sweep.yml", "sweep")
        self.note(f"POST /actions/sweep: HTTP {answer.status_code}: {answer.json()}")

    def note(self, text: str) -> None:
        self.timeline.emit({"type": "post", "where": "output", "text": text})

    async def vote(self, voter: str, poll: str, choice: str):
        cookie = self.sign_in.sessions.dumps({"login": voter})  # as if signed in through GitHub
        try:
            link, receipt = client.vote(PUBLIC_URL, poll, choice, cookie, http=self.browser)
        except client.VoteError as refusal:
            self.note(f"refused: {refusal}")
            return None
        self.note(f"cast; receipt {receipt.receipt[:16]}…")
        return link

    async def revote(self, link, choice: str) -> None:
        receipt = client.cast_with_link(link, choice, http=self.browser)
        self.note(f"cast again; receipt {receipt.receipt[:16]}… replaced={receipt.replaced}")

    async def recount(self) -> None:
        # Any core developer of the poll's electorate can download the published result and recount it.
        voter = self.sign_in.sessions.dumps({"login": "voter-1"})  # as if signed in through GitHub
        early = self.browser.get("/ballot/C-2026-002-1/result.json", headers={"Cookie": f"{SESSION_COOKIE}={voter}"})
        result = early.text if early.status_code == 200 else ""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            handle.write(result)
        out = io.StringIO()
        code = recount_file(handle.name, out)
        Path(handle.name).unlink()
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        self.note("\n".join([f"conduct poll recount: exit {code}", *[f"- {line}" for line in lines[-4:]]]))


def state_body(world: LocalWorld, number: int) -> str | None:
    """The body of case issue `number`'s state comment, the one whose id the app recorded."""
    from app.service.casefile import state_comment_id

    cases = world.policy.roles.places.cases
    comment_id = state_comment_id(world.store, cases, number)
    return next((c.body for c in world.state.comments_of(world.state.repo(cases), number) if c.id == comment_id),
                None)


def cases_of(world: LocalWorld) -> list:
    """Every case's state as the app wrote it on the cases repository."""
    from app.core.state_block import decode

    repo = world.state.repo(world.policy.roles.places.cases)
    found = []
    for number in sorted(repo.issues):
        body = state_body(world, number)
        if body:
            found.append(decode(body))
    return found


async def play(out: TextIO, as_json: bool, policy, store, app_slug: str = APP_SLUG, wrap_transport=None,
               between: Callable[[Script], Awaitable[None]] | None = None):
    """Run the demo's script against `store`; return the world, its clock and the script, to look at after.
    `wrap_transport` puts something (a fault injector) between the service's GitHub client and the stand-in;
    `between(script)` runs after every step (the scheduled sweeps a test lets run while nobody acts)."""
    clock = Clock(START)
    sign_in_secret = secrets.token_hex(32)
    sign_in = SignIn(sign_in_secret, PUBLIC_URL, authorize=lambda r, s: "", exchange=None)
    box = {}
    pages = Pages(sign_in, lambda: box["ctx"](), Path(__file__).resolve().parents[2] / ".github" /
                  "ISSUE_TEMPLATE", sign_in_secret)
    world = await build_world(policy, store, now=clock, app_slug=app_slug, public_url=PUBLIC_URL,
                              wrap_transport=wrap_transport,
                              extra_routes=[*pages.routes(), *result_routes(store, sign_in),
                                            *ballot_routes(store, sign_in, clock=clock)])
    box["ctx"] = lambda: Context.make(world.github, policy, store, world.router.me, clock.now, PUBLIC_URL)
    script = Script(world, clock, Timeline(out, as_json), sign_in)
    if between is not None:
        script.between = lambda: between(script)
    await script.run()
    return world, clock, script


async def _main(out: TextIO, as_json: bool, policy_dir: Path, database_url: str | None,
                app_slug: str = APP_SLUG) -> list:
    policy = load_policy(policy_dir)
    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(database_url or f"sqlite:///{scratch}/demo.sqlite3")
        try:
            world, _clock, _script = await play(out, as_json, policy, store, app_slug)
            cases = cases_of(world)
            if not as_json:
                out.write("\nCases at the end:\n")
                for _, issue in sorted(world.state.repo(policy.roles.places.cases).issues.items()):
                    stage = next((label for label in issue.labels if label.startswith("stage: ")), None)
                    # The public request moved in beside its case carries no stage: say what it is.
                    out.write(f"  {issue.title}: {stage}\n" if stage else
                              f"  {issue.title} (moved from the public intake; {issue.state}"
                              f"{', locked' if issue.locked else ''})\n")
        finally:
            store.close() if hasattr(store, "close") else None
    return cases


def main(out: TextIO, as_json: bool = False, policy_dir: str | Path = "policy", database_url: str | None = None,
         app_slug: str = APP_SLUG) -> int:
    """Run the story; `app_slug` names the stand-in's App (GitHub's App names are unique, so it may vary)."""
    asyncio.run(_main(out, as_json, Path(policy_dir), database_url, app_slug))
    return 0


def demo_cases(policy_dir: str | Path = "policy") -> list:
    """The cases the demo leaves behind, for `conduct report --demo`."""
    return asyncio.run(_main(io.StringIO(), False, Path(policy_dir), None))
