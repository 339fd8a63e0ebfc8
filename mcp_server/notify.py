"""Telling connected clients that the tool list changed, in both protocol eras.

- Handshake era (<= 2025-11-25): ``notifications/tools/list_changed`` on each connection's
  standalone channel (the stdio pipe; the GET stream of streamable HTTP). Connections are
  registered when their ``notifications/initialized`` arrives and forgotten when they close.
- 2026-07-28 era: there is no connection to push to; clients open a
  ``subscriptions/listen`` stream asking for ``toolsListChanged``, and the event is
  published on the SDK's subscription bus, which the SDK's ListenHandler fans out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged

__all__ = ["ListChangedNotifier"]

logger = logging.getLogger(__name__)

# Without a way to learn that a connection closed, at most this many are remembered.
MAX_TRACKED_CONNECTIONS = 4096


class ListChangedNotifier:
    """Delivers tools/list_changed to every connected client of a server."""

    def __init__(self) -> None:
        self.bus = InMemorySubscriptionBus()
        self.listen_handler = ListenHandler(self.bus)
        self._sessions: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def register(self, session: Any, *, on_close: Callable[[], object] | None = None) -> None:
        """Remember a handshake-era connection (by a ServerSession of it) until it closes.

        ``on_close`` runs when the connection closes.
        """
        key = id(session)
        self._sessions[key] = session
        # The SDK unwinds a connection's exit stack when it closes; the Connection is not on
        # the handler context, only behind the session (hence the guarded private read).
        connection = getattr(session, "_connection", None)
        exit_stack = getattr(connection, "exit_stack", None)
        if exit_stack is not None:
            exit_stack.callback(self._sessions.pop, key, None)
            if on_close is not None:
                exit_stack.callback(on_close)
        while len(self._sessions) > MAX_TRACKED_CONNECTIONS:
            self._sessions.pop(next(iter(self._sessions)))

    async def tools_changed(self) -> None:
        """Notify every handshake-era connection and every 2026-era listen stream."""
        for session in list(self._sessions.values()):
            try:
                await session.send_tool_list_changed()
            except Exception:  # one broken connection must not stop the others
                logger.debug("could not send tools/list_changed to a connection", exc_info=True)
        await self.bus.publish(ToolsListChanged())
        logger.info("sent tools/list_changed to %d connections and the listen streams", len(self._sessions))

    def close(self) -> None:
        """End the open listen streams gracefully."""
        self.listen_handler.close()
