"""How plenary runs under uvicorn: one configuration for `plenary serve`, the demo and the tests."""

from __future__ import annotations

from typing import Any

import uvicorn

from server.fanout.wire import PlenaryWebSocketProtocol
from server.limits import MAX_FRAME_BYTES, WS_PING_INTERVAL_S, WS_PING_TIMEOUT_S


def uvicorn_config(
    app: Any, host: str, port: int, *, log_level: str = "info", access_log: bool = False
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
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
