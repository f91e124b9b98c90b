"""Peer: a plain ``websockets`` server using ``broadcast()`` — the upper bound for Python."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.peers.common import Numbering, arguments

ROOMS: defaultdict[str, set[ServerConnection]] = defaultdict(set)
NUMBERING = Numbering()


async def handler(ws: ServerConnection) -> None:
    kind, _, room = (ws.request.path if ws.request else "/").strip("/").partition("/")
    if kind == "pub":
        async for raw in ws:
            broadcast(ROOMS[room], NUMBERING.frame(room, raw))
        return
    ROOMS[room].add(ws)
    try:
        await ws.wait_closed()
    finally:
        ROOMS[room].discard(ws)


async def main() -> None:
    args = arguments(__doc__ or "")
    compression = None if args.no_deflate else "deflate"
    async with serve(handler, "127.0.0.1", args.port, compression=compression, max_size=2**16):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
