"""`plenary migrate`: embedded file → Redis → another embedded file gives the identical record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from server.backends import Backend, backend_from_url
from server.domain.events import Draft, Event
from server.domain.keys import room_key
from server.services import admin
from tests.redis_support import RedisServer
from tests.support import ROOT


def plenary(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def everything(
    url: str,
) -> tuple[
    list[tuple[str, int, str]], dict[str, list[bytes]], dict[str, int], dict[str, bytes | None]
]:
    backend = backend_from_url(url)
    await backend.start()
    try:
        meetings = [(m.id, len(m.credentials), m.title) for m in await backend.list_meetings()]
        frames: dict[str, list[bytes]] = {}
        for room in await backend.rooms_with_events():
            events: list[Event] = []
            while page := await backend.read(room, events[-1].seq if events else 0, 700):
                events += page
            frames[room] = [e.frame for e in events]
        cursors = {room: await backend.cursor(room, "zoom:k") for room in frames}
        files = {
            f"{m}/{f}": await backend.get_file(m, f)
            for m, _, _ in meetings
            for f in await backend.list_files(m)
        }
        return meetings, frames, cursors, files
    finally:
        await backend.close()


async def fill(backend: Backend) -> None:
    meeting, _ = await admin.create_meeting(backend, "WGEC", ["Plenary", "Break-out A"])
    plenary_key = room_key(meeting.id, "plenary")
    for n in range(1, 1501):  # more than one page
        await backend.append(
            plenary_key, [Draft("line", "plenary", {"text": f"line {n} é"})], cursor=("zoom:k", n)
        )
    await backend.append(
        plenary_key,
        [Draft("correction", "plenary", {"line": 1, "text": "fixed", "was": "line 1 é"})],
    )
    await backend.append(
        room_key(meeting.id, "break-out-a"), [Draft("room.closed", "break-out-a", {"by": "Chair"})]
    )
    # An interpretation channel's log moves with its room.
    await backend.append(
        room_key(meeting.id, "plenary", "fr"),
        [Draft("line", "plenary", {"text": "Merci, Monsieur le Président.", "lang": "fr"})],
        cursor=("zoom:k", 7),
    )
    # An attached file's bytes move with the record.
    await backend.put_file(meeting.id, "spreadsheet1", b"PK\x03\x04" + bytes(range(256)) * 40)


async def test_embedded_to_redis_and_back_is_identical(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    first = f"sqlite:///{tmp_path / 'first.db'}"
    source = backend_from_url(first)
    await source.start()
    try:
        await fill(source)
    finally:
        await source.close()
    redis_url = redis_server.url()
    second = f"sqlite:///{tmp_path / 'second.db'}"

    to_redis = plenary("migrate", first, redis_url)
    assert to_redis.returncode == 0, to_redis.stderr
    assert "1 meeting(s), 3 room(s): 1503 events copied" in to_redis.stdout
    back = plenary("migrate", redis_url, second)
    assert back.returncode == 0, back.stderr

    original = await everything(first)
    in_redis = await everything(redis_url)
    returned = await everything(second)
    assert original == in_redis == returned
    meetings, frames, cursors, files = original
    assert len(meetings) == 1 and sum(len(f) for f in frames.values()) == 1503
    assert sorted(cursors.values()) == [0, 7, 1500]
    assert [k for k in frames if k.endswith("~fr")] == [room_key(meetings[0][0], "plenary", "fr")]
    assert [len(v or b"") for v in files.values()] == [4 + 256 * 40]
    assert "1 files" in to_redis.stdout

    # Running it again verifies instead of copying twice.
    again = plenary("migrate", first, redis_url)
    assert again.returncode == 0, again.stderr
    assert "0 events copied, 1503 already there and identical" in again.stdout
    assert await everything(redis_url) == original


async def test_migrate_refuses_a_destination_with_another_record(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    src, dst = f"sqlite:///{tmp_path / 'a.db'}", redis_server.url()
    for url, text in ((src, "original"), (dst, "something else")):
        backend = backend_from_url(url)
        await backend.start()
        await backend.append("{m/plenary}", [Draft("line", "plenary", {"text": text}, ts=1)])
        await backend.close()
    result = plenary("migrate", src, dst)
    assert result.returncode == 2
    assert "already holds a different record" in result.stderr
