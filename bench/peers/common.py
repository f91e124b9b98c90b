"""What every peer does with a captioner's message: number it and encode the frame once."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict


class Numbering:
    """Per-room sequence numbers, so the generator can count gaps and duplicates."""

    def __init__(self) -> None:
        self.seq: defaultdict[str, int] = defaultdict(int)

    def frame(self, room: str, raw: str | bytes) -> str:
        msg = json.loads(raw)
        if msg.get("type") == "commit":
            self.seq[room] += 1
            out = {
                "seq": self.seq[room],
                "type": "line",
                "room": room,
                "data": {"text": msg["text"]},
            }
        else:
            out = {"type": "live", "room": room, "data": {"text": msg.get("text", "")}}
        return json.dumps(out, separators=(",", ":"))


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", help="redis://host:port for the peers that fan out over Redis")
    parser.add_argument(
        "--no-deflate",
        action="store_true",
        help="refuse per-message compression (by default these servers accept it, as shipped)",
    )
    return parser.parse_args()
