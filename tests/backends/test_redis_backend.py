"""The backend interface, run on both backends: the record, cursors, expect_seq, fan-out, meetings.
Plus what only Redis can show: two backends (two processes) on one Redis, identical frames."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.crc import key_slot

from server.backends import Backend, backend_from_url
from server.backends.base import Conflict
from server.backends.redis_keys import Keys, RedisURL
from server.domain.events import Draft, Event
from server.domain.keys import room_key
from server.domain.meetings import Meeting
from server.limits import MAX_ID
from tests.backends.helpers import ROOM, Collector, lines
from tests.conftest import LiveServer
from tests.redis_support import RedisServer
from tests.support import Client, eventually


async def started(url: str) -> Backend:
    backend = backend_from_url(url)
    await backend.start()
    return backend


@pytest.fixture
async def pair(redis_server: RedisServer) -> AsyncIterator[tuple[Backend, Backend]]:
    """Two backends on one Redis, as two server processes would have."""
    url = redis_server.url()
    a, b = await started(url), await started(url)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


# -- the same behaviour on both backends ---------------------------------------------------------
async def test_append_read_last_seq(backend: Backend) -> None:
    assert await backend.last_seq(ROOM) == 0
    assert await backend.read(ROOM, 0, 10) == []
    first = await backend.append(ROOM, lines("one", "two"))
    assert [e.seq for e in first.events] == [1, 2]
    second = await backend.append(ROOM, lines("three"))
    assert [e.seq for e in second.events] == [3]
    assert await backend.last_seq(ROOM) == 3
    record = await backend.read(ROOM, 0, 10)
    assert [(e.seq, e.data["text"]) for e in record] == [(1, "one"), (2, "two"), (3, "three")]
    assert [e.frame for e in record] == [e.frame for e in first.events + second.events]
    assert [e.seq for e in await backend.read(ROOM, 1, 1)] == [2]
    assert [e.seq for e in await backend.read(ROOM, 3, 10)] == []
    assert await backend.rooms_with_events() == [ROOM]


async def test_cursor_makes_repeats_duplicates(backend: Backend) -> None:
    assert await backend.cursor(ROOM, "zoom:k1") == 0
    assert len((await backend.append(ROOM, lines("a"), cursor=("zoom:k1", 1))).events) == 1
    again = await backend.append(ROOM, lines("a"), cursor=("zoom:k1", 1))
    assert again.duplicate and again.events == []
    older = await backend.append(ROOM, lines("a"), cursor=("zoom:k1", 0))
    assert older.duplicate
    # Another source has its own counter; an empty append still advances the cursor.
    assert not (await backend.append(ROOM, lines("b"), cursor=("zoom:k2", 1))).duplicate
    assert (await backend.append(ROOM, [], cursor=("zoom:k1", 5))).events == []
    assert await backend.cursor(ROOM, "zoom:k1") == 5
    assert (await backend.append(ROOM, lines("c"), cursor=("zoom:k1", 4))).duplicate
    assert await backend.last_seq(ROOM) == 2


async def test_huge_cursor_values_compare_exactly(backend: Backend) -> None:
    big = MAX_ID - 1  # the largest cursors there are: must not be rounded
    await backend.append(ROOM, lines("a"), cursor=("zoom:k", big))
    assert (await backend.append(ROOM, lines("a"), cursor=("zoom:k", big))).duplicate
    assert not (await backend.append(ROOM, lines("b"), cursor=("zoom:k", big + 1))).duplicate
    assert await backend.cursor(ROOM, "zoom:k") == big + 1
    # Beyond them, the append is refused before anything is written (issue: one message must
    # not stop a process), and the next append goes through.
    with pytest.raises(ValueError, match="out of range"):
        await backend.append(ROOM, lines("c"), cursor=("zoom:k", MAX_ID + 1))
    assert len((await backend.append(ROOM, lines("d"))).events) == 1


async def test_expect_seq_conflict_appends_nothing(backend: Backend) -> None:
    await backend.append(ROOM, lines("one"))
    with pytest.raises(Conflict) as info:
        await backend.append(ROOM, lines("stale"), expect_seq=0)
    assert info.value.last_seq == 1
    assert len((await backend.append(ROOM, lines("ok"), expect_seq=1)).events) == 1
    # A conflicting command with a cursor does not consume the cursor.
    with pytest.raises(Conflict):
        await backend.append(ROOM, lines("x"), expect_seq=0, cursor=("ws:c", 1))
    assert await backend.cursor(ROOM, "ws:c") == 0
    assert [e.data["text"] for e in await backend.read(ROOM, 0, 10)] == ["one", "ok"]


async def test_subscription_delivers_recorded_and_ephemeral_in_order(backend: Backend) -> None:
    got = Collector()
    await backend.subscribe(ROOM, got)
    await backend.append(ROOM, lines("one", "two"))
    await backend.publish(ROOM, b'{"type":"live","room":"plenary","ts":1,"data":{}}')
    await backend.append(ROOM, lines("three"))
    await got.until(lambda c: len(c.got) == 4)
    assert [s for s, _ in got.got] == [1, 2, None, 3]
    assert got.got[2][1] == b'{"type":"live","room":"plenary","ts":1,"data":{}}'
    record = await backend.read(ROOM, 0, 10)
    assert [f for s, f in got.got if s is not None] == [e.frame for e in record]
    await backend.unsubscribe(ROOM)
    await backend.append(ROOM, lines("four"))
    # A new subscriber gets the line after it: had "four" been delivered, it would be here.
    later = Collector()
    await backend.subscribe(ROOM, later)
    await backend.append(ROOM, lines("five"))
    await later.until(lambda c: 5 in c.seqs())
    assert len(got.got) == 4


async def test_meetings_save_is_compare_and_set(backend: Backend) -> None:
    meeting = Meeting("abc123", "Working group")
    meeting.add_room("Plenary")
    await backend.save_meeting(meeting)
    assert meeting.version == 1
    first = await backend.load_meeting("abc123")
    second = await backend.load_meeting("abc123")
    assert first is not None and second is not None and first.version == 1
    first.title = "Renamed"
    await backend.save_meeting(first)
    second.title = "Lost update"
    with pytest.raises(Conflict):
        await backend.save_meeting(second)
    assert second.version == 1
    loaded = await backend.load_meeting("abc123")
    assert loaded is not None and loaded.title == "Renamed" and loaded.version == 2
    with pytest.raises(Conflict):
        await backend.save_meeting(Meeting("abc123", "created twice"))
    await backend.save_meeting(Meeting("zzz999", "Second"))
    assert [m.id for m in await backend.list_meetings()] == ["abc123", "zzz999"]
    assert await backend.load_meeting("nope") is None


async def test_health_reports_ok(backend: Backend) -> None:
    report = await backend.health()
    assert report["ok"] is True


# -- two processes on one Redis ------------------------------------------------------------------
async def test_identical_frames_on_both_backends(tmp_path: Path, redis_server: RedisServer) -> None:
    embedded = await started(f"sqlite:///{tmp_path / 'r.db'}")
    redis = await started(redis_server.url())
    try:
        drafts = lines("Distinguished delegates,", 'unicode: é — 中文 "quoted"\\', "")
        drafts.append(Draft("correction", "plenary", {"line": 1, "text": "x", "was": "y"}, ts=5))
        a = await embedded.append(ROOM, drafts, cursor=("zoom:k", 1))
        b = await redis.append(ROOM, drafts, cursor=("zoom:k", 1))
        assert [e.frame for e in a.events] == [e.frame for e in b.events]
        assert [e.frame for e in await embedded.read(ROOM, 0, 10)] == [
            e.frame for e in await redis.read(ROOM, 0, 10)
        ]
        assert Event.from_frame(b.events[1].frame).data["text"] == drafts[1].data["text"]
    finally:
        await embedded.close()
        await redis.close()


async def test_other_process_receives_appends(pair: tuple[Backend, Backend]) -> None:
    a, b = pair
    got = Collector()
    await b.subscribe(ROOM, got)
    for i in range(50):
        await a.append(ROOM, lines(f"line {i}"))
    await got.until(lambda c: len(c.seqs()) == 50)
    assert got.seqs() == list(range(1, 51))
    assert await b.last_seq(ROOM) == 50


async def test_concurrent_commands_from_two_processes_never_conflict_in_the_record(
    pair: tuple[Backend, Backend],
) -> None:
    """Both processes decide on the same state and append with expect_seq: exactly one wins
    each round; the loser sees Conflict with the winner's position."""
    a, b = pair
    winners = []
    for round_ in range(30):
        results = await asyncio.gather(
            a.append(ROOM, lines(f"a{round_}"), expect_seq=round_),
            b.append(ROOM, lines(f"b{round_}"), expect_seq=round_),
            return_exceptions=True,
        )
        ok = [r for r in results if not isinstance(r, BaseException)]
        conflicts = [r for r in results if isinstance(r, Conflict)]
        assert len(ok) == 1 and len(conflicts) == 1, results
        assert conflicts[0].last_seq == round_ + 1
        winners.append(ok[0].events[0].data["text"])
    record = await a.read(ROOM, 0, 100)
    assert [e.seq for e in record] == list(range(1, 31))
    assert [e.data["text"] for e in record] == winners


