"""The mediators' time-outs on GitHub: lock a heated thread and unlock it, hide a comment with a note."""
from __future__ import annotations

from app.core import effects as fx
from app.core.neutralise import neutralise_inline
from app.core.threads import public_key, thread_of
from app.github.errors import NotFound
from app.github.port import GitHubPort
from app.render import render


def _thread(ref: str) -> tuple[str, int]:
    repo, number = ref.split("#")
    return repo, int(number)


async def carry_out(github: GitHubPort, effect: fx.LockThread | fx.UnlockThread | fx.HideComment) -> str:
    if isinstance(effect, fx.LockThread):
        # "too heated": GitHub shows it on the thread, and only collaborators may comment until unlocked.
        await github.lock_issue(*_thread(effect.thread), "too heated")
        return "locked"
    if isinstance(effect, fx.UnlockThread):
        try:
            await github.unlock_issue(*_thread(effect.thread))
        except NotFound:
            pass  # the thread is gone: nothing is left to unlock
        return "unlocked"
    kind, repo, comment_id = effect.comment.split(":")
    comment = await github.get_comment(repo, int(comment_id))
    await github.minimize_comment(comment.node_id, "OFF_TOPIC")
    target = thread_of(comment.html_url)
    if target is not None:
        note = render("comment-hidden.md.j2", {"reason": neutralise_inline(effect.reason), "kind": kind})
        await github.create_comment(target[0], target[1], note, key=public_key(f"{effect.key}:note"))
    return "hidden"
