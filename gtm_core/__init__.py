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
    "UnknownEpisodeError": "errors",
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

if TYPE_CHECKING:  # for type checkers and IDEs (`X as X`: an explicit re-export)
    from .cache import ResponseCache as ResponseCache
    from .catalog import Catalog as Catalog
    from .catalog import shipped_catalog_path as shipped_catalog_path
    from .checks import ErrorKind as ErrorKind
    from .checks import check_arguments as check_arguments
    from .convert import spec_from_mcp as spec_from_mcp
    from .convert import spec_from_openai as spec_from_openai
    from .convert import spec_from_row as spec_from_row
    from .convert import spec_to_mcp as spec_to_mcp
    from .convert import spec_to_openai as spec_to_openai
    from .convert import spec_to_row as spec_to_row
    from .data import data_dir as data_dir
    from .data import data_file as data_file
    from .dedup import Dropped as Dropped
    from .dedup import deduplicate as deduplicate
    from .episodes import Episode as Episode
    from .episodes import EpisodeLimits as EpisodeLimits
    from .errors import CatalogError as CatalogError
    from .errors import CatalogLineError as CatalogLineError
    from .errors import GTMError as GTMError
    from .errors import ImportFormatError as ImportFormatError
    from .errors import SpecError as SpecError
    from .errors import UnknownEpisodeError as UnknownEpisodeError
    from .errors import UnknownToolError as UnknownToolError
    from .faults import FaultInjector as FaultInjector
    from .importers import read_tools as read_tools
    from .results import ToolCall as ToolCall
    from .results import ToolResult as ToolResult
    from .sampler import sample_arguments as sample_arguments
    from .simulator import Simulator as Simulator
    from .spec import ToolSpec as ToolSpec
    from .spec import normalize_schema as normalize_schema
    from .validate import Problem as Problem
    from .validate import validate_catalog as validate_catalog
    from .validate import validate_spec as validate_spec