async def test_concurrent_appends_from_two_processes_are_gap_free(
    pair: tuple[Backend, Backend],
) -> None:
    a, b = pair
    got = Collector()
    await a.subscribe(ROOM, got)
    await asyncio.gather(*(x.append(ROOM, lines(f"{i}")) for i in range(100) for x in (a, b)))
    await got.until(lambda c: len(c.seqs()) == 200)
    assert got.seqs() == list(range(1, 201))
    assert [e.seq for e in await b.read(ROOM, 0, 1000)] == list(range(1, 201))


async def test_meeting_saved_on_one_process_conflicts_on_the_other(
    pair: tuple[Backend, Backend],
) -> None:
    a, b = pair
    await a.save_meeting(Meeting("mtg1", "One"))
    on_a, on_b = await a.load_meeting("mtg1"), await b.load_meeting("mtg1")
    assert on_a is not None and on_b is not None
    on_a.title = "A"
    await a.save_meeting(on_a)
    with pytest.raises(Conflict):
        await b.save_meeting(on_b)


async def test_keys_of_a_room_share_one_hash_slot(redis_server: RedisServer) -> None:
    backend = await started(redis_server.url("slots"))
    try:
        await backend.append("{mtg/room-a}", lines("x"), cursor=("zoom:k", 1))
        await backend.subscribe("{mtg/room-a}", Collector())
    finally:
        await backend.close()
    with redis_server.client() as client:
        keys = sorted(k.decode() for k in client.keys("slots:*"))
        assert keys == [
            "slots:{mtg/room-a}:cursors",
            "slots:{mtg/room-a}:log",
            "slots:{mtg/room-a}:meta",
        ]
        assert len({key_slot(k.encode()) for k in [*keys, "slots:{mtg/room-a}"]}) == 1
        # The stream is the record: entry id 0-SEQ, never trimmed.
        assert client.xrange("slots:{mtg/room-a}:log")[0][0] == b"0-1"


@pytest.mark.parametrize(
    "backend_url", [pytest.param("redis", marks=pytest.mark.redis)], indirect=True
)
async def test_one_subscription_per_room_not_per_client(
    live: LiveServer, redis_server: RedisServer
) -> None:
    key = room_key(live.meeting.id, "plenary")
    channel = Keys(RedisURL.parse(live.plenary.backend.url).prefix).room_base(key)

    def subscribers() -> int:
        with redis_server.client() as client:
            return int(client.execute_command("PUBSUB", "SHARDNUMSUB", channel)[1])

    assert subscribers() == 0
    viewers = [await Client.connect(live.base_ws, live.meeting.id, "plenary") for _ in range(5)]
    assert subscribers() == 1
    for viewer in viewers:
        await viewer.close()
    # The room's projection follows it a while longer, then lets go of it.
    await eventually(lambda: not live.plenary.hub.channels[key].outboxes, what="viewers gone")
    await live.plenary.rooms.sweep(0)
    await eventually(lambda: subscribers() == 0, what="the subscription to be dropped")
