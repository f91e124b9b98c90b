"""An older copy of the record restored: positions are (seq, epoch). A sign that the record went
back (a client or a process holding a number beyond it) starts a new epoch; a client of another
epoch is reset and told, never fed reused numbers as if they continued what it holds."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import websockets

from server.config import Settings
from server.domain.keys import room_key
from server.services import admin
from tests.conftest import LiveServer, _serve
from tests.redis_support import RedisServer
from tests.support import Client, free_port


async def commit(
    live_base_ws: str, meeting: str, key: str, texts: list[str], client: str
) -> list[int]:
    cap = await Client.connect(live_base_ws, meeting, "plenary", key=key, client=client)
    seqs = []
    for n, text in enumerate(texts, 1):
        await cap.send(type="commit", n=n, text=text)
        while True:
            frame = await cap.recv_type("ack", "error", timeout=20)
            if frame["type"] == "ack":
                seqs.append(frame["seq"])
                break
            assert frame.get("retry"), frame
            await asyncio.sleep(0.2)
            await cap.send(type="commit", n=n, text=text)
    await cap.close()
    return seqs


async def test_a_client_beyond_the_record_starts_a_new_epoch(live: LiveServer) -> None:
    m = live.meeting.id
    await commit(live.base_ws, m, live.captioner_key(), ["one", "two", "three"], "c1")
    old = await Client.connect(live.base_ws, m, "plenary")
    epoch = old.welcome["epoch"]
    assert isinstance(epoch, str) and epoch and not old.welcome["reset"]
    await old.events_until(3)
    # Someone holds seq 50 of this epoch: the record went back.
    ahead = await Client.connect(live.base_ws, m, "plenary", after=50, epoch=epoch)
    assert ahead.welcome["reset"] and ahead.welcome["epoch"] != epoch
    new_epoch = ahead.welcome["epoch"]
    assert [f["seq"] for f in await ahead.events_until(3)] == [1, 2, 3]  # from the start
    # The viewer that was connected in the old epoch is told to resume ...
    with_code = await eventually_closed(old)
    assert with_code == 4009
    # ... and, resuming with the old epoch, is reset even though its seq is within the record.
    again = await Client.connect(live.base_ws, m, "plenary", after=3, epoch=epoch)
    assert again.welcome["reset"] and again.welcome["epoch"] == new_epoch
    # A client of the new epoch resumes as usual; an older client (no epoch) is reset once
    # without starting yet another epoch.
    current = await Client.connect(live.base_ws, m, "plenary", after=2, epoch=new_epoch)
    assert not current.welcome["reset"]
    legacy = await Client.connect(live.base_ws, m, "plenary", after=50)
    assert legacy.welcome["reset"] and legacy.welcome["epoch"] == new_epoch
    # Lines go on being numbered, in the new epoch.
    assert await commit(live.base_ws, m, live.captioner_key(), ["four"], "c2") == [4]
    assert [f["seq"] for f in await current.events_until(4)] == [3, 4]


async def eventually_closed(client: Client, timeout: float = 30.0) -> int:
    """The close code the server sends this client, waiting at most ``timeout`` in all."""

    async def until_closed() -> int:
        try:
            while True:
                await client.recv(timeout=timeout)
        except websockets.ConnectionClosed as exc:
            assert exc.rcvd is not None
            return exc.rcvd.code

    return await asyncio.wait_for(until_closed(), timeout)


async def test_an_older_redis_copy_restored_is_a_new_epoch_and_no_number_is_reused(
    tmp_path: Path,
) -> None:
    """The documented recovery with the wrong (older) append-only file: the process that saw
    the newer numbers starts a new epoch; its viewer is reset; new lines are numbered in the
    new epoch."""
    redis = RedisServer(tmp_path / "redis", appendonly=True).start()
    url = redis.url("epochs")
    settings = Settings(port=free_port(), data_dir=tmp_path / "data", backend_url=url)
    try:
        async for app, _ in _serve(settings):
            px = app.state.plenary  # type: ignore[attr-defined]
            meeting, keys = await admin.create_meeting(px.backend, "Restore", ["Plenary"])
            base_ws = f"ws://127.0.0.1:{settings.port}"
            cap = keys["captioner:plenary"]
            assert await commit(base_ws, meeting.id, cap, ["a", "b", "c"], "k1") == [1, 2, 3]
            redis.stop()
            saved = tmp_path / "aof-at-3"
            shutil.copytree(redis.dir, saved)
            redis.start()
            viewer = await Client.connect(base_ws, meeting.id, "plenary")
            epoch = viewer.welcome["epoch"]
            assert await commit(base_ws, meeting.id, cap, ["d", "e", "f"], "k2") == [4, 5, 6]
            held = {f["seq"]: f["data"]["text"] for f in await viewer.events_until(6)}
            assert held == {1: "a", 2: "b", 3: "c", 4: "d", 5: "e", 6: "f"}
            # The older copy comes back.
            redis.stop()
            shutil.rmtree(redis.dir)
            shutil.copytree(saved, redis.dir)
            redis.start()
            assert await eventually_closed(viewer) in (4009, 4503, 1011, 1012)
            new = await commit(base_ws, meeting.id, cap, ["g"], "k3")
            assert new == [4]
            key = room_key(meeting.id, "plenary")
            now = await px.backend.epoch(key)
            assert now != epoch
            # The viewer resumes from what it holds, in its epoch: reset, and given the record
            # as it is now from seq 1 — never seq 4 as if it followed its own 3.
            back = await Client.connect(base_ws, meeting.id, "plenary", after=6, epoch=epoch)
            assert back.welcome["reset"] and back.welcome["epoch"] == now
            texts = {f["seq"]: f["data"]["text"] for f in await back.events_until(4)}
            assert texts == {1: "a", 2: "b", 3: "c", 4: "g"}
            async with httpx.AsyncClient() as http:
                health = await http.get(f"http://127.0.0.1:{settings.port}/healthz")
            assert health.status_code == 200
    finally:
        redis.kill()
