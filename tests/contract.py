"""Check REST and GraphQL traffic against GitHub's published OpenAPI description and GraphQL schema."""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import graphql
import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema
from graphql.execution.values import get_variable_values

_OCTOKIT = Path(__file__).resolve().parent / "node" / "node_modules" / "@octokit"
# The file with `$ref`s loads ~6x faster than the dereferenced one (0.14 s vs 0.8 s on this machine) and
# keeps shared schemas shared, so refs are resolved lazily here instead.
OPENAPI_FILE = _OCTOKIT / "openapi" / "generated" / "api.github.com.json"
GRAPHQL_FILE = _OCTOKIT / "graphql-schema" / "schema.graphql"

GHES_PREFIX = "/api/v3"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Path parameters that legitimately carry unescaped slashes (file paths, git refs such as `heads/main`);
# only these may swallow the rest of the path when they end a template.
_SLASHED_PARAMS = frozenset({"path", "ref"})
_SCHEMA_URN = "urn:github-rest:schema:"
_COMPONENT_SCHEMA_REF = "#/components/schemas/"

# Seconds spent loading each description in this process, for reports and benchmarks.
LOAD_SECONDS: dict[str, float] = {}


class ContractError(Exception):
    """A request cannot be matched to GitHub's description at all."""


@dataclass(frozen=True)
class Operation:
    """One documented REST operation, matched against a concrete path."""

    method: str
    template: str
    operation_id: str
    path_params: Mapping[str, str]
    definition: Mapping[str, Any] = field(repr=False)


# --------------------------------------------------------------------------- loading


@contextmanager
def _timed_load(name: str) -> Iterator[None]:
    """Time a load with the cyclic GC paused.

    Both descriptions become millions of small objects; in a busy process (a pytest session) the GC
    would rescan the growing heap again and again, which made loading 2-3x slower.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    started = time.perf_counter()
    try:
        yield
    finally:
        LOAD_SECONDS[name] = time.perf_counter() - started
        if was_enabled:
            gc.enable()


@lru_cache(maxsize=1)
def openapi() -> dict[str, Any]:
    """The REST description as plain JSON (loaded once per process)."""
    import json

    with _timed_load("openapi"), OPENAPI_FILE.open("rb") as fh:
        return json.load(fh)


def _resolve(node: Any) -> Any:
    """Follow local `$ref`s (`#/components/...`) until a concrete object is reached."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ContractError(f"non-local $ref in description: {ref}")
        node = openapi()
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
        if seen > 50:
            raise ContractError(f"$ref cycle at {ref}")
    return node


@dataclass(frozen=True)
class _Route:
    template: str
    segments: tuple[re.Pattern[str], ...]
    names: tuple[tuple[str, ...], ...]
    # Lower sorts first: a literal segment (0) beats a parameter (1), position by position.
    rank: tuple[int, ...]
    greedy_tail: bool


