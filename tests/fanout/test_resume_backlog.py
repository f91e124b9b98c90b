"""Clients resuming from the same point share one backlog frame built from the recent events."""

from __future__ import annotations

from server.backends import Backend
from server.domain.events import Draft
from server.domain.keys import room_key
from server.fanout.hub import Hub
from server.fanout.wire import text_frame

KEY = room_key("m1", "plenary")


async def _append(backend: Backend, hub: Hub, texts: list[str]) -> int:
    result = await backend.append(KEY, [Draft("line", "plenary", {"text": t}) for t in texts])
    seq = result.events[-1].seq
    await hub.sync(KEY, seq)  # delivered to the channel, so in its recent events
    return seq


async def _joined(backend: Backend, after: int, upto: int) -> bytes:
    events = await backend.read(KEY, after, 10_000)
    return b"\n".join(e.frame for e in events if e.seq <= upto)


async def test_resuming_clients_share_one_frame_equal_to_the_record(backend: Backend) -> None:
    hub = Hub(backend)
    async with hub.join(KEY, 0) as sub:
        channel = sub.channel
        first = await _append(backend, hub, [f"line {i}" for i in range(1, 11)])
        assert first == 10
        shared = hub.recent_backlog(channel, 3, 10)
        assert shared is not None
        assert shared.plain == text_frame(await _joined(backend, 3, 10))
        assert shared.text == await _joined(backend, 3, 10)
        # The next client resuming from the same point gets the very same bytes, not a copy.
        again = hub.recent_backlog(channel, 3, 10)
        assert again is shared
        # Events since: the shared frame is extended, and still equals the record.
        last = await _append(backend, hub, ["eleven", "twelve"])
        longer = hub.recent_backlog(channel, 3, last)
        assert longer is not None and longer.plain == text_frame(await _joined(backend, 3, last))
        # Another resume point, and a range ending before the newest event.
        other = hub.recent_backlog(channel, 0, 5)
        assert other is not None and other.plain == text_frame(await _joined(backend, 0, 5))
        # What the paged reader would send is the same frames.
        pages = [p async for p in hub.backlog(channel, 3, last)]
        assert b"\n".join(f for page in pages for f in page) == longer.text
        # Nothing to send, or more than the room has delivered: not from memory.
        assert hub.recent_backlog(channel, last, last) is None
        assert hub.recent_backlog(channel, 0, last + 1) is None


async def test_events_older_than_the_recent_cache_are_read_from_the_record(
    backend: Backend,
) -> None:
    # Events recorded before this process followed the room are not in its recent events.
    await backend.append(KEY, [Draft("line", "plenary", {"text": f"old {i}"}) for i in range(4)])
    hub = Hub(backend)
    async with hub.join(KEY, 0) as sub:
        last = await _append(backend, hub, ["new"])
        assert hub.recent_backlog(sub.channel, 0, last) is None
        assert hub.recent_backlog(sub.channel, 4, last) is not None  # only the new one
        pages = [p async for p in hub.backlog(sub.channel, 0, last)]
        assert b"\n".join(f for page in pages for f in page) == await _joined(backend, 0, last)
