"""Chaos on Redis with two server processes under a steady captioner: a process killed, Redis
killed and restarted, an older copy of its append-only file restored, Redis restarted empty.
Every acknowledged line is checked by sequence number at every viewer and in the export, within
its epoch, and what docs/deployment.md says is detected is detected."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets

from server.backends import backend_from_url
from server.domain.keys import room_key
from server.services import admin
from tests.redis_support import RedisServer
from tests.support import ServerProcess, free_port

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def status_of(proc: ServerProcess) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{proc.base}/healthz", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, {}


@dataclass
class Viewer:
    """A page's resume logic: reconnect with (after, epoch), forget everything on a reset."""

    bases: list[str]
    path: str
    seen: dict[int, str] = field(default_factory=dict)
    epoch: str | None = None
    resets: int = 0
    task: asyncio.Task[None] | None = None
    turn: int = 0

    def last(self) -> int:
        return max(self.seen, default=0)

    async def run(self) -> None:
        while True:
            base = self.bases[self.turn % len(self.bases)]
            self.turn += 1
            with contextlib.suppress(OSError, websockets.WebSocketException, TimeoutError):
                async with websockets.connect(f"{base}{self.path}", max_size=None) as ws:
                    hello: dict[str, Any] = {"type": "hello", "after": self.last()}
                    if self.epoch:
                        hello["epoch"] = self.epoch
                    await ws.send(json.dumps(hello))
                    async for raw in ws:
                        for part in str(raw).split("\n"):
                            self.frame(json.loads(part))
            await asyncio.sleep(0.2)

    def frame(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "welcome":
            if frame["reset"]:
                self.seen.clear()
                self.resets += 1
            self.epoch = frame["epoch"]
        elif frame["type"] == "line" and "seq" in frame:
            assert frame["seq"] == self.last() + 1 or frame["seq"] <= self.last(), frame
            self.seen[frame["seq"]] = frame["data"]["text"]
        elif "seq" in frame and frame["type"] not in ("hb", "ack"):
            self.seen.setdefault(frame["seq"], f"<{frame['type']}>")


@dataclass
class Captioner:
    """A steady captioner: numbered lines, each resent until acknowledged (as the page does)."""

    bases: list[str]
    path: str
    key: str
    acked: dict[str, tuple[str, int]] = field(default_factory=dict)  # text -> (epoch, seq)
    sent: int = 0
    turn: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            base = self.bases[self.turn % len(self.bases)]
            self.turn += 1
            with contextlib.suppress(OSError, websockets.WebSocketException, TimeoutError):
                async with websockets.connect(f"{base}{self.path}") as ws:
                    hello = {"type": "hello", "key": self.key, "client": "chaos", "after": 0}
                    await ws.send(json.dumps(hello))
                    welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    epoch = welcome["epoch"]
                    pending: list[dict[str, Any]] = []

                    async def reply_to(n: int) -> dict[str, Any]:
                        # A message may carry several frames (a backlog, a batch), one a line.
                        while True:
                            if not pending:
                                raw = await asyncio.wait_for(ws.recv(), 10)
                                pending.extend(json.loads(p) for p in str(raw).split("\n"))
                            frame = pending.pop(0)
                            if frame["type"] in ("ack", "error") and frame.get("n") == n:
                                return frame

                    while True:
                        n = self.sent + 1
                        text = f"line {n}"
                        await ws.send(json.dumps({"type": "commit", "n": n, "text": text}))
                        reply = await reply_to(n)
                        if reply["type"] == "error":
                            self.errors.append(reply)
                            await asyncio.sleep(0.2)
                            break  # reconnect and resend
                        if not reply["duplicate"]:
                            self.acked[text] = (epoch, reply["seq"])
                        self.sent = n
                        await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)


