"""The `conduct` command line: one entry point for people, the server and the Actions workflows."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from app.core.policy import PolicyInvalid
from app.entry import logs


def _policy_dir(args) -> Path:
    return Path(args.dir or os.environ.get("CONDUCT_POLICY_DIR") or "policy")


def _cmd_demo(args) -> int:
    from app.entry import demo

    # The demo runs from any directory: without --dir it uses the policy shipped beside the code.
    shipped = Path(__file__).resolve().parents[2] / "policy"
    return demo.main(sys.stdout, as_json=args.json,
                     policy_dir=_policy_dir(args) if args.dir or os.environ.get("CONDUCT_POLICY_DIR") else shipped)


def _cmd_policy_check(args) -> int:
    from app.wiring.policy_files import load_policy

    try:
        policy = load_policy(_policy_dir(args))
    except PolicyInvalid as invalid:
        if len(invalid.problems) == 1:
            print(f"policy check failed: {_policy_line(invalid)}", file=sys.stderr)
            return 1
        for problem in invalid.problems:
            print(problem, file=sys.stderr)
        print(f"policy check failed: {len(invalid.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"policy ok: {len(policy.criteria.criteria)} criteria, {len(policy.actions.actions)} actions")
    return 0


def _cmd_policy_render(args) -> int:
    from app.render.policy_page import render_policy_page
    from app.wiring.policy_files import load_policy

    try:
        page = render_policy_page(load_policy(_policy_dir(args)))
    except PolicyInvalid as invalid:
        print(f"conduct policy render: {_policy_line(invalid)}", file=sys.stderr)
        return 1
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)  # `--out docs/policy.md` in a fresh checkout
        out.write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)
    return 0


def _cmd_stages(args) -> int:
    from app.render.readme import blocks, rewrite

    if not args.readme:
        print(blocks()["stages"])
        return 0
    # Rewrite only the marked blocks, so the README's diagram and command table are the code's own tables.
    missing = rewrite(Path(args.readme))
    if missing:
        print(f"{args.readme} lacks the marked block(s): {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


def _cmd_poll_recount(args) -> int:
    from app.polls.verifier import recount_file

    if not Path(args.result).is_file():
        raise Mistake(f"no poll result file at {args.result}")
    return recount_file(args.result, sys.stdout)


def _cmd_poll_check(args) -> int:
    from app.polls.receipts import check_file

    return check_file(args.result, args.receipt, sys.stdout)


def _with_runtime(work) -> int:
    """Run one workflow command against GitHub as configured in the environment."""
    import asyncio

    from app.wiring import runtime

    async def main() -> int:
        try:
            rt = await runtime.from_env()
        except runtime.NotConfigured as missing:
            print(f"conduct: {missing}", file=sys.stderr)
            return 2
        return await work(rt)

    return asyncio.run(main())


def _cmd_poll_open(args) -> int:
    from app.polls.opening import CannotOpen
    from app.service.polling import SetupError, open_case_poll
    from app.service.transient import retry_transient

    async def work(rt) -> int:
        try:
            poll = await retry_transient(lambda: open_case_poll(rt.context(), args.case, rt.settings.public_url,
                                                                rt.router.apply))
        except (CannotOpen, SetupError, LookupError) as refusal:
            print(f"conduct poll open: {refusal}", file=sys.stderr)
            return 1
        print(f"opened {poll}")
        return 0

    return _with_runtime(work)


def _cmd_sweep(args) -> int:
    from app.service.queue import next_sweep
    from app.service.sweep import sweep
    from app.service.transient import retry_transient

    async def work(rt) -> int:
        ctx = rt.context()
        if args.dry_run:
            work = await next_sweep(ctx)
            print("would do: " + " ".join(f"{name}={count}" for name, count in work.items()) + "; nothing was changed")
            return 0
        counts = await retry_transient(lambda: sweep(ctx, rt.router.apply))
        print(" ".join(f"{name}={count}" for name, count in counts.items()))
        return 0

    return _with_runtime(work)


def _cmd_cases(args) -> int:
    from app.service.queue import open_cases, render_queue

    async def work(rt) -> int:
        ctx = rt.context()
        print(render_queue(await open_cases(ctx), ctx.now))
        return 0

    return _with_runtime(work)


def _cmd_status(args) -> int:
    from app.service.queue import next_sweep, render_status

    async def work(rt) -> int:
        ctx = rt.context()
        print(render_status(ctx.store, await next_sweep(ctx), ctx.now))
        return 0

    return _with_runtime(work)


def _cmd_vote(args) -> int:
    from app.polls import client

    try:
        if args.target.startswith(("http://", "https://")):
            receipt = client.cast_with_link(args.target, args.choice)
            print(f"cast: {args.choice}; receipt {receipt.receipt}" + (" (replaced)" if receipt.replaced else ""))
            print(f"signed receipt (check it against the result with `conduct poll check`): {receipt.text}")
            return 0
        if not args.service:
            print("conduct vote POLL needs --service URL", file=sys.stderr)
            return 2
        link, receipt = client.vote(args.service, args.target, args.choice)
    except client.VoteError as refusal:
        print(f"conduct vote: {refusal}", file=sys.stderr)
        return 1
    print(f"cast: {args.choice}; receipt {receipt.receipt}")
    print(f"signed receipt (check it against the result with `conduct poll check`): {receipt.text}")
    print(f"keep this link to change your vote before the deadline: {link.url}")
    return 0


def _cmd_serve(args) -> int:
    from app.entry.serve import serve

    return serve(args.host, args.port, args.log_level)


def _cmd_sandbox_github(args) -> int:
    from app.entry.standin import run_sandbox

    return run_sandbox(port=args.port, webhook_url=args.webhook_url, webhook_secret=args.webhook_secret,
                       app_key_file=args.app_key_file, policy_dir=_policy_dir(args))


def _cmd_sandbox_proxy(args) -> int:
    from app.entry.proxy import run_proxy

    return run_proxy(args.port or [9001], args.upstream)


def _cmd_setup(args) -> int:
    import asyncio

    from app.github.errors import Forbidden
    from app.setup import Options, setup_command
    from app.wiring.policy_files import load_policy
    from app.wiring.settings import DEFAULT_GITHUB_API_URL

    token = os.environ.get("CONDUCT_SETUP_TOKEN")
    if not token:
        print("conduct setup needs CONDUCT_SETUP_TOKEN: a token of an organisation owner (setup changes org "
              "settings the App itself may not)", file=sys.stderr)
        return 2
    options = Options(
        public_url=os.environ.get("CONDUCT_PUBLIC_URL", "http://127.0.0.1:8000"),
        api_url=os.environ.get("CONDUCT_GITHUB_API_URL") or DEFAULT_GITHUB_API_URL,
        app_id=int(os.environ["CONDUCT_APP_ID"]) if os.environ.get("CONDUCT_APP_ID") else None,
    )
    policy = load_policy(_policy_dir(args))
    try:
        return asyncio.run(setup_command(policy, options, token, apply=args.apply))
    except Forbidden as refused:
        raise Mistake(f"GitHub refused {refused.operation} (HTTP {refused.status}): CONDUCT_SETUP_TOKEN must be an "
                      "organisation owner's token with the admin:org and repo scopes") from None


def _cmd_sanction_show(args) -> int:
    from app.sanctions import workflow

    try:
        print(workflow.show(args.decision))
    except workflow.UnknownDecision as unknown:
        raise Mistake(str(unknown)) from None
    return 0


def _cmd_sanction_apply(args) -> int:
    from app.sanctions import workflow

    if args.dry_run:
        try:
            print(workflow.plan_text(args.decision))
        except workflow.UnknownDecision as unknown:
            raise Mistake(str(unknown)) from None
        return 0
    return workflow.apply(args.decision)


def _cmd_report(args) -> int:
    from datetime import date

    from app.render.report import render_report, render_report_chart
    from app.wiring.policy_files import load_policy

    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        print("conduct report: dates are YYYY-MM-DD", file=sys.stderr)
        return 2
    policy = load_policy(_policy_dir(args))
    if args.post:
        from app.core.report import grid_problem

        problem = grid_problem(start, end, policy.process.report.period)
        if problem:
            print(f"conduct report: not posted: {problem}", file=sys.stderr)
            return 2
    note = ""
    if args.note:
        try:
            note = Path(args.note).read_text(encoding="utf-8")
        except OSError as error:
            print(f"conduct report: the note file cannot be read: {error.strerror}", file=sys.stderr)
            return 2
    if args.demo:
        from app.entry.demo import demo_cases

        cases = demo_cases(_policy_dir(args))
    else:

        from app.service.caseindex import all_cases

        async def work(rt) -> int:
            ctx = rt.context()
            cases.extend(await all_cases(ctx.github, ctx.store, ctx.cases_repo, ctx.me))
            return 0

        cases: list = []
        if _with_runtime(work):
            return 2
    try:
        text = render_report(cases, policy, start, end, args.format, note)
    except ValueError as refusal:
        print(f"conduct report: {refusal}", file=sys.stderr)
        return 2
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        if args.format == "md":
            Path(args.out).with_name("report-chart.svg").write_text(
                render_report_chart(cases, policy, start, end), encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.post:
        from app.service.reports import post_report

        async def post(rt) -> int:
            print(await post_report(rt.context(), f"Conduct report {start} to {end}", text), file=sys.stderr)
            return 0

        return _with_runtime(post)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conduct", description="Conduct Desk: help first, mediation early.")
    parser.add_argument("--version", action="version", version=f"conduct {_version()}")
    parser.add_argument("--log-level", type=str.upper, choices=logs.LEVELS,
                        default=(os.environ.get("CONDUCT_LOG_LEVEL") or "").upper() or None,
                        help="how much to log on stderr (default INFO, WARNING for the demo; or $CONDUCT_LOG_LEVEL)")
    parser.add_argument("--log-format", choices=logs.FORMATS, default=os.environ.get("CONDUCT_LOG_FORMAT", "text"),
                        help="text, or json: one object per line for log shippers (or $CONDUCT_LOG_FORMAT)")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run scripted cases on a simulated clock and print the timeline")
    demo.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    demo.add_argument("--dir", help="policy directory (default: policy, or $CONDUCT_POLICY_DIR)")
    demo.set_defaults(func=_cmd_demo)

    policy = commands.add_parser("policy", help="check or render the published policy")
    policy_commands = policy.add_subparsers(dest="policy_command", required=True)
    check = policy_commands.add_parser("check", help="validate the policy; list every problem")
    check.add_argument("dir", nargs="?")
    check.set_defaults(func=_cmd_policy_check)
    render = policy_commands.add_parser("render", help="write the public Markdown page of the policy")
    render.add_argument("dir", nargs="?")
    render.add_argument("--out", help="file to write (default: standard output)")
    render.set_defaults(func=_cmd_policy_render)

    stages = commands.add_parser("stages", help="print the stage diagram (Mermaid) from the transition table")
    stages.add_argument("--readme", help="rewrite the generated blocks (stages, commands) in this file")
    stages.set_defaults(func=_cmd_stages)

    poll = commands.add_parser("poll", help="polls of core developers")
    poll_commands = poll.add_subparsers(dest="poll_command", required=True)
    recount = poll_commands.add_parser("recount", help="recount a published poll result from the file alone")
    recount.add_argument("result")
    recount.set_defaults(func=_cmd_poll_recount)
    check = poll_commands.add_parser("check", help="a voter's own check: is my signed receipt in the result?")
    check.add_argument("result", help="the published result (JSON)")
    check.add_argument("receipt", help="the signed receipt line the vote page or `conduct vote` gave you")
    check.set_defaults(func=_cmd_poll_check)
    open_ = poll_commands.add_parser("open", help="open the poll of an escalated case (run by poll-open.yml)")
    open_.add_argument("case", help="the case code name, e.g. C-2026-014")
    open_.set_defaults(func=_cmd_poll_open)

    sanction = commands.add_parser("sanction", help="the SC approval workflow's steps")
    sanction_commands = sanction.add_subparsers(dest="sanction_command", required=True)
    show = sanction_commands.add_parser("show", help="print a decision for the SC (never report text)")
    show.add_argument("decision")
    show.set_defaults(func=_cmd_sanction_show)
    apply_ = sanction_commands.add_parser("apply", help="apply an approved decision, exactly once")
    apply_.add_argument("decision")
    apply_.add_argument("--dry-run", action="store_true", help="say what applying would do; change nothing")
    apply_.set_defaults(func=_cmd_sanction_apply)

    sweep = commands.add_parser("sweep", help="close due polls, publish results, fire case timers (every 15 min)")
    sweep.add_argument("--dry-run", action="store_true", help="say what the sweep would do; change nothing")
    sweep.set_defaults(func=_cmd_sweep)

    cases = commands.add_parser("cases", help="the mediators' queue: open cases, stage, assignees, next deadline")
    cases.set_defaults(func=_cmd_cases)
    status = commands.add_parser("status", help="the service's health: deliveries, notices, the next sweep's work")
    status.set_defaults(func=_cmd_status)

    vote = commands.add_parser("vote", help="vote from a terminal with a ballot link, or get a ballot and vote")
    vote.add_argument("target", help="a ballot link, or a poll id (then --service and a session cookie)")
    vote.add_argument("--choice", required=True, help="an option id, or abstain")
    vote.add_argument("--service", help="the service's URL, when voting by poll id")
    vote.set_defaults(func=_cmd_vote)
    report = commands.add_parser("report", help="the transparency report: counts and timings, small ones suppressed")
    report.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, help="the day after the last, YYYY-MM-DD")
    report.add_argument("--format", choices=("md", "json", "html"), default="md")
    report.add_argument("--out", help="file to write (with md, report-chart.svg is written beside it)")
    report.add_argument("--demo", action="store_true", help="report on the demo's cases instead of GitHub's")
    report.add_argument("--post", action="store_true",
                        help="also post it as a discussion (places.reports); the period must be on the policy's grid")
    report.add_argument("--note", help="a file with the mediators' account of the period, published with it")
    report.add_argument("--dir", help="policy directory (default: policy, or $CONDUCT_POLICY_DIR)")
    report.set_defaults(func=_cmd_report)

    setup = commands.add_parser("setup", help="check (or create) what the organisation needs on GitHub")
    mode = setup.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is missing (default)")
    mode.add_argument("--apply", action="store_true", help="create what the API can create, then check again")
    setup.add_argument("--dir", help="policy directory (default: policy, or $CONDUCT_POLICY_DIR)")
    setup.set_defaults(func=_cmd_setup)

    serve = commands.add_parser("serve", help="run the service: webhooks, sign-in, forms and ballots")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_cmd_serve)

    sandbox = commands.add_parser("sandbox", help="local stand-ins for outside services")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    github = sandbox_commands.add_parser("github", help="a local GitHub stand-in, seeded from the policy")
    github.add_argument("--port", type=int, default=9000)
    github.add_argument("--webhook-url", help="where to deliver signed webhooks")
    github.add_argument("--webhook-secret", help="the webhook secret shared with the service")
    github.add_argument("--app-key-file", default="sandbox-app-key.pem",
                        help="the App's private key: read if present, else made and written here")
    github.add_argument("--dir", help="policy directory (default: policy, or $CONDUCT_POLICY_DIR)")
    github.set_defaults(func=_cmd_sandbox_github)
    proxy = sandbox_commands.add_parser("proxy", help="a fault proxy in front of the stand-in, to crash the service "
                                                      "at a chosen GitHub call (control plane under /_proxy/)")
    proxy.add_argument("--port", type=int, action="append",
                       help="a port to listen on, one per service process (repeat it; default 9001)")
    proxy.add_argument("--upstream", default="http://127.0.0.1:9000/", help="the stand-in's URL")
    proxy.set_defaults(func=_cmd_sandbox_proxy)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("conduct-desk")
    except PackageNotFoundError:
        return "unknown (not installed)"


class Mistake(Exception):
    """A person's mistake a command found: printed as one line, no traceback."""


