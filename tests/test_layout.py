"""The layout's rules, read from the source: no import circle in app/, a pure core, the stand-in in its own room."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# pydantic needs typing_extensions' TypedDict before Python 3.12, so it counts as part of pydantic here.
CORE_MAY_IMPORT = {"pydantic", "typing_extensions"}


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules(APP)


def _imported_names(name: str, source: str, is_package: bool, modules=MODULES) -> set[str]:
    """Every module `name` imports, anywhere in it (type-only imports included: a circle is a circle)."""
    package = name if is_package else name.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                names.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module)
    return names


def _app_imports(name: str, names: set[str], modules=MODULES) -> set[str]:
    out = set()
    for imported in names:
        while imported and imported not in modules:
            imported = imported.rpartition(".")[0]
        if imported and imported != name:
            out.add(imported)
    return out


def _graph(modules: dict[str, tuple[Path, bool]]) -> dict[str, set[str]]:
    return {name: _app_imports(name, _imported_names(name, path.read_text(encoding="utf-8"), pkg, modules), modules)
            for name, (path, pkg) in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), plus modules importing themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_in_app():
    assert _circles(_graph(MODULES)) == []


def test_the_circle_finder_sees_a_circle(tmp_path):
    # The rule above must be able to fail: two modules importing each other are one circle.
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "a.py").write_text("from app import b\n")
    type_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.a import x\n"
    (tmp_path / "app" / "b.py").write_text(type_only)
    assert _circles(_graph(_modules(tmp_path / "app"))) == [["app.a", "app.b"]]


def _third_party(name: str) -> set[str]:
    path, pkg = MODULES[name]
    tops = {imported.split(".")[0] for imported in _imported_names(name, path.read_text(encoding="utf-8"), pkg)}
    return {top for top in tops if top and top != "app" and top not in sys.stdlib_module_names}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("app.core")))
def test_core_imports_only_the_standard_library_pydantic_and_itself(name):
    graph = _graph(MODULES)
    assert {m for m in graph[name] if not m.startswith("app.core")} == set()
    assert _third_party(name) <= CORE_MAY_IMPORT


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("app.standin")))
def test_the_standin_imports_nothing_of_the_app(name):
    graph = _graph(MODULES)
    assert {m for m in graph[name] if not m.startswith("app.standin")} == set()


def test_the_adapter_folder_holds_no_standin():
    graph = _graph(MODULES)
    assert not [p for p in (APP / "github").rglob("*") if "sandbox" in p.name or "standin" in p.name]
    assert {n for n in MODULES if n.startswith("app.github") and any(m.startswith("app.standin")
                                                                    for m in graph[n])} == set()


def test_every_module_says_what_it_does():
    missing = [name for name, (path, _) in MODULES.items()
               if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert missing == []
