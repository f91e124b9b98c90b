"""A room's fast lane (server/fanout/lane.py): viewers that keep up get frames written from C,
viewers that pause leave it at once and come back once they read again, and every viewer gets
every frame once, in order, whichever way it went."""

from __future__ import annotations

import json
import os
import socket
from array import array
from typing import TYPE_CHECKING

import httpx
import pytest
from websockets.frames import Frame, Opcode

from server.domain.keys import room_key
from server.fanout import lane
from server.fanout.hub import Channel
from server.fanout.lane import write_each_c, write_each_python
from server.fanout.outbox import Outbox
from tests.conftest import LiveServer
from tests.support import Client, RawWebSocket, eventually

if TYPE_CHECKING:
    from server.fanout.lane import WriteEach


BUILD_ADVICE = (
    "the compiled lane loop (server/fanout/_lane.c) is not built: install the package with a C "
    "compiler and Python's headers at hand (pip install -e .)"
)


def compiled_loop() -> WriteEach:
    if write_each_c is None:
        if os.environ.get("CI") == "true":
            pytest.fail(BUILD_ADVICE)
        pytest.skip(BUILD_ADVICE)
    return write_each_c


@pytest.fixture(params=["python", "compiled"])
def write_each(request: pytest.FixtureRequest) -> WriteEach:
    return write_each_python if request.param == "python" else compiled_loop()


def test_the_lane_writes_through_the_compiled_loop_where_it_is_built() -> None:
    assert lane.write_each is compiled_loop()


def test_the_compiled_loop_takes_only_a_packed_array_of_c_ints() -> None:
    loop = compiled_loop()
    with pytest.raises(TypeError, match="bytes-like"):
        loop((1, 2), b"frame")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="array"):
        loop(array("q", [1]), b"frame")
    with pytest.raises(TypeError):
        loop(array("i"), "text")  # type: ignore[arg-type]
    assert loop(array("i"), b"frame") == []


def test_a_socket_that_fails_or_fills_costs_only_that_viewer_and_says_what_it_took(
    write_each: WriteEach,
) -> None:
    pairs = [socket.socketpair() for _ in range(4)]
    try:
        for ours, _ in pairs:
            ours.setblocking(False)
        full, _ = pairs[2]
        full.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        while True:  # fill it: the next write takes nothing
            try:
                full.send(b"x" * 4096)
            except BlockingIOError:
                break
        closed = socket.socket()
        closed_fd = closed.fileno()
        closed.close()  # a descriptor that is no longer open: EBADF
        fds = array("i", (pairs[0][0].fileno(), closed_fd, full.fileno(), pairs[1][0].fileno()))
        assert write_each(fds, b"frame") == [(1, 0), (2, 0)]
        for ours, theirs in (pairs[0], pairs[1]):
            assert theirs.recv(100) == b"frame"
        big = b"y" * (1 << 20)  # more than a socket buffer takes at once
        [(index, taken)] = write_each(array("i", [pairs[3][0].fileno()]), big)
        assert index == 0 and 0 < taken < len(big)
    finally:
        for ours, theirs in pairs:
            ours.close()
            theirs.close()


def room_channel(live: LiveServer) -> Channel:
    channel: Channel = live.plenary.hub.channels[room_key(live.meeting.id, "plenary")]
    return channel


def outboxes(channel: Channel) -> list[Outbox]:
    return list(channel.outboxes)


async def post_lines(live: LiveServer, first_seq: int, count: int, chars: int) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for seq in range(first_seq, first_seq + count):
            r = await http.post(
                f"{live.base}/api/caption/{live.meeting.id}/plenary",
                params={"key": live.captioner_key(), "seq": seq},
                content=f"{seq:04d} " + "x" * chars,
            )
            assert r.status_code == 200, r.text


async def test_viewers_that_keep_up_are_in_the_lane_and_get_every_line_once(
    live: LiveServer,
) -> None:
    viewers = [await Client.connect(live.base_ws, live.meeting.id, "plenary") for _ in range(3)]
    channel = room_channel(live)
    await eventually(lambda: channel.lane.fast_count() == 3, what="three viewers in the lane")
    assert not channel.lane.slow
    base = channel.last_seq
    await post_lines(live, 1, 40, 100)
    for viewer in viewers:
        events = await viewer.events_until(base + 40, timeout=20)
        assert [e["seq"] for e in events if e["seq"] > base] == list(range(base + 1, base + 41))
    # A viewer that leaves is out of the lane; the lines after it still reach the others.
    await viewers[0].close()
    await eventually(lambda: channel.lane.fast_count() == 2, what="the closed viewer gone")
    await post_lines(live, 41, 5, 100)
    for viewer in viewers[1:]:
        events = await viewer.events_until(base + 45, timeout=20)
        assert [e["seq"] for e in events if e["seq"] > base + 40] == list(
            range(base + 41, base + 46)
        )
    for viewer in viewers[1:]:
        await viewer.close()


async def read_seqs(raw: RawWebSocket, upto: int, timeout: float = 30) -> list[int]:
    """The seq of every event the raw viewer receives, until ``upto``."""
    seqs: list[int] = []
    while not seqs or seqs[-1] < upto:
        event = await raw.next_event(timeout)
        assert isinstance(event, Frame), event
        assert event.opcode is Opcode.TEXT, event
        for part in event.data.split(b"\n"):
            frame = json.loads(part)
            if "seq" in frame:
                seqs.append(frame["seq"])
    return seqs


async def test_a_viewer_that_stops_reading_leaves_the_lane_and_comes_back_with_nothing_lost(
    live: LiveServer,
) -> None:
    reader = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    channel = room_channel(live)
    await eventually(lambda: channel.lane.fast_count() == 1, what="the reading viewer in the lane")
    [reading_outbox] = outboxes(channel)
    base = channel.last_seq
    pausing = await RawWebSocket.connect(
        f"{live.base_ws}/ws/{live.meeting.id}/plenary", rcvbuf=4096
    )
    pausing.send_text(json.dumps({"type": "hello", "after": base}).encode())
    welcome = await pausing.next_event()
    assert isinstance(welcome, Frame) and b'"welcome"' in welcome.data
    await eventually(lambda: channel.lane.fast_count() == 2, what="both viewers in the lane")
    [pausing_outbox] = [o for o in outboxes(channel) if o is not reading_outbox]
    # ~450 KB while it does not read: past its socket's buffers and the transport's high-water
    # mark (so it leaves the lane), well below its outbox's bound (so it is not dropped).
    await post_lines(live, 1, 150, 3000)
    await eventually(
        lambda: not channel.lane.is_fast(pausing_outbox), what="the paused viewer out of the lane"
    )
    assert channel.lane.is_fast(reading_outbox)
    end = channel.last_seq  # a long line may be recorded as more than one event
    assert end >= base + 150
    events = await reader.events_until(end, timeout=30)
    assert [e["seq"] for e in events if e["seq"] > base] == list(range(base + 1, end + 1))
    # It reads again: everything arrives, once and in order, and it is back in the lane.
    assert await read_seqs(pausing, end) == list(range(base + 1, end + 1))
    await eventually(
        lambda: channel.lane.is_fast(pausing_outbox), what="the viewer back in the lane"
    )
    await post_lines(live, 151, 3, 100)
    assert await read_seqs(pausing, channel.last_seq) == list(range(end + 1, channel.last_seq + 1))
    assert not pausing_outbox.overflowed
    pausing.abort()
    await reader.close()
