"""Render the stand-in's records in GitHub's REST and webhook JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from .ids import iso, node_id
from .model import Category, Comment, Discussion, Environment, Issue, Label, Org, Repo, Run, Team, User

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")


@dataclass(frozen=True)
class Base:
    """Where this request came in: the API root (maybe `/api/v3`) and the web root for `html_url`s."""

    api: str
    web: str


def user(b: Base, u: User) -> dict:
    a = f"{b.api}/users/{u.login}"
    return {
        "login": u.login,
        "id": u.id,
        "node_id": u.node_id,
        "avatar_url": f"{b.web}/avatars/u/{u.id}?v=4",
        "gravatar_id": "",
        "url": a,
        "html_url": f"{b.web}/{u.login}",
        "followers_url": f"{a}/followers",
        "following_url": f"{a}/following{{/other_user}}",
        "gists_url": f"{a}/gists{{/gist_id}}",
        "starred_url": f"{a}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{a}/subscriptions",
        "organizations_url": f"{a}/orgs",
        "repos_url": f"{a}/repos",
        "events_url": f"{a}/events{{/privacy}}",
        "received_events_url": f"{a}/received_events",
        "type": u.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def full_user(b: Base, u: User, private: bool = False) -> dict:
    """`public-user` (GET /users/{username}) or `private-user` (GET /user)."""
    out = user(b, u) | {
        "name": None,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": iso(u.created_at),
        "updated_at": iso(u.created_at),
    }
    if private:
        out |= {
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
        }
    return out


def org(b: Base, o: Org) -> dict:
    a = f"{b.api}/orgs/{o.account.login}"
    return {
        "login": o.account.login,
        "id": o.account.id,
        "node_id": o.account.node_id,
        "url": a,
        "repos_url": f"{a}/repos",
        "events_url": f"{a}/events",
        "hooks_url": f"{a}/hooks",
        "issues_url": f"{a}/issues",
        "members_url": f"{a}/members{{/member}}",
        "public_members_url": f"{a}/public_members{{/member}}",
        "avatar_url": f"{b.web}/avatars/u/{o.account.id}?v=4",
        "description": None,
    }


def repo(b: Base, owner: User, r: Repo, open_issues: int) -> dict:
    """The full `repository` shape (also what webhooks carry as `repository`)."""
    a = f"{b.api}/repos/{r.full_name}"
    host = b.web.split("://", 1)[-1]
    out = {
        "id": r.id,
        "node_id": r.node_id,
        "name": r.name,
        "full_name": r.full_name,
        "private": r.private,
        "owner": user(b, owner),
        "html_url": f"{b.web}/{r.full_name}",
        "description": None,
        "fork": False,
        "url": a,
        "archive_url": f"{a}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{a}/assignees{{/user}}",
        "blobs_url": f"{a}/git/blobs{{/sha}}",
        "branches_url": f"{a}/branches{{/branch}}",
        "collaborators_url": f"{a}/collaborators{{/collaborator}}",
        "comments_url": f"{a}/comments{{/number}}",
        "commits_url": f"{a}/commits{{/sha}}",
        "compare_url": f"{a}/compare/{{base}}...{{head}}",
        "contents_url": f"{a}/contents/{{+path}}",
        "contributors_url": f"{a}/contributors",
        "deployments_url": f"{a}/deployments",
        "downloads_url": f"{a}/downloads",
        "events_url": f"{a}/events",
        "forks_url": f"{a}/forks",
        "git_commits_url": f"{a}/git/commits{{/sha}}",
        "git_refs_url": f"{a}/git/refs{{/sha}}",
        "git_tags_url": f"{a}/git/tags{{/sha}}",
        "git_url": f"git://{host}/{r.full_name}.git",
        "issue_comment_url": f"{a}/issues/comments{{/number}}",
        "issue_events_url": f"{a}/issues/events{{/number}}",
        "issues_url": f"{a}/issues{{/number}}",
        "keys_url": f"{a}/keys{{/key_id}}",
        "labels_url": f"{a}/labels{{/name}}",
        "languages_url": f"{a}/languages",
        "merges_url": f"{a}/merges",
        "milestones_url": f"{a}/milestones{{/number}}",
        "notifications_url": f"{a}/notifications{{?since,all,participating}}",
        "pulls_url": f"{a}/pulls{{/number}}",
        "releases_url": f"{a}/releases{{/id}}",
        "ssh_url": f"git@{host}:{r.full_name}.git",
        "stargazers_url": f"{a}/stargazers",
        "statuses_url": f"{a}/statuses/{{sha}}",
        "subscribers_url": f"{a}/subscribers",
        "subscription_url": f"{a}/subscription",
        "tags_url": f"{a}/tags",
        "teams_url": f"{a}/teams",
        "trees_url": f"{a}/git/trees{{/sha}}",
        "clone_url": f"{b.web}/{r.full_name}.git",
        "mirror_url": None,
        "hooks_url": f"{a}/hooks",
        "svn_url": f"{b.web}/{r.full_name}",
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "size": 0,
        "default_branch": "main",
        "open_issues_count": open_issues,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": r.has_discussions,
        "archived": False,
        "disabled": False,
        "visibility": "private" if r.private else "public",
        "pushed_at": iso(r.created_at),
        "created_at": iso(r.created_at),
        "updated_at": iso(r.created_at),
        "allow_forking": not r.private,
        "web_commit_signoff_required": False,
        "license": None,
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
    }
    return out


def label(b: Base, r: Repo, lab: Label) -> dict:
    return {
        "id": lab.id,
        "node_id": lab.node_id,
        "url": f"{b.api}/repos/{r.full_name}/labels/{quote(lab.name, safe='')}",
        "name": lab.name,
        "color": lab.color,
        "default": lab.default,
        "description": lab.description,
        # Newer descriptions (githubkit's models) add archiving; the stand-in never archives a label.
        "archived_at": None,
        "archived_by": None,
    }


def reactions(url: str, items: list) -> dict:
    counts = {name: sum(1 for x in items if x.content == name) for name in REACTIONS}
    return {"url": url, "total_count": len(items), **counts}


def issue(b: Base, users: dict[str, User], r: Repo, i: Issue, association: str) -> dict:
    a = f"{b.api}/repos/{r.full_name}/issues/{i.number}"
    labels = [label(b, r, r.labels[name.lower()]) for name in i.labels if name.lower() in r.labels]
    assignees = [user(b, users[login]) for login in i.assignees]
    return {
        "id": i.id,
        "node_id": i.node_id,
        "url": a,
        "repository_url": f"{b.api}/repos/{r.full_name}",
        "labels_url": f"{a}/labels{{/name}}",
        "comments_url": f"{a}/comments",
        "events_url": f"{a}/events",
        "html_url": f"{b.web}/{r.full_name}/issues/{i.number}",
        "number": i.number,
        "state": i.state,
        "state_reason": i.state_reason,
        "title": i.title,
        "body": i.body,
        "user": user(b, users[i.user]),
        "labels": labels,
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "milestone": None,
        "locked": i.locked,
        "active_lock_reason": i.lock_reason,
        "comments": i.comments,
        "closed_at": iso(i.closed_at),
        "created_at": iso(i.created_at),
        "updated_at": iso(i.updated_at),
        "closed_by": user(b, users[i.closed_by]) if i.closed_by else None,
        "author_association": association,
        "timeline_url": f"{a}/timeline",
        "performed_via_github_app": None,
        "reactions": reactions(f"{a}/reactions", []),
    } | ({"pull_request": {"url": f"{b.api}/repos/{r.full_name}/pulls/{i.number}",
                           "html_url": f"{b.web}/{r.full_name}/pull/{i.number}"}} if i.pull else {})


def pull(b: Base, users: dict[str, User], r: Repo, i: Issue, association: str) -> dict:
    """The few fields of a pull request a review event carries that the stand-in models."""
    return {"id": i.id, "node_id": i.node_id, "number": i.number, "state": i.state, "locked": i.locked,
            "title": i.title, "body": i.body, "user": user(b, users[i.user]),
            "url": f"{b.api}/repos/{r.full_name}/pulls/{i.number}",
            "html_url": f"{b.web}/{r.full_name}/pull/{i.number}",
            "issue_url": f"{b.api}/repos/{r.full_name}/issues/{i.number}", "author_association": association,
            "created_at": iso(i.created_at), "updated_at": iso(i.updated_at)}


def review_item(b: Base, users: dict[str, User], r: Repo, item, association: str) -> dict:
    """An inline review comment (`pull_request_review_comment`) or a review (`pull_request_review`)."""
    web = f"{b.web}/{r.full_name}/pull/{item.pull_number}"
    shared = {"id": item.id, "node_id": item.node_id, "body": item.body, "user": user(b, users[item.user]),
              "pull_request_url": f"{b.api}/repos/{r.full_name}/pulls/{item.pull_number}",
              "author_association": association}
    if item.kind == "review":
        return shared | {"state": "commented", "submitted_at": iso(item.created_at),
                         "html_url": f"{web}#pullrequestreview-{item.id}"}
    return shared | {"url": f"{b.api}/repos/{r.full_name}/pulls/comments/{item.id}",
                     "html_url": f"{web}#discussion_r{item.id}", "path": "README.md", "diff_hunk": "@@ -1 +1 @@",
                     "created_at": iso(item.created_at), "updated_at": iso(item.created_at)}


def comment(b: Base, users: dict[str, User], r: Repo, c: Comment, association: str) -> dict:
    a = f"{b.api}/repos/{r.full_name}/issues/comments/{c.id}"
    return {
        "id": c.id,
        "node_id": c.node_id,
        "url": a,
        "html_url": f"{b.web}/{r.full_name}/issues/{c.issue_number}#issuecomment-{c.id}",
        "issue_url": f"{b.api}/repos/{r.full_name}/issues/{c.issue_number}",
        "body": c.body,
        "user": user(b, users[c.user]),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "author_association": association,
        "performed_via_github_app": None,
        "reactions": reactions(f"{a}/reactions", c.reactions),
    }


def team(b: Base, o: Org, t: Team) -> dict:
    a = f"{b.api}/organizations/{o.account.id}/team/{t.id}"
    return {
        "id": t.id,
        "node_id": t.node_id,
        "name": t.name,
        "slug": t.slug,
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "url": a,
        "html_url": f"{b.web}/orgs/{o.account.login}/teams/{t.slug}",
        "members_url": f"{a}/members{{/member}}",
        "repositories_url": f"{a}/repos",
        "parent": None,
        "type": "organization",
        "organization_id": o.account.id,
    }


def category(c: Category, repo_id: int) -> dict:
    return {
        "id": c.id,
        "node_id": c.node_id,
        "repository_id": repo_id,
        "emoji": f":{c.slug}:",
        "name": c.name,
        "description": c.description,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.created_at),
        "slug": c.slug,
        "is_answerable": c.is_answerable,
    }


def discussion(b: Base, users: dict[str, User], r: Repo, d: Discussion, association: str) -> dict:
    cat = next(c for c in r.categories if c.id == d.category_id)
    a = f"{b.api}/repos/{r.full_name}/discussions/{d.number}"
    return {
        "repository_url": f"{b.api}/repos/{r.full_name}",
        "category": category(cat, r.id),
        "answer_html_url": None,
        "answer_chosen_at": None,
        "answer_chosen_by": None,
        "html_url": f"{b.web}/{r.full_name}/discussions/{d.number}",
        "id": d.id,
        "node_id": d.node_id,
        "number": d.number,
        "title": d.title,
        "user": user(b, users[d.user]),
        "labels": [],
        "state": d.state,
        "state_reason": d.state_reason,
        "locked": d.locked,
        "comments": len(d.comments),
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "author_association": association,
        "active_lock_reason": d.lock_reason,
        "body": d.body,
        "reactions": reactions(f"{a}/reactions", []),
        "timeline_url": f"{a}/timeline",
    }


def environment(b: Base, users: dict[str, User], orgs: dict[str, Org], r: Repo, e: Environment) -> dict:
    rules: list[dict] = []
    if e.wait_timer:
        rules.append(
            {
                "id": e.id * 10 + 1,
                "node_id": node_id("Gate", e.id * 10 + 1),
                "type": "wait_timer",
                "wait_timer": e.wait_timer,
            }
        )
    if e.reviewers:
        rules.append(
            {
                "id": e.id * 10 + 2,
                "node_id": node_id("Gate", e.id * 10 + 2),
                "type": "required_reviewers",
                "prevent_self_review": e.prevent_self_review,
                "reviewers": [reviewer(b, users, orgs, kind, ref) for kind, ref in e.reviewers],
            }
        )
    return environment_ref(b, r, e) | {
        "created_at": iso(e.created_at),
        "updated_at": iso(e.updated_at),
        "protection_rules": rules,
        "deployment_branch_policy": None,
    }


def environment_ref(b: Base, r: Repo, e: Environment) -> dict:
    return {
        "id": e.id,
        "node_id": e.node_id,
        "name": e.name,
        "url": f"{b.api}/repos/{r.full_name}/environments/{quote(e.name, safe='')}",
        "html_url": f"{b.web}/{r.full_name}/deployments/activity_log?environments_filter={quote(e.name)}",
    }


def reviewer(b: Base, users: dict[str, User], orgs: dict[str, Org], kind: str, ref: str) -> dict:
    if kind == "Team":
        org_login, slug = ref.split("/", 1)
        o = orgs[org_login]
        return {"type": "Team", "reviewer": team(b, o, o.teams[slug])}
    return {"type": "User", "reviewer": user(b, users[ref])}


def workflow_run(
    b: Base,
    users: dict[str, User],
    r: Repo,
    owner: User,
    run: Run,
    wf_path: str,
    wf_name: str,
    open_issues: int,
) -> dict:
    a = f"{b.api}/repos/{r.full_name}/actions/runs/{run.id}"
    head_sha = f"{run.id:040x}"
    mini = repo(b, owner, r, open_issues)
    actor = user(b, users[run.actor])
    return {
        "id": run.id,
        "name": wf_name,
        "node_id": run.node_id,
        "check_suite_id": run.id + 1,
        "check_suite_node_id": node_id("CheckSuite", run.id + 1),
        "head_branch": run.head_branch,
        "head_sha": head_sha,
        "path": f".github/workflows/{wf_path}",
        "run_number": run.run_number,
        "run_attempt": 1,
        "referenced_workflows": [],
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": run.workflow_id,
        "url": a,
        "html_url": f"{b.web}/{r.full_name}/actions/runs/{run.id}",
        "pull_requests": [],
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "actor": actor,
        "triggering_actor": actor,
        "run_started_at": iso(run.created_at),
        "jobs_url": f"{a}/jobs",
        "logs_url": f"{a}/logs",
        "check_suite_url": f"{b.api}/repos/{r.full_name}/check-suites/{run.id + 1}",
        "artifacts_url": f"{a}/artifacts",
        "cancel_url": f"{a}/cancel",
        "rerun_url": f"{a}/rerun",
        "previous_attempt_url": None,
        "workflow_url": f"{b.api}/repos/{r.full_name}/actions/workflows/{run.workflow_id}",
        "head_commit": {
            "id": head_sha,
            "tree_id": f"{run.id + 7:040x}",
            "message": "sandbox commit",
            "timestamp": iso(run.created_at),
            "author": {"name": "sandbox", "email": "sandbox@example.invalid"},
            "committer": {"name": "sandbox", "email": "sandbox@example.invalid"},
        },
        "repository": mini,
        "head_repository": mini,
        "head_repository_id": r.id,
        "display_title": wf_name,
    }
