"""The room log (append-only, gap-free seq, atomic checks) and the projection built from it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3

import pytest

from server.backends import Backend, Conflict, backend_from_url
from server.backends.base import BackendUnavailable
from server.domain.events import Draft, Event
from tests.support import eventually

ROOM = "{m1/plenary}"


def line(text: str) -> Draft:
    return Draft("line", "plenary", {"text": text, "speaker": "", "lang": "", "captioner": "A"})


async def test_append_assigns_gap_free_seqs_and_read_returns_them(backend: Backend) -> None:
    first = await backend.append(ROOM, [line("a"), line("b")])
    second = await backend.append(ROOM, [line("c")])
    assert [e.seq for e in first.events + second.events] == [1, 2, 3]
    assert await backend.last_seq(ROOM) == 3
    events = await backend.read(ROOM, 0, 10)
    assert [(e.seq, e.data["text"]) for e in events] == [(1, "a"), (2, "b"), (3, "c")]
    assert [e.seq for e in await backend.read(ROOM, 2, 10)] == [3]
    assert await backend.read(ROOM, 3, 10) == []
    assert [e.seq for e in await backend.read(ROOM, 0, 2)] == [1, 2]


async def test_frame_is_the_one_encoding(backend: Backend) -> None:
    result = await backend.append(ROOM, [line("é <b>x</b>")])
    ev = result.events[0]
    assert json.loads(ev.frame) == {
        "seq": 1,
        "type": "line",
        "room": "plenary",
        "ts": ev.ts,
        "data": ev.data,
    }
    assert b"\n" not in ev.frame  # frames can be batched with newlines
    stored = (await backend.read(ROOM, 0, 1))[0]
    assert stored.frame == ev.frame
    assert Event.from_frame(stored.frame) == stored


async def test_rooms_have_separate_logs(backend: Backend) -> None:
    await backend.append(ROOM, [line("a")])
    other = await backend.append("{m1/break-out}", [line("b")])
    assert other.events[0].seq == 1
    assert await backend.last_seq("{m2/plenary}") == 0


async def test_concurrent_appends_never_share_or_skip_a_seq(backend: Backend) -> None:
    results = await asyncio.gather(*(backend.append(ROOM, [line(str(i))]) for i in range(200)))
    seqs = sorted(e.seq for r in results for e in r.events)
    assert seqs == list(range(1, 201))
    events = await backend.read(ROOM, 0, 500)
    assert [e.seq for e in events] == list(range(1, 201))


async def test_expect_seq_conflict(backend: Backend) -> None:
    await backend.append(ROOM, [line("a")], expect_seq=0)
    with pytest.raises(Conflict) as info:
        await backend.append(ROOM, [line("b")], expect_seq=0)
    assert info.value.last_seq == 1
    assert await backend.last_seq(ROOM) == 1
    await backend.append(ROOM, [line("b")], expect_seq=1)
    assert await backend.last_seq(ROOM) == 2


async def test_cursor_accepts_each_n_once(backend: Backend) -> None:
    r1 = await backend.append(ROOM, [line("one")], cursor=("zoom:k", 1))
    r2 = await backend.append(ROOM, [line("one again")], cursor=("zoom:k", 1))
    r3 = await backend.append(ROOM, [line("older")], cursor=("zoom:k", 0))
    r4 = await backend.append(ROOM, [line("three")], cursor=("zoom:k", 3))
    other = await backend.append(ROOM, [line("other source")], cursor=("zoom:j", 1))
    assert not r1.duplicate and r2.duplicate and r3.duplicate and not r4.duplicate
    assert not other.duplicate
    assert r2.events == [] and r3.events == []
    assert await backend.cursor(ROOM, "zoom:k") == 3
    assert await backend.cursor(ROOM, "zoom:j") == 1
    assert await backend.cursor(ROOM, "zoom:none") == 0
    texts = [e.data["text"] for e in await backend.read(ROOM, 0, 10)]
    assert texts == ["one", "three", "other source"]


async def test_concurrent_duplicates_are_recorded_once(backend: Backend) -> None:
    results = await asyncio.gather(
        *(backend.append(ROOM, [line("same")], cursor=("ws:c", 1)) for _ in range(20))
    )
    assert sum(not r.duplicate for r in results) == 1
    assert await backend.last_seq(ROOM) == 1


async def test_cursor_with_no_lines_advances(backend: Backend) -> None:
    r = await backend.append(ROOM, [], cursor=("zoom:k", 4))
    assert not r.duplicate and r.events == []
    assert await backend.cursor(ROOM, "zoom:k") == 4
    assert await backend.last_seq(ROOM) == 0


async def test_publish_and_subscribe(backend: Backend) -> None:
    got: list[tuple[int | None, bytes]] = []
    await backend.subscribe(ROOM, lambda seq, frame: got.append((seq, frame)))
    await backend.publish(ROOM, b'{"type":"live"}')
    result = await backend.append(ROOM, [line("a")])
    await eventually(lambda: len(got) >= 2, what="the frame and the event")
    assert got == [(None, b'{"type":"live"}'), (1, result.events[0].frame)]
    await backend.unsubscribe(ROOM)
    await backend.append(ROOM, [line("b")])
    # A new subscriber gets the line after it: had "b" been delivered, it would be here.
    later: list[int | None] = []
    await backend.subscribe(ROOM, lambda seq, frame: later.append(seq))
    await backend.append(ROOM, [line("c")])
    await eventually(lambda: 3 in later, what="the line after the unsubscribed one")
    assert len(got) == 2


async def test_embedded_record_survives_reopen(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    b = backend_from_url(url)
    await b.start()
    await b.append(ROOM, [line("a"), line("b")], cursor=("zoom:k", 2))
    await b.close()
    b = backend_from_url(url)
    await b.start()
    try:
        assert await b.last_seq(ROOM) == 2
        assert await b.cursor(ROOM, "zoom:k") == 2
        assert (await b.append(ROOM, [line("c")])).events[0].seq == 3
    finally:
        await b.close()


async def test_embedded_append_fails_cleanly_when_the_file_cannot_be_written(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    b = backend_from_url(url)
    await b.start()
    try:
        await b.append(ROOM, [line("a")])

        # A disk that refuses writes, simulated from outside through the file itself: a trigger
        # that aborts every insert (another connection's schema change reaches the writer).
        with contextlib.closing(sqlite3.connect(tmp_path / "r.db")) as other:
            other.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON events "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
            other.commit()
        with pytest.raises(BackendUnavailable):
            await b.append(ROOM, [line("lost?")])
        with contextlib.closing(sqlite3.connect(tmp_path / "r.db")) as other:
            other.execute("DROP TRIGGER refuse")
            other.commit()
        # No gap: the refused line did not take a seq.
        assert (await b.append(ROOM, [line("b")])).events[0].seq == 2
        assert [e.data["text"] for e in await b.read(ROOM, 0, 10)] == ["a", "b"]
    finally:
        await b.close()


# -- the projection --------------------------------------------------------------------------
