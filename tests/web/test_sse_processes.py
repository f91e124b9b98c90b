"""The plain-HTTP fallback across two real server processes sharing Redis: a client follows
the room from one process while its POSTs reach the other, then switches process mid-meeting
and resumes with Last-Event-ID, with every line once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.backends import backend_from_url
from server.services import admin
from tests.redis_support import RedisServer
from tests.sse_support import SseClient
from tests.support import ServerProcess, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
async def processes(
    tmp_path: Path, redis_server: RedisServer
) -> AsyncIterator[tuple[list[ServerProcess], str, dict[str, str]]]:
    url = redis_server.url()
    backend = backend_from_url(url)
    await backend.start()
    try:
        meeting, keys = await admin.create_meeting(backend, "WGEC", ["Plenary"])
    finally:
        await backend.close()
    procs = [ServerProcess(free_port(), tmp_path / f"data-{i}", backend=url) for i in range(2)]
    try:
        for proc in procs:
            proc.start()
        yield procs, meeting.id, keys
    finally:
        for proc in procs:
            proc.stop()


async def test_a_fallback_client_follows_one_process_posts_to_another_and_switches(
    processes: tuple[list[ServerProcess], str, dict[str, str]],
) -> None:
    (a, b), meeting, keys = processes
    key = keys["captioner:plenary"]
    captioner = await SseClient.connect(a.base, meeting, "plenary", key=key, client="c-1")
    viewer = await SseClient.connect(a.base, meeting, "plenary")
    # Lines POSTed to the other process reach both readers of the first, numbered once.
    for n in range(1, 4):
        status, ack = await captioner.post(b.base, type="commit", n=n, text=f"line {n}")
        assert (status, ack["seq"]) == (200, n)
    status, again = await captioner.post(b.base, type="commit", n=3, text="line 3")
    assert (status, again["duplicate"]) == (200, True)
    assert [e["seq"] for e in await viewer.events_until(3)] == [1, 2, 3]
    # The live line typed through the other process reaches them too.
    await captioner.post(b.base, type="edit", **{"del": 0, "ins": "typing on"})
    live = await viewer.recv_type("live")
    assert live["data"]["lines"][0]["text"] == "typing on"
    last = viewer.last_id
    await viewer.close()
    for n in range(4, 6):
        await captioner.post(a.base, type="commit", n=n, text=f"line {n}")
    # The reader moves to the other process mid-meeting and resumes where it was.
    moved = await SseClient.connect(b.base, meeting, "plenary", last_event_id=last)
    assert [e["seq"] for e in await moved.events_until(5)] == [4, 5]
    await captioner.post(b.base, type="commit", n=6, text="line 6")
    await moved.events_until(6)
    assert moved.seqs() == [4, 5, 6]
    texts = [f["data"]["text"] for f in moved.frames if f["type"] == "line"]
    assert texts == ["line 4", "line 5", "line 6"]
    await moved.close()
    await captioner.close()
