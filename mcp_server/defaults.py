"""Default settings of the MCP server, in one light module (``gtm serve --help`` reads them)."""

from __future__ import annotations

__all__ = [
    "DEFAULT_FIRST_PAGE_SIZE",
    "DEFAULT_HOST",
    "DEFAULT_MAX_ARGUMENT_BYTES",
    "DEFAULT_MAX_REQUEST_BYTES",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_PATH",
    "DEFAULT_PORT",
]

DEFAULT_FIRST_PAGE_SIZE = 50
"""Tools on the first tools/list page: small, for clients that re-list often."""

DEFAULT_PAGE_SIZE = 500
"""Tools on later pages: 20,000 tools fit in the 64 pages some clients stop at."""

DEFAULT_MAX_ARGUMENT_BYTES = 256 * 1024
"""Largest tool arguments, measured as compact UTF-8 JSON."""

DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024
"""Largest HTTP request body."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_PATH = "/mcp"
