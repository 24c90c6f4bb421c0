"""Reads the policy's YAML files and maps every problem back to its file and line."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from app.core.policy import POLICY_FILES, Policy, PolicyInvalid, Problem, validate_policy


def _positions(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map each key path to the 1-based line where it is written, walking the composed YAML nodes."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # The key's own line, so "unknown key" points at the key rather than its value.
            out[path + (key,)] = key_node.start_mark.line + 1
            _positions(value_node, path + (key,), out)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _positions(item, path + (index,), out)
    return out


def _duplicate_keys(name: str, node: yaml.Node, path: tuple = ()) -> list[Problem]:
    """YAML keeps the last of two equal keys without a word; a policy must not."""
    problems = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.value in seen:
                problems.append(Problem(name, path + (key_node.value,), "key written twice",
                                        key_node.start_mark.line + 1))
            seen.add(key_node.value)
            problems.extend(_duplicate_keys(name, value_node, path + (key_node.value,)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems.extend(_duplicate_keys(name, item, path + (index,)))
    return problems


def _line_for(positions: dict[tuple, int], loc: tuple) -> int | None:
    # Fall back to the nearest enclosing key that exists (an unknown key's own path does exist).
    for length in range(len(loc), -1, -1):
        if loc[:length] in positions:
            return positions[loc[:length]]
    return None


def load_policy(directory: str | Path) -> Policy:
    """Load and validate criteria, actions, process and roles from a directory of YAML files."""
    directory = Path(directory)
    documents: dict[str, Any] = {}
    positions: dict[str, dict[tuple, int]] = {}
    problems: list[Problem] = []
    if not directory.is_dir():
        raise PolicyInvalid([Problem(str(directory), (), "no such policy directory")])
    for name in POLICY_FILES:
        path = directory / f"{name}.yml"
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            documents[name] = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problems.append(Problem(name, (), f"not valid YAML: {getattr(error, 'problem', error)}",
                                    mark.line + 1 if mark else None))
            documents[name] = None
            continue
        if node is not None:
            positions[name] = _positions(node)
            problems.extend(_duplicate_keys(name, node))
    for extra in sorted(directory.glob("*.yml")):
        if extra.stem not in POLICY_FILES:
            problems.append(Problem(extra.stem, (), f"unknown policy file: expected {', '.join(POLICY_FILES)}"))
    try:
        policy = validate_policy(documents)
    except PolicyInvalid as invalid:
        problems.extend(invalid.problems)
    else:
        if not problems:
            return policy
    located = [
        problem if problem.line else replace(problem, line=_line_for(positions.get(problem.file, {}), problem.loc))
        for problem in problems
    ]
    raise PolicyInvalid(located)
