"""One connection's bounded queue of frames, and the task that writes them to the socket.

The hub hands the same frame (its text and its encoded websocket bytes) to every outbox of a room
without awaiting anything, so a slow viewer costs the others nothing. A viewer that is keeping up
gets the bytes written to its socket at once, when the server offers a direct writer (see
server/fanout/wire.py); otherwise frames are queued and the connection's sender task writes them. A
viewer that is behind gets everything queued in one websocket message (frames joined by newlines). A
viewer that falls too far behind is told to resume and disconnected: it will catch up from the log,
and its memory is freed now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from server.fanout.lane import Lane
from server.fanout.wire import WireFrame
from server.limits import MAX_BATCH_BYTES, VIEWER_QUEUE_MAX_BYTES, VIEWER_QUEUE_MAX_FRAMES

log = logging.getLogger("plenary.outbox")

# Close codes a client acts on. 4000-4999 are reserved for applications by RFC 6455.
CLOSE_RESUME = 4009  # you fell behind: reconnect and resume from the last seq you saw
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_HELLO_TIMEOUT = 4408
CLOSE_RATE_LIMITED = 4429
CLOSE_UNAVAILABLE = 4503

# Sends one websocket text message through ASGI (the slow path: a viewer that is behind).
Send = Callable[[str], Awaitable[None]]


class Writer(Protocol):
    """Writes a room's shared frames to a connection's socket without awaiting (the plain or the
    compressed variant, as the connection negotiated; server/fanout/wire.py)."""

    def ready(self) -> bool: ...
    def write(self, frame: WireFrame) -> None: ...
    def write_all(self, frames: Iterable[WireFrame]) -> None: ...
    def drop(self, code: int, reason: str) -> None: ...

    # For the room's fast lane (server/fanout/lane.py): the socket the lane writes to (None
    # where it may not, as under TLS), whether the connection takes the compressed frames, how
    # the rest of a frame the socket did not take reaches the transport, and a callback for
    # every change of ``ready()``.
    @property
    def raw_fd(self) -> int | None: ...
    @property
    def deflate(self) -> bool: ...
    def write_bytes(self, data: bytes) -> None: ...
    def watch(self, on_change: Callable[[], None] | None) -> None: ...


class Outbox:
    """Frames for one connection. Most of the time nothing is queued and there is no task: the
    hub's frames go straight to the socket. A sender task exists only while frames are queued
    (the viewer is behind, or the server offers no direct writer) and ends once they are sent;
    a viewer is held for hours, and an idle task and its wake-up event cost memory for each."""

    __slots__ = (
        "_bytes",
        "_fast",
        "_frames",
        "_interrupt",
        "_send",
        "_sending",
        "_started",
        "_task",
        "closed_reason",
        "lane",
        "overflowed",
        "writer",
    )

    def __init__(self) -> None:
        self._frames: deque[bytes] | None = None  # created when a first frame has to wait
        self._bytes = 0
        self._sending = False  # the sender holds a batch it has not finished writing
        self._started = False
        self._task: asyncio.Task[None] | None = None
        self._send: Send | None = None
        self._interrupt: Callable[[], object] | None = None
        self.writer: Writer | None = None  # set once the backlog is sent, if the server has one
        self.overflowed = False
        self.closed_reason: str | None = None
        # The room's lane while the connection is in the room (set by the hub), and whether this
        # outbox is in its fast part: frames written by the lane itself, without ``push``.
        self.lane: Lane | None = None
        self._fast = False

    def refresh(self) -> None:
        """Put the outbox in the lane's fast part when its frames can go straight to the socket
        (started, nothing queued or being sent, the writer ready), in its slow part otherwise.
        Called whenever one of those changes; the connection's protocol calls it when the
        socket pauses, resumes or closes."""
        lane, writer = self.lane, self.writer
        keeping_up = (
            lane is not None
            and writer is not None
            and writer.raw_fd is not None
            and self._started
            and self._task is None
            and not self._frames
            and not self._sending
            and not self.overflowed
            and self.closed_reason is None
            and writer.ready()
        )
        if keeping_up == self._fast:
            return
        self._fast = keeping_up
        if lane is None:
            return  # it has left the room (the lane forgot it then)
        if keeping_up:
            assert writer is not None and writer.raw_fd is not None
            lane.speed_up(self, writer.raw_fd, writer.deflate)
        else:
            lane.slow_down(self)

    def write_rest(self, data: bytes) -> None:
        """The lane wrote part of a frame, or none of it, to the socket (it was full): the rest
        goes to the transport, which buffers it and pauses, and so takes this viewer out of the
        lane; its next frames wait behind it."""
        if self.writer is not None:
            self.writer.write_bytes(data)
        self.refresh()

    def start(self, send: Send, writer: Writer | None, interrupt: Callable[[], object]) -> None:
        """The backlog is sent: from here on frames go out, straight through ``writer`` for a
        connection that keeps up (if the server offers one), otherwise by a sender task that
        ``send``s them. ``interrupt`` ends the connection's session: it is called when the
        outbox overflows or is closed, or when sending fails."""
        self._send = send
        self.writer = writer
        self._interrupt = interrupt
        self._started = True
        if self.overflowed:
            self._end_behind()  # it fell too far behind while its backlog was being sent
        elif self.closed_reason is not None:
            self._end_session()
        elif self._frames:
            self._start_sender()
        if writer is not None:
            writer.watch(self.refresh)
        self.refresh()

    def push(self, frame: bytes, wire: WireFrame | None = None) -> None:
        """Queue a frame (its UTF-8 text), or write ``wire``, the same frame as the room's shared
        websocket frames, at once when the connection is keeping up (nothing queued, nothing being
        written, socket buffer below its high-water mark). Never blocks; past the outbox's
        bounds the connection is dropped with a resume code."""
        if self.overflowed:
            return
        writer = self.writer
        if writer is not None and wire is not None and not self._frames and not self._sending:
            if writer.ready():
                writer.write(wire)
                if not self._fast:
                    self.refresh()  # keeping up again: the lane writes its next frames
                return
        if self._frames is None:
            self._frames = deque()
        self._frames.append(frame)
        self._bytes += len(frame)
        if len(self._frames) > VIEWER_QUEUE_MAX_FRAMES or self._bytes > VIEWER_QUEUE_MAX_BYTES:
            self._overflow()
        elif self._started and self._task is None:
            self._start_sender()
        if self._fast:
            self.refresh()  # frames wait from here on, not through the lane

    def _overflow(self) -> None:
        self.overflowed = True
        self.refresh()
        if self._frames is not None:
            self._frames.clear()
        self._bytes = 0
        if self._task is not None:
            self._task.cancel()
        if self._started:
            self._end_behind()

    def _end_behind(self) -> None:
        """End a connection that fell too far behind, with the code that tells it to resume."""
        if self.writer is not None:
            # The socket does not drain: close it underneath, behind what it already holds.
            # The session sees the disconnect; nothing needs interrupting.
            self.writer.drop(CLOSE_RESUME, "too far behind: reconnect and resume")
        else:
            self._end_session()

    def close(self, reason: str) -> None:
        """End the connection with a resume code (the hub lost events it cannot deliver)."""
        self.closed_reason = reason
        self.refresh()
        self._end_session()

    def _end_session(self) -> None:
        """Interrupt the session, once."""
        interrupt, self._interrupt = self._interrupt, None
        if interrupt is not None:
            interrupt()

    def pending(self) -> int:
        """Frames waiting to be sent."""
        return len(self._frames) if self._frames is not None else 0

    @property
    def sending(self) -> bool:
        """True while a sender task exists (frames are queued or being written)."""
        return self._task is not None

    def _take_batch(self, frames: deque[bytes]) -> bytes:
        if len(frames) == 1:
            self._bytes = 0
            return frames.popleft()
        parts: list[bytes] = []
        size = 0
        while frames and (not parts or size + len(frames[0]) < MAX_BATCH_BYTES):
            frame = frames.popleft()
            parts.append(frame)
            size += len(frame) + 1
        self._bytes = max(0, self._bytes - size)
        return b"\n".join(parts)

    def _start_sender(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._drain())
        self.refresh()

    async def _drain(self) -> None:
        """Send what is queued, batched, then end."""
        frames, send = self._frames, self._send
        assert frames is not None and send is not None
        try:
            while frames and not self.overflowed:
                self._sending = True
                # Decoded only here, on the slow path: ASGI sends text frames as str.
                await send(self._take_batch(frames).decode())
                self._sending = False
        except asyncio.CancelledError:
            if not self.overflowed:
                raise
        except Exception as exc:
            # The connection is gone or broken: the session ends and the client resumes.
            log.info(
                "sending to a connection failed (%s: %s); it will resume", type(exc).__name__, exc
            )
            self.closed_reason = "send failed"
            self._end_session()
        finally:
            self._sending = False
            self._task = None
            self.refresh()  # caught up: back in the lane, if its socket takes frames

    async def stop(self) -> None:
        """The session is ending: interrupt it no more, start no sender, stop the one running
        and wait for it. (The hub may still push until the session has left the room.)"""
        self._interrupt = None
        self._started = False
        if self.writer is not None:
            self.writer.watch(None)
        self.writer = None
        self.refresh()
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
