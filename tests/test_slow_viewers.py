"""A viewer that stops reading is dropped with the resume code and never slows the others."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import time
from base64 import b64encode

import httpx

from server.metrics import METRICS
from server.room import room_key
from tests.conftest import LiveServer
from tests.support import Client


def _masked_text_frame(payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked


async def stalled_viewer(live: LiveServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A viewer that says hello and then never reads again, with a tiny receive window."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    port = int(live.base.rsplit(":", 1)[1])
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    key = b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/{live.meeting.id}/plenary HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    writer.write(_masked_text_frame(json.dumps({"type": "hello", "after": 0}).encode()))
    await writer.drain()
    return reader, writer


async def test_a_stalled_viewer_is_dropped_and_the_others_get_everything(
    live: LiveServer,
) -> None:
    key = room_key(live.meeting.id, "plenary")
    dropped_before = METRICS.slow_clients_dropped._value.get()
    _reader, writer = await stalled_viewer(live)
    reading = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    for _ in range(100):
        if len(live.plenary.hub.channels[key].outboxes) == 2:
            break
        await asyncio.sleep(0.02)
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
    deadline = time.monotonic() + 15
    while len(live.plenary.hub.channels[key].outboxes) > 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert len(live.plenary.hub.channels[key].outboxes) == 1
    assert METRICS.slow_clients_dropped._value.get() > dropped_before
    writer.close()
    await reading.close()