def _compile_segment(segment: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names = tuple(re.findall(r"\{([^}]+)\}", segment))
    pieces = re.split(r"\{[^}]+\}", segment)
    pattern = "([^/]+?)".join(re.escape(p) for p in pieces)
    return re.compile(f"^{pattern}$"), names


@lru_cache(maxsize=1)
def _routes() -> tuple[_Route, ...]:
    routes = []
    for template in openapi()["paths"]:
        parts = template.strip("/").split("/")
        last = parts[-1]
        compiled = [_compile_segment(p) for p in parts]
        if last.startswith("{") and last[1:-1] in _SLASHED_PARAMS:
            # A file path or git ref at the end swallows the rest of the URL, slashes included.
            compiled[-1] = (re.compile(r"^(.+)$"), (last[1:-1],))
        routes.append(
            _Route(
                template=template,
                segments=tuple(c[0] for c in compiled),
                names=tuple(c[1] for c in compiled),
                rank=tuple(1 if "{" in p else 0 for p in parts),
                greedy_tail=last.startswith("{") and last[1:-1] in _SLASHED_PARAMS,
            )
        )
    return tuple(sorted(routes, key=lambda r: r.rank))


def _normalise_path(path: str) -> str:
    parts = urlsplit(path)
    raw = parts.path or "/"
    if raw == GHES_PREFIX or raw.startswith(GHES_PREFIX + "/"):
        raw = raw[len(GHES_PREFIX) :] or "/"
    return raw if raw == "/" else raw.rstrip("/")


def _match(route: _Route, segments: list[str]) -> dict[str, str] | None:
    n = len(route.segments)
    if len(segments) != n:
        if not (route.greedy_tail and len(segments) > n):
            return None
        segments = segments[: n - 1] + ["/".join(segments[n - 1 :])]
    params: dict[str, str] = {}
    for pattern, names, raw in zip(route.segments, route.names, segments, strict=True):
        m = pattern.match(raw)
        if m is None:
            return None
        for name, value in zip(names, m.groups(), strict=True):
            params[name] = unquote(value)
    return params


def rest_operation(method: str, path: str) -> Operation:
    """The documented operation for `method` on a concrete `path` (URL, GHES prefix and query allowed)."""
    method = method.lower()
    concrete = _normalise_path(path)
    segments = concrete.strip("/").split("/")
    paths = openapi()["paths"]
    matched_templates = []
    # Like a router with method constraints: a template that lacks the method is skipped, so the next
    # best template can still answer (its parameters are then type-checked separately).
    for exact_only in (True, False):
        for route in _routes():
            if exact_only and len(route.segments) != len(segments):
                continue
            params = _match(route, segments)
            if params is None:
                continue
            matched_templates.append(route.template)
            item = paths[route.template]
            if method in item:
                definition = item[method]
                return Operation(
                    method=method,
                    template=route.template,
                    operation_id=definition.get("operationId", ""),
                    path_params=params,
                    definition=definition,
                )
    if matched_templates:
        allowed = sorted({m.upper() for t in matched_templates for m in paths[t] if m in _METHODS})
        raise ContractError(
            f"no {method.upper()} operation for {concrete} (template {matched_templates[0]} allows {allowed})"
        )
    raise ContractError(f"no documented path matches {concrete}")


def operation_id(method: str, path: str) -> str:
    """The OpenAPI operationId, e.g. `issues/create-comment`."""
    return rest_operation(method, path).operation_id


def x_github(method: str, path: str) -> dict[str, Any]:
    """GitHub's `x-github` vendor metadata for an operation (e.g. `enabledForGitHubApps`, `category`).

    The published description carries no per-permission data for GitHub Apps, so this is the nearest
    machine-readable hint: whether an App may call the operation at all, and its docs category.
    """
    return dict(rest_operation(method, path).definition.get("x-github", {}))


# --------------------------------------------------------------------------- OpenAPI 3.0 -> JSON Schema


def _convert_schema(node: Any) -> Any:
    """Translate an OpenAPI 3.0 Schema Object into JSON Schema draft 4 (its base dialect).

    `nullable: true` becomes a `null` type/enum member (or an `anyOf` with null when there is no `type`),
    and component `$ref`s point at lazily converted registry resources.
    """
    if isinstance(node, bool) or not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref.startswith(_COMPONENT_SCHEMA_REF):
            return {"$ref": _SCHEMA_URN + ref[len(_COMPONENT_SCHEMA_REF) :]}
        return _convert_schema(_resolve(node))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties"):
            out[key] = {name: _convert_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _convert_schema(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert_schema(sub) for sub in value]
        elif key in ("nullable", "discriminator", "example", "examples", "xml", "externalDocs"):
            continue
        else:
            out[key] = value
    if node.get("nullable") is True:
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"] if "null" not in kinds else kinds
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif any(k in out for k in ("allOf", "anyOf", "oneOf", "enum")):
            return {"anyOf": [{"type": "null"}, out]}
    return out


def _retrieve(uri: str) -> referencing.Resource:
    if not uri.startswith(_SCHEMA_URN):
        raise referencing.exceptions.NoSuchResource(ref=uri)
    return _component_resource(uri[len(_SCHEMA_URN) :])


@cache
def _component_resource(name: str) -> referencing.Resource:
    schemas = openapi()["components"]["schemas"]
    if name not in schemas:
        raise referencing.exceptions.NoSuchResource(ref=_SCHEMA_URN + name)
    return referencing.jsonschema.DRAFT4.create_resource(_convert_schema(schemas[name]))


_REGISTRY: referencing.Registry = referencing.Registry(retrieve=_retrieve)


def _validate(schema: Mapping[str, Any], instance: Any, where: str) -> list[str]:
    converted = _convert_schema(schema)
    validator = jsonschema.Draft4Validator(converted, registry=_REGISTRY)
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        location = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(f"{where} at {location}: {_brief(error)}")
    return problems


def _brief(error: jsonschema.ValidationError) -> str:
    # Messages quote the offending instance; keep them short so a long comment body is not echoed whole,
    # and keep their end, which says what was wrong.
    message = error.message
    if len(message) > 240:
        message = message[:80] + " ... " + message[-150:]
    if error.context:
        # For anyOf/oneOf, say why the closest alternative failed.
        message += f" (closest: {_brief(jsonschema.exceptions.best_match(error.context))})"
    return message


def _json_schema(content: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if not content:
        return None
    if "application/json" in content:
        return content["application/json"].get("schema")
    for media_type, entry in content.items():
        if media_type.endswith("json"):
            return entry.get("schema")
    return None


# --------------------------------------------------------------------------- REST checks


def _parameters(op: Operation) -> list[dict[str, Any]]:
    shared = openapi()["paths"][op.template].get("parameters", [])
    return [_resolve(p) for p in [*shared, *op.definition.get("parameters", [])]]


def _coerce_text(value: Any, schema: Mapping[str, Any]) -> Any:
    """Turn URL text into the JSON value the schema describes (URL values are always strings)."""
    schema = _resolve(schema)
    kind = schema.get("type")
    if not isinstance(value, str):
        return value
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    if kind == "array":
        return [_coerce_text(v, schema.get("items", {})) for v in value.split(",")]
    return value


def check_rest_request(
    method: str, path: str, query: Mapping[str, Any] | None = None, body: Any = None
) -> list[str]:
    """Problems with a REST request, judged against the published description (empty list = fine)."""
    try:
        op = rest_operation(method, path)
    except ContractError as exc:
        return [str(exc)]
    label = f"{op.method.upper()} {op.template} ({op.operation_id})"
    problems: list[str] = []
    params = _parameters(op)
    # A query string left in the URL is as much a part of the request as the `query` mapping.
    supplied = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    supplied.update(query or {})

    for param in (p for p in params if p["in"] == "path"):
        value = op.path_params.get(param["name"])
        if value is None:
            problems.append(f"{label}: path parameter {param['name']} missing")
            continue
        schema = param.get("schema", {})
        problems += _validate(schema, _coerce_text(value, schema), f"{label}: path parameter {param['name']}")

    documented = {p["name"]: p for p in params if p["in"] == "query"}
    for name, value in supplied.items():
        if name not in documented:
            problems.append(f"{label}: unknown query parameter {name!r} (documented: {sorted(documented)})")
            continue
        schema = documented[name].get("schema", {})
        problems += _validate(schema, _coerce_text(value, schema), f"{label}: query parameter {name}")
    for name, param in documented.items():
        if param.get("required") and name not in supplied:
            problems.append(f"{label}: required query parameter {name!r} missing")

    request_body = _resolve(op.definition.get("requestBody"))
    if request_body is None:
        if body is not None:
            problems.append(f"{label}: takes no request body, but one was sent")
    elif body is None:
        if request_body.get("required"):
            problems.append(f"{label}: request body is required")
    else:
        schema = _json_schema(request_body.get("content"))
        if schema is not None:
            problems += _validate(schema, body, f"{label}: request body")
            problems += _undocumented_fields(_resolve(schema), body, label)
    return problems


def _undocumented_fields(schema: Mapping[str, Any], body: Any, label: str) -> list[str]:
    """Top-level body fields the operation does not document.

    GitHub's request schemas rarely forbid extra properties, and GitHub silently ignores them, so a
    misspelt field (`stae` for `state`) would otherwise pass unnoticed.
    """
    if not isinstance(body, dict) or "properties" not in schema or "additionalProperties" in schema:
        return []
    if any(k in schema for k in ("allOf", "anyOf", "oneOf")):
        return []
    known = schema["properties"]
    return [
        f"{label}: request body field {name!r} is not documented (documented: {sorted(known)})"
        for name in body
        if name not in known
    ]


def _response(op: Operation, status: int) -> Mapping[str, Any] | None:
    responses = op.definition.get("responses", {})
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return _resolve(responses[key])
    return None


def check_rest_response(method: str, path: str, status: int, body: Any = None) -> list[str]:
    """Problems with a response: undocumented status, or a body that breaks that status's schema."""
    try:
        op = rest_operation(method, path)
    except ContractError as exc:
        return [str(exc)]
    label = f"{op.method.upper()} {op.template} ({op.operation_id}) -> {status}"
    response = _response(op, status)
    if response is None:
        documented = sorted(op.definition.get("responses", {}))
        return [f"{label}: status not documented (documented: {documented})"]
    content = response.get("content")
    if not content:
        if body not in (None, b"", ""):
            return [f"{label}: documents no body, but one was sent"]
        return []
    schema = _json_schema(content)
    if schema is None:
        return []
    return _validate(schema, body, f"{label}: body")


def documented_example(method: str, path: str, status: int, name: str = "default") -> Any:
    """GitHub's own example body for a response, with `$ref`s to `components/examples` followed."""
    op = rest_operation(method, path)
    response = _response(op, status)
    if response is None:
        raise ContractError(f"{method.upper()} {op.template}: status {status} not documented")
    content = response.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), {})
    example = _resolve(media.get("examples", {}).get(name))
    if example is None:
        raise ContractError(f"{method.upper()} {op.template} -> {status}: no example named {name!r}")
    value = example.get("value")
    # Some entries put the `$ref` inside `value`; it then names a whole Example Object, not the value.
    if isinstance(value, dict) and "$ref" in value:
        value = _resolve(value).get("value")
    return value


# --------------------------------------------------------------------------- GraphQL

# Problems in the published SDL that do not affect checking documents against it: duplicate field
# definitions (identical types, different descriptions) and deprecated implementations of interface
# fields that are not deprecated (a rule newer than GitHub's schema).
_BENIGN_SCHEMA_PROBLEMS = (
    re.compile(r"^Field '[\w.]+' can only be defined once\.$"),
    re.compile(r"^Interface field [\w.]+ is not deprecated, so implementation field [\w.]+ must not be"),
)


@lru_cache(maxsize=1)
def _parsed_sdl() -> graphql.DocumentNode:
    return graphql.parse(GRAPHQL_FILE.read_text(encoding="utf-8"), no_location=True)


@lru_cache(maxsize=1)
def graphql_schema() -> graphql.GraphQLSchema:
    """GitHub's GraphQL schema, built once per process.

    It is built as already-valid because graphql-core would otherwise refuse every document over the
    published schema's own (vetted, benign) problems; `graphql_schema_problems` keeps that vetting honest.
    """
    with _timed_load("graphql"):
        return graphql.build_ast_schema(_parsed_sdl(), assume_valid=True, assume_valid_sdl=True)


def graphql_schema_problems() -> list[str]:
    """Problems graphql-core finds in the published schema that are not on the vetted benign list."""
    from graphql.validation.validate import validate_sdl

    with _timed_load("graphql-vetting"):
        document = _parsed_sdl()
        strict = graphql.build_ast_schema(document, assume_valid_sdl=True)
        problems = [e.message for e in [*validate_sdl(document), *graphql.validate_schema(strict)]]
    return [p for p in problems if not any(rx.search(p) for rx in _BENIGN_SCHEMA_PROBLEMS)]


def check_graphql(
    query: str, variables: Mapping[str, Any] | None = None, operation_name: str | None = None
) -> list[str]:
    """Problems with a GraphQL document and its variables, judged against GitHub's schema."""
    schema = graphql_schema()
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError as exc:
        return [f"syntax: {exc.message}"]
    problems = [f"invalid: {e.message}" for e in graphql.validate(schema, document)]
    if problems:
        return problems

    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return [f"expected exactly one operation to run, found {len(operations)}"]
    operation = operations[0]

    supplied = dict(variables or {})
    defined = {v.variable.name.value for v in operation.variable_definitions or ()}
    problems += [
        f"variable ${name} is not defined by the operation" for name in supplied if name not in defined
    ]
    coerced = get_variable_values(schema, operation.variable_definitions or (), supplied)
    if isinstance(coerced, list):
        problems += [f"variables: {e.message}" for e in coerced]
    return problems
