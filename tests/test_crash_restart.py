"""The service killed (SIGKILL, from outside, as a crash) at each GitHub write of a piece of work, then started
again: with a short lease the work finishes by itself, and GitHub ends exactly as after the same work without
a crash, every comment once. On PostgreSQL a second service keeps running beside the one killed.

Every process is its own: the stand-in (`conduct sandbox github`), the fault proxy between the services and
it (`conduct sandbox proxy`, which does the killing), and `conduct serve`. The positions come from a run
without a crash: each write the service made there, by its method, path and how many such calls came
before it, is one position; the service is killed there before GitHub acts, or after GitHub acted and
before the service hears the answer.

The sweep's work (a poll closed, a ban lifted) comes due days later: for it the stand-in and the services run
under libfaketime, on a clock the test moves forward by writing the offset to a file. The services are stopped
(SIGTERM) and started again around the move, as on a redeploy; the stand-in moves while it runs."""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from heal_support import differences, plain

from app.core.state_block import decode
from app.wiring.local import APP_ID, app_key
from app.wiring.policy_files import load_policy

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policy"
PLACES = load_policy(POLICY).roles.places
ORG = load_policy(POLICY).roles.organization
INTAKE, CASES, FORUM, DECISIONS = PLACES.intake, PLACES.cases, PLACES.deliberation.repo, PLACES.decisions
LEASE, WAKE = 3.0, 0.5
# How long the work may take to finish by itself after the restart: the dead process's lease, the idle
# wake, a claim left by it going stale (about two leases), the retry, and the restart itself.
FINISH_WITHIN = 6 * LEASE
HELP_BODY = "### I need help\n\n- [X] please contact me\n\n### Link\n\nhttps://github.com/example-org/project/issues/9"


# Debian's libfaketime (package faketime): the stand-in and the services read their time through it, shifted by
# the offset in a file the test writes. The thread-safe build, since both run threads beside their event loop.
FAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))), None)


def faked_clock(offset_file: Path) -> dict[str, str]:
    """The environment that runs a process on the clock `offset_file` says (re-read at most every second)."""
    if FAKETIME is None:
        raise RuntimeError("libfaketime is missing: `apt-get install faketime` (.ci/run installs it)")
    # Monotonic time is shifted too: libfaketime's sleeps fail (EINVAL) when only wall time is.
    return {"LD_PRELOAD": str(FAKETIME), "FAKETIME_TIMESTAMP_FILE": str(offset_file),
            "FAKETIME_CACHE_DURATION": "1"}


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: each socket is held until all are chosen, so none is handed out twice."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NotListening(RuntimeError):
    """A process of the desk ended before it listened (most often: its port was taken meanwhile)."""


def wait_for(url: str, process: subprocess.Popen, what: str, within: float = 30) -> None:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if process.poll() is not None:
            raise NotListening(f"{what} exited ({process.returncode}) before it listened")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen within {within} s")


