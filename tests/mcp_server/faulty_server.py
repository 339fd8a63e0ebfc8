"""A stdio MCP server that misbehaves on purpose, for the proxy's fault tests.

Written by hand on raw JSON-RPC lines (no SDK), so each fault is exactly what it says:

- ``echo``    answers ``{"echo": <arguments>}`` (text content, JSON);
- ``hang``    never answers;
- ``crash``   exits the process at once (status 3), without answering;
- ``garbage`` answers the right id with a result that is not a CallToolResult;
- ``noise``   writes a line that is not JSON on stdout, then answers like ``echo``;
- ``env``     answers its process's environment as a JSON object (its description names the variables).

It speaks the initialize handshake only and refuses other methods (``server/discover``
included) with -32601. ``python faulty_server.py PIDFILE`` writes its pid there first.
"""

from __future__ import annotations

import json
import os
import sys

TOOLS = [
    {"name": name, "description": f"{name} on purpose.", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}
    for name in ("echo", "hang", "crash", "garbage", "noise")
] + [{"name": "env", "description": "env on purpose: " + " ".join(sorted(os.environ)), "inputSchema": {"type": "object", "properties": {}}}]


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def answer(request: dict) -> dict | None:
    method, params = request.get("method"), request.get("params") or {}
    if method == "initialize":
        version = params.get("protocolVersion", "2025-06-18")
        return {"protocolVersion": version, "capabilities": {"tools": {}}, "serverInfo": {"name": "faulty", "version": "1"}}
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": TOOLS}
    if method != "tools/call":
        return None
    name, arguments = params.get("name"), params.get("arguments") or {}
    if name == "hang":
        return {"hang": True}
    if name == "crash":
        os._exit(3)
    if name == "garbage":
        return {"content": "this is not a list of content blocks", "isError": "maybe"}
    if name == "env":
        return {"content": [{"type": "text", "text": json.dumps(dict(os.environ))}]}
    if name == "noise":
        sys.stdout.write("debug: this line is not JSON-RPC\n")
    return {"content": [{"type": "text", "text": json.dumps({"echo": arguments})}]}


def main() -> None:
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as fh:
            fh.write(str(os.getpid()))
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "id" not in request:
            continue  # a notification
        result = answer(request)
        if result == {"hang": True}:
            continue
        if result is None:
            send({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": f"method not found: {request.get('method')}"}})
        else:
            send({"jsonrpc": "2.0", "id": request["id"], "result": result})


if __name__ == "__main__":
    main()
