"""The import graph keeps the architecture's arrows (shared/architecture.md): read from the code with `ast`.

No two modules import each other, directly or round a circle; analysis/ stays pure (no Flask, no database, not the
application); forms/ does not reach up into the application; no blueprint imports another; models and services
import no views and no command.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"survey": "hailong.survey", "forms": "hailong.forms", "analysis": "hailong.analysis"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    parts[0] = PACKAGES[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for top in PACKAGES for path in sorted((ROOT / top).rglob("*.py"))}


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module `name` imports, anywhere in the file (functions and TYPE_CHECKING blocks too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            yield base
            # `from package import module` imports that module.
            yield from (f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in _modules())


@cache
def _graph() -> dict[str, set[str]]:
    """Arrows between the project's modules.

    A module's import of a package it lives in (a view taking its blueprint's `bp`, the CLI taking `create_app`)
    is left out: Python runs a package's __init__ before any of its modules anyway, so that arrow orders nothing.
    """
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {t for t in _imports(name, path) if t in modules and t != name}
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    return graph


def _external(name: str) -> set[str]:
    return {t for t in _imports(name, _modules()[name]) if not t.startswith("hailong.")}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _blueprints() -> set[str]:
    """Packages of the application that create a Blueprint (respond, office, ...)."""
    return {
        name for name, path in _modules().items()
        if path.name == "__init__.py" and "Blueprint(" in path.read_text(encoding="utf-8")
    }


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "hailong.analysis.formatting" in graph["hailong.analysis.charts"]
    assert "hailong.survey.services.responses" in graph["hailong.survey.respond.views"]
    assert {"hailong.survey.office", "hailong.survey.respond"} <= _blueprints()


def test_no_two_modules_import_each_other() -> None:
    assert _circles(_graph()) == []


def test_a_circle_would_be_found() -> None:
    graph = {**_graph(), "hailong.analysis.charts": {"hailong.analysis.report"}}
    assert ["hailong.analysis.charts", "hailong.analysis.report"] in _circles(graph)


def test_analysis_is_pure() -> None:
    """No Flask, no database and nothing of the application: SQL aggregates in, indices, charts and words out."""
    for name in _modules():
        if _under(name, "hailong.analysis"):
            bad = {t for t in _imports(name, _modules()[name]) if _under(t, "hailong.survey")}
            bad |= {t for t in _external(name) if t.split(".")[0] in ("flask", "flask_babel", "sqlalchemy", "werkzeug")}
            assert not bad, (name, bad)


def test_forms_do_not_reach_into_the_application() -> None:
    for name, targets in _graph().items():
        if _under(name, "hailong.forms"):
            assert not {t for t in targets if _under(t, "hailong.survey")}, name


def test_no_blueprint_imports_another() -> None:
    blueprints = _blueprints()
    for name, targets in _graph().items():
        for mine in (b for b in blueprints if _under(name, b)):
            others = {t for t in targets if any(_under(t, b) for b in blueprints - {mine})}
            assert not others, (name, others)


def test_models_and_services_import_no_views_and_no_commands() -> None:
    above = _blueprints() | {"hailong.survey.cli", "hailong.survey.commands"}
    for name, targets in _graph().items():
        if name == "hailong.survey.models" or _under(name, "hailong.survey.services"):
            bad = {t for t in targets if any(_under(t, a) for a in above)}
            assert not bad, (name, bad)
