"""Carries out the core's effects through the GitHub port, each at most once, by its ledger key."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.core import effects as fx
from app.core.neutralise import without_html_comments
from app.core.stages import Stage
from app.core.threads import MESSAGE_MARKER, public_key, thread_of
from app.github.port import GitHubPort
from app.notices.notifier import HAND_OVER, Notifier
from app.render import render
from app.sanctions import decision_issue, posts, runs
from app.sanctions.desk import Desk
from app.sanctions.effects import apply_effect, lift_effect
from app.service import timeouts
from app.service.cards import post_card
from app.service.casefile import CaseFile, Identity
from app.service.once import Busy, remember
from app.service.roles import RoleBook

log = logging.getLogger("conduct.executor")
STAGE_PREFIX = "stage: "


async def finish_close(github: GitHubPort, file: CaseFile) -> None:
    """Close the issue of a case whose saved state says closed; the sweep calls this again if it failed."""
    if file.case.stage is not Stage.CLOSED:
        return
    issue = await github.get_issue(file.repo, file.number)
    if issue.state != "closed":
        await github.update_issue(file.repo, file.number, state="closed", state_reason="completed")


@dataclass
class Executor:
    github: GitHubPort
    store: object
    roles: RoleBook
    workflow_ref: str = "main"
    # The time sanctions are recorded at; the service passes its (possibly simulated) clock.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    notices: Notifier | None = None
    me: Identity | None = None  # how the app knows its own state comments (context cards read them)

    async def run(self, file: CaseFile, effects: tuple[fx.Effect, ...]) -> None:
        """Apply effects in order. A key already completed is skipped, so a resumed delivery never
        repeats a comment or a dispatch; a failure releases its key and stops, to be retried whole."""
        for effect in effects:
            tried = f"tried:{effect.key}"
            if not self.store.claim_effect(effect.key, self.clock()):
                if self.store.effect_result(effect.key) is not None:
                    continue  # done before
                if not self.store.reclaim_stale_effect(effect.key, self.clock()):
                    # Another worker is doing it right now. Going on would apply the later effects (and
                    # save the state) without this one, and lose it if that worker dies before acting.
                    raise Busy(effect.key)
                # A worker died holding this key: it may or may not have acted. Look before acting.
                landed = await self._landed(file, effect, self.store.effect_result(tried))
                if landed is not None:
                    self.store.complete_effect(effect.key, landed)
                    continue
            elif self.store.effect_result(tried) is not None:
                # An earlier attempt failed in a way that may have acted (GitHub acted, then answered 5xx).
                landed = await self._landed(file, effect, self.store.effect_result(tried))
                if landed is not None:
                    self.store.complete_effect(effect.key, landed)
                    continue
            # The intent, recorded before acting: a retry of a create that may have landed looks first.
            remember(self.store, tried, self.clock().isoformat())
            try:
                result = await self.apply(file, effect)
            except BaseException:
                self.store.release_effect(effect.key)
                raise
            self.store.complete_effect(effect.key, result)
            log.info("effect done case=%s type=%s", file.case.code, type(effect).__name__)

    async def _landed(self, file: CaseFile, effect: fx.Effect, tried_at: str | None) -> str | None:
        """For a post: the comment's id if it is on GitHub already (found by its marker); for a dispatch,
        a run of the workflow for the same decision or case started since the first try. Other effects
        are safe to repeat (labels, assignees; a second identical reaction is GitHub's no-op), or guarded
        by their own ledger (sanctions)."""
        if isinstance(effect, fx.Dispatch):
            return await self._dispatched(file, effect, tried_at)
        if isinstance(effect, fx.Post) and effect.where == "decision":
            where = self._decision_issue(effect)
            found = await self.github.find_comment(*where, effect.key) if where else None
        elif isinstance(effect, fx.MessageParty) or (isinstance(effect, fx.Post) and effect.where != "thread"):
            found = await self.github.find_comment(file.repo, file.number, effect.key)
        elif isinstance(effect, fx.Post) and thread_of(file.case.thread or ""):
            repo, number = thread_of(file.case.thread or "")
            found = await self.github.find_comment(repo, number, public_key(effect.key))
        else:
            return None
        return str(found.id) if found is not None else None

    async def _dispatched(self, file: CaseFile, effect: fx.Dispatch, tried_at: str | None) -> str | None:
        # The run's title (the workflow's run-name) carries the decision id or the case code.
        which = effect.inputs.get("decision") or effect.inputs.get("case")
        if not which or tried_at is None:
            return None
        # A few minutes of slack for the difference between the service's clock and GitHub's.
        since = datetime.fromisoformat(tried_at) - timedelta(minutes=5)
        for run in await self.github.workflow_runs(self._workflow_repo(file, effect), effect.workflow):
            if run.created_at >= since and which in run.display_title.split():
                if effect.inputs.get("decision"):
                    runs.record(self.store, effect.inputs["decision"], run.id)
                return f"run:{run.id}"
        return None

    def _decision_issue(self, effect: fx.Post) -> tuple[str, int] | None:
        number = self.store.effect_result(f"decision-issue:{effect.context.get('decision')}")
        return (self.roles.policy.roles.places.decisions, int(number)) if number else None

    def _workflow_repo(self, file: CaseFile, effect: fx.Dispatch) -> str:
        return self.roles.policy.roles.places.decisions if effect.place == "decisions" else file.repo

    async def apply(self, file: CaseFile, effect: fx.Effect) -> str:
        if isinstance(effect, fx.SetStage):
            issue = await self.github.get_issue(file.repo, file.number)
            keep = [label for label in issue.labels if not label.startswith(STAGE_PREFIX)]
            await self.github.set_labels(file.repo, file.number, [*keep, effect.stage.label])
            # The issue itself is closed only once the state saying so is saved (finish_close), so a
            # failure in between leaves an open issue the sweep closes, never a closed issue with a live case.
            return effect.stage.value
        if isinstance(effect, fx.Post):
            return await self._post(file, effect)
        if isinstance(effect, fx.React):
            await self.github.add_reaction(file.repo, effect.comment_id, effect.content)
            return "reacted"
        if isinstance(effect, fx.Assign):
            await self.github.add_assignees(file.repo, file.number, effect.logins)
            return "assigned"
        if isinstance(effect, fx.Dispatch):
            return await self._dispatch(file, effect)
        if isinstance(effect, fx.MessageParty):
            body = (f"{MESSAGE_MARKER.format(login=effect.login)}\n**Message to `{effect.login}`**\n\n"
                    f"{without_html_comments(effect.text).strip()}")
            comment = await self.github.create_comment(file.repo, file.number, body, key=effect.key)
            return str(comment.id)
        if isinstance(effect, (fx.ApplySanction, fx.LiftSanction)):
            return await self._sanction(file, effect)
        if isinstance(effect, fx.Notify):
            return await self._notify(file, effect)
        if isinstance(effect, fx.ContextCard):
            assert self.me is not None, "context cards need the app's identity"
            return await post_card(self.github, self.store, self.roles.policy, self.me, self.clock(), file,
                                   effect.login, key=effect.key)
        if isinstance(effect, fx.ReportNote):
            # Keyed by when it was written, so the report for a period takes the notes written in it.
            remember(self.store, f"report-note:{self.clock().isoformat(timespec='seconds')}:{effect.key}", effect.text)
            return "kept"
        if isinstance(effect, (fx.LockThread, fx.UnlockThread, fx.HideComment)):
            return await timeouts.carry_out(self.github, effect)
        raise TypeError(f"no way to carry out {type(effect).__name__}")

    async def _notify(self, file: CaseFile, effect: fx.Notify) -> str:
        """The e-mail notice; where nobody can be e-mailed, one note per person asks the mediators to hand
        the inbox link over (the link is all there is to hand: the notice carries nothing else)."""
        if self.notices is None:
            return "no-mailer"
        link = self.notices.link(f"inbox/{file.case.code}")
        outcome = await self.notices.notify(effect.key, effect.login, effect.news, link, case=file.case.code)
        if outcome in HAND_OVER:
            await posts.post_once(self.github, file.repo, file.number,
                                  f"{file.case.code}:hand-over:{effect.login.lower()}", "notice-hand-over.md.j2",
                                  {"login": effect.login, "reason": outcome, "code": file.case.code, "link": link,
                                   "addresses": self.notices.link("addresses")}, store=self.store)
        return outcome

    async def _dispatch(self, file: CaseFile, effect: fx.Dispatch) -> str:
        """Start the workflow where it lives; an approval run is bound to its decision by the run's id, so
        the apply call's OIDC token can be matched to it (and no other run can apply the decision)."""
        decision = effect.inputs.get("decision")
        if decision and effect.place == "decisions":
            # The SC reads the decision there, never the case: its issue comes first, the run refers to it.
            await decision_issue.open_once(self.github, self.store, self.roles.policy, file.case, decision)
        run_id = await self.github.dispatch_workflow(self._workflow_repo(file, effect), effect.workflow,
                                                     self.workflow_ref, effect.inputs)
        if run_id is None:
            return "dispatched"
        if decision:
            runs.record(self.store, decision, run_id)
        return f"run:{run_id}"

    async def _sanction(self, file: CaseFile, effect: fx.ApplySanction | fx.LiftSanction) -> str:
        """Through the same code as `conduct sanction apply` and the sweep: the gate, then the ledger."""
        desk = Desk(self.github, self.store, self.roles.policy, self.clock())
        if isinstance(effect, fx.ApplySanction):
            return await apply_effect(desk, self.roles, file, effect.decision)
        return await lift_effect(desk, effect.decision)

    async def _post(self, file: CaseFile, effect: fx.Post) -> str:
        body = render(effect.template, effect.context)
        if effect.where == "case":
            if effect.mention_mediators:
                body = f"{body.rstrip()}\n\ncc {await self.roles.mention('mediators')}"
            comment = await self.github.create_comment(file.repo, file.number, body, key=effect.key)
            return str(comment.id)
        if effect.where in ("reporter", "party"):
            # Everything for the reporter lands in their inbox on the case; the intake flow also answers
            # them where they asked (the public issue or the thread) when the case is opened.
            login = file.case.reporter or "" if effect.where == "reporter" else effect.context["login"]
            inbox = f"{MESSAGE_MARKER.format(login=login)}\n**Message to `{login}`**\n\n{body}"
            comment = await self.github.create_comment(file.repo, file.number, inbox, key=effect.key)
            return str(comment.id)
        if effect.where == "decision":
            where = self._decision_issue(effect)
            if where is None:
                return "no-decision-issue"  # a decision the SC never had an issue for has nobody to tell
            comment = await self.github.create_comment(*where, body, key=effect.key)
            return str(comment.id)
        if effect.where == "thread":
            target = thread_of(file.case.thread or "")
            if target is None:
                raise ValueError("the case links no thread")
            comment = await self.github.create_comment(target[0], target[1], body, key=public_key(effect.key))
            return str(comment.id)
        raise ValueError(f"cannot post to {effect.where!r}")
