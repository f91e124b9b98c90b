"""plenary with another uvicorn websocket implementation or with per-message compression on.

Only for comparing designs in the benchmark; ``plenary serve`` is what is shipped. Everything
else (the app, its limits, ping settings) is the same as ``plenary serve``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from server.config import Settings
from server.limits import MAX_FRAME_BYTES, WS_PING_INTERVAL_S, WS_PING_TIMEOUT_S
from server.web.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--backend", help="backend URL (default: SQLite in the data directory)")
    parser.add_argument(
        "--ws", default="websockets-sansio", help="websockets-sansio | websockets | wsproto"
    )
    parser.add_argument("--deflate", action="store_true", help="accept per-message compression")
    args = parser.parse_args()
    settings = Settings(host="127.0.0.1", port=args.port, data_dir=args.data_dir)
    if args.backend:
        settings.backend_url = args.backend
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=args.port,
        ws=args.ws,
        ws_max_size=MAX_FRAME_BYTES,
        ws_ping_interval=WS_PING_INTERVAL_S,
        ws_ping_timeout=WS_PING_TIMEOUT_S,
        ws_per_message_deflate=args.deflate,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
