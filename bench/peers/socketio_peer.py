"""Peer: python-socketio's ``AsyncServer`` under uvicorn, with ``AsyncRedisManager`` if asked."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import socketio
import uvicorn

from bench.peers.common import Numbering, arguments

NUMBERING = Numbering()


def build(redis_url: str | None) -> socketio.ASGIApp:
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager, cors_allowed_origins="*")

    async def connect(sid: str, environ: dict[str, object], auth: object = None) -> None:
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        room = query.get("room", ["r"])[0]
        await sio.save_session(sid, {"room": room})
        if "pub" not in query:
            await sio.enter_room(sid, room)

    async def relay(sid: str, data: dict[str, str]) -> None:
        room = (await sio.get_session(sid))["room"]
        await sio.emit("m", NUMBERING.frame(room, json.dumps(data)), room=room)

    sio.on("connect", connect)
    sio.on("commit", relay)
    sio.on("live", relay)
    return socketio.ASGIApp(sio)


def main() -> None:
    args = arguments(__doc__ or "")
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
