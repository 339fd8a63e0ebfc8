"""The layers stay layered: the core imports no face, the faces do not import each other, no module imports in a circle.

Read from the source (every import statement, at module level or inside a function, except
those under ``if TYPE_CHECKING:``), so a lazy import that would run later counts as much as
one at the top. Names in strings (the lazy command table) are not imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gtm_core", "mcp_server", "analysis")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "_shipped_catalog" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for body in node.body for n in ast.walk(body))
    return skipped


def _target(name: str) -> str | None:
    """The project module an import of ``name`` loads: the longest known prefix."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> Iterator[str]:
    """The project modules that ``module`` imports."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]  # a submodule, or a name in base
        else:
            continue
        for name in names:
            target = _target(name)
            if target is not None and target != module:
                yield target


GRAPH = {module: sorted(set(imports_of(module))) for module in MODULES}


def _arrows(source: str, target: str) -> list[str]:
    return [f"{m} -> {t}" for m, targets in GRAPH.items() if m.split(".")[0] == source for t in targets if t.split(".")[0] == target]


@pytest.mark.parametrize("face", ["mcp_server", "analysis"])
def test_the_core_imports_no_face(face):
    """gtm_core is the floor: it reaches the MCP server and the scope analysis only by name, through the lazy tables."""
    assert _arrows("gtm_core", face) == []


@pytest.mark.parametrize(("one", "other"), [("mcp_server", "analysis"), ("analysis", "mcp_server")])
def test_the_faces_do_not_import_each_other(one, other):
    assert _arrows(one, other) == []


def test_no_module_imports_itself_through_a_circle():
    """No import cycle between modules (a package's __init__ counts as a module of its own)."""
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in GRAPH[module]:
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_value_types_sit_below_the_engines():
    """Episodes, prompts and results read the value types of gtm_core.generation; nothing there imports an engine."""
    assert [t for t in GRAPH["gtm_core.generation"] if t.startswith("gtm_core.engines")] == []
    for module in ("gtm_core.prompt", "gtm_core.episodes", "gtm_core.results"):
        assert [t for t in GRAPH[module] if t.startswith("gtm_core.engines")] == [], module


def test_the_plain_and_proxy_serve_commands_share_one_loop_and_do_not_import_each_other():
    assert "mcp_server.cli" not in GRAPH["mcp_server.proxy_cli"]
    assert "mcp_server.run" in GRAPH["mcp_server.cli"]
    assert "mcp_server.run" in GRAPH["mcp_server.proxy_cli"]


def test_the_graph_reads_relative_and_lazy_imports():
    """The reader itself: the arrows it must see, so the tests above cannot pass on an empty graph."""
    assert "gtm_core.simulator" in GRAPH["gtm_core"] or "gtm_core._lazy" in GRAPH["gtm_core"]
    assert "gtm_core.error_bodies" in GRAPH["gtm_core.simulator"]  # `from . import error_bodies`
    assert "mcp_server.run" in GRAPH["mcp_server.cli"]  # imported inside the command function
    assert sum(len(t) for t in GRAPH.values()) > 300
