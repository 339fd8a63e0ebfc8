"""mcp_server: the MCP face of the GTM toolkit (``gtm serve``).

Serves any catalog's tools over MCP — stdio or streamable HTTP, both protocol eras — and
answers ``tools/call`` through the gtm_core Simulator. Built on the official SDK's
low-level ``Server``. ``ProxyServer`` fronts real MCP servers instead, routing each call to
the real tool or the simulator by policy. Public names are imported on first use.

    from mcp import Client
    from mcp_server import GTMServer

    gtm = GTMServer()                      # the shipped catalog, schema engine
    async with Client(gtm.server) as client:
        await client.call_tool("get_current_weather", {"city": "Oslo"}, meta={"gtm/episode": "e1"})
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtm_core._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "GTMServer": "app",
    "NoToolsError": "app",
    "DEFAULT_MAX_ARGUMENT_BYTES": "defaults",
    "EPISODE_HEADER": "episodes",
    "EPISODE_META_KEY": "episodes",
    "HIDDEN_CONTEXT_META_KEY": "episodes",
    "build_http_app": "http",
    "serve_http": "http",
    "CatalogWatcher": "reload",
    "PolicyFile": "policy",
    "PolicyTable": "policy",
    "ProxyServer": "proxy",
    "open_proxy": "proxy",
    "Recorder": "recording",
    "Upstream": "upstream",
    "UpstreamError": "upstream",
    "UpstreamTarget": "upstream",
    "Selection": "tools",
    "ToolListing": "tools",
    "legal_name": "tools",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:
    from .app import GTMServer, NoToolsError
    from .defaults import DEFAULT_MAX_ARGUMENT_BYTES
    from .episodes import EPISODE_HEADER, EPISODE_META_KEY, HIDDEN_CONTEXT_META_KEY
    from .http import build_http_app, serve_http
    from .policy import PolicyFile, PolicyTable
    from .proxy import ProxyServer, open_proxy
    from .recording import Recorder
    from .reload import CatalogWatcher
    from .tools import Selection, ToolListing, legal_name
    from .upstream import Upstream, UpstreamError, UpstreamTarget
