"""One connection's bounded queue of frames, and the task that writes them to the socket.

The hub pushes the same frame object to every outbox of a room without awaiting anything, so a
slow viewer costs the others nothing. A viewer that is behind gets everything queued in one
websocket message (frames joined by newlines). A viewer that falls too far behind is told to
resume and disconnected: it will catch up from the log, and its memory is freed now.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

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


class Outbox:
    __slots__ = ("_bytes", "_frames", "_wake", "closed_reason", "overflowed")

    def __init__(self) -> None:
        self._frames: deque[str] = deque()
        self._bytes = 0
        self._wake = asyncio.Event()
        self.overflowed = False
        self.closed_reason: str | None = None

    def push(self, frame: str) -> None:
        """Queue a frame. Never blocks; marks the outbox overflowed when it is over its bounds."""
        if self.overflowed:
            return
        self._frames.append(frame)
        self._bytes += len(frame)
        if len(self._frames) > VIEWER_QUEUE_MAX_FRAMES or self._bytes > VIEWER_QUEUE_MAX_BYTES:
            self.overflowed = True
            self._frames.clear()
            self._bytes = 0
        self._wake.set()

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

    async def run(self, send: Send) -> None:
        """Write queued frames until the outbox overflows or is closed. Returns the reason."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._frames and not self.overflowed:
                await send(self._take_batch())
            if self.overflowed or self.closed_reason is not None:
                return
