"""Several real `plenary serve` processes sharing one real redis-server.

Clients here behave like the pages: viewers resume from the last seq they hold (on another
process when theirs is gone, as a load balancer would send them), captioners resend what was not
acknowledged. Every test checks, by seq, that each acknowledged event reaches every viewer exactly
once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from server.backends import Backend, backend_from_url
from server.domain.keys import room_key
from server.domain.meetings import Meeting
from server.services import admin
from tests.redis_support import RedisServer
from tests.support import Client, ServerProcess, free_port

pytestmark = [pytest.mark.redis, pytest.mark.slow]

NETWORK_ERRORS = (
    OSError,
    TimeoutError,
    websockets.ConnectionClosed,
    websockets.InvalidStatus,
    websockets.InvalidHandshake,
)


# -- clients that behave like the pages ------------------------------------------------------------
@dataclass
class Viewer:
    """Follows a room; on any disconnect resumes from the last seq it holds, on the next
    process of its list."""

    bases: list[str]
    meeting: str
    room: str = "plenary"
    seqs: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    connects: int = 0
    welcomes: int = 0  # so that a viewer stuck says whether its session ever began
    task: asyncio.Task[None] | None = None

    @property
    def last(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    def start(self) -> Viewer:
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        turn = 0
        while True:
            base = self.bases[turn % len(self.bases)]
            try:
                async with websockets.connect(
                    f"{base}/ws/{self.meeting}/{self.room}", open_timeout=3, max_size=None
                ) as ws:
                    await ws.send(json.dumps({"type": "hello", "after": self.last}))
                    self.connects += 1
                    async for raw in ws:
                        for part in str(raw).split("\n"):
                            frame = json.loads(part)
                            if frame["type"] == "welcome":
                                self.welcomes += 1
                                assert not frame["reset"], frame
                            elif "seq" in frame and "room" in frame:
                                self.seqs.append(frame["seq"])
                                self.texts.append(frame["data"].get("text", ""))
            except NETWORK_ERRORS:
                turn += 1
            await asyncio.sleep(0.05)

    async def wait_for(self, seq: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.last < seq:
            assert time.monotonic() < deadline, (
                f"viewer stuck at {self.last}, wanted {seq}: {self.connects} hellos sent, "
                f"{self.welcomes} welcomes, task {self.task}"
            )
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@dataclass
class Captioner:
    """Commits numbered lines over the websocket, one at a time, resending a line until it is
    acknowledged: after a retryable error, or on the next process after a disconnect."""

    bases: list[str]
    meeting: str
    key: str
    client: str
    count: int
    room: str = "plenary"
    pace: float = 0.03  # under the per-connection rate limit
    acked: dict[int, int | None] = field(default_factory=dict)  # n -> seq (None: duplicate)
    errors: int = 0

    def text(self, n: int) -> str:
        return f"{self.client} line {n}"

    async def run(self) -> None:
        turn, n = 0, 1
        while n <= self.count:
            base = self.bases[turn % len(self.bases)]
            try:
                async with websockets.connect(
                    f"{base}/ws/{self.meeting}/{self.room}", open_timeout=3, max_size=None
                ) as ws:
                    await ws.send(
                        json.dumps(
                            {"type": "hello", "after": 0, "key": self.key, "client": self.client}
                        )
                    )
                    while n <= self.count:
                        await ws.send(json.dumps({"type": "commit", "n": n, "text": self.text(n)}))
                        reply = await self._reply(ws, n)
                        if reply["type"] == "ack":
                            self.acked[n] = reply["seq"]
                            n += 1
                            await asyncio.sleep(self.pace)
                        else:
                            assert reply.get("retry") is True, reply
                            self.errors += 1
                            await asyncio.sleep(0.1)
            except NETWORK_ERRORS:
                turn += 1
                await asyncio.sleep(0.05)

    @staticmethod
    async def _reply(ws: Any, n: int) -> dict[str, Any]:
        while True:
            for part in str(await asyncio.wait_for(ws.recv(), 10)).split("\n"):
                frame = json.loads(part)
                if frame["type"] in ("ack", "error") and frame.get("n", frame.get("ref")) == n:
                    return frame  # type: ignore[no-any-return]


async def mark_the_end(
    bases: list[str], meeting: str, key: str, viewers: list[Viewer], total: int
) -> Captioner:
    """Commit one more line and wait until every viewer has it. Each viewer's stream is in
    order, so an event delivered twice would have reached it before this one: a check made
    after this would see it, with no fixed wait."""
    marker = Captioner(bases, meeting, key, "marker", 1)
    await asyncio.wait_for(marker.run(), 30)
    for viewer in viewers:
        await viewer.wait_for(total + 1)
    return marker


def check_exactly_once(viewers: list[Viewer], captioners: list[Captioner], total: int) -> None:
    for viewer in viewers:
        assert viewer.seqs == list(range(1, total + 1)), (viewer.bases, viewer.seqs[-20:])
    lines = viewers[0].texts
    for cap in captioners:
        assert len(cap.acked) == cap.count
        # Every acknowledged line is in the record once; a resent line is never recorded twice.
        for n in range(1, cap.count + 1):
            assert lines.count(cap.text(n)) == 1, (cap.client, n)
        for n, seq in cap.acked.items():
            if seq is not None:
                assert lines[seq - 1] == cap.text(n)


# -- fixtures -----------------------------------------------------------------------------------
@dataclass
class Deployment:
    redis: RedisServer
    url: str
    processes: list[ServerProcess]
    tmp: Path

    def spawn(self) -> ServerProcess:
        proc = ServerProcess(
            free_port(), self.tmp / f"data-{len(self.processes)}", backend=self.url
        ).start()
        self.processes.append(proc)
        return proc


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("deployment")
    redis = RedisServer(tmp / "redis", appendonly=True).start()
    dep = Deployment(redis, redis.url("mp"), [], tmp)
    try:
        dep.spawn()
        dep.spawn()
        yield dep
    finally:
        for proc in dep.processes:
            proc.stop()
        redis.stop()


@pytest.fixture
async def meeting(deployment: Deployment) -> AsyncIterator[tuple[Meeting, dict[str, str]]]:
    backend = backend_from_url(deployment.url)
    await backend.start()
    try:
        yield await admin.create_meeting(backend, "WGEC", ["Plenary"])
    finally:
        await backend.close()


async def record(url: str, key: str) -> list[int]:
    backend: Backend = backend_from_url(url)
    await backend.start()
    try:
        return [e.seq for e in await backend.read(key, 0, 100_000)]
    finally:
        await backend.close()


# -- tests --------------------------------------------------------------------------------------
async def test_viewer_on_b_receives_what_a_captioner_pushed_on_a(
    deployment: Deployment, meeting: tuple[Meeting, dict[str, str]]
) -> None:
    a, b = deployment.processes[:2]
    m, keys = meeting
    viewer = await Client.connect(b.base_ws, m.id, "plenary")
    cap = await Client.connect(
        a.base_ws, m.id, "plenary", key=keys["captioner:plenary"], client="cap-a"
    )
    await cap.send(type="edit", ins="Good morning")
    live = await viewer.recv_type("live")
    assert live["data"]["lines"][0]["text"] == "Good morning"
    acks = []
    for n in range(1, 21):
        await cap.send(type="commit", n=n, text=f"line {n}")
        acks.append((await cap.recv_type("ack"))["seq"])
    events = await viewer.events_until(20)
    assert [e["seq"] for e in events] == acks == list(range(1, 21))
    assert [e["data"]["text"] for e in events] == [f"line {n}" for n in range(1, 21)]
    await viewer.close()
    await cap.close()


async def test_an_interpretation_channel_across_processes(
    deployment: Deployment, tmp_path: Path
) -> None:
    """A French captioner on process A, a viewer of the French channel on B, the floor granted
    on B: the lines reach B in their own gap-free order, attributed as the floor's; a caption
    URL POSTed on B with lang=fr lands in the same channel."""
    a, b = deployment.processes[:2]
    backend = backend_from_url(deployment.url)
    await backend.start()
    try:
        m, keys = await admin.create_meeting(backend, "WGEC", ["Plenary"], channels=["fr"])
    finally:
        await backend.close()
    chair = await Client.connect(b.base_ws, m.id, "plenary", key=keys["chair"], client="ch")
    await chair.send(type="cmd", n=1, op="floor.add", args={"name": "Ms. Ana Silva"})
    await chair.recv_type("ack")
    await chair.send(type="cmd", n=2, op="floor.grant", args={})
    granted = await chair.recv_type("ack", "error")
    assert granted["type"] == "ack", granted
    viewer = await Client.connect(b.base_ws, m.id, "plenary", channel="fr")
    cap = await Client.connect(
        a.base_ws, m.id, "plenary", key=keys["captioner:plenary~fr"], client="cap-fr"
    )
    assert cap.welcome["channel"] == "fr"
    acks = []
    for n in range(1, 6):
        await cap.send(type="commit", n=n, text=f"ligne {n}")
        acks.append((await cap.recv_type("ack"))["seq"])
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            f"{b.base}/api/caption/{m.id}/plenary",
            params={"key": keys["captioner:plenary"], "seq": 1, "lang": "fr-FR"},
            content="ligne 6\n",
        )
    assert r.status_code == 200, r.text
    events = await viewer.events_until(6)
    assert [e["seq"] for e in events] == [*acks, 6] == list(range(1, 7))
    assert [e["data"]["text"] for e in events] == [f"ligne {n}" for n in range(1, 7)]
    assert {e["data"]["speaker"] for e in events} == {"Ms. Ana Silva"}
    assert await record(deployment.url, room_key(m.id, "plenary", "fr")) == list(range(1, 7))
    for client in (viewer, cap, chair):
        await client.close()


async def test_resume_on_a_different_process(
    deployment: Deployment, meeting: tuple[Meeting, dict[str, str]]
) -> None:
    a, b = deployment.processes[:2]
    m, keys = meeting
    cap = await Client.connect(
        a.base_ws, m.id, "plenary", key=keys["captioner:plenary"], client="cap"
    )
    for n in range(1, 31):
        await cap.send(type="commit", n=n, text=f"line {n}")
        await cap.recv_type("ack")
    first = await Client.connect(a.base_ws, m.id, "plenary")
    assert [e["seq"] for e in await first.events_until(12)][-1] == 12
    await first.close()
    # The viewer held 1..12 when its process went away; it resumes on the other one.
    resumed = await Client.connect(b.base_ws, m.id, "plenary", after=12)
    assert resumed.welcome["last_seq"] == 30
    await cap.send(type="commit", n=31, text="line 31")
    events = await resumed.events_until(31)
    assert [e["seq"] for e in events] == list(range(13, 32))
    await resumed.close()
    await cap.close()


async def test_concurrent_chair_commands_on_two_processes_record_one_event(
    deployment: Deployment, meeting: tuple[Meeting, dict[str, str]]
) -> None:
    a, b = deployment.processes[:2]
    m, keys = meeting
    headers = {"Authorization": f"Bearer {keys['chair']}"}
    # A new connection per request: a process closes a connection after a failed request.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=fresh) as http:
        for round_ in range(12):
            action = "close" if round_ % 2 == 0 else "open"
            responses = await asyncio.gather(
                *(
                    http.post(f"{p.base}/api/m/{m.id}/plenary/{action}", headers=headers)
                    for p in (a, b, a, b)
                )
            )
            # (Concurrent saves of the meeting document may refuse all but one request;
            # what matters here is the record.)
            assert any(r.status_code == 200 for r in responses), [r.text for r in responses]
    viewer = await Client.connect(b.base_ws, m.id, "plenary")
    events = await viewer.events_until(12)
    # Exactly one event per round, alternating: never two closes or two opens in a row.
    assert [e["type"] for e in events] == ["room.closed", "room.opened"] * 6
    assert await record(deployment.url, room_key(m.id, "plenary")) == list(range(1, 13))
    await viewer.close()


async def test_the_rolling_document_across_processes(
    deployment: Deployment, meeting: tuple[Meeting, dict[str, str]]
) -> None:
    """Imported on one process, put under discussion from another; two chairs on two processes
    revising the same version: one is recorded, the other is told what it says now; a file
    uploaded to one process is served by the other (its bytes are in Redis)."""
    a, b = deployment.processes[:2]
    m, keys = meeting
    headers = {"Authorization": f"Bearer {keys['chair']}"}
    outline = "# Compilation\n\n## A. One\n- A first proposal.\n- A second one.\n"
    async with httpx.AsyncClient(timeout=10) as http:
        made = await http.post(f"{a.base}/api/m/{m.id}/documents", content=outline.encode(),
                               headers={**headers, "content-type": "text/markdown"})  # fmt: skip
        assert made.status_code == 201, made.text
        viewer = await Client.connect(b.base_ws, m.id, "plenary")
        one = await Client.connect(a.base_ws, m.id, "plenary", key=keys["chair"], client="c1")
        two = await Client.connect(b.base_ws, m.id, "plenary", key=keys["chair"], client="c2")
        await two.send(type="cmd", n=1, op="doc.current", args={"proposal": "A.2"})
        ack = await two.recv_type("ack")
        current = next(e for e in await viewer.events_until(ack["seq"]) if e["seq"] == ack["seq"])
        assert current["type"] == "doc.current" and current["data"]["text"] == "A second one."
        state = (await http.get(f"{a.base}/api/m/{m.id}/plenary/documents")).json()
        rev = next(p["rev"] for p in state["docs"][0]["proposals"] if p["proposal"] == "A.1")
        for n, client in ((1, one), (2, two)):
            args = {"proposal": "A.1", "text": f"Chair {n}'s text.", "rev": rev}
            await client.send(type="cmd", n=n + 1, op="doc.revise", args=args)
        answers = [await one.recv_type("ack", "error"), await two.recv_type("ack", "error")]
        assert sorted(f["type"] for f in answers) == ["ack", "error"]
        refused = next(f for f in answers if f["type"] == "error")
        assert refused["code"] == "stale" and "s text." in refused["message"]
        await one.send(type="cmd", n=9, op="agenda.add", args={"title": "Correspondence group"})
        item = (await one.recv_type("ack"))["seq"]
        up = await http.post(f"{a.base}/api/m/{m.id}/files?item={item}&filename=cg.csv",
                             content=b"area,issue\n1,IDNs\n", headers=headers)  # fmt: skip
        assert up.status_code == 201, up.text
        served = await http.get(f"{b.base}{up.json()['url']}")
        assert served.status_code == 200 and served.content == b"area,issue\n1,IDNs\n"
        assert served.headers["content-type"].startswith("text/csv")
        for client in (viewer, one, two):
            await client.close()


async def test_sigkill_of_a_process_under_load_loses_nothing(
    deployment: Deployment, meeting: tuple[Meeting, dict[str, str]]
) -> None:
    a = deployment.processes[0]
    doomed = deployment.spawn()
    m, keys = meeting
    both = [doomed.base_ws, a.base_ws]
    viewers = [Viewer(both, m.id).start() for _ in range(4)]
    viewers.append(Viewer([a.base_ws], m.id).start())
    captioners = [
        Captioner(both, m.id, keys["captioner:plenary"], "on-doomed", 60),
        Captioner([a.base_ws], m.id, keys["captioner:plenary"], "on-a", 60),
    ]
    work = [asyncio.create_task(c.run()) for c in captioners]
    while sum(len(c.acked) for c in captioners) < 40:
        await asyncio.sleep(0.02)
    doomed.kill()
    await asyncio.wait_for(asyncio.gather(*work), 60)
    total = 120
    for viewer in viewers:
        await viewer.wait_for(total)
    marker = await mark_the_end([a.base_ws], m.id, keys["captioner:plenary"], viewers, total)
    for viewer in viewers:
        await viewer.stop()
    check_exactly_once(viewers, [*captioners, marker], total + 1)
    assert all(v.connects >= 2 for v in viewers[:4])  # they did move to the other process
    assert await record(deployment.url, room_key(m.id, "plenary")) == list(range(1, total + 2))


async def test_sigkill_and_restart_of_redis_under_load_loses_nothing(
    deployment: Deployment, meeting: tuple[Meeting, dict[str, str]]
) -> None:
    a, b = deployment.processes[:2]
    m, keys = meeting
    viewers = [Viewer([p.base_ws], m.id).start() for p in (a, b, a, b)]
    captioners = [
        Captioner([p.base_ws], m.id, keys["captioner:plenary"], f"cap-{i}", 50)
        for i, p in enumerate((a, b))
    ]
    work = [asyncio.create_task(c.run()) for c in captioners]
    while sum(len(c.acked) for c in captioners) < 30:
        await asyncio.sleep(0.02)
    deployment.redis.kill()
    await asyncio.sleep(0.5)  # captioners get retryable errors meanwhile
    await asyncio.to_thread(deployment.redis.start)
    await asyncio.wait_for(asyncio.gather(*work), 60)
    total = 100
    for viewer in viewers:
        await viewer.wait_for(total)
    marker = await mark_the_end([a.base_ws], m.id, keys["captioner:plenary"], viewers, total)
    for viewer in viewers:
        await viewer.stop()
    check_exactly_once(viewers, [*captioners, marker], total + 1)
    assert sum(c.errors for c in captioners) > 0  # the outage was seen, and retried
    assert await record(deployment.url, room_key(m.id, "plenary")) == list(range(1, total + 2))
    async with httpx.AsyncClient() as http:
        for p in (a, b):
            health = (await http.get(f"{p.base}/healthz")).json()
            assert health["ok"] is True and health["record"] == "ok"
            metrics = (await http.get(f"{p.base}/metrics")).text
            assert "plenary_backend_reconnects_total 1.0" in metrics


async def test_redis_restarted_empty_is_detected(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    url = redis.url("empty")
    proc = ServerProcess(free_port(), tmp_path / "data", backend=url).start()
    try:
        backend = backend_from_url(url)
        await backend.start()
        m, keys = await admin.create_meeting(backend, "WGEC", ["Plenary"])
        await backend.close()
        cap = await Client.connect(
            proc.base_ws, m.id, "plenary", key=keys["captioner:plenary"], client="c"
        )
        for n in range(1, 6):
            await cap.send(type="commit", n=n, text=f"line {n}")
            await cap.recv_type("ack")
        redis.kill()
        await asyncio.to_thread(redis.start, True)  # wiped: Redis lost everything
        async with httpx.AsyncClient() as http:
            deadline = time.monotonic() + 15
            while True:
                response = await http.get(f"{proc.base}/healthz")
                if response.json().get("record") == "lost":
                    break
                assert time.monotonic() < deadline, response.text
                await asyncio.sleep(0.1)
        assert response.status_code == 503
        assert "restarted empty" in response.json()["error"]
        # The connected captioner is refused, with a retryable error, and nothing is numbered 1.
        await cap.send(type="commit", n=6, text="would reuse seq 1")
        error = await cap.recv_type("error", "ack")
        assert error["type"] == "error" and error["retry"] is True
        assert "no sequence number is reused" in error["message"]
        with redis.client() as client:
            assert client.exists(f"empty:{room_key(m.id, 'plenary')}:log") == 0
        await cap.close()
    finally:
        proc.stop()
        redis.stop()
