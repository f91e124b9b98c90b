"""The same backend on a three-node Redis Cluster started here: a room's keys share one slot,
pub/sub is sharded, rooms spread over the nodes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.crc import key_slot

from server.backends import Backend, backend_from_url
from server.backends.base import Conflict
from tests.backends.helpers import Collector, lines
from tests.redis_support import RedisCluster

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    nodes = RedisCluster(Path(tmp_path_factory.mktemp("cluster"))).start()
    try:
        yield nodes
    finally:
        nodes.stop()


def rooms_on_every_node() -> list[str]:
    """Room keys whose slots land on each node (`redis-cli --cluster create` gives the nodes
    slots 0-5460, 5461-10922 and 10923-16383). The hash tag alone decides the slot."""
    found: dict[int, str] = {}
    n = 0
    while len(found) < 3:
        room = f"{{meeting{n}/plenary}}"
        slot = key_slot(room.encode())
        found.setdefault(0 if slot <= 5460 else 1 if slot <= 10922 else 2, room)
        n += 1
    return list(found.values())


async def started(url: str) -> Backend:
    backend = backend_from_url(url)
    await backend.start()
    return backend


async def test_append_read_subscribe_resume_on_a_cluster(cluster: RedisCluster) -> None:
    url = cluster.url()
    a, b = await started(url), await started(url)
    try:
        assert (await a.health())["ok"] is True
        assert (await a.health())["mode"] == "cluster"
        rooms = rooms_on_every_node()
        got = {room: Collector() for room in rooms}
        for room in rooms:
            await b.subscribe(room, got[room])
        for i in range(10):
            for room in rooms:
                await a.append(room, lines(f"{room} {i}"), cursor=("zoom:k", i + 1))
        await a.publish(rooms[0], b'{"type":"live","room":"plenary","ts":1,"data":{}}')
        for room in rooms:
            await got[room].until(lambda c: len(c.seqs()) == 10)
            assert got[room].seqs() == list(range(1, 11))
            record = await b.read(room, 0, 100)
            assert [f for s, f in got[room].got if s is not None] == [e.frame for e in record]
            # Resume from any point.
            assert [e.seq for e in await b.read(room, 7, 100)] == [8, 9, 10]
            assert await b.last_seq(room) == 10
            assert await b.cursor(room, "zoom:k") == 10
            assert (await a.append(room, lines("again"), cursor=("zoom:k", 10))).duplicate
        await got[rooms[0]].until(lambda c: None in [s for s, _ in c.got])
        # One sharded subscription connection per node, shared by the rooms on it.
        report = await b.health()
        assert report["pubsub"] == "sharded" and report["pubsub_connections"] == 3
        assert report["subscriptions"] == 3
        # Commands from two processes: one wins, the other conflicts.
        results = await asyncio.gather(
            a.append(rooms[1], lines("a"), expect_seq=10),
            b.append(rooms[1], lines("b"), expect_seq=10),
            return_exceptions=True,
        )
        assert sum(isinstance(r, Conflict) for r in results) == 1
        assert sorted(await a.rooms_with_events()) == sorted(rooms)
    finally:
        await a.close()
        await b.close()


async def test_meetings_on_a_cluster(cluster: RedisCluster) -> None:
    from server.services import admin

    backend = await started(cluster.url())
    try:
        meeting, _ = await admin.create_meeting(backend, "Cluster meeting", ["Plenary", "B"])
        loaded = await backend.load_meeting(meeting.id)
        assert loaded is not None and [r.id for r in loaded.rooms] == ["plenary", "b"]
        assert [m.id for m in await backend.list_meetings()] == [meeting.id]
    finally:
        await backend.close()