def _policy_line(invalid: PolicyInvalid) -> str:
    first = invalid.problems[0] if invalid.problems else None
    if first is not None and first.message == "no such policy directory":
        return f"no policy directory at {first.file} (set CONDUCT_POLICY_DIR, or run from the checkout)"
    return (f"the policy has {len(invalid.problems)} problem(s) (`conduct policy check` lists them); "
            f"first: {first}")


def _one_line(error: BaseException) -> str:
    """What went wrong in plain words, on one line, with nothing secret (never a database URL)."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.core.policy import PolicyInvalid
    from app.github.errors import Forbidden, NotFound
    from app.notices.mailer import MailNotConfigured
    from app.wiring.runtime import NotConfigured

    if isinstance(error, PolicyInvalid):
        text = _policy_line(error)
    elif isinstance(error, (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)):
        text = f"{error.strerror or 'cannot use'}: {error.filename}"
    elif isinstance(error, SQLAlchemyError):
        text = "cannot open the database named by CONDUCT_DATABASE_URL (is it running, and is the URL right?)"
    elif isinstance(error, Forbidden):
        text = (f"GitHub refused {error.operation} (HTTP {error.status}): the App or token lacks a permission; "
                "`conduct setup --check` says which")
    elif isinstance(error, NotFound):
        text = f"GitHub has no {error.operation} target here (HTTP {error.status}): check the policy's places"
    elif isinstance(error, (Mistake, NotConfigured, MailNotConfigured, ValueError)):
        text = str(error)
    else:
        raise error
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The demo's own timeline is its output; the in-process service's log lines would only bury it.
    args.log_level = args.log_level or ("WARNING" if args.command == "demo" else "INFO")
    logs.configure(args.log_level, args.log_format)
    try:
        return args.func(args)
    except Exception as error:  # noqa: BLE001 - a person's mistakes become one line; anything else re-raises
        logging.getLogger("conduct.cli").debug("the failure in full", exc_info=True)
        line = _one_line(error)
        print(f"conduct {args.command}: {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