@dataclass
class Desk:
    """The stand-in, the proxy (one door per service) and the services, each a process of its own."""

    home: Path
    database_url: str
    key: str
    services: int = 1
    standin_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)  # each service's own port
    doors: list[int] = field(default_factory=list)  # each service's door on the proxy
    secret: str = field(default_factory=lambda: secrets.token_hex(20))
    session: str = field(default_factory=lambda: secrets.token_hex(32))
    # The stand-in's and the services' clock: libfaketime reads the offset from this file (None: real time).
    clock: Path | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.standin_port}"

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.doors[0]}"

    def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None,
               clocked: bool = False) -> subprocess.Popen:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONDUCT_", "GITHUB_", "FAKETIME"))}
        if clocked and self.clock is not None:
            env = {**(env or {}), **faked_clock(self.clock)}
        log = open(self.home / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        process = subprocess.Popen([sys.executable, "-m", "app.entry.cli", *args], cwd=ROOT, stdout=log,
                                   stderr=log, env={**clean, "PYTHONPATH": str(ROOT), **(env or {})})
        log.close()
        self.processes[name] = process
        return process

    def start(self) -> Desk:
        # A port chosen free can be taken by another process before ours binds it: then the desk starts
        # again on other ports (the processes that did start are stopped first).
        for attempt in range(3):
            self.standin_port, *others = free_ports(1 + 2 * self.services)
            self.ports, self.doors = others[:self.services], others[self.services:]
            try:
                return self._start_all()
            except NotListening:
                self.stop()
                self.processes.clear()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _start_all(self) -> Desk:
        if self.clock is not None and not self.clock.exists():
            self.clock.write_text("+0\n")
        key_file = self.home / "app-key.pem"
        if not key_file.exists():
            key_file.write_text(self.key)
            key_file.chmod(0o600)
        # GitHub's webhooks reach the first service only; any service may take up stored work.
        standin = self._spawn("standin", "sandbox", "github", "--port", str(self.standin_port), "--webhook-url",
                              f"http://127.0.0.1:{self.ports[0]}/webhooks/github", "--webhook-secret", self.secret,
                              "--app-key-file", str(key_file), "--dir", str(POLICY), clocked=True)
        proxy = self._spawn("proxy", "sandbox", "proxy", *[a for d in self.doors for a in ("--port", str(d))],
                            "--upstream", f"{self.api}/")
        wait_for(f"{self.api}/_sandbox/deliveries", standin, "the stand-in")
        wait_for(f"{self.proxy}/_proxy/calls", proxy, "the proxy")
        for index in range(self.services):
            self.start_service(index)
        return self

    def start_service(self, index: int) -> subprocess.Popen:
        env = {
            "CONDUCT_GITHUB_API_URL": f"http://127.0.0.1:{self.doors[index]}/",
            "CONDUCT_APP_ID": str(APP_ID), "CONDUCT_APP_PRIVATE_KEY": self.key,
            "CONDUCT_OAUTH_CLIENT_ID": "Iv1.local", "CONDUCT_OAUTH_CLIENT_SECRET": "local-secret",
            "CONDUCT_OIDC_ISSUER": f"{self.api}/_services/token", "CONDUCT_WEBHOOK_SECRET": self.secret,
            "CONDUCT_SESSION_SECRET": self.session, "CONDUCT_DATABASE_URL": self.database_url,
            "CONDUCT_POLICY_DIR": str(POLICY), "CONDUCT_PUBLIC_URL": f"http://127.0.0.1:{self.ports[index]}",
            "CONDUCT_LEASE_SECONDS": str(LEASE), "CONDUCT_WAKE_SECONDS": str(WAKE),
            # The stand-in needs no pacing: the test would only wait a second per write.
            "CONDUCT_WRITE_INTERVAL_SECONDS": "0",
        }
        process = self._spawn(f"service-{index}", "serve", "--port", str(self.ports[index]), env=env, clocked=True)
        wait_for(f"http://127.0.0.1:{self.ports[index]}/healthz", process, f"service {index}")
        return process

    def service(self, index: int) -> subprocess.Popen:
        return self.processes[f"service-{index}"]

    def later(self, seconds: int) -> None:
        """Move the desk's clock on by `seconds`: the services stop (as on a redeploy: the ballot box is written
        on shutdown), the stand-in's clock moves while it runs, and the services start again on the new time."""
        assert self.clock is not None, "a desk on the real clock cannot be moved"
        for index in range(self.services):
            self.service(index).send_signal(signal.SIGTERM)
            self.service(index).wait(30)
        shift = int(self.clock.read_text().strip() or 0) + seconds
        self.clock.write_text(f"+{shift}\n")
        time.sleep(1.5)  # libfaketime re-reads the file at most every second
        for index in range(self.services):
            self.start_service(index)

    def job(self, repo: str, run_id: int, workflow: str, job: str, body: dict | None = None,
            timeout: float = 150) -> httpx.Response:
        """GitHub's runner for one job of a workflow: the job's OIDC token for the first service's URL from the
        stand-in, then the job's one call to the service."""
        from urllib.parse import quote

        from app.wiring.runner import job_spec

        environment, call, id_token = job_spec(workflow, job)
        started = httpx.post(f"{self.api}/_sandbox/jobs", timeout=10, json={
            "repo": repo, "run_id": run_id, "job": job, "environment": environment, "id_token": id_token})
        assert started.status_code == 201, started.text
        values = started.json()
        service = f"http://127.0.0.1:{self.ports[0]}"
        token = httpx.get(f"{values['ACTIONS_ID_TOKEN_REQUEST_URL']}&audience={quote(service, safe='')}",
                          headers={"Authorization": f"bearer {values['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
                          timeout=10).json()["value"]
        return httpx.post(f"{service}/actions/{call}", json=body or {}, timeout=timeout,
                          headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, **args):
        answer = httpx.post(f"{self.api}/_sandbox/call", json={"method": method, "args": args}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["result"]

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    # What people do, straight at the stand-in (people do not go through the service's proxy).

    def token(self, login: str) -> str:
        return self.call("user_token", login=login)

    def as_user(self, login: str) -> httpx.Client:
        return httpx.Client(base_url=self.api, headers={"Authorization": f"token {self.token(login)}"}, timeout=30)

    def pending(self) -> int:
        """Deliveries stored and not yet done, as the running services see them (one database)."""
        for index, port in enumerate(self.ports):
            if self.service(index).poll() is None:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()["pending_deliveries"]
        raise RuntimeError("no service is running")

    def github(self) -> dict:
        return httpx.get(f"{self.api}/_sandbox/state", timeout=30).json()

    def calls(self) -> list[dict]:
        return httpx.get(f"{self.proxy}/_proxy/calls", timeout=10).json()

    def clear_calls(self) -> None:
        httpx.delete(f"{self.proxy}/_proxy/calls", timeout=10)

    def arm_kill(self, position: Position, when: str) -> None:
        pids = {str(door): self.service(i).pid for i, door in enumerate(self.doors)}
        answer = httpx.post(f"{self.proxy}/_proxy/kill", timeout=10, json={
            "pids": pids, "method": position.method, "path": re.escape(position.path), "nth": position.nth,
            "operation": position.operation, "when": when})
        assert answer.status_code == 201, answer.text


def final_state(github: dict) -> dict:
    """Issues, their comments, labels, assignees, discussions, dispatched runs, blocks and each case's saved
    state, without ids and times."""
    found: dict = {"repos": {}, "cases": {}}
    for name, repo in sorted(github["repos"].items()):
        issues = {}
        for number, issue in sorted(repo["issues"].items(), key=lambda item: int(item[0])):
            comments = []
            for comment in github["comments"].get(f"{name}#{number}", []):
                if "conduct-desk:state" in comment["body"]:
                    found["cases"].setdefault(f"{name}#{number}", []).append(case_state(comment["body"]))
                    continue
                comments.append((comment["user"], plain(comment["body"]), comment["minimized"],
                                 sorted((r["user"], r["content"]) for r in comment["reactions"])))
            issues[number] = {"title": issue["title"], "body": plain(issue["body"]), "state": issue["state"],
                              "labels": sorted(issue["labels"]), "locked": issue["locked"],
                              "assignees": sorted(issue["assignees"]), "comments": sorted(comments)}
        discussions = {d["title"]: {"state": d["state"], "locked": d["locked"], "body": plain(d["body"]),
                                    "comments": sorted(plain(c["body"]) for c in d["comments"])}
                       for d in repo["discussions"].values()}
        # Dispatched runs (the scheduled sweeps, without inputs, are as many as the test asked for).
        runs = sorted((r["workflow_id"], sorted(r["inputs"].items())) for r in repo["runs"].values() if r["inputs"])
        found["repos"][name] = {"issues": issues, "moved": sorted(repo["moved"]), "gone": sorted(repo["gone"]),
                                "discussions": discussions, "runs": runs}
    found["blocks"] = {login: sorted(org["blocks"]) for login, org in sorted(github["orgs"].items())}
    return found


def case_state(body: str) -> dict:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "applied"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return plain(value) if isinstance(value, str) else value

    found = strip(decode(body).model_dump(mode="json"))
    found["history"] = sorted(found.get("history") or [], key=repr)
    return found


@dataclass(frozen=True)
class Position:
    """One write of the work: the `nth` call with this method, path (and GraphQL mutation)."""

    method: str
    path: str
    nth: int
    operation: str | None = None

    def __str__(self) -> str:
        what = f"{self.method} {self.path}" + (f" ({self.operation})" if self.operation else "")
        return what + (f" #{self.nth}" if self.nth > 1 else "")


def write_positions(calls: list[dict]) -> list[Position]:
    """Each write the service made, in order; reads are counted too, as the proxy's rule counts them."""
    seen: Counter = Counter()
    found = []
    for call in calls:
        what = (call["method"], call["path"], call["operation"])
        seen[what] += 1
        # The installation token is the client's own business, not a write of the work.
        if call["write"] and not call["path"].endswith("/access_tokens"):
            found.append(Position(call["method"], call["path"], seen[what], call["operation"]))
    return found


def settle(desk: Desk, expected, within: float) -> bool:
    """Wait until GitHub shows `expected` (a state, or a test of one) with no delivery left; False once
    nothing is left to do and GitHub stays otherwise, or after `within` seconds."""
    matches = expected if callable(expected) else (lambda state: state == expected)
    start, last = time.monotonic(), None
    while time.monotonic() < start + within:
        idle = desk.pending() == 0
        state = final_state(desk.github())
        if idle and matches(state):
            return True
        if idle and state == last and time.monotonic() > start + LEASE:
            return False  # no stored work left, and nothing changed since the last look: it stays so
        last = state if idle else None
        time.sleep(LEASE / 3)
    return False


# The work: what a person does, and how the test knows the service has finished it.

def intake(desk: Desk) -> None:
    with desk.as_user("reporter-1") as reporter:
        answer = reporter.post(f"/repos/{INTAKE}/issues", json={"title": "Help request", "body": HELP_BODY})
        assert answer.status_code == 201, answer.text


def intake_done(state: dict) -> bool:
    issues = state["repos"][CASES]["issues"].values()
    moved = [i for i in issues if not i["title"].startswith("C-")]
    return (any(i["title"].startswith("C-") and i["comments"] for i in issues) and not state["repos"][INTAKE]["issues"]
            and bool(moved) and all(i["locked"] for i in moved))


def take(desk: Desk) -> None:
    (number,) = [n for n, i in desk.github()["repos"][CASES]["issues"].items() if i["title"].startswith("C-")]
    with desk.as_user("mediator-1") as mediator:
        answer = mediator.post(f"/repos/{CASES}/issues/{number}/comments", json={"body": "/conduct assign @mediator-1"})
        assert answer.status_code == 201, answer.text


def take_done(state: dict) -> bool:
    cases = [i for i in state["repos"][CASES]["issues"].values() if i["title"].startswith("C-")]
    return len(cases) == 1 and "stage: mediation" in cases[0]["labels"] and cases[0]["assignees"] == ["mediator-1"]


def case_of(github: dict) -> tuple[int, str]:
    """The one case issue's number and code (`C-2026-001`)."""
    ((number, issue),) = [(int(n), i) for n, i in github["repos"][CASES]["issues"].items()
                          if i["title"].startswith("C-")]
    return number, issue["title"].split()[0]


def say(desk: Desk, login: str, body: str, repo: str = CASES, number: int | None = None) -> None:
    number = number or case_of(desk.github())[0]
    with desk.as_user(login) as person:
        answer = person.post(f"/repos/{repo}/issues/{number}/comments", json={"body": body})
        assert answer.status_code == 201, answer.text


def run_with(github: dict, repo: str, name: str, value: str) -> int:
    """The newest dispatched run in `repo` whose input `name` is `value`."""
    return max(int(i) for i, r in github["repos"][repo]["runs"].items() if r["inputs"].get(name) == value)


def dispatched(repo: str, name: str):
    return lambda state: any(dict(inputs).get(name) for _, inputs in state["repos"][repo]["runs"])


# A poll: the case escalated with its summary, the poll opened by poll-open.yml's call, three core developers'
# ballots, and three days later the sweep that closes it, publishes the result and sends the decision to the SC.

def escalate(desk: Desk) -> None:
    from app.entry.demo import SUMMARY

    say(desk, "mediator-1", SUMMARY)
    say(desk, "mediator-1", "/conduct escalate @participant-2")


def open_poll(desk: Desk) -> None:
    _, code = case_of(github := desk.github())
    answer = desk.job(CASES, run_with(github, CASES, "case", code), "poll-open.yml", "open", {"case": code})
    assert answer.status_code == 200, answer.text


def poll_opened(state: dict) -> bool:
    return any(d["state"] == "open" for d in state["repos"][FORUM]["discussions"].values())


def vote(desk: Desk) -> None:
    from app.polls.client import vote as cast
    from app.web.auth import SignIn

    _, code = case_of(desk.github())
    service = f"http://127.0.0.1:{desk.ports[0]}"
    sessions = SignIn(desk.session, service, authorize=None, exchange=None).sessions
    for voter, choice in (("voter-1", "temporary-ban"), ("voter-2", "temporary-ban"), ("voter-3", "warning")):
        cast(service, f"{code}/1", choice, sessions.dumps({"login": voter}))


def three_days_later(desk: Desk) -> None:
    desk.later(73 * 3600)


def sweep(desk: Desk) -> None:
    """sweep.yml's scheduled run: its one call, left running (the service may be killed under it, and the
    sweep is stored work that a restarted service finishes)."""
    import threading

    run_id = desk.call("schedule_run", repo=CASES, workflow="sweep.yml")

    def call() -> None:
        with contextlib.suppress(httpx.HTTPError):
            desk.job(CASES, run_id, "sweep.yml", "sweep")

    threading.Thread(target=call, daemon=True).start()


def poll_closed(state: dict) -> bool:
    return (all(d["state"] == "closed" for d in state["repos"][FORUM]["discussions"].values())
            and bool(state["repos"][DECISIONS]["issues"]) and dispatched(DECISIONS, "decision")(state))


# A sanction's lift: an urgent ban, approved by the SC (the environment's review, the released apply job's call,
# a second member on the decision's issue), and eight days later the sweep that lifts it.

def urgent_ban(desk: Desk) -> None:
    say(desk, "mediator-1", "/conduct urgent-ban @participant-2 7d threats in private messages")


def sc_reviews(desk: Desk) -> None:
    """One SC member approves the environment's review; the released apply job's call finds one approval of
    the two the policy asks for, and applies nothing yet."""
    github = desk.github()
    (decision,) = [i["title"].split()[-1] for i in github["repos"][DECISIONS]["issues"].values()]
    run_id = run_with(github, DECISIONS, "decision", decision)
    environment = github["repos"][DECISIONS]["environments"]["steering-council"]["id"]
    with desk.as_user("sc-2") as member:
        answer = member.post(f"/repos/{DECISIONS}/actions/runs/{run_id}/pending_deployments",
                             json={"environment_ids": [environment], "state": "approved", "comment": "Seven days."})
        assert answer.status_code == 200, answer.text
    answer = desk.job(DECISIONS, run_id, "sc-approval.yml", "apply", {"decision": decision})
    assert answer.status_code < 300, answer.text


def one_approval(state: dict) -> bool:
    return any("sc-2" in d["approved_by"] for states in state["cases"].values() for d in states[-1]["decisions"])


def second_sc_approves(desk: Desk) -> None:
    """The second SC member approves on the decision's issue: the quorum is met and the ban is applied."""
    (number,) = [int(n) for n in desk.github()["repos"][DECISIONS]["issues"]]
    say(desk, "sc-3", "/conduct sc approve", repo=DECISIONS, number=number)


def banned(state: dict) -> bool:
    return "participant-2" in state["blocks"][ORG]


def eight_days_later(desk: Desk) -> None:
    desk.later(8 * 24 * 3600)


def ban_lifted(state: dict) -> bool:
    return "participant-2" not in state["blocks"][ORG]


def anything(state: dict) -> bool:
    return True


@dataclass(frozen=True)
class Work:
    before: tuple  # work done first, without a crash: (act, done) pairs
    act: object
    done: object
    clocked: bool = False  # on a clock the test moves (libfaketime), for work that comes due later


WORKS = {
    # A help request on the public intake repository: a private case, the request moved out, the reporter told.
    "intake": Work((), intake, intake_done),
    # A mediator's command on that case: assigned, into mediation, the reporter told, the command marked.
    "command": Work(((intake, intake_done),), take, take_done),
    # The sweep after a poll's deadline: the poll closed, its result published, the decision sent to the SC.
    "poll-close": Work(((intake, intake_done), (take, take_done), (escalate, dispatched(CASES, "case")),
                        (open_poll, poll_opened), (vote, anything), (three_days_later, anything)),
                       sweep, poll_closed, clocked=True),
    # The SC's approval that completes the quorum: the urgent ban applied, the person and the case told.
    "sanction-apply": Work(((intake, intake_done), (take, take_done), (urgent_ban, dispatched(DECISIONS, "decision")),
                            (sc_reviews, one_approval)), second_sc_approves, banned),
    # The sweep after an urgent ban's end: the block lifted, the person told the path back, the case told.
    "sanction-lift": Work(((intake, intake_done), (take, take_done), (urgent_ban, dispatched(DECISIONS, "decision")),
                           (sc_reviews, one_approval), (second_sc_approves, banned), (eight_days_later, anything)),
                          sweep, ban_lifted, clocked=True),
}
# Each work's writes without a crash, in order: the positions. The number after `#` counts the calls
# with that method and path (reads too) up to this one.
WRITES = {
    "intake": (
        f"POST /repos/{CASES}/issues",  # 0: the private case
        f"POST /repos/{CASES}/issues/1/comments",  # 1: its saved state
        "POST /graphql (TransferIssue)",  # 2: the public request moved into the cases repository
        f"POST /repos/{CASES}/issues/2/comments",  # 3: the moved request's note
        f"PATCH /repos/{CASES}/issues/2",  # 4: closed
        f"PUT /repos/{CASES}/issues/2/lock",  # 5: and locked
        f"PUT /repos/{CASES}/issues/1/labels",  # 6: stage: intake
        f"POST /repos/{CASES}/issues/1/comments #2",  # 7: the mediators' note
        f"POST /repos/{CASES}/issues/1/comments #3",  # 8: the reporter's inbox message
        f"POST /repos/{CASES}/issues/1/comments #4",  # 9: no e-mail for the reporter: the hand-over note
    ),
    "command": (
        f"PATCH /repos/{CASES}/issues/comments/<id>",  # 0: the saved state, before what follows from it
        f"POST /repos/{CASES}/issues/1/assignees",  # 1: assigned
        f"PUT /repos/{CASES}/issues/1/labels",  # 2: stage: mediation
        f"POST /repos/{CASES}/issues/1/comments",  # 3: the reporter's inbox message
        f"POST /repos/{CASES}/issues/comments/<id>/reactions",  # 4: the command marked as heard
    ),
    "poll-close": (
        "POST /graphql (AddDiscussionComment)",  # 0: the result, on the poll's discussion
        "POST /graphql (CloseDiscussion)",  # 1: the discussion closed
        "POST /graphql (Lock)",  # 2: and locked
        f"PATCH /repos/{CASES}/issues/comments/<id>",  # 3: the case's state: decided, sent to the SC
        f"POST /repos/{DECISIONS}/issues",  # 4: the decision's issue for the SC
        f"POST /repos/{DECISIONS}/actions/workflows/sc-approval.yml/dispatches",  # 5: its approval run
        f"POST /repos/{CASES}/issues/1/comments",  # 6: the mediators told the result
        f"PUT /repos/{CASES}/issues/1/labels",  # 7: stage: decision
        f"POST /repos/{CASES}/issues/1/comments #2",  # 8: the reporter's inbox message
    ),
    "sanction-apply": (
        f"PATCH /repos/{CASES}/issues/comments/<id>",  # 0: the case's state: approved
        f"PUT /orgs/{ORG}/blocks/participant-2",  # 1: the ban
        f"POST /repos/{CASES}/issues/1/comments",  # 2: the mediators told it is applied
        f"POST /repos/{CASES}/issues/1/comments #2",  # 3: and that the SC approved
        f"POST /repos/{CASES}/issues/1/comments #3",  # 4: the person's inbox message
        f"POST /repos/{CASES}/issues/1/comments #4",  # 5: no e-mail for them: the hand-over note
        f"POST /repos/{DECISIONS}/issues/1/comments",  # 6: the SC told where it wrote
    ),
    "sanction-lift": (
        f"DELETE /orgs/{ORG}/blocks/participant-2",  # 0: the block lifted, first
        f"POST /repos/{CASES}/issues/1/comments",  # 1: the person's inbox message: the path back
        f"PATCH /repos/{CASES}/issues/comments/<id>",  # 2: the case's state: the ban over
        f"POST /repos/{CASES}/issues/1/comments #2",  # 3: the mediators told
    ),
}


@dataclass
class Clean:
    expected: dict
    positions: list[Position]


def run_clean(desk: Desk, work: Work) -> Clean:
    for act, done in work.before:
        act(desk)
        assert settle(desk, done, FINISH_WITHIN), "the work before it did not finish"
    desk.clear_calls()
    work.act(desk)
    assert settle(desk, work.done, FINISH_WITHIN), "the work did not finish without a crash"
    return Clean(final_state(desk.github()), write_positions(desk.calls()))


def run_crash(desk: Desk, work: Work, clean: Clean, position: Position, when: str) -> None:
    for act, done in work.before:
        act(desk)
        assert settle(desk, done, FINISH_WITHIN), "the work before it did not finish"
    desk.arm_kill(position, when)
    work.act(desk)
    end, killed = time.monotonic() + FINISH_WITHIN, None
    while killed is None and time.monotonic() < end:
        killed = next((i for i in range(desk.services) if desk.service(i).poll() is not None), None)
        time.sleep(0.02)
    assert killed is not None, f"no service made the call {position} to be killed at"
    assert desk.service(killed).returncode == -signal.SIGKILL
    if desk.services == 1:
        desk.start_service(killed)
        finished = settle(desk, clean.expected, FINISH_WITHIN)
    else:
        # The other service, running all along, takes the work over; the killed one comes back beside it.
        finished = settle(desk, clean.expected, FINISH_WITHIN)
        desk.start_service(killed)
        finished = settle(desk, clean.expected, FINISH_WITHIN) and finished
    got = final_state(desk.github())
    assert finished and got == clean.expected, (
        f"killed {when} {position}: the work did not finish as without the crash:\n"
        + differences(clean.expected, got))


def named(position: Position) -> str:
    """A position as WRITES names it: comment ids in a path are the stand-in's, not the work's."""
    return re.sub(r"/comments/\d+", "/comments/<id>", str(position))


# By default a few positions, one of each kind of step (each once found not to finish: a second case issue,
# a second state comment, a redaction left claimed, a moved request's note skipped, an effect waited on).
# CONDUCT_CRASH_EVERY=1 runs every write both ways on both databases (from five to twenty seconds a position).
EVERY = os.environ.get("CONDUCT_CRASH_EVERY") == "1"
DEFAULT = {
    "intake": {(0, "before"), (0, "after"), (1, "after"), (2, "after"), (3, "before"), (5, "after"), (7, "before")},
    "command": {(0, "after")},
    "poll-close": {(0, "after"), (4, "after"), (5, "after")},
    "sanction-apply": {(0, "after"), (1, "after")},
    "sanction-lift": {(0, "after"), (2, "before")},
}
ON_POSTGRES = {"intake": {(0, "before")}, "command": {(0, "before")}, "poll-close": {(3, "before")}}


def cases(chosen: dict[str, set]) -> list:
    found = []
    for work, writes in WRITES.items():
        for index in range(len(writes)):
            for when in ("before", "after"):
                if not EVERY and (index, when) not in chosen.get(work, set()):
                    continue
                found.append(pytest.param(work, index, when, id=f"{work}-{when}-{index}"))
    return found


@pytest.fixture(scope="module")
def key() -> str:
    return app_key()[0]


@pytest.fixture(scope="module")
def clean(tmp_path_factory, key):
    """Each work done once without a crash (on SQLite): GitHub's state after it, and its write positions."""
    found: dict[str, Clean] = {}

    def get(name: str) -> Clean:
        if name not in found:
            home = tmp_path_factory.mktemp(f"clean-{name}")
            desk = Desk(home, f"sqlite:///{home / 'conduct.db'}", key,
                        clock=home / "clock" if WORKS[name].clocked else None).start()
            try:
                found[name] = run_clean(desk, WORKS[name])
            finally:
                desk.stop()
        return found[name]

    return get


@pytest.fixture
def desk(tmp_path, key):
    """Starts a desk on a database (SQLite unless given) with one or more services; stops it afterwards."""
    started: list[Desk] = []

    def start(database_url: str | None = None, services: int = 1, clocked: bool = False) -> Desk:
        started.append(Desk(tmp_path, database_url or f"sqlite:///{tmp_path / 'conduct.db'}", key, services,
                            clock=tmp_path / "clock" if clocked else None))
        return started[-1].start()

    yield start
    for each in started:
        each.stop()


@pytest.mark.parametrize("work", sorted(WORKS))
def test_the_work_makes_the_writes_the_positions_name(clean, work):
    assert [named(p) for p in clean(work).positions] == list(WRITES[work])


@pytest.mark.parametrize(("work", "index", "when"), cases(DEFAULT))
def test_killed_at_a_write_the_restarted_service_finishes_the_work_exactly_once(clean, desk, work, index, when):
    done = clean(work)
    run_crash(desk(clocked=WORKS[work].clocked), WORKS[work], done, done.positions[index], when)


@pytest.mark.postgres
@pytest.mark.parametrize(("work", "index", "when"), cases(ON_POSTGRES))
def test_on_postgres_the_service_left_running_finishes_the_killed_ones_work_exactly_once(clean, desk, postgres_url,
                                                                                         work, index, when):
    done = clean(work)
    run_crash(desk(postgres_url, services=2, clocked=WORKS[work].clocked), WORKS[work], done, done.positions[index],
              when)


def test_a_service_stopped_with_sigterm_wrote_the_ballots_it_held_before_it_exited(clean):
    """The poll-close work stops the services (SIGTERM) between the ballots and the deadline: the three casts
    held in memory are in the published count, so the box was written on the way down."""
    state = clean("poll-close").expected
    (discussion,) = state["repos"][FORUM]["discussions"].values()
    (result,) = [c for c in discussion["comments"] if "has closed" in c]
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (\d+) \|", result, re.M))
    assert rows == {"no-action": "0", "warning": "1", "temporary-ban": "2", "abstain": "0"}


# The pieces the crash test stands on, each on its own.

def test_the_lease_the_idle_wake_and_the_write_pause_come_from_the_environment():
    from app.wiring.settings import Settings

    default = Settings.from_env({})
    assert (default.lease_seconds, default.wake_seconds, default.write_interval) == (300.0, 30.0, 1.0)
    set_ = Settings.from_env({"CONDUCT_LEASE_SECONDS": "3", "CONDUCT_WAKE_SECONDS": "0.5",
                              "CONDUCT_WRITE_INTERVAL_SECONDS": "0"})
    assert (set_.lease_seconds, set_.wake_seconds, set_.write_interval) == (3.0, 0.5, 0.0)


@pytest.mark.parametrize(("env", "named"), [
    ({"CONDUCT_LEASE_SECONDS": "soon"}, "CONDUCT_LEASE_SECONDS"),
    ({"CONDUCT_LEASE_SECONDS": "0"}, "CONDUCT_LEASE_SECONDS"),
    ({"CONDUCT_WAKE_SECONDS": "-1"}, "CONDUCT_WAKE_SECONDS"),
    ({"CONDUCT_WAKE_SECONDS": "nan"}, "CONDUCT_WAKE_SECONDS"),
    ({"CONDUCT_LEASE_SECONDS": "10", "CONDUCT_WAKE_SECONDS": "10"}, "shorter than CONDUCT_LEASE_SECONDS"),
    ({"CONDUCT_WRITE_INTERVAL_SECONDS": "-0.5"}, "CONDUCT_WRITE_INTERVAL_SECONDS"),
])
def test_a_bad_lease_wake_or_pause_is_refused_by_its_name(env, named):
    from app.wiring.settings import Settings

    with pytest.raises(ValueError, match=named):
        Settings.from_env(env)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_kill_fault_ends_the_caller_at_the_nth_matching_call_before_or_after_github_acts(when):
    import asyncio

    from app.standin.proxy import FaultProxy, nth_match

    reached, killed = [], []

    class GitHub(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            reached.append(f"{request.method} {request.url.path}")
            return httpx.Response(201, json={})

    proxy = FaultProxy(GitHub(), rule=nth_match("POST", r"/repos/o/r/issues/\d+/comments", 2, f"kill-{when}"),
                       kill=lambda request: killed.append(len(reached)), kill_hold=0).arm()

    async def calls():
        async with httpx.AsyncClient(transport=proxy, base_url="http://github.test") as client:
            return [(await client.request(method, path)).status_code for method, path in (
                ("POST", "/repos/o/r/issues/1/comments"), ("GET", "/repos/o/r/issues/1/comments"),
                ("POST", "/repos/o/r/issues"), ("POST", "/repos/o/r/issues/1/comments"),
                ("POST", "/repos/o/r/issues/1/comments"))]

    statuses = asyncio.run(calls())
    assert statuses == [201, 201, 201, 502, 201]
    # Killed once, at the second comment: before it reached GitHub, or once GitHub had it.
    landed = 4 if when == "after" else 3
    assert killed == [landed] and len(reached) == landed + 1


def test_a_worker_refuses_an_idle_wake_as_long_as_its_lease():
    from datetime import timedelta

    from app.service.worker import Worker

    with pytest.raises(ValueError, match="shorter"):
        Worker(None, None, lease=timedelta(seconds=3), wake_every=3)
