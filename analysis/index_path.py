"""Where the scope index is: given, configured, built, or shipped.

:func:`find_index` returns the first of

1. the path given (``gtm scope check --index PATH``);
2. ``$GTM_SCOPE_INDEX``;
3. :func:`built_index_path`, ``$GTM_CACHE_DIR/scope/scope-index.npz`` (default
   ``~/.cache/gtm-toolkit/scope/``), where ``gtm scope build-index`` writes by default;
4. :func:`shipped_index_path`, the index the package ships (``analysis/_index/``), built from
   the public data named in it (``gtm data fetch`` lists the sources);

and never builds one: with none of them it raises :class:`ScopeIndexError` with the command
that makes one.
"""

from __future__ import annotations

import os
from pathlib import Path

from gtm_core.embeddings import CACHE_DIR_ENV

from .queries import ScopeIndexError

__all__ = ["INDEX_ENV", "SHIPPED_NAME", "built_index_path", "find_index", "shipped_index_path"]

INDEX_ENV = "GTM_SCOPE_INDEX"
SHIPPED_NAME = "scope-index.npz"


def built_index_path() -> Path:
    """``$GTM_CACHE_DIR/scope/scope-index.npz``, else ``~/.cache/gtm-toolkit/scope/scope-index.npz``."""
    root = os.environ.get(CACHE_DIR_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "gtm-toolkit"
    return base / "scope" / SHIPPED_NAME


def shipped_index_path() -> Path:
    """The index file inside the package (it may be absent from a source checkout's copy)."""
    return Path(__file__).resolve().parent / "_index" / SHIPPED_NAME


def find_index(given: str | Path | None = None) -> Path:
    """The index file to read (see the module docstring); an error naming the fix when none is."""
    if given is not None:
        path = Path(given).expanduser()
        if not path.is_file():
            raise ScopeIndexError(f"{path}: no such index file; make it with `gtm scope build-index -o {path}`")
        return path
    configured = os.environ.get(INDEX_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ScopeIndexError(f"{INDEX_ENV}={configured}: no such index file; make it with `gtm scope build-index -o {path}` or unset {INDEX_ENV}")
        return path
    for path in (built_index_path(), shipped_index_path()):
        if path.is_file():
            return path
    raise ScopeIndexError(
        f"no scope index: none at {built_index_path()} and none shipped at {shipped_index_path()}; "
        "make one with `gtm scope build-index` (it reads the public data of GTM_DATA_DIR; `gtm data fetch` names it)"
    )
