"""A small MCP server for the importer tests: N generated tools, paged with opaque cursors.

    python paged_server.py stdio [N] [PAGE] [--loop]
    python paged_server.py http  [N] [PAGE] [--token T]   (prints its port, then serves 127.0.0.1)

Built on the SDK's low-level Server, as the toolkit's own server is. ``--loop`` makes every
page hand back the same cursor (a broken server); ``--token`` makes HTTP requests without
``X-Test-Token: T`` fail with 401.
"""

from __future__ import annotations

import base64
import sys

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server


def main(argv: list[str]) -> None:
    mode = argv[0]
    numbers = [a for a in argv[1:] if a.isdigit()]
    count = int(numbers[0]) if numbers else 2001
    page = int(numbers[1]) if len(numbers) > 1 else 100
    loop = "--loop" in argv
    token = argv[argv.index("--token") + 1] if "--token" in argv else None

    tools = [
        types.Tool(
            name=f"tool_{i:05d}",
            description=f"Generated tool number {i}.",
            input_schema={
                "type": "object",
                "properties": {"n": {"type": "integer", "minimum": 0}, "tag": {"type": "string"}},
                "required": ["n"],
            },
        )
        for i in range(count)
    ]

    def encode(start: int) -> str:
        return base64.urlsafe_b64encode(f"offset={start}".encode()).decode()

    def decode(cursor: str) -> int:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split("=", 1)[1])

    async def on_list_tools(ctx: object, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        cursor = params.cursor if params is not None else None
        start = 0 if cursor is None else decode(cursor)
        end = start + page
        following = encode(page if loop else end) if end < count or loop else None
        return types.ListToolsResult(tools=tools[start:end], next_cursor=following)

    server = Server("paged-test-server", version="1.0", on_list_tools=on_list_tools)

    if mode == "stdio":
        from mcp.server.stdio import stdio_server

        async def serve() -> None:
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        anyio.run(serve)
        return

    import socket

    import uvicorn

    app = server.streamable_http_app()
    if token is not None:
        inner = app

        async def app(scope, receive, send):  # type: ignore[no-redef]
            if scope["type"] == "http" and (b"x-test-token", token.encode()) not in scope["headers"]:
                await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"missing token"})
                return
            await inner(scope, receive, send)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on")).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
