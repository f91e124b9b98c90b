"""Events: everything that happens in a room, and their one wire/record encoding.

An event is encoded exactly once, when it is appended. The same bytes are the record (a SQLite row
or a Redis Stream entry), the message published to other processes and the frame sent to every
viewer. The sequence number is the only part not known before the append, so a draft carries the
encoded tail and the backend prefixes ``{"seq":N,`` when it assigns N.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from server.domain.text import readable_text, real_json

JSON = dict[str, Any]

# Frames are ASCII (ensure_ascii), so what readable_text changes is always escaped in one: a
# surrogate (\ud800 … \udfff), a C0 control (\u0000 … \u001f, \b, \f) or U+FFFE/U+FFFF. A
# frame without any of these escapes (nearly every frame) is not walked.
_UNREADABLE = re.compile(rb"\\(?:u(?:[dD][89a-fA-F]|00[01]|[fF]{3}[eEfF])|[bf])")


def now_ms() -> int:
    return int(time.time() * 1000)


def dumps(value: Any) -> bytes:
    # ensure_ascii keeps every frame free of raw newlines and control characters, which lets a
    # batch of frames be joined with b"\n" and split again by any client.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode()


@dataclass(frozen=True, slots=True)
class Draft:
    """An event before it has a sequence number."""

    type: str
    room: str  # the room's id within its meeting, as clients know it
    data: JSON
    ts: int = field(default_factory=now_ms)

    def body(self) -> bytes:
        """The encoded event without its leading ``{"seq":N,``."""
        return dumps({"type": self.type, "room": self.room, "ts": self.ts, "data": self.data})[1:]


def seal(seq: int, body: bytes) -> bytes:
    return b'{"seq":%d,' % seq + body


@dataclass(frozen=True, slots=True)
class Event:
    """A recorded event: a draft with its place in the room's log."""

    seq: int
    type: str
    room: str
    ts: int
    data: JSON
    frame: bytes

    @classmethod
    def from_frame(cls, frame: bytes) -> Event:
        """The event a recorded frame holds. Every reader of the record comes through here, so
        this is where a record written before text was checked at the edge (a lone surrogate
        sent as ``\\ud800``, a control character) is made renderable: its strings are made
        readable (domain/text.py ``readable_text``); the frame itself is left as recorded."""
        obj = json.loads(frame)
        data = obj["data"]
        if _UNREADABLE.search(frame):
            data = real_json(data, readable_text)
        return cls(obj["seq"], obj["type"], obj["room"], obj["ts"], data, frame)

    @classmethod
    def create(cls, seq: int, draft: Draft) -> Event:
        return cls(seq, draft.type, draft.room, draft.ts, draft.data, seal(seq, draft.body()))

    def to_dict(self) -> JSON:
        return {
            "seq": self.seq,
            "type": self.type,
            "room": self.room,
            "ts": self.ts,
            "data": self.data,
        }


def ephemeral_frame(kind: str, room: str, data: JSON) -> bytes:
    """A frame that is published but never recorded (the live line being typed)."""
    return dumps({"type": kind, "room": room, "ts": now_ms(), "data": data})


# Published (never recorded) when a room's record is found to have gone back and a new epoch
# starts (server/backends/base.py ``epoch``): every process restarts its view of the room.
EPOCH_FRAME_PREFIX = b'{"type":"epoch"'


def epoch_frame(room: str, epoch: str, seq: int) -> bytes:
    """The room is now at ``seq`` in the new ``epoch``."""
    return ephemeral_frame("epoch", room, {"epoch": epoch, "seq": seq})


def control_frame(kind: str, **fields: Any) -> bytes:
    """A frame for one connection only: welcome, ack, error, heartbeat."""
    return dumps({"type": kind, **fields})
