"""Answers for lines a stream transport cannot read: stdio replies to them as HTTP does.

The SDK's stdio transport hands a line it cannot parse or validate to the server as an
exception, and the server drops it without a word, so the client waits forever. Over HTTP
the same body gets an error at once. ``AnsweringReadStream`` wraps the transport's read
stream: each such item is answered on the write stream with the JSON-RPC error HTTP
would give, logged as one line, and skipped; the server reads only what it can serve.

- Not JSON, or nested past the parser's limit: -32700 (parse error), id null.
- JSON that is no JSON-RPC message (a batch, a bare value, a field missing or of the
  wrong type): -32600 (invalid request), with the request's id when it has a usable one.
- A request method sent without a usable id (null, a boolean, a fraction, an object, an
  array: the SDK reads it as a notification and would never answer): -32600, id null.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self

import anyio
from mcp.shared.message import SessionMessage
from mcp_types import ErrorData, JSONRPCError, JSONRPCNotification
from mcp_types.methods import SPEC_CLIENT_METHODS
from pydantic import ValidationError

__all__ = ["INVALID_REQUEST", "PARSE_ERROR", "AnsweringReadStream", "reply_for"]

logger = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
_MAX_DETAIL = 300
"""Characters of the parser's or validator's own words kept in a message."""


def reply_for(item: SessionMessage | Exception) -> JSONRPCError | None:
    """The error that answers ``item``, or None when the server can serve it."""
    if isinstance(item, Exception):
        return _reply_for_exception(item)
    message = item.message
    if isinstance(message, JSONRPCNotification) and message.method in SPEC_CLIENT_METHODS:
        return _error(
            None, INVALID_REQUEST,
            f"Invalid request: {message.method[:80]!r} is a request, so it needs an \"id\" that is a string or an integer "
            "(not null, a boolean, a fraction, an object or an array); without one it can never be answered",
        )  # fmt: skip
    return None


def _reply_for_exception(exc: Exception) -> JSONRPCError:
    if not isinstance(exc, ValidationError):
        return _error(None, PARSE_ERROR, f"Parse error: {type(exc).__name__}: {str(exc)[:_MAX_DETAIL]}")
    errors = exc.errors(include_url=False)
    if errors and errors[0]["type"] == "json_invalid":
        return _error(None, PARSE_ERROR, f"Parse error: {errors[0]['msg'][:_MAX_DETAIL]}; send one JSON-RPC message as JSON per line")
    whole = [e for e in errors if len(e["loc"]) <= 1]  # the message itself is of the wrong type
    if whole:
        value = whole[0].get("input")
        if isinstance(value, list):
            return _error(None, INVALID_REQUEST, "Invalid request: a batch (a JSON array) is not accepted; send one JSON-RPC message (a JSON object) per line")
        return _error(None, INVALID_REQUEST, f"Invalid request: a JSON-RPC message is a JSON object, got {_json_type(value)}")
    # An object with fields missing or wrong: a "missing" error carries the object itself.
    message = next((e["input"] for e in errors if e["type"] == "missing" and len(e["loc"]) == 2 and isinstance(e["input"], dict)), {})
    request_id = message.get("id")
    usable = isinstance(request_id, int | str) and not isinstance(request_id, bool)
    problems = "; ".join(dict.fromkeys(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors))
    return _error(request_id if usable else None, INVALID_REQUEST, f"Invalid request: not a JSON-RPC 2.0 request, notification or response ({problems[:_MAX_DETAIL]})")


def _json_type(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _error(request_id: Any, code: int, message: str) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))


class AnsweringReadStream:
    """A transport's read stream that answers (on ``write_stream``) and skips what the server cannot serve."""

    def __init__(self, read_stream: Any, write_stream: Any) -> None:
        self._read = read_stream
        self._write = write_stream

    @property
    def last_context(self) -> Any:
        """The sender context of the last item, for the SDK's context-aware loop."""
        return getattr(self._read, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item: SessionMessage | Exception = await self._read.receive()
            reply = reply_for(item)
            if reply is None:
                return item
            logger.warning("answered an unreadable message with %d: %s", reply.error.code, reply.error.message[:200])
            await self._write.send(SessionMessage(reply))

    async def aclose(self) -> None:
        await self._read.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None) -> None:
        await self.aclose()
