"""How plenary runs under uvicorn: one configuration for `plenary serve`, the demo and the tests."""

from __future__ import annotations

import importlib.util
from typing import Any

import uvicorn

from server.fanout.wire import PlenaryWebSocketProtocol
from server.limits import MAX_FRAME_BYTES, WS_PING_INTERVAL_S, WS_PING_TIMEOUT_S


def uvicorn_config(
    app: Any,
    host: str,
    port: int,
    *,
    log_level: str = "info",
    access_log: bool = False,
    pure_python: bool = False,
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # uvloop and httptools (installed with plenary where they build) make each delivery
        # and each handshake cheaper (docs/performance.md); "auto" falls back to asyncio's own
        # loop and h11 when they are not importable, and pure_python asks for those outright.
        loop="asyncio" if pure_python else "auto",
        http="h11" if pure_python else "auto",
        # uvicorn's websockets-sansio protocol with direct writes for the fan-out
        # (server/fanout/wire.py; chosen by measurement, see docs/performance.md).
        ws=PlenaryWebSocketProtocol,
        ws_max_size=MAX_FRAME_BYTES,
        ws_ping_interval=WS_PING_INTERVAL_S,
        ws_ping_timeout=WS_PING_TIMEOUT_S,
        # Browsers offer per-message compression. It is accepted without context takeover, so a
        # message is compressed once per room, not once per viewer (server/fanout/wire.py).
        ws_per_message_deflate=True,
        log_level=log_level,
        access_log=access_log,
        proxy_headers=True,
        lifespan="on",
    )


def runtime(pure_python: bool = False) -> tuple[str, str]:
    """The event loop and HTTP parser uvicorn runs ``uvicorn_config`` with: uvloop and httptools
    when they are installed and not refused, asyncio's own loop and h11 otherwise."""
    if pure_python:
        return "asyncio", "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http
