"""The work per viewer between "frame bytes ready" and the kernel's write.

In process, with no sockets: the hub's real ``flush`` over a room of viewers that keep up, each
joined to the room's fast lane through its real outbox and ``DirectWriter``, over a stand-in
connection whose socket is ``/dev/null`` (a write the kernel does at almost no cost). What it
measures is what plenary adds per viewer on top of a write system call: the lane's C-level loop
over the sockets and the cheapest write there is. The fan-out workloads' µs per delivery minus
this is the kernel's work to send on a real socket, and the cost per line shared by the viewers.
"""

from __future__ import annotations

import os
import time
from typing import Any

from server.fanout.hub import Channel, Hub
from server.fanout.outbox import Outbox
from server.fanout.wire import DirectWriter

Row = dict[str, Any]


class _NullTransport:
    write = staticmethod(len)  # a C call that costs almost nothing


class _OpenConnection:
    """The attributes DirectWriter reads, as an open connection that keeps up has them."""

    def __init__(self, fd: int) -> None:
        self.transport = _NullTransport()
        self.raw_fd = fd
        self.direct_ok = True
        self.deflate = False
        self.paused = False
        self.close_sent = False
        self.disconnected = False
        self.on_change = None


def per_viewer_us(viewers: int, rounds: int = 30, frames: int = 20) -> float:
    """The best of ``rounds`` timings of ``frames`` flushes to ``viewers`` outboxes, per viewer."""
    channel = Channel("bench")
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        for _ in range(viewers):
            outbox = Outbox()
            writer: Any = DirectWriter(_OpenConnection(null))  # type: ignore[arg-type]
            channel.outboxes.add(outbox)  # as Hub.join does
            channel.lane.join(outbox)
            outbox.start(_never, writer, lambda: None)
        if channel.lane.fast_count() != viewers:
            raise RuntimeError("the stand-in viewers are not in the fast lane")
        frame = b'{"seq":1,"type":"line","room":"plenary","data":{"text":"' + b"x" * 150 + b'"}}'
        best = float("inf")
        for _ in range(rounds):
            t0 = time.perf_counter()
            for _ in range(frames):
                channel.pending.append(frame)
                Hub.flush(channel)
            best = min(best, (time.perf_counter() - t0) / frames / viewers)
        return round(best * 1e6, 3)
    finally:
        os.close(null)


async def _never(text: str) -> None:
    raise AssertionError("a viewer that keeps up never takes the slow path")


async def hotpath(size: Any, redis: str | None) -> list[Row]:
    counts = (200,) if size.quick else (2000, 5000)
    return [{"viewers": n, "python_us_per_viewer": per_viewer_us(n)} for n in counts]


COLUMNS = [
    ("viewers", "viewers"),
    ("python_us_per_viewer", "µs per viewer, writes to /dev/null included (best of 30)"),
]
