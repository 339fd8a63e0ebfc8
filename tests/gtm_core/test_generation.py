"""The value types of one generation sit below the engines: they import the spec only, engines import them."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import gtm_core.engines.base as engine_base
import gtm_core.generation as generation

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("gtm_core", "mcp_server", "analysis", "benchmarks")


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module as written, imported names) for every import statement of a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.append(("." * node.level + (node.module or ""), [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def test_the_value_module_imports_only_the_spec_and_the_standard_library():
    """gtm_core.generation is a low floor: nothing of the engines, prompts or episodes comes in."""
    for module, _names in _imports(Path(generation.__file__)):
        if module.startswith("."):
            assert module == ".spec", f"gtm_core/generation.py imports {module}"
        else:
            assert module.split(".")[0] in sys.stdlib_module_names, f"gtm_core/generation.py imports {module}"


def test_no_project_module_takes_the_value_types_from_the_engine_module():
    """Every importer of GenerationRequest, HistoryItem, Answer or ChatRequest reads them from gtm_core.generation."""
    offenders = []
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == Path(engine_base.__file__):
                continue
            for module, names in _imports(path):
                if module.endswith("engines.base") or module in (".base", "gtm_core.engines", "..engines", ".engines"):
                    taken = sorted(set(names) & set(generation.__all__))
                    if taken:
                        offenders.append(f"{path.relative_to(ROOT)}: {module} -> {', '.join(taken)}")
    assert offenders == []


def test_the_engine_module_still_offers_the_value_types_to_users():
    """gtm_core.engines.base re-exports the very same classes, so user code that imports them there keeps working."""
    for name in generation.__all__:
        assert getattr(engine_base, name) is getattr(generation, name)
        assert name in engine_base.__all__
