"""The caption promise across real server processes: POSTs of one sender that a load balancer
spreads over several processes sharing Redis, retries that reach another process, and a process
killed right after it answered 200 for text without a line end. The killed-process case runs on
the embedded backend too (a restart on the same file)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from server.backends import Backend, backend_from_url
from server.backends.base import read_all
from server.domain.keys import room_key
from server.domain.meetings import Meeting
from server.limits import CAPTION_PAUSE_GRACE_S, CAPTION_PAUSE_S
from server.record import exports
from server.services import admin
from tests.redis_support import RedisServer
from tests.support import ROOT, Client, ServerProcess, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def processes(tmp_path: Path, redis: RedisServer) -> AsyncIterator[list[ServerProcess]]:
    url = redis.url("captions")
    procs = [ServerProcess(free_port(), tmp_path / f"data-{i}", backend=url) for i in range(2)]
    try:
        for proc in procs:
            proc.start()
        yield procs
    finally:
        for proc in procs:
            proc.stop()


async def open_backend(url: str) -> Backend:
    backend = backend_from_url(url)
    await backend.start()
    return backend


async def texts(url: str, meeting: Meeting) -> list[str]:
    backend = await open_backend(url)
    try:
        events = await read_all(backend, room_key(meeting.id, "plenary"))
        return [e.data["text"] for e in events if e.type == "line"]
    finally:
        await backend.close()


async def wait_for_texts(url: str, meeting: Meeting, count: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        got = await texts(url, meeting)
        if len(got) >= count:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s with {got}")
        await asyncio.sleep(0.2)


def caption(proc: ServerProcess, meeting: Meeting, key: str, tail: str = "") -> str:
    return f"{proc.base}/api/caption/{meeting.id}/plenary?key={key}{tail}"


@pytest.mark.redis
async def test_one_sender_spread_over_processes(processes: list[ServerProcess]) -> None:
    a, b = processes
    url = a.backend or ""
    backend = await open_backend(url)
    try:
        meeting, keys = await admin.create_meeting(backend, "WGEC", ["Plenary"])
    finally:
        await backend.close()
    key = keys["captioner:plenary"]
    viewer = await Client.connect(b.base_ws, meeting.id, "plenary")
    async with httpx.AsyncClient(timeout=10) as http:
        # The load balancer sends each POST to the other process.
        parts = ["The Working ", "Group on Enhanced ", "Cooperation ", "met in Geneva.\n"]
        for n, part in enumerate(parts, 1):
            proc = (a, b)[n % 2]
            r = await http.post(caption(proc, meeting, key, f"&seq={n}"), content=part)
            assert r.status_code == 200
            # Read your own write on the other process.
            other = (a, b)[(n + 1) % 2]
            seen = await http.get(f"{other.base}/api/caption/{meeting.id}/plenary/seq?key={key}")
            assert seen.json() == n
        # A retry reaches the other process, and one is sent to both at once.
        for proc in (a, b):
            r = await http.post(caption(proc, meeting, key, "&seq=4"), content="met in Geneva.\n")
            assert r.status_code == 200
        both = await asyncio.gather(
            *(
                http.post(caption(proc, meeting, key, "&seq=5"), content="It adopted its agenda.\n")
                for proc in (a, b)
            )
        )
        assert [r.status_code for r in both] == [200, 200]
    expected = [
        "The Working Group on Enhanced Cooperation met in Geneva.",
        "It adopted its agenda.",
    ]
    assert await texts(url, meeting) == expected
    # The viewer on b saw the open line grow and each line once, whichever process took it.
    got = await viewer.events_until(5)
    assert [(f["seq"], f["type"]) for f in got] == [
        (1, "line.partial"),
        (2, "line.partial"),
        (3, "line.partial"),
        (4, "line"),
        (5, "line"),
    ]
    assert [f["data"]["text"] for f in got if f["type"] == "line"] == expected
    await viewer.close()


@pytest.mark.redis
async def test_a_process_killed_after_answering_for_an_open_line(
    processes: list[ServerProcess],
) -> None:
    a, b = processes
    url = a.backend or ""
    backend = await open_backend(url)
    try:
        meeting, keys = await admin.create_meeting(backend, "WGEC", ["Plenary"])
    finally:
        await backend.close()
    key = keys["captioner:plenary"]
    viewer = await Client.connect(b.base_ws, meeting.id, "plenary")  # b follows the room
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(caption(a, meeting, key, "&seq=1"), content="Words answered 200 ")
        assert r.status_code == 200
        a.kill()  # before any line end, before its pause
    # The record holds them; process b ends the open line after the pause and its grace.
    got = await wait_for_texts(url, meeting, 1, CAPTION_PAUSE_S + CAPTION_PAUSE_GRACE_S + 15)
    assert got == ["Words answered 200"]
    line = await viewer.recv_type("line", timeout=10)
    assert line["data"]["text"] == "Words answered 200"
    await viewer.close()


async def test_an_embedded_process_killed_after_answering_for_an_open_line(
    tmp_path: Path,
) -> None:
    proc = ServerProcess(free_port(), tmp_path / "data").start()
    url = f"sqlite:///{proc.data_dir / 'plenary.db'}"
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            # The first start made the demo meeting; this test makes its own beside it.
            out = await asyncio.to_thread(_create, proc)
            meeting_id, key = out
            r = await http.post(
                f"{proc.base}/api/caption/{meeting_id}/plenary?key={key}&seq=1",
                content="Recorded before the crash ",
            )
            assert r.status_code == 200
            proc.kill()
            # Before any process runs again, the exports have it (read from the file).
            backend = await open_backend(url)
            try:
                events = await read_all(backend, room_key(meeting_id, "plenary"))
            finally:
                await backend.close()
            assert [line.text for line in exports.transcript(events)] == [
                "Recorded before the crash"
            ]
            # Started again, the room's first use ends it as a line, the next POST follows.
            proc.start()
            viewer = await Client.connect(proc.base_ws, meeting_id, "plenary")
            line = await viewer.recv_type("line", timeout=15)
            assert line["data"]["text"] == "Recorded before the crash"
            r = await http.post(
                f"{proc.base}/api/caption/{meeting_id}/plenary?key={key}&seq=2",
                content="and after it.\n",
            )
            assert r.status_code == 200
            assert (await viewer.recv_type("line"))["data"]["text"] == "and after it."
            await viewer.close()
    finally:
        proc.stop()


def _create(proc: ServerProcess) -> tuple[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "server", "meeting", "create", "Crash", "--json", "--data-dir",
         str(proc.data_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    doc = json.loads(out.stdout)
    return doc["meeting"], doc["rooms"][0]["caption_api"].split("key=")[1]
