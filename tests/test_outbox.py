"""A connection's outbox on its own: frames queued while the backlog is sent, the sender that
exists only while frames wait, batching for a slow connection, and the overflow that ends the
session. (The direct writer under uvicorn is covered end to end by test_slow_viewers.py.)"""

from __future__ import annotations

import asyncio

from server.limits import VIEWER_QUEUE_MAX_FRAMES
from server.outbox import Outbox


class SlowConnection:
    """A connection whose sends take a while, recording what was sent as one message each."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: list[str] = []
        self.blocked = asyncio.Event()

    async def send(self, text: str) -> None:
        if self.delay < 0:
            self.blocked.set()
            await asyncio.Event().wait()  # never drains
        await asyncio.sleep(self.delay)
        self.messages.append(text)


def frames_of(messages: list[str]) -> list[str]:
    return [frame for message in messages for frame in message.split("\n")]


async def test_frames_queued_during_the_backlog_leave_after_it_in_order() -> None:
    outbox, conn = Outbox(), SlowConnection()
    for i in range(3):
        outbox.push(f"f{i}")  # the session is still sending the backlog
    await asyncio.sleep(0.01)
    assert conn.messages == []  # nothing goes out before start
    outbox.start(conn.send, None, lambda: None)
    outbox.push("f3")
    for _ in range(100):
        if len(frames_of(conn.messages)) == 4:
            break
        await asyncio.sleep(0.01)
    assert frames_of(conn.messages) == ["f0", "f1", "f2", "f3"]
    assert outbox.pending() == 0


async def test_the_sender_exists_only_while_frames_wait() -> None:
    outbox, conn = Outbox(), SlowConnection()
    outbox.start(conn.send, None, lambda: None)
    outbox.push("one")
    assert outbox._task is not None
    await asyncio.sleep(0.02)
    assert outbox._task is None and conn.messages == ["one"]
    outbox.push("two")
    await asyncio.sleep(0.02)
    assert outbox._task is None and conn.messages == ["one", "two"]


async def test_a_slow_connection_gets_what_waited_as_one_message() -> None:
    outbox, conn = Outbox(), SlowConnection(delay=0.05)
    outbox.start(conn.send, None, lambda: None)
    outbox.push("f0")
    await asyncio.sleep(0.01)  # f0 is being sent
    for i in range(1, 10):
        outbox.push(f"f{i}")
    await asyncio.sleep(0.2)
    # The first frame left at once; the nine that arrived while it was being sent left together.
    assert conn.messages == ["f0", "\n".join(f"f{i}" for i in range(1, 10))]


async def test_overflow_ends_the_session_once_and_frees_the_queue() -> None:
    outbox, conn = Outbox(), SlowConnection(delay=-1)
    interrupts: list[str] = []
    outbox.start(conn.send, None, lambda: interrupts.append("ended"))
    outbox.push("first")
    await conn.blocked.wait()
    for i in range(VIEWER_QUEUE_MAX_FRAMES + 5):
        outbox.push(f"f{i}")
    outbox.close("gap")  # a later reason does not end the session a second time
    assert outbox.overflowed and outbox.pending() == 0
    assert interrupts == ["ended"]
    await asyncio.sleep(0.01)
    assert outbox._task is None  # the blocked sender was cancelled
    await outbox.stop()


async def test_a_failing_send_ends_the_session() -> None:
    outbox = Outbox()
    interrupts: list[str] = []

    async def broken(text: str) -> None:
        raise ConnectionResetError("peer went away")

    outbox.start(broken, None, lambda: interrupts.append("ended"))
    outbox.push("lost")
    await asyncio.sleep(0.01)
    assert interrupts == ["ended"] and outbox.closed_reason == "send failed"


async def test_a_stopped_outbox_starts_no_sender() -> None:
    outbox, conn = Outbox(), SlowConnection()
    outbox.start(conn.send, None, lambda: None)
    await outbox.stop()
    outbox.push("after the session ended")  # the hub may push until the session leaves
    await asyncio.sleep(0.01)
    assert outbox._task is None and conn.messages == []


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


async def test_falling_behind_while_the_backlog_is_sent_ends_the_connection_once_started() -> None:
    for writer in (None, RecordingWriter()):
        outbox, conn = Outbox(), SlowConnection()
        interrupts: list[str] = []
        for i in range(VIEWER_QUEUE_MAX_FRAMES + 5):
            outbox.push(f"f{i}")  # live frames while the session still sends the backlog
        assert outbox.overflowed and interrupts == []
        outbox.start(conn.send, writer, lambda: interrupts.append("ended"))
        if writer is None:
            assert interrupts == ["ended"]  # the session closes with the resume code
        else:
            assert writer.drops == [4009] and interrupts == []  # the writer closes the socket
        assert conn.messages == []
