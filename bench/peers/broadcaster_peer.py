"""Peer: Starlette + ``broadcaster`` over Redis, the common recipe (one subscriber per viewer)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio
import uvicorn
from broadcaster import Broadcast
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.peers.common import Numbering, arguments

NUMBERING = Numbering()


def build(redis_url: str) -> Starlette:
    broadcast = Broadcast(redis_url)

    async def viewer(ws: WebSocket) -> None:
        room = ws.path_params["room"]
        await ws.accept()

        async def receiver() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await ws.receive_text()
            tg.cancel_scope.cancel()

        async def sender() -> None:
            async with broadcast.subscribe(channel=room) as subscriber:
                async for event in subscriber:
                    if event is not None:
                        await ws.send_text(event.message)

        async with anyio.create_task_group() as tg:
            tg.start_soon(receiver)
            tg.start_soon(sender)

    async def publisher(ws: WebSocket) -> None:
        room = ws.path_params["room"]
        await ws.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await broadcast.publish(
                    channel=room, message=NUMBERING.frame(room, await ws.receive_text())
                )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await broadcast.connect()
        try:
            yield
        finally:
            await broadcast.disconnect()

    return Starlette(
        routes=[WebSocketRoute("/ws/{room}", viewer), WebSocketRoute("/pub/{room}", publisher)],
        lifespan=lifespan,
    )


def main() -> None:
    args = arguments(__doc__ or "")
    if not args.redis:
        raise SystemExit("broadcaster_peer needs --redis redis://host:port")
    print("ready", flush=True)
    uvicorn.run(
        build(args.redis),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        ws_per_message_deflate=not args.no_deflate,
    )


if __name__ == "__main__":
    main()
