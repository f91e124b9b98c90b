"""A connection's outbox on its own: frames queued while the backlog is sent, the sender that
exists only while frames wait, batching for a slow connection, and the overflow that ends the
session. (The direct writer under uvicorn is covered end to end by test_slow_viewers.py.)"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from server.fanout.outbox import CLOSE_RESUME, Outbox
from server.limits import VIEWER_QUEUE_MAX_FRAMES
from tests.support import eventually


class SlowConnection:
    """A connection whose sends take a while, recording what was sent as one message each.
    ``gate`` (when given) holds every send until it is set."""

    def __init__(self, gate: asyncio.Event | None = None, forever: bool = False) -> None:
        self.gate = gate
        self.forever = forever
        self.messages: list[str] = []
        self.sending = asyncio.Event()

    async def send(self, text: str) -> None:
        self.sending.set()
        if self.forever:
            await asyncio.Event().wait()  # never drains
        if self.gate is not None:
            await self.gate.wait()
        self.messages.append(text)


def frames_of(messages: list[str]) -> list[str]:
    return [frame for message in messages for frame in message.split("\n")]


async def test_frames_queued_during_the_backlog_leave_after_it_in_order() -> None:
    outbox, conn = Outbox(), SlowConnection()
    for i in range(3):
        outbox.push(f"f{i}".encode())  # the session is still sending the backlog
    await asyncio.sleep(0)  # a turn of the loop: a sender, had one started, would run now
    assert conn.messages == [] and not outbox.sending  # nothing goes out before start
    outbox.start(conn.send, None, lambda: None)
    outbox.push(b"f3")
    await eventually(lambda: len(frames_of(conn.messages)) == 4, what="the four frames")
    assert frames_of(conn.messages) == ["f0", "f1", "f2", "f3"]
    assert outbox.pending() == 0


async def test_the_sender_exists_only_while_frames_wait() -> None:
    outbox, conn = Outbox(), SlowConnection()
    outbox.start(conn.send, None, lambda: None)
    outbox.push(b"one")
    assert outbox.sending
    await eventually(lambda: not outbox.sending, what="the sender to end")
    assert conn.messages == ["one"]
    outbox.push(b"two")
    assert outbox.sending
    await eventually(lambda: not outbox.sending, what="the second sender to end")
    assert conn.messages == ["one", "two"]


async def test_a_slow_connection_gets_what_waited_as_one_message() -> None:
    gate = asyncio.Event()
    outbox, conn = Outbox(), SlowConnection(gate)
    outbox.start(conn.send, None, lambda: None)
    outbox.push(b"f0")
    await conn.sending.wait()  # f0 is being sent
    for i in range(1, 10):
        outbox.push(f"f{i}".encode())
    gate.set()
    await eventually(lambda: not outbox.sending, what="the queue to drain")
    # The first frame left at once; the nine that arrived while it was being sent left together.
    assert conn.messages == ["f0", "\n".join(f"f{i}" for i in range(1, 10))]


async def test_overflow_ends_the_session_once_and_frees_the_queue() -> None:
    outbox, conn = Outbox(), SlowConnection(forever=True)
    interrupts: list[str] = []
    outbox.start(conn.send, None, lambda: interrupts.append("ended"))
    outbox.push(b"first")
    await conn.sending.wait()
    for i in range(VIEWER_QUEUE_MAX_FRAMES + 5):
        outbox.push(f"f{i}".encode())
    outbox.close("gap")  # a later reason does not end the session a second time
    assert outbox.overflowed and outbox.pending() == 0
    assert interrupts == ["ended"]
    await eventually(lambda: not outbox.sending, what="the blocked sender to be cancelled")
    await outbox.stop()


async def test_a_failing_send_ends_the_session(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "plenary.outbox")
    outbox = Outbox()
    interrupts: list[str] = []

    async def broken(text: str) -> None:
        raise ConnectionResetError("peer went away")

    outbox.start(broken, None, lambda: interrupts.append("ended"))
    outbox.push(b"lost")
    await eventually(lambda: interrupts, what="the session to be ended")
    assert interrupts == ["ended"] and outbox.closed_reason == "send failed"
    assert "ConnectionResetError: peer went away" in caplog.text  # said, not swallowed


async def test_a_stopped_outbox_starts_no_sender() -> None:
    outbox, conn = Outbox(), SlowConnection()
    outbox.start(conn.send, None, lambda: None)
    await outbox.stop()
    outbox.push(b"after the session ended")  # the hub may push until the session leaves
    assert not outbox.sending
    # The same push before stop() does start one, so this would have shown it.
    live = Outbox()
    live.start(conn.send, None, lambda: None)
    live.push(b"before")
    assert live.sending
    await eventually(lambda: conn.messages == ["before"], what="the live outbox's frame")


class RecordingWriter:
    """A direct writer whose socket is never ready: it records what it is asked to do."""

    def __init__(self) -> None:
        self.drops: list[int] = []

    def ready(self) -> bool:
        return False

    def write(self, frame: bytes) -> None:
        raise AssertionError("not ready: nothing is written directly")

    def drop(self, code: int, reason: str) -> None:
        self.drops.append(code)

    raw_fd = None  # never in the fast lane
    deflate = False

    def write_bytes(self, data: bytes) -> None:
        raise AssertionError("not ready: nothing is written directly")

    def watch(self, on_change: Callable[[], None] | None) -> None:
        pass


async def test_falling_behind_while_the_backlog_is_sent_ends_the_connection_once_started() -> None:
    for writer in (None, RecordingWriter()):
        outbox, conn = Outbox(), SlowConnection()
        interrupts: list[str] = []
        for i in range(VIEWER_QUEUE_MAX_FRAMES + 5):
            outbox.push(f"f{i}".encode())  # live frames while the session still sends the backlog
        assert outbox.overflowed and interrupts == []
        outbox.start(conn.send, writer, lambda: interrupts.append("ended"))
        if writer is None:
            assert interrupts == ["ended"]  # the session closes with the resume code
        else:
            assert writer.drops == [CLOSE_RESUME] and interrupts == []  # the writer closes it
        assert conn.messages == []
