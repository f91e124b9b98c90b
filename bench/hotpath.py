"""The Python work per viewer between "frame bytes ready" and ``transport.write``.

In process, with no sockets: the hub's real ``flush`` over a room of outboxes, each with the real
``DirectWriter`` over a stand-in connection whose ``transport.write`` is a C function that does
nothing (``len``). What it measures is what plenary's own code adds per viewer on top of the
write itself: set iteration, ``Outbox.push``, the writer's checks. The fan-out workloads' µs per
delivery minus this is the event loop's ``transport.write`` and the kernel.
"""

from __future__ import annotations

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

    def __init__(self) -> None:
        self.transport = _NullTransport()
        self.direct_ok = True
        self.paused = False
        self.close_sent = False
        self.disconnected = False


def per_viewer_us(viewers: int, rounds: int = 30, frames: int = 20) -> float:
    """The best of ``rounds`` timings of ``frames`` flushes to ``viewers`` outboxes, per viewer."""
    channel = Channel("bench")
    for _ in range(viewers):
        outbox = Outbox()
        writer: Any = DirectWriter(_OpenConnection())  # type: ignore[arg-type]
        outbox.start(_never, writer, lambda: None)
        channel.outboxes.add(outbox)
    frame = b'{"seq":1,"type":"line","room":"plenary","data":{"text":"' + b"x" * 150 + b'"}}'
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(frames):
            channel.pending.append(frame)
            Hub.flush(channel)
        best = min(best, (time.perf_counter() - t0) / frames / viewers)
    return round(best * 1e6, 3)


async def _never(text: str) -> None:
    raise AssertionError("a viewer that keeps up never takes the slow path")


async def hotpath(size: Any, redis: str | None) -> list[Row]:
    counts = (200,) if size.quick else (2000, 5000)
    return [{"viewers": n, "python_us_per_viewer": per_viewer_us(n)} for n in counts]


COLUMNS = [("viewers", "viewers"), ("python_us_per_viewer", "Python µs per viewer (best of 30)")]
