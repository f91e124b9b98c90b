"""Two server processes on one Redis, each with its own projection of the room, run the same
speakers' list: commands decided on a stale projection meet a conflict, are decided again on the
new state and refused when they no longer make sense; both projections end identical."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from server.backends import Backend, backend_from_url
from server.domain import floor_rules
from server.domain.errors import CommandRejected
from server.domain.events import now_ms
from server.domain.floor import Who
from server.fanout.hub import Hub
from server.services.room import RoomRuntime
from tests.redis_support import RedisServer
from tests.support import eventually

pytestmark = pytest.mark.redis

PEOPLE = [
    Who(f"p{i}", f"Delegate {i}", f"Delegation {i}", "Governments", "remote") for i in range(6)
]


@pytest.fixture
async def two(redis_server: RedisServer) -> AsyncIterator[tuple[RoomRuntime, RoomRuntime]]:
    url = redis_server.url()
    backends: list[Backend] = []
    runtimes = []
    for _ in range(2):
        backend = backend_from_url(url)
        await backend.start()
        backends.append(backend)
        runtimes.append(RoomRuntime(Hub(backend), "m1", "plenary"))
    for r in runtimes:
        await r.load()
    try:
        yield runtimes[0], runtimes[1]
    finally:
        for b in backends:
            await b.close()


async def settled(a: RoomRuntime, b: RoomRuntime) -> None:
    """Both projections have followed the log to its end."""
    last = await a.backend.last_seq(a.key)
    await eventually(lambda: a.state.seq == b.state.seq == last, what=f"both projections at {last}")


async def attempt(runtime: RoomRuntime, rule) -> str:  # type: ignore[no-untyped-def]
    try:
        events = await runtime.execute(lambda s: rule(s, now_ms()))
    except CommandRejected as exc:
        return exc.code
    return "ok" if events else "nothing"


def asks(who: Who):  # type: ignore[no-untyped-def]
    """The rule of ``who`` asking to speak."""
    return lambda s, now: floor_rules.request(
        s, who, "speak", "", by=who.name, chair=False, now=now
    )


async def test_two_processes_granting_and_reordering_at_once(
    two: tuple[RoomRuntime, RoomRuntime],
) -> None:
    a, b = two
    for i, who in enumerate(PEOPLE):
        assert await attempt(a if i % 2 else b, asks(who)) == "ok"
    await settled(a, b)
    first = a.state.floor.waiting[0].id

    # Both grant the entry they see first: one wins, the other is refused (not given to the next).
    results = await asyncio.gather(
        attempt(a, lambda s, now: floor_rules.grant(s, first, None, by="Chair", now=now)),
        attempt(b, lambda s, now: floor_rules.grant(s, first, None, by="Secretariat", now=now)),
    )
    assert sorted(results) == ["entry_gone", "ok"]
    await settled(a, b)
    assert a.state.floor.current is not None and a.state.floor.current.entry == first

    # One removes an entry while the other reorders the list it saw: the reorder is refused
    # if it was decided on the list before the removal.
    ids = [e.id for e in b.state.floor.waiting]
    results = await asyncio.gather(
        attempt(a, lambda s, now: floor_rules.remove(s, ids[1], by="Chair", now=now)),
        attempt(b, lambda s, now: floor_rules.reorder(s, list(reversed(ids)), by="Secr.", now=now)),
    )
    assert results[0] == "ok" and results[1] in ("ok", "stale_list")
    await settled(a, b)
    assert [e.id for e in a.state.floor.waiting] == [e.id for e in b.state.floor.waiting]
    assert ids[1] not in [e.id for e in a.state.floor.waiting]

    # The same person asks twice, once on each process: one entry.
    late = Who("p-late", "Late Delegate", "Peru", "Governments", "remote")
    rule = asks(late)
    assert sorted(await asyncio.gather(attempt(a, rule), attempt(b, rule))) == ["nothing", "ok"]
    await settled(a, b)
    assert sum(e.who == late for e in b.state.floor.waiting) == 1
    assert a.state.floor.to_dict(0) == b.state.floor.to_dict(0)
