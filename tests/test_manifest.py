"""The App manifest asks for exactly what the code uses: every operation sent is in the permission table."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import contract
import graphql
import httpx
import pytest
import record_cassettes as rc
import yaml
from test_setup import World, checkable_path, options
from test_setup import world as world  # noqa: F401 - the fixture, used by name below

from app.github import permissions, signin
from app.github.adapter import GitHubAdapter
from app.github.client import ClientOptions, GitHubSettings, RetryPolicy, WritePacer
from app.setup import build_plan, run_setup
from app.setup.plan import load_manifest
from app.standin import SandboxState, create_app
from app.web.webhooks import HANDLED_EVENTS
from app.wiring.policy_files import load_policy

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def anyio_backend():
    return "asyncio"


def graphql_operation(document: str) -> str:
    """A mutation by its field; a query by its root field and the first field below it that selects more."""
    operation = next(
        d for d in graphql.parse(document).definitions if isinstance(d, graphql.OperationDefinitionNode)
    )
    root = operation.selection_set.selections[0]
    assert isinstance(root, graphql.FieldNode)
    if operation.operation is graphql.OperationType.MUTATION:
        return root.name.value
    # `node(id:)` selects through an inline fragment (`... on Discussion { comments { ... } }`): look inside it.
    selections = list(root.selection_set.selections)
    while selections:
        selection = selections.pop(0)
        if isinstance(selection, graphql.InlineFragmentNode):
            selections[:0] = selection.selection_set.selections
        elif isinstance(selection, graphql.FieldNode) and selection.selection_set:
            return f"{root.name.value}.{selection.name.value}"
    raise AssertionError(f"no field below {root.name.value} selects more")


def operation_of(method: str, path: str, body: bytes | str | None) -> str:
    if urlsplit(path).path.endswith("/graphql"):
        return graphql_operation(json.loads(body or "{}")["query"])
    return contract.operation_id(method, checkable_path(urlsplit(path).path))


def cassette_operations() -> set[str]:
    found = set()
    for cassette in sorted(rc.CASSETTES.glob("*.yaml")):
        for interaction in yaml.safe_load(cassette.read_text())["interactions"]:
            request = interaction["request"]
            found.add(operation_of(request["method"], request["uri"], request.get("body")))
    return found


class Operations:
    """httpx hooks collecting the operation of every request a client sends."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    async def on_request(self, request: httpx.Request) -> None:
        self.seen.add(operation_of(request.method, request.url.raw_path.decode(), request.content))


class UserTeamsGap(httpx.AsyncBaseTransport):
    # The stand-in has no `organization.teams` yet; answer that one query in the schema's shape.
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/graphql") and b"query UserTeams" in request.content:
            teams = {"nodes": [{"slug": "mediators"}], "pageInfo": {"hasNextPage": False, "endCursor": None}}
            return httpx.Response(200, json={"data": {"organization": {"teams": teams}}})
        return await self.inner.handle_async_request(request)


async def adapter_operations() -> set[str]:
    """Every port method, run as the App against the stand-in."""
    private, public = rc.new_app_key()
    state = SandboxState()
    rc.seed_sandbox(state, public)
    ops = Operations()

    async def no_sleep(_seconds: float) -> None:
        return None

    client_options = ClientOptions(
        transport=UserTeamsGap(httpx.ASGITransport(app=create_app(state))),
        event_hooks={"request": [ops.on_request]},
        pacer=WritePacer(sleep=no_sleep),
        retry=RetryPolicy(backoff=lambda attempt: 0.0),
    )
    settings = GitHubSettings(api_url="http://sandbox.test/", app_id=rc.Target().app_id, private_key=private)
    gh = await GitHubAdapter.for_org(settings, "acme", client_options)
    await rc.run_steps(gh, rc.Target())
    return ops.seen


async def setup_operations(world: World) -> set[str]:
    ops = Operations()
    world.recorder.on_request = _chain(world.recorder.on_request, ops.on_request)  # type: ignore[method-assign]
    plan = build_plan(load_policy(ROOT / "policy"), options())
    await run_setup(world.admin(), plan, apply=True)
    await run_setup(world.admin(), plan)
    return ops.seen


