"""What Redis spends per published frame, for the capacity arithmetic in docs/performance.md.

One redis-server of our own (AOF, fsync every second, as compose.yaml deploys it), pinned to the
generator's core; plenary's real Redis backend appends committed lines (one Lua script: number,
add to the room's stream, publish) while S other backend instances, standing for S server
processes, are subscribed to the room and receive every frame. Redis's CPU over the appends,
from /proc, divided by the number of appends is its cost per committed line at S processes;
measured at several S, the slope is what each more subscribed process adds per frame.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.procs import Proc, redis_process, workdir

Row = dict[str, Any]


async def _one(url: str, redis: Proc, subscribers: int, lines: int, text: str) -> Row:
    from server.backends import backend_from_url
    from server.domain.events import Draft
    from server.domain.keys import room_key

    key = room_key(f"cap{subscribers}", "plenary")
    writer = backend_from_url(url)
    await writer.start()
    readers = [backend_from_url(url) for _ in range(subscribers)]
    received = [0] * subscribers
    done = asyncio.Event()

    def deliver(i: int) -> Any:
        def on(seq: int | None, frame: bytes) -> None:
            received[i] += 1
            if all(n >= lines for n in received):
                done.set()

        return on

    try:
        for i, r in enumerate(readers):
            await r.start()
            await r.subscribe(key, deliver(i))
        await asyncio.sleep(0.5)
        cpu0, t0 = redis.cpu(), time.monotonic()
        # A few appends in flight together, as several captioners' lines would be.
        for start in range(0, lines, 8):
            batch = range(start, min(lines, start + 8))
            await asyncio.gather(
                *(writer.append(key, [Draft("line", "plenary", {"text": text})]) for _ in batch)
            )
        await asyncio.wait_for(done.wait(), 120)
        cpu, wall = redis.cpu() - cpu0, time.monotonic() - t0
        return {
            "subscribed_processes": subscribers,
            "lines": lines,
            "redis_cpu_s": round(cpu, 3),
            "redis_us_per_line": round(cpu * 1e6 / lines, 1),
            "lines_per_s": round(lines / wall),
            "every_process_received_all": all(n == lines for n in received),
        }
    finally:
        for r in readers:
            await r.close()
        await writer.close()


async def redis_cost(size: Any, redis: str | None) -> list[Row]:
    lines = 400 if size.quick else 6000
    text = "t=0 k=0 " + "lorem ipsum dolor sit amet " * 5  # a ~150-byte line
    rows = []
    with workdir("plenary-bench-capacity-") as dir_, redis_process(dir_) as (url, proc):
        for subscribers in (1, 4, 16) if size.quick else (1, 4, 16, 64):
            rows.append(await _one(url, proc, subscribers, lines, text[:150]))
    return rows


COLUMNS = [
    ("subscribed_processes", "subscribed processes"),
    ("lines", "lines appended"),
    ("redis_cpu_s", "Redis CPU s"),
    ("redis_us_per_line", "Redis CPU µs per line"),
    ("lines_per_s", "lines/s (one client)"),
    ("every_process_received_all", "every process received every line"),
]
