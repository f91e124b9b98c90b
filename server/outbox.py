"""One connection's bounded queue of frames, and the task that writes them to the socket.

The hub hands the same frame (its text and its encoded websocket bytes) to every outbox of a room
without awaiting anything, so a slow viewer costs the others nothing. A viewer that is keeping up
gets the bytes written to its socket at once, when the server offers a direct writer (see
server/wire.py); otherwise frames are queued and the connection's sender task writes them. A viewer
that is behind gets everything queued in one websocket message (frames joined by newlines). A
viewer that falls too far behind is told to resume and disconnected: it will catch up from the
log, and its memory is freed now.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from server.limits import MAX_BATCH_BYTES, VIEWER_QUEUE_MAX_BYTES, VIEWER_QUEUE_MAX_FRAMES

# Close codes a client acts on. 4000-4999 are reserved for applications by RFC 6455.
CLOSE_RESUME = 4009  # you fell behind: reconnect and resume from the last seq you saw
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_HELLO_TIMEOUT = 4408
CLOSE_RATE_LIMITED = 4429
CLOSE_UNAVAILABLE = 4503

Send = Callable[[str], Awaitable[None]]


class Writer(Protocol):
    """Writes encoded frames to a connection's socket without awaiting (server/wire.py)."""

    def ready(self) -> bool: ...
    def write(self, frame: bytes) -> None: ...
    def drop(self, code: int, reason: str) -> None: ...


class Outbox:
    __slots__ = (
        "_bytes",
        "_frames",
        "_sending",
        "_task",
        "_wake",
        "closed_reason",
        "overflowed",
        "writer",
    )

    def __init__(self) -> None:
        self._frames: deque[str] = deque()
        self._bytes = 0
        self._wake = asyncio.Event()
        self._sending = False  # the sender task holds a batch it has not finished writing
        self._task: asyncio.Task[object] | None = None
        self.writer: Writer | None = None  # set once the backlog is sent, if the server has one
        self.overflowed = False
        self.closed_reason: str | None = None

    def push(self, frame: str, wire: bytes | None = None) -> None:
        """Queue a frame, or write its encoded bytes at once when the connection is keeping up
        (nothing queued, nothing being written, socket buffer below its high-water mark). Never
        blocks; past the outbox's bounds the connection is dropped with a resume code."""
        if self.overflowed:
            return
        writer = self.writer
        if writer is not None and wire is not None and not self._frames and not self._sending:
            if writer.ready():
                writer.write(wire)
                return
        self._frames.append(frame)
        self._bytes += len(frame)
        if len(self._frames) > VIEWER_QUEUE_MAX_FRAMES or self._bytes > VIEWER_QUEUE_MAX_BYTES:
            self._overflow()
        self._wake.set()

    def _overflow(self) -> None:
        self.overflowed = True
        self._frames.clear()
        self._bytes = 0
        if self.writer is not None:
            # The sender is waiting for a socket that does not drain: close it underneath.
            self.writer.drop(CLOSE_RESUME, "too far behind: reconnect and resume")
        elif self._sending and self._task is not None:
            self._task.cancel()

    def close(self, reason: str) -> None:
        self.closed_reason = reason
        self._wake.set()

    def pending(self) -> int:
        return len(self._frames)

    def _take_batch(self) -> str:
        frames = self._frames
        if len(frames) == 1:
            self._bytes = 0
            return frames.popleft()
        parts: list[str] = []
        size = 0
        while frames and (not parts or size + len(frames[0]) < MAX_BATCH_BYTES):
            frame = frames.popleft()
            parts.append(frame)
            size += len(frame) + 1
        self._bytes = max(0, self._bytes - size)
        return "\n".join(parts)

    async def run(self, send: Send, writer: Writer | None = None) -> None:
        """Write queued frames until the outbox overflows or is closed. From here on, frames for
        a connection that keeps up go through ``writer`` directly, if there is one."""
        self._task = asyncio.current_task()
        self.writer = writer
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._frames and not self.overflowed:
                self._sending = True
                try:
                    await send(self._take_batch())
                except asyncio.CancelledError:
                    if self.overflowed:
                        return  # cancelled by _overflow: the session closes with a resume code
                    raise
                finally:
                    self._sending = False
            if self.overflowed or self.closed_reason is not None:
                return
