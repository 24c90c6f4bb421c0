"""Routes one stored delivery to intake or to the case it concerns; parse, dispatch, nothing more."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from app.core.commands import Command, new_commands, parse_commands
from app.core.decide import Refused, decide
from app.core.events import Commented, Event, LabelChanged, SCReviewed
from app.core.policy import Policy
from app.core.stages import IllegalStep
from app.core.state_block import StateUnreadable, decode
from app.github.payloads import (
    DeploymentReviewEvent,
    DiscussionCommentEvent,
    IssueCommentEvent,
    IssuesEvent,
    MembershipEvent,
    OrgBlockEvent,
    ReviewCommentEvent,
    ReviewEvent,
    TeamEvent,
    WorkflowRunEvent,
    parse_payload,
)
from app.github.port import GitHubPort, RunReview
from app.notices.mailer import Mailer
from app.render import render
from app.sanctions import decision_issue, reviews, runs
from app.service import casefile, caseindex, caselock, intake, outbox, submissions, sweep_job, venues
from app.service.budget import help_allowed
from app.service.casefile import CaseFile, Identity
from app.service.context import Context
from app.service.executor import finish_close
from app.service.once import once
from app.store.deliveries import Delivery

log = logging.getLogger("conduct.router")
NUDGES = ("calm", "summarize", "agree-to-disagree")


class Router:
    """The worker's handler: one delivery in, its effects carried out through the port."""

    def __init__(self, github: GitHubPort, policy: Policy, store, me: Identity,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), public_url: str = "http://127.0.0.1:8000",
                 mailer: Mailer | None = None):
        self.github, self.policy, self.store, self.me, self.now = github, policy, store, me, now
        self.public_url, self.mailer = public_url, mailer

    async def __call__(self, delivery: Delivery) -> None:
        if delivery.event == submissions.EVENT:
            # Stored by the private form's page, never by the webhook endpoint (it takes GitHub's events only).
            form = submissions.read(delivery.payload)
            ctx = Context.make(self.github, self.policy, self.store, self.me, form["at"])
            await intake.from_form(ctx, form["source"], form["reporter"], form["report"], form["about"],
                                   thread=form["thread"])
            return
        if delivery.event == sweep_job.EVENT:
            # Stored by the sweep workflow's call: run under the worker's lease, so a crash mid-pass is
            # finished by whichever process takes the lease up next.
            ctx = Context.make(self.github, self.policy, self.store, self.me, self.now(), self.public_url,
                               self.mailer)
            await sweep_job.run(ctx, self.apply, delivery.delivery_id)
            return
        payload = parse_payload(delivery.event, json.loads(delivery.payload))
        if isinstance(payload, MembershipEvent | TeamEvent):
            # Who is a mediator, voter or SC member may have changed: the next lookup asks GitHub again.
            self.store.drop_cached_members()
            return
        if payload is None or (payload.repository is None
                               and not isinstance(payload, DeploymentReviewEvent | OrgBlockEvent)):
            return
        ctx = Context.make(self.github, self.policy, self.store, self.me, self.now(), self.public_url, self.mailer)
        places = self.policy.roles.places
        repo = payload.repository.full_name if payload.repository else ""
        if repo == places.cases:
            caseindex.observe(ctx, payload)  # the index follows the app's own state comments, any process's
        if self._from_me(payload):
            return
        if isinstance(payload, IssuesEvent) and repo == places.intake and payload.action == "opened":
            await intake.from_public_issue(ctx, delivery.delivery_id, repo, payload.issue)
        elif isinstance(payload, IssueCommentEvent) and repo == places.cases:
            await self._case_comment(ctx, delivery.delivery_id, payload)
        elif isinstance(payload, IssueCommentEvent) and repo == places.decisions:
            await self._decision_comment(ctx, delivery.delivery_id, payload)
        elif isinstance(payload, IssueCommentEvent) and repo in places.watched:
            await self._thread_comment(ctx, delivery.delivery_id, repo, payload)
        elif isinstance(payload, ReviewCommentEvent | ReviewEvent | DiscussionCommentEvent) and repo in places.watched:
            await venues.help_in_venue(ctx, delivery.delivery_id, repo, payload)
        elif isinstance(payload, OrgBlockEvent):
            if payload.organization is None or payload.organization.login == self.policy.roles.organization:
                await venues.block_on_record(ctx, delivery.delivery_id, payload)
        elif isinstance(payload, IssuesEvent) and repo == places.cases and payload.action == "labeled":
            if payload.label and payload.label.name.startswith("stage: "):
                actor = await ctx.roles.actor(payload.sender.login)
                await self._case_event(ctx, payload.issue.number,
                                       LabelChanged(delivery.delivery_id, actor, payload.label.name))
        elif isinstance(payload, DeploymentReviewEvent) and payload.action in ("approved", "rejected"):
            await self._review(ctx, delivery.delivery_id, payload)
        elif isinstance(payload, WorkflowRunEvent) and payload.action == "completed":
            await self._run_completed(ctx, payload)

    def _from_me(self, payload) -> bool:
        if isinstance(payload, WorkflowRunEvent):
            return False  # the app dispatches the approval runs; what becomes of them is news to it
        sender = payload.sender
        return bool(sender and sender.type == "Bot" and sender.login == self.me.bot_login)

    async def _case_comment(self, ctx: Context, delivery_id: str, payload: IssueCommentEvent) -> None:
        author = payload.comment.user.login if payload.comment.user else "ghost"
        if author == ctx.me.bot_login:
            await self._guard_state(ctx, delivery_id, payload)
            return
        if payload.action not in ("created", "edited"):
            return
        previous = payload.changes.body.before if payload.action == "edited" and payload.changes and \
            payload.changes.body else None
        if payload.action == "edited" and previous is None:
            return
        if payload.action == "edited" and payload.sender and payload.sender.login != author:
            # Commands are credited to a comment's author; an edit by anyone else must not speak for them.
            log.info("edit by another account ignored issue=%s", payload.issue.number)
            return
        body = payload.comment.body or ""
        if not (new_commands(previous, body) if previous is not None else parse_commands(body)):
            return  # a plain comment (or an edit that adds no command): nothing to decide, no request made
        actor = await ctx.roles.actor(author)
        event = Commented(delivery_id, actor, body, payload.comment.id, previous)
        await self._case_event(ctx, payload.issue.number, event)

    async def _decision_comment(self, ctx: Context, delivery_id: str, payload: IssueCommentEvent) -> None:
        """The SC's `/conduct sc ...` on a decision's issue in the decisions repository reaches the case as if
        written there (the SC cannot see the case). Only new comments, only `sc` commands (and `recuse`: an SC
        member steps back from the case where they can), only for the decision the case is waiting on:
        nothing else said in the decisions place acts on a case."""
        if payload.action != "created" or payload.comment.user is None:
            return
        decision = decision_issue.decision_of(ctx.store, payload.issue.number)
        commands = [c for c in parse_commands(payload.comment.body or "") if isinstance(c, Command)]
        if decision is None or not commands or any(c.verb not in ("sc", "recuse") for c in commands):
            return
        number = await self.find_case(ctx, decision.rsplit("-d", 1)[0])
        file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, number, ctx.me) if number else None
        lifting = all(c.verb == "sc" and c.args[:1] == ("lift",) for c in commands)
        # Approving or rejecting is for the decision the case waits on; lifting, for one of its sanctions.
        # (A lift for a ban not under review yet goes on to the core, which refuses it where the SC reads.)
        if file is None:
            meant = False
        elif lifting:
            meant = file.case.decision(decision) is not None
        else:
            meant = bool(file.case.pending_decisions) and file.case.pending_decisions[-1].id == decision
        if not meant:
            if file is not None:
                # A retried delivery of the comment that did decide (its state was saved before a crash):
                # the decision no longer waits, and what it left undone is finished here.
                await outbox.carry_out(ctx, file)
            log.info("decision comment for a decision not waiting issue=%s", payload.issue.number)
            return
        actor = await ctx.roles.actor(payload.comment.user.login)
        await self.apply(ctx, file, Commented(delivery_id, actor, payload.comment.body or "", None,
                                              decision=decision))

    async def _guard_state(self, ctx: Context, delivery_id: str, payload: IssueCommentEvent) -> None:
        """The state comment is the app's alone. People with write access can edit or delete any comment
        on GitHub; when one does that to the state, the app puts it back and says so on the case. Which
        comment is the state is the app's own record, never what a comment's text looks like."""
        number = payload.issue.number
        if payload.action not in ("edited", "deleted") or \
                payload.comment.id != casefile.state_comment_id(ctx.store, ctx.cases_repo, number):
            return
        before = payload.comment.body if payload.action == "deleted" else (
            payload.changes.body.before if payload.changes and payload.changes.body else None)
        try:
            case = decode(before or "")
        except StateUnreadable:
            return
        if case is None:
            return
        who = payload.sender.login if payload.sender else "someone"
        if payload.action == "edited":
            await ctx.github.update_comment(ctx.cases_repo, payload.comment.id, before)
        else:
            restored = await ctx.github.create_comment(ctx.cases_repo, number, before,
                                                       key=f"{case.code}:state-restored:{delivery_id}")
            casefile.record_state_comment(ctx.store, ctx.cases_repo, number, restored.id)
        note = render("state-restored.md.j2", {"actor": who, "action": payload.action})
        await ctx.github.create_comment(ctx.cases_repo, number, note,
                                        key=f"{case.code}:state-guard:{delivery_id}")
        log.info("state comment %s by another account, restored case=%s", payload.action, case.code)

    async def _case_event(self, ctx: Context, number: int, event: Event) -> None:
        file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, number, ctx.me)
        if file is None:
            log.info("no case state on issue=%s", number)
            return
        await self.apply(ctx, file, event)

    async def apply(self, ctx: Context, file: CaseFile, event: Event) -> CaseFile:
        """Decide, record the effects in the outbox, save the new state, then carry the effects out.

        The state is saved before anything on GitHub that follows from it, so whoever answers a post or
        reviews a dispatched run finds the case already saying so. Effects left by a crash or a failed call
        are finished first, on the next look at the case (its next event, a redelivery, the sweep); if the
        save itself fails, the retry decides again from the same state and replaces the outbox entry."""
        await outbox.carry_out(ctx, file)
        if event.id in file.case.applied:
            return file
        async with caselock.held(ctx.store, file, ctx.now):
            # Another process may have saved this case since it was read: decide from what it saved.
            file = caselock.freshest(ctx.store, file)
            if event.id in file.case.applied:
                return file
            saved = await self._decide_and_save(ctx, file, event)
        if saved is file:
            return file  # refused, or nothing to write
        await outbox.carry_out(ctx, saved)
        await finish_close(ctx.github, saved)
        return saved

    async def _decide_and_save(self, ctx: Context, file: CaseFile, event: Event) -> CaseFile:
        """Under the case's lock: decide, record the effects, save the state. `file` itself if nothing changed."""
        try:
            outcome = decide(file.case, event, ctx.policy, ctx.now)
        except (IllegalStep, Refused) as refusal:
            log.info("refused case=%s event=%s", file.case.code, type(event).__name__)
            actor = getattr(getattr(event, "actor", None), "login", "system")
            if isinstance(event, SCReviewed):
                body = render("sc-review-refused.md.j2", {"actor": actor, "decision": event.decision,
                                                          "approved": event.approved, "reason": str(refusal)})
            else:
                body = render("command-refused.md.j2", {"actor": actor, "verb": type(event).__name__,
                                                        "reason": str(refusal)})
            key = f"{file.case.code}:{event.id}:refused"
            # Once per event: a review refused from its webhook is refused again when the run's history
            # brings it, and a redelivery is refused again too; the case says so once.
            await once(ctx.store, key, lambda: self._post_refusal(ctx, file.repo, file.number, body, key))
            reviewed = isinstance(event, SCReviewed)
            issue = ctx.store.effect_result(f"decision-issue:{event.decision}") if reviewed else None
            if issue:  # the reviewer cannot read the case: the decision's issue says it too
                await once(ctx.store, f"{key}:decision", lambda: self._post_refusal(
                    ctx, ctx.policy.roles.places.decisions, int(issue), body, f"{key}:decision"))
            return file
        if not outcome.effects and outcome.case == file.case:
            return file  # a clock tick with nothing due: nothing to write
        new_case = outcome.case.mark_applied(event.id)
        outbox.put(ctx.store, file, event.id, outcome.effects, ctx.now)
        saved = await casefile.save(ctx.github, ctx.store, file, new_case)
        caseindex.record(ctx.store, saved, ctx.now)
        return saved

    async def _post_refusal(self, ctx: Context, repo: str, number: int, body: str, key: str) -> str:
        return str((await ctx.github.create_comment(repo, number, body, key=key)).id)

    async def _thread_comment(self, ctx: Context, delivery_id: str, repo: str, payload: IssueCommentEvent) -> None:
        if payload.action == "created":
            found = parse_commands(payload.comment.body or "")
        elif payload.action == "edited" and payload.changes and payload.changes.body:
            found = new_commands(payload.changes.body.before, payload.comment.body or "")
        else:
            return
        commands = [c for c in found if isinstance(c, Command)]
        helps = [c for c in commands if c.verb == "help"]
        if helps:
            author = payload.comment.user.login if payload.comment.user else "ghost"
            if not help_allowed(ctx.store, author, ctx.now):
                # Anyone can post a signal; one account's flood is heard a few times, not until GitHub's
                # write budget is gone for every case. The ones heard opened cases the mediators see.
                log.info("help signal over the account's limit, not acted on repo=%s", repo)
                return
            await intake.from_signal(ctx, delivery_id, repo, payload.issue, payload.comment, helps[0].text)
            return
        nudges = [c for c in commands if c.verb in NUDGES]
        if nudges:
            actor = await ctx.roles.actor(payload.comment.user.login)
            if not (actor.has("mediator") or actor.has("voter")):
                # Mediators and core developers watch the space together; anyone else's nudge is not
                # answered in public (a stranger cannot make the app speak for the community).
                return
            for index, nudge in enumerate(nudges):
                body = render(f"deescalate-{nudge.verb}.md.j2", {"addressed": list(nudge.args)})
                await ctx.github.create_comment(repo, payload.issue.number, body,
                                                key=f"nudge:{repo}:{payload.comment.id}:{index}")

    async def _review(self, ctx: Context, delivery_id: str, payload: DeploymentReviewEvent) -> None:
        """An SC member's review of the `steering-council` environment. It counts only for the decision
        the app dispatched that very run for, in the approval place: a run anyone else started speaks for
        no decision, whatever its title says. The core's one rule decides what the review is worth."""
        run = payload.workflow_run
        environments = {job.environment for job in payload.workflow_job_runs}
        file, decision = await self._decision_run(ctx, payload, run.id if run else None)
        if file is None or run is None or reviews.ENVIRONMENT not in environments:
            return
        reviewer = payload.approver or payload.sender
        actor = await ctx.roles.actor(reviewer.login)
        await self.apply(ctx, file, reviews.event(run.id, decision, actor, payload.action == "approved",
                                                  payload.comment or ""))

    async def _run_completed(self, ctx: Context, payload: WorkflowRunEvent) -> None:
        """A decision's run ended without the app hearing of its review (a rejection ends it at once):
        its review history, comments included, is read from GitHub and recorded like the webhook's."""
        file, decision = await self._decision_run(ctx, payload, payload.workflow_run.id)
        if file is not None:
            history = await reviews.environment_history(ctx.github, ctx.policy, payload.workflow_run.id)
            await self.record_history(ctx, file, decision, payload.workflow_run.id, history)

    async def _decision_run(self, ctx: Context, payload, run_id: int | None) -> tuple[CaseFile | None, str]:
        """The case and decision a run was dispatched for by the app, if that decision still waits."""
        repo = payload.repository.full_name if payload.repository else ""
        decision = runs.decision_of(ctx.store, run_id) if run_id is not None else None
        if decision is None or repo != reviews.approval_place(ctx.policy):
            log.info("review ignored: not of a run the app requested a decision on")
            return None, ""
        number = await self.find_case(ctx, decision.rsplit("-d", 1)[0])
        if number is None:
            return None, ""
        file = await casefile.load(ctx.github, ctx.store, ctx.cases_repo, number, ctx.me)
        recorded = file.case.decision(decision) if file else None
        if recorded is None or recorded.approved_at is not None:
            # Decided already (approved, rejected or expired): a late review changes nothing. It may be the
            # retried delivery of the review that did decide, its state saved before a crash: what that
            # decision left undone is finished here.
            if file is not None:
                await outbox.carry_out(ctx, file)
            return None, ""
        return file, decision

    async def record_history(self, ctx: Context, file: CaseFile, decision: str, run_id: int,
                             history: tuple[RunReview, ...]) -> CaseFile:
        """Each review in the decision's own run's history, oldest first, as the event the webhook would
        have brought: whichever arrives second is recognised by its id and changes nothing."""
        for review in history:
            pending = file.case.decision(decision)
            if pending is None or pending.approved_at is not None:
                break
            event = reviews.event(run_id, decision, await ctx.roles.actor(review.user), review.state == "approved",
                                  review.comment)
            if event.id not in file.case.applied:
                file = await self.apply(ctx, file, event)
        return file

    async def find_case(self, ctx: Context, code: str) -> int | None:
        known = ctx.store.effect_result(f"case-issue:{code}")
        return int(known) if known else None
