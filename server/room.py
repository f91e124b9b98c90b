"""A room inside one server process: its projection, its commands, its live lines.

The projection follows the room's log through the hub, like any client. Commands are decided
against it and appended with ``expect_seq`` so that a command decided on stale state (another
process appended first) is re-decided on the new state, never recorded twice or in conflict.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from server.backends.base import AppendResult, Conflict
from server.events import Draft, Event, ephemeral_frame
from server.floor import attribute
from server.hub import Channel, Hub
from server.limits import BACKLOG_PAGE, LIVE_FLUSH_INTERVAL_S, MAX_COMMAND_RETRIES
from server.metrics import METRICS
from server.state import CommandRejected, RoomState

Decide = Callable[[RoomState], Sequence[Draft]]


def room_key(meeting_id: str, room_id: str) -> str:
    # The braces make Redis Cluster put every key of a room in one hash slot.
    return f"{{{meeting_id}/{room_id}}}"


@dataclass(slots=True)
class LiveLine:
    name: str
    text: str


class RoomRuntime:
    def __init__(self, hub: Hub, meeting_id: str, room_id: str) -> None:
        self.hub = hub
        self.backend = hub.backend
        self.meeting_id = meeting_id
        self.room_id = room_id
        self.key = room_key(meeting_id, room_id)
        self.state = RoomState(room_id)
        self._lock = asyncio.Lock()
        self._loaded = asyncio.Event()
        self._loading = asyncio.Lock()
        self._channel: Channel | None = None
        self._early: list[tuple[int, str]] = []
        self.last_used = time.monotonic()
        self.live: dict[str, LiveLine] = {}
        self._dirty: set[str] = set()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._last_flush = 0.0

    # -- following the log -----------------------------------------------------------------
    async def load(self) -> None:
        if self._loaded.is_set():
            return
        # A lock, not a flag: when loading fails (the backend is unavailable), the next caller
        # tries again instead of waiting forever for a load that will not finish.
        async with self._loading:
            if self._loaded.is_set():
                return
            if self._channel is None:
                self._channel = await self.hub.attach(self.key, self.on_event)
            upto = self._channel.last_seq
            while self.state.seq < upto:
                events = await self.backend.read(self.key, self.state.seq, BACKLOG_PAGE)
                if not events:
                    break
                for ev in events:
                    self.state.apply(ev.seq, ev.type, ev.ts, ev.data)
            early, self._early = self._early, []
            self._loaded.set()
        for seq, text in early:
            self.on_event(seq, text)

    def on_event(self, seq: int, text: str) -> None:
        if not self._loaded.is_set():
            self._early.append((seq, text))
            return
        if seq <= self.state.seq:
            return
        obj = json.loads(text)
        self.state.apply(seq, obj["type"], obj["ts"], obj["data"])
        METRICS.fanout_lag.observe(max(0.0, time.time() - obj["ts"] / 1000))

    async def catch_up(self) -> None:
        while True:
            events = await self.backend.read(self.key, self.state.seq, BACKLOG_PAGE)
            for ev in events:
                self.state.apply(ev.seq, ev.type, ev.ts, ev.data)
            if len(events) < BACKLOG_PAGE:
                return

    def _apply_own(self, events: list[Event]) -> None:
        for ev in events:
            if ev.seq == self.state.seq + 1:
                self.state.apply(ev.seq, ev.type, ev.ts, ev.data)

    # -- commands --------------------------------------------------------------------------
    async def execute(self, decide: Decide, cursor: tuple[str, int] | None = None) -> list[Event]:
        """Decide drafts against the current state and append them atomically with it.
        Returns no events when the cursor shows the command was already carried out."""
        await self.load()
        async with self._lock:
            for _ in range(MAX_COMMAND_RETRIES):
                drafts = list(decide(self.state))
                if not drafts:
                    return []
                try:
                    result = await self.backend.append(
                        self.key, drafts, expect_seq=self.state.seq, cursor=cursor
                    )
                except Conflict:
                    await self.catch_up()
                    continue
                METRICS.appends.inc(len(result.events))
                self._apply_own(result.events)
                return result.events
        raise CommandRejected("busy", "the room is changing too fast; try again")

    async def commit_lines(
        self,
        lines: Sequence[dict[str, str]],
        by: str | None,
        cursor: tuple[str, int] | None = None,
    ) -> AppendResult:
        """Record committed transcript lines (each a dict with at least ``text``). Lines need no
        check beyond the room being open, so they are appended without ``expect_seq`` and never
        wait behind a command."""
        await self.load()
        self.state.require_open()
        # Attributed to whoever has the floor, tagged with the current agenda item.
        drafts = [Draft("line", self.room_id, attribute(self.state, line)) for line in lines]
        if by is not None:
            self.clear_live(by)
        result = await self.backend.append(self.key, drafts, cursor=cursor)
        METRICS.appends.inc(len(result.events))
        self._apply_own(result.events)
        return result

    async def correct(
        self, line_seq: int, text: str, captioner: str, cursor: tuple[str, int] | None = None
    ) -> list[Event]:
        def decide(state: RoomState) -> list[Draft]:
            state.require_open()
            line = state.require_line(line_seq)
            return [
                Draft(
                    "correction",
                    self.room_id,
                    {"line": line_seq, "text": text, "was": line.text, "captioner": captioner},
                )
            ]

        return await self.execute(decide, cursor)

    async def set_open(self, is_open: bool, by: str) -> list[Event]:
        def decide(state: RoomState) -> list[Draft]:
            if state.open == is_open:
                return []
            return [Draft("room.opened" if is_open else "room.closed", self.room_id, {"by": by})]

        return await self.execute(decide)

    # -- the live line ---------------------------------------------------------------------
    def edit_live(self, by: str, name: str, delete: int, insert: str, limit: int) -> bool:
        """Apply one keystroke edit: remove ``delete`` characters from the end, append
        ``insert``. Returns False (and changes nothing) if the line would exceed ``limit``."""
        line = self.live.get(by)
        text = line.text if line is not None else ""
        if delete:
            text = text[: max(0, len(text) - delete)]
        text += insert
        if len(text) > limit:
            return False
        self.live[by] = LiveLine(name, text)
        self._mark(by)
        return True

    def clear_live(self, by: str) -> None:
        if by in self.live:
            self.live[by].text = ""
            self._mark(by)

    def drop_live(self, by: str) -> None:
        self.clear_live(by)
        self.live.pop(by, None)

    def _mark(self, by: str) -> None:
        self._dirty.add(by)
        if self._flush_handle is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_flush + LIVE_FLUSH_INTERVAL_S - loop.time())
        self._flush_handle = loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        """Publish every changed live line of the room in one frame, at most ten times a second
        whatever the typing rate."""
        loop = asyncio.get_running_loop()
        self._flush_handle = None
        self._last_flush = loop.time()
        lines = [
            {
                "by": by,
                "name": self.live[by].name if by in self.live else "",
                "text": self.live[by].text if by in self.live else "",
            }
            for by in sorted(self._dirty)
        ]
        self._dirty.clear()
        frame = ephemeral_frame("live", self.room_id, {"lines": lines, "after": self.state.seq})
        task = loop.create_task(self.backend.publish(self.key, frame))
        task.add_done_callback(_ignore_failure)


def _ignore_failure(task: asyncio.Task[None]) -> None:
    # The live line is ephemeral: a publish lost during a Redis outage is superseded by the next.
    if not task.cancelled():
        task.exception()


class Rooms:
    """The rooms this process follows. A room nobody here has used for a while is let go, so its
    backend subscription is dropped (see ``sweep``)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._rooms: dict[str, RoomRuntime] = {}

    async def get(self, meeting_id: str, room_id: str) -> RoomRuntime:
        key = room_key(meeting_id, room_id)
        runtime = self._rooms.get(key)
        if runtime is None:
            runtime = RoomRuntime(self.hub, meeting_id, room_id)
            self._rooms[key] = runtime
        runtime.last_used = time.monotonic()
        await runtime.load()
        return runtime

    async def sweep(self, idle_s: float) -> None:
        """Let go of rooms with no local clients that nothing has used for ``idle_s``."""
        now = time.monotonic()
        for key, runtime in list(self._rooms.items()):
            channel = self.hub.channels.get(key)
            if channel is not None and channel.outboxes:
                runtime.last_used = now
                continue
            if now - runtime.last_used >= idle_s and not runtime.live:
                del self._rooms[key]
                await self.hub.detach(key, runtime.on_event)
