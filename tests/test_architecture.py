"""The layers, checked from the source: the import graph of ``src/zhuanlan`` (every
import, including those deferred into functions and those under ``TYPE_CHECKING``) has no
cycle, and each layer imports only what lies below it (docs/architecture.md):

    cli, web, worker          the front ends
    core                      the facade: wires the parts
    app                       one part per concern of the users
    jobs                      the work the worker claims from the store
    store, fetch, channels    the shell: database, network in, network out
    stages                    extract, text, dedup, selection, publish, sources, …
    model, config, errors     the ground
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "zhuanlan"

STAGES = ("zhuanlan.extract", "zhuanlan.text", "zhuanlan.dedup", "zhuanlan.selection",
          "zhuanlan.publish", "zhuanlan.sources", "zhuanlan.editorial", "zhuanlan.people",
          "zhuanlan.study.rollup", "zhuanlan.study.svg", "zhuanlan.study.export",
          "zhuanlan.study.ledger", "zhuanlan.study.periods")
SHELL = ("zhuanlan.store", "zhuanlan.fetch", "zhuanlan.channels")
ABOVE_STAGES = ("zhuanlan.store", "zhuanlan.fetch", "zhuanlan.channels", "zhuanlan.web",
                "zhuanlan.app", "zhuanlan.jobs", "zhuanlan.core", "zhuanlan.cli",
                "zhuanlan.worker", "zhuanlan.study.records")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PKG.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module of ours or outside that ``name`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[:len(parent) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES)
    return out


def _ours(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}
GRAPH = {name: {t for i in imports if (t := _ours(i)) and t != name}
         for name, imports in IMPORTS.items()}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_import_graph_has_no_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:        # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def _violations(source: tuple[str, ...], forbidden: tuple[str, ...],
                allowed: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for name, targets in GRAPH.items():
        if not _within(name, source):
            continue
        for t in targets:
            if _within(t, forbidden) and not _within(t, allowed):
                bad.append(f"{name} → {t}")
    return sorted(bad)


def test_stages_import_neither_the_shell_nor_anything_above_it():
    assert not _violations(STAGES, ABOVE_STAGES)


def test_jobs_and_the_shell_never_reach_up_to_the_facade_or_the_front_ends():
    assert not _violations(("zhuanlan.jobs", "zhuanlan.store", "zhuanlan.fetch",
                            "zhuanlan.channels", "zhuanlan.study"),
                           ("zhuanlan.app", "zhuanlan.core", "zhuanlan.web", "zhuanlan.cli",
                            "zhuanlan.worker"))
    assert not _violations(("zhuanlan.app",), ("zhuanlan.core", "zhuanlan.web", "zhuanlan.cli",
                                               "zhuanlan.worker"))


def test_the_web_app_talks_to_the_facade_only():
    """No store, no jobs, no database library in the web front end."""
    assert not _violations(("zhuanlan.web",), ("zhuanlan.store", "zhuanlan.jobs"))
    direct = sorted(name for name, imports in IMPORTS.items()
                    if _within(name, ("zhuanlan.web",))
                    and any(i == "sqlalchemy" or i.startswith("sqlalchemy.") for i in imports))
    assert not direct, f"the web imports sqlalchemy: {direct}"


def test_only_the_store_speaks_sql():
    speaking = defaultdict(list)
    for name, imports in IMPORTS.items():
        if _within(name, ("zhuanlan.store",)):
            continue
        for i in imports:
            if i == "sqlalchemy" or i.startswith("sqlalchemy."):
                speaking[name].append(i)
    assert not speaking, f"sqlalchemy outside the store: {sorted(speaking)}"


@pytest.mark.parametrize("revision", sorted((PKG / "store" / "migrations" / "versions").glob("*.py")),
                         ids=lambda p: p.stem)
def test_migrations_import_no_application_code(revision):
    """A migration must do tomorrow what it did today: it may not import code that the
    application may change (the schema module, helpers); SQLAlchemy and Alembic only."""
    imports = _imports("migration", revision)
    ours = sorted(i for i in imports if i == "zhuanlan" or i.startswith("zhuanlan."))
    assert not ours, f"{revision.name} imports {ours}"
