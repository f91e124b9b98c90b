"""Peer: a Starlette endpoint that loops ``await send_text`` over its connections."""

from __future__ import annotations

import contextlib
from collections import defaultdict

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.peers.common import Numbering, arguments

ROOMS: defaultdict[str, set[WebSocket]] = defaultdict(set)
NUMBERING = Numbering()


async def viewer(ws: WebSocket) -> None:
    room = ws.path_params["room"]
    await ws.accept()
    ROOMS[room].add(ws)
    try:
        while True:
            await ws.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        ROOMS[room].discard(ws)


async def publisher(ws: WebSocket) -> None:
    room = ws.path_params["room"]
    await ws.accept()
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            frame = NUMBERING.frame(room, await ws.receive_text())
            for conn in list(ROOMS[room]):
                try:
                    await conn.send_text(frame)
                except (WebSocketDisconnect, RuntimeError):
                    ROOMS[room].discard(conn)


app = Starlette(
    routes=[WebSocketRoute("/ws/{room}", viewer), WebSocketRoute("/pub/{room}", publisher)]
)


def main() -> None:
    args = arguments(__doc__ or "")
    print("ready", flush=True)
    # uvicorn's defaults, as a team would start it; only compression follows the flag.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        ws_per_message_deflate=not args.no_deflate,
    )


if __name__ == "__main__":
    main()