def _chain(first, second):
    async def both(request: httpx.Request) -> None:
        await first(request)
        await second(request)

    return both


@pytest.fixture
async def app_ops() -> set[str]:
    # The sign-in's requests go with the person's token, bounded by the App's user permissions.
    return cassette_operations() | await adapter_operations() | set(signin.OPERATIONS)


async def test_every_operation_the_code_sends_is_in_the_permission_table(app_ops, world):
    setup_ops = await setup_operations(world)
    missing = sorted(
        op for op in app_ops | setup_ops if op not in {**permissions.REST, **permissions.GRAPHQL_OPS}
    )
    assert missing == []
    # The App's own traffic is never marked setup-only (that would hide it from the manifest).
    assert sorted(op for op in app_ops if permissions.need(op).setup_only) == []


async def test_manifest_permissions_are_exactly_what_the_app_uses(app_ops, world):
    manifest = load_manifest()
    assert manifest["default_permissions"] == permissions.app_permissions(app_ops, events=manifest["default_events"])
    # Setup's person-only operations (files, secrets, variables, repository access) would widen it:
    # they stay out, because an owner's token sends them, not the App.
    setup_ops = await setup_operations(world)
    widened = permissions.union(permissions.need(op) for op in setup_ops)
    assert {"contents", "secrets", "actions_variables"} <= set(widened) - set(manifest["default_permissions"])
    # deleteIssue is sent only when the policy asks to delete intake requests; it needs administration write.
    assert "deleteIssue" in app_ops
    assert permissions.need("deleteIssue").optional == "places.delete_intake_issues"


def test_manifest_events_are_the_ones_the_webhook_handles():
    manifest = load_manifest()
    assert sorted(manifest["default_events"]) == sorted(HANDLED_EVENTS)
    for event in manifest["default_events"]:
        # GitHub refuses an event subscription without the permission behind it.
        assert permissions.EVENT_PERMISSION[event] in manifest["default_permissions"]
    # The SC's review reaches the app only with "Deployments" (GitHub's deployment_review entry says so);
    # the review history the approval path reads (actions/get-reviews-for-run) is under "Actions".
    assert manifest["default_permissions"]["deployments"] == "read"
    assert permissions.need("actions/get-reviews-for-run").permission == "actions"


def test_manifest_is_a_private_app_whose_urls_are_the_services_routes():
    manifest = load_manifest()
    assert manifest["public"] is False
    assert set(manifest) >= {
        "name",
        "url",
        "hook_attributes",
        "redirect_url",
        "callback_urls",
        "public",
        "default_permissions",
        "default_events",
    }
    host = urlsplit(manifest["url"]).netloc
    urls = [manifest["hook_attributes"]["url"], manifest["redirect_url"], *manifest["callback_urls"]]
    assert all(urlsplit(u).scheme == "https" and urlsplit(u).netloc == host for u in urls)
    assert urlsplit(manifest["hook_attributes"]["url"]).path == "/webhooks/github"
    assert [urlsplit(u).path for u in manifest["callback_urls"]] == ["/oauth/callback"]
    levels = set(manifest["default_permissions"].values())
    assert levels <= {"read", "write"}


def test_the_table_rows_name_real_operations():
    documented = {
        op.get("operationId")
        for item in contract.openapi()["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    }
    assert sorted(set(permissions.REST) - documented) == []
    schema = contract.graphql_schema()
    mutations = set(schema.mutation_type.fields)
    for name in permissions.GRAPHQL_OPS:
        root, _, child = name.partition(".")
        if child:
            parent = graphql.get_named_type(schema.query_type.fields[root].type)
            # `node(id:)` returns the Node interface: the field is on one of the types that implement it.
            owners = schema.get_possible_types(parent) if graphql.is_abstract_type(parent) else [parent]
            assert any(child in owner.fields for owner in owners), name
        else:
            assert root in mutations


def test_unknown_operations_are_refused():
    with pytest.raises(permissions.UnknownOperation):
        permissions.need("repos/delete")
    assert permissions.satisfies(
        {"issues": "read", "members": "write"}, {"issues": "write", "members": "read"}
    ) == {"issues": "write"}