async def wait_for(check: Any, timeout: float = 60.0, what: str = "") -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_chaos(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis", appendonly=True).start()
    url = redis.url("chaos")
    procs = [ServerProcess(free_port(), tmp_path / f"data-{i}", backend=url) for i in range(2)]
    tasks: list[asyncio.Task[None]] = []
    try:
        for p in procs:
            p.start(timeout=60)
        backend = backend_from_url(url)
        await backend.start()
        meeting, keys = await admin.create_meeting(backend, "Chaos", ["Plenary"])
        await backend.close()
        bases = [p.base_ws for p in procs]
        path = f"/ws/{meeting.id}/plenary"
        cap = Captioner(bases, path, keys["captioner:plenary"])
        viewers = [Viewer(bases[i:] + bases[:i], path) for i in range(2)]
        tasks = [asyncio.create_task(x.run()) for x in (cap, *viewers)]

        async def acked_more(k: int = 10) -> None:
            goal = len(cap.acked) + k
            await wait_for(lambda: len(cap.acked) >= goal, what=f"{goal} acknowledged lines")

        await acked_more()
        # 1. A process killed, and started again.
        procs[1].kill()
        await acked_more()
        procs[1].start(timeout=60)
        await acked_more()
        # 2. Redis killed (its append-only file is fsynced always) and restarted.
        redis.kill()
        redis.start()
        await acked_more()
        # 3. An older copy of the append-only file restored.
        redis.stop()
        older = tmp_path / "older-aof"
        shutil.copytree(redis.dir, older)
        redis.start()
        await acked_more()
        before = {v.epoch for v in viewers}
        redis.stop()
        shutil.rmtree(redis.dir)
        shutil.copytree(older, redis.dir)
        redis.start()
        await acked_more()
        await wait_for(
            lambda: all(v.epoch not in before and v.resets for v in viewers),
            what="every viewer reset into a new epoch",
        )
        # 4. Redis restarted empty: detected by both processes, nothing is acknowledged.
        epoch_before_wipe = viewers[0].epoch
        redis.stop()
        latest = tmp_path / "latest-aof"
        shutil.copytree(redis.dir, latest)
        redis.start(wipe=True)
        await wait_for(
            lambda: all(status_of(p)[1].get("record") == "lost" for p in procs),
            what="both processes reporting the record lost",
        )
        acked_then = set(cap.acked)
        await asyncio.sleep(1)  # nothing can be acknowledged while the record is lost
        # An acknowledgement the captioner reads only now was sent before Redis stopped (the
        # captioner has one line in flight at a time): it is for a line of the epoch before the
        # wipe, which the restored file holds (every line of the final epoch is checked below).
        late = {text: cap.acked[text] for text in set(cap.acked) - acked_then}
        assert len(late) <= 1, late
        assert all(epoch == epoch_before_wipe for epoch, _ in late.values()), late
        # The documented recovery: the append-only file put back.
        redis.stop()
        shutil.rmtree(redis.dir)
        shutil.copytree(latest, redis.dir)
        redis.start()
        await acked_more()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks = []
        # Every line acknowledged in the final epoch is, by seq, at every viewer and in the
        # export; every viewer holds the same record.
        final = viewers[0].epoch
        assert all(v.epoch == final for v in viewers)
        assert final == epoch_before_wipe  # the file put back holds that epoch's record
        backend = backend_from_url(url)
        await backend.start()
        try:
            key = room_key(meeting.id, "plenary")
            assert await backend.epoch(key) == final
            record = {e.seq: e.data.get("text") for e in await backend.read(key, 0, 100_000)}
        finally:
            await backend.close()
        in_final = {text: seq for text, (epoch, seq) in cap.acked.items() if epoch == final}
        assert len(in_final) >= 10
        for text, seq in in_final.items():
            assert record.get(seq) == text, (text, seq)
        for v in viewers:
            last = v.last()
            assert last >= max(in_final.values()), "a viewer did not catch up"
            for seq, text in v.seen.items():
                if not text.startswith("<"):
                    assert record.get(seq) == text, (seq, text)  # the same event, by seq
            for text, seq in in_final.items():
                assert v.seen.get(seq) == text, (text, seq)
        assert [status_of(p)[0] for p in procs] == [200, 200]
        # And in the export, from each process.
        for p in procs:
            url_json = f"{p.base}/api/m/{meeting.id}/plenary/transcript.json"
            with urllib.request.urlopen(url_json, timeout=30) as r:
                exported = {line["seq"]: line["text"] for line in json.loads(r.read())["lines"]}
            for text, seq in in_final.items():
                assert exported.get(seq) == text, (p.base, text, seq)
    except BaseException:
        print("captioner errors:", cap.errors[-5:], "acked", len(cap.acked), "sent", cap.sent)
        for p in procs:
            print(f"--- {p.base}:\n{p.output()[-4000:]}")  # what the processes logged
        raise
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for p in procs:
            p.kill()
        redis.kill()
