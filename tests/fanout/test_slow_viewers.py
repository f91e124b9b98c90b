"""A viewer that stops reading is dropped with the resume code and never slows the others."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from server.domain.keys import room_key
from server.metrics import METRICS
from tests.conftest import LiveServer
from tests.support import Client, RawWebSocket, eventually


async def stalled_viewer(live: LiveServer) -> RawWebSocket:
    """A viewer that says hello and then never reads again, with a tiny receive window."""
    raw = await RawWebSocket.connect(f"{live.base_ws}/ws/{live.meeting.id}/plenary", rcvbuf=4096)
    raw.send_text(json.dumps({"type": "hello", "after": 0}).encode())
    return raw


def dropped() -> float:
    return METRICS.registry.get_sample_value("plenary_slow_clients_dropped_total") or 0.0


async def test_a_stalled_viewer_is_dropped_and_the_others_get_everything(
    live: LiveServer,
) -> None:
    key = room_key(live.meeting.id, "plenary")
    dropped_before = dropped()
    stalled = await stalled_viewer(live)
    reading = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    channel = live.plenary.hub.channels[key]
    await eventually(lambda: len(channel.outboxes) == 2, what="both viewers in the room")
    # 30 POSTs of 20 lines of 3,000 characters: 1.8 MB, past a viewer's outbox bound.
    line = "x" * 2990
    started = time.monotonic()
    received = asyncio.create_task(reading.events_until(600, timeout=30))
    async with httpx.AsyncClient(timeout=10) as http:
        for seq in range(1, 31):
            body = "\n".join(f"{seq:03d}.{i:02d} {line}" for i in range(20))
            r = await http.post(
                f"{live.base}/api/caption/{live.meeting.id}/plenary",
                params={"key": live.captioner_key(), "seq": seq},
                content=body,
            )
            assert r.status_code == 200
    events = await received
    assert [e["seq"] for e in events] == list(range(1, 601))
    assert time.monotonic() - started < 20
    # The stalled viewer is gone from the room, and counted as dropped.
    await eventually(lambda: len(channel.outboxes) == 1, 15, "the stalled viewer to be dropped")
    assert dropped() > dropped_before
    stalled.abort()
    await reading.close()
