"""Public names of a package imported on first use: the module ``__getattr__`` and ``__dir__``.

A package lists its public names against the submodule that defines each one and hands the
table to ``lazy_exports``::

    _EXPORTS = {"Catalog": "catalog", "ToolSpec": "spec"}
    __all__ = sorted(_EXPORTS)
    __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

``package.Catalog`` then imports ``package.catalog`` the first time it is asked for and keeps
the value in the package, so later lookups are plain attribute reads. Importing the package
imports none of its submodules. This module imports only the standard library's
``importlib``, so it keeps ``import gtm_core`` as light as the table alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    namespace: dict[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the package whose ``globals()`` is ``namespace``.

    ``exports`` maps each public name to the submodule (relative to the package) that defines
    it. A name outside the table raises the usual ``AttributeError``.
    """
    package = namespace["__name__"]
    table = dict(exports)

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
