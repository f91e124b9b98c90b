"""Redis going away: SIGKILL and restart with the append-only file, a Redis that comes back
empty, and a process that keeps reading its subscription whatever its clients do."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import websockets

from server.backends import Backend, BackendUnavailable, backend_from_url
from server.backends.redis_keys import Keys, RedisURL
from server.config import Settings
from server.domain.events import ephemeral_frame
from server.domain.keys import room_key
from server.fanout.hub import Channel
from server.metrics import METRICS
from server.services import admin
from tests.backends.helpers import ROOM, Collector, lines
from tests.conftest import _serve
from tests.redis_support import RedisServer
from tests.support import Client, eventually, free_port

pytestmark = pytest.mark.redis


async def started(url: str) -> Backend:
    backend = backend_from_url(url)
    await backend.start()
    return backend


async def append_retrying(backend: Backend, text: str, timeout: float = 15.0) -> int:
    """What a captioner page does: resend until acknowledged. Returns the acknowledged seq."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            result = await backend.append(ROOM, lines(text))
            return result.events[0].seq
        except BackendUnavailable:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


def reconnects() -> float:
    return METRICS.registry.get_sample_value("plenary_backend_reconnects_total") or 0.0


async def test_sigkill_and_restart_with_aof_loses_nothing_and_resubscribes(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    url = server.url()
    viewer, writer = await started(url), await started(url)
    before = reconnects()
    try:
        got = Collector()
        await viewer.subscribe(ROOM, got)
        acked = [await append_retrying(writer, f"before {i}") for i in range(20)]
        server.kill()
        with pytest.raises(BackendUnavailable):
            await writer.append(ROOM, lines("while down"))
        assert (await viewer.health())["ok"] is False
        server.start()
        # Appended as soon as Redis answers, possibly before the viewer's subscription is back:
        # the viewer's catch-up read of the stream delivers those.
        acked += [await append_retrying(writer, f"after {i}") for i in range(20)]
        await got.until(lambda c: len(c.seqs()) == 40, timeout=10)
        assert got.seqs() == acked == list(range(1, 41))
        assert reconnects() > before
        assert (await viewer.health())["ok"] is True
        assert [e.seq for e in await viewer.read(ROOM, 0, 100)] == acked
    finally:
        await viewer.close()
        await writer.close()
        server.stop()


async def test_redis_restarted_empty_is_detected_and_never_reuses_seqs(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    backend = await started(server.url())
    try:
        got = Collector()
        await backend.subscribe(ROOM, got)
        for i in range(5):
            await backend.append(ROOM, lines(f"line {i}"))
        await got.until(lambda c: len(c.seqs()) == 5)
        server.stop()  # a clean shutdown: the append-only file is complete
        saved = tmp_path / "aof-backup"
        shutil.copytree(server.dir, saved)
        server.start(wipe=True)

        async def unhealthy() -> dict[str, object]:
            while (report := await backend.health()).get("record") != "lost":
                await asyncio.sleep(0.05)
            return report

        report = await asyncio.wait_for(unhealthy(), 10)
        assert report["record"] == "lost"
        assert "restarted empty" in str(report["error"])
        with pytest.raises(BackendUnavailable, match="no sequence number is reused"):
            await backend.append(ROOM, lines("would be seq 1 again"))
        with pytest.raises(BackendUnavailable):
            await backend.last_seq(ROOM)
        with server.client() as client:
            # Nothing was written over the lost record but the note that it was lost, for
            # processes that start later.
            keys = await eventually(lambda: client.keys("*"))
            assert [k.decode().endswith("}:lost") for k in keys] == [True]

        # The operator's recovery: put the append-only file back and restart Redis.
        server.stop()
        shutil.rmtree(server.dir)
        shutil.copytree(saved, server.dir)
        server.start()

        async def healthy() -> None:
            while not (await backend.health())["ok"]:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(healthy(), 10)
        assert (await backend.append(ROOM, lines("after recovery"))).events[0].seq == 6
        await got.until(lambda c: len(c.seqs()) == 6)
        assert got.seqs() == [1, 2, 3, 4, 5, 6]
    finally:
        await backend.close()
        server.stop()


async def test_redis_behind_this_process_starts_a_new_epoch_per_room(tmp_path: Path) -> None:
    """A Redis that came back with an older copy (the marker is there, the room is behind)."""
    server = RedisServer(tmp_path / "redis").start()
    backend = await started(server.url())
    try:
        for i in range(3):
            await backend.append(ROOM, lines(f"line {i}"))
        epoch = await backend.epoch(ROOM)
        got = Collector()
        await backend.subscribe(ROOM, got)
        keys = Keys(RedisURL.parse(backend.url).prefix)
        with server.client() as client:  # the older copy: the room as it was after line 1
            first = client.xrange(keys.log(ROOM), count=1)[0][1]
            client.delete(keys.log(ROOM))
            client.xadd(keys.log(ROOM), first, id="0-1")
            client.hset(keys.meta(ROOM), "seq", 1)
        # The append that finds it is refused (retryable); the room starts a new epoch and
        # this process is told at once (the epoch frame), then numbering goes on from 1.
        with pytest.raises(BackendUnavailable, match="older copy of the record was restored"):
            await backend.append(ROOM, lines("x"))
        new = await backend.epoch(ROOM)
        assert new != epoch
        await got.until(lambda c: any(f.startswith(b'{"type":"epoch"') for _, f in c.got))
        assert (await backend.append(ROOM, lines("y"))).events[0].seq == 2
        assert (await backend.health())["ok"] is True
        assert await backend.epoch("{m1/other}") != new  # per room
    finally:
        await backend.close()
        server.stop()


async def test_subscription_is_read_promptly_whatever_clients_do(tmp_path: Path) -> None:
    """Redis cuts a subscriber whose output buffer passes its limit. Viewers that stop reading
    must cost only themselves: the process keeps reading its subscription and is never cut."""
    server = RedisServer(
        tmp_path / "redis", extra=["--client-output-buffer-limit", "pubsub 256kb 128kb 1"]
    ).start()
    url = server.url()
    settings = Settings(
        host="127.0.0.1", port=free_port(), data_dir=tmp_path / "data", backend_url=url
    )
    other = await started(url)  # another server process, flooding the room
    before = reconnects()
    try:
        async for app, _ in _serve(settings):
            px = app.state.plenary  # type: ignore[attr-defined]
            meeting, _ = await admin.create_meeting(px.backend, "Load", ["Plenary"])
            key = room_key(meeting.id, "plenary")
            base_ws = f"ws://127.0.0.1:{settings.port}"
            # Viewers that never read: their sockets fill, then their outboxes overflow.
            stuck = []
            for _ in range(3):
                ws = await websockets.connect(
                    f"{base_ws}/ws/{meeting.id}/plenary", max_size=None, max_queue=1
                )
                await ws.send('{"type":"hello","after":0}')
                stuck.append(ws)
            while len(px.hub.channels.get(key, Channel(key)).outboxes) < 3:
                await asyncio.sleep(0.01)
            # 16 MB of live-line frames, far beyond what socket buffers absorb, as fast as
            # Redis takes them, then one recorded line.
            text = "y" * 32_000
            for i in range(500):
                await other.publish(
                    key,
                    ephemeral_frame(
                        "live",
                        "plenary",
                        {"lines": [{"by": "c", "name": "C", "text": f"{i} {text}"}], "after": 0},
                    ),
                )
            seq = (await other.append(key, lines("after the flood"))).events[0].seq
            channel = px.hub.channels[key]
            deadline = asyncio.get_running_loop().time() + 20
            while channel.last_seq < seq:
                assert asyncio.get_running_loop().time() < deadline, "the line never arrived"
                await asyncio.sleep(0.02)
            assert reconnects() == before
            assert "output buffer limits" not in server.log()
            fresh = await Client.connect(base_ws, meeting.id, "plenary")
            assert [e["seq"] for e in await fresh.events_until(seq)] == [seq]
            await fresh.close()
            for ws in stuck:
                ws.transport.abort()  # it would never read the server's closing handshake
    finally:
        await other.close()
        server.stop()
