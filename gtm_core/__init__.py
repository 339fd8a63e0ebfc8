"""gtm_core: tool specs, catalogs and the simulator core of the GTM toolkit.

Everything here works without the optional extras; the MCP face lives in ``mcp_server``
and the scope analysis in ``analysis``. Public names are imported on first use, so the
``gtm`` command starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    "Catalog": "catalog",
    "shipped_catalog_path": "catalog",
    "spec_from_mcp": "convert",
    "spec_from_openai": "convert",
    "spec_from_row": "convert",
    "spec_to_mcp": "convert",
    "spec_to_openai": "convert",
    "spec_to_row": "convert",
    "data_dir": "data",
    "data_file": "data",
    "Dropped": "dedup",
    "deduplicate": "dedup",
    "CatalogError": "errors",
    "CatalogLineError": "errors",
    "GTMError": "errors",
    "ImportFormatError": "errors",
    "SpecError": "errors",
    "UnknownToolError": "errors",
    "read_tools": "importers",
    "ErrorKind": "checks",
    "check_arguments": "checks",
    "Episode": "episodes",
    "EpisodeLimits": "episodes",
    "ResponseCache": "cache",
    "FaultInjector": "faults",
    "ToolCall": "results",
    "ToolResult": "results",
    "sample_arguments": "sampler",
    "Simulator": "simulator",
    "ToolSpec": "spec",
    "normalize_schema": "spec",
    "Problem": "validate",
    "validate_catalog": "validate",
    "validate_spec": "validate",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:  # for type checkers and IDEs
    from .catalog import Catalog, shipped_catalog_path
    from .convert import spec_from_mcp, spec_from_openai, spec_from_row, spec_to_mcp, spec_to_openai, spec_to_row
    from .data import data_dir, data_file
    from .dedup import Dropped, deduplicate
    from .errors import CatalogError, CatalogLineError, GTMError, ImportFormatError, SpecError, UnknownToolError
    from .cache import ResponseCache
    from .checks import ErrorKind, check_arguments
    from .episodes import Episode, EpisodeLimits
    from .faults import FaultInjector
    from .importers import read_tools
    from .results import ToolCall, ToolResult
    from .sampler import sample_arguments
    from .simulator import Simulator
    from .spec import ToolSpec, normalize_schema
    from .validate import Problem, validate_catalog, validate_spec
