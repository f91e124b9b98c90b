"""A room inside one server process: its projection, its commands, its live lines.

The projection follows the room's log through the hub, like any client, and by that one path
only: its backlog when the room is first used, then every event the hub delivers, this
process's own appends included (``execute`` waits until the hub has delivered them). Commands
are decided against it and appended with ``expect_seq``, so that a command decided on stale state
(another process appended first) is decided again on the new state, never recorded twice or in
conflict.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from server.backends.base import AppendResult, BackendUnavailable, Conflict
from server.domain import caption_rules, correction_rules
from server.domain.channels import FLOOR
from server.domain.errors import CommandRejected
from server.domain.events import Draft, Event, ephemeral_frame, now_ms
from server.domain.keys import room_key
from server.domain.state import RoomState, attribute
from server.fanout.hub import Hub
from server.limits import (
    CAPTION_PAUSE_GRACE_S,
    CAPTION_PAUSE_S,
    LIVE_FLUSH_INTERVAL_S,
    MAX_COMMAND_RETRIES,
    RETRY_AFTER_S,
)
from server.metrics import METRICS

log = logging.getLogger("plenary.room")

Decide = Callable[[RoomState], Sequence[Draft]]


@dataclass(slots=True)
class LiveLine:
    name: str
    text: str


class RoomRuntime:
    """One caption channel of a room: its floor (the room's own log, with the speakers' list,
    the agenda and the rolling document) or an interpretation channel (server/domain/channels.py),
    whose log holds only its lines, corrections and caption stations.

    An interpretation channel's lines are attributed as the floor's are: its state shares the
    floor's speakers' list, agenda and rolling document (the objects themselves, kept up to date
    by the floor's log), and is open while the room is. ``Rooms`` keeps the floor runtime for as
    long as one of its channels is kept, so the shared parts are never a stale copy.
    """

    def __init__(
        self,
        hub: Hub,
        meeting_id: str,
        room_id: str,
        channel: str = FLOOR,
        floor: RoomRuntime | None = None,
    ) -> None:
        self.hub = hub
        self.backend = hub.backend
        self.meeting_id = meeting_id
        self.room_id = room_id
        self.channel = channel
        self.key = room_key(meeting_id, room_id, channel)
        # The runtime of the room's floor: itself for the floor.
        self.floor: RoomRuntime = floor if floor is not None else self
        if floor is None:
            self.state = RoomState(room_id)
        else:
            shared = floor.state
            self.state = RoomState(
                room_id, floor=shared.floor, agenda=shared.agenda, docs=shared.docs
            )
        self._lock = asyncio.Lock()
        self._loaded = asyncio.Event()
        self._loading = asyncio.Lock()
        self._attached = False
        self._early: list[tuple[int, bytes]] = []
        self.last_used = time.monotonic()
        self.live: dict[str, LiveLine] = {}
        self._dirty: set[str] = set()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._last_flush = 0.0
        # Caption stations whose open line this process recorded last (it closes them on a
        # pause; the other processes only if it has not), and the timer that does it.
        self._own_open: set[str] = set()
        self._pause_handle: asyncio.TimerHandle | None = None
        self._pause_task: asyncio.Task[None] | None = None

    # -- following the log -----------------------------------------------------------------
    async def load(self) -> None:
        if self._loaded.is_set():
            return
        # A lock, not a flag: when loading fails (the backend is unavailable), the next caller
        # tries again instead of waiting forever for a load that will not finish.
        async with self._loading:
            if self._loaded.is_set():
                return
            channel = self.hub.channels.get(self.key)
            if not self._attached:
                channel = await self.hub.attach(self.key, self.on_event)
                self._attached = True
            assert channel is not None
            async for frames in self.hub.backlog(channel, self.state.seq, channel.last_seq):
                for frame in frames:
                    self._apply(frame)
            early, self._early = self._early, []
            self._loaded.set()
        for seq, frame in early:
            self.on_event(seq, frame)
        self._watch_open_lines()

    @property
    def language(self) -> str:
        """The language of an interpretation channel's lines; "" for the floor (any language)."""
        return "" if self.channel == FLOOR else self.channel

    @property
    def is_open(self) -> bool:
        """Whether the room is open: the floor's log says (``room.opened``, ``room.closed``)."""
        return self.floor.state.open

    def _follow_floor(self) -> None:
        """An interpretation channel is open while its room is: copied before each decision."""
        self.state.open = self.floor.state.open

    def require_open(self) -> None:
        self._follow_floor()
        self.state.require_open()

    def on_event(self, seq: int, frame: bytes) -> None:
        """The hub delivers a recorded event (in order, once)."""
        if not self._loaded.is_set():
            self._early.append((seq, frame))
            return
        if seq > self.state.seq:
            ts = self._apply(frame)
            METRICS.fanout_lag.observe(max(0.0, time.time() - ts / 1000))
            if self.state.stations:
                self._watch_open_lines()

    def _apply(self, frame: bytes) -> int:
        obj = json.loads(frame)
        self.state.apply(obj["seq"], obj["type"], obj["ts"], obj["data"])
        ts: int = obj["ts"]
        return ts

    async def _append(
        self,
        drafts: Sequence[Draft],
        *,
        expect_seq: int | None = None,
        cursor: tuple[str, int] | None = None,
    ) -> AppendResult:
        result = await self.backend.append(self.key, drafts, expect_seq=expect_seq, cursor=cursor)
        METRICS.appends.inc(len(result.events))
        if result.events:
            await self.hub.sync(self.key, result.events[-1].seq)
        return result

    # -- commands --------------------------------------------------------------------------
    async def execute(self, decide: Decide, cursor: tuple[str, int] | None = None) -> list[Event]:
        """Decide drafts against the current state and append them atomically with it.
        Returns no events when the cursor shows the command was already carried out."""
        await self.load()
        async with self._lock:
            # A numbered command sent again (the client did not see its ack) was carried out:
            # it is acknowledged, not decided again on the state it changed (a correction
            # would now change nothing and be refused).
            if cursor is not None and cursor[1] <= await self.backend.cursor(self.key, cursor[0]):
                return []
            for _ in range(MAX_COMMAND_RETRIES):
                self._follow_floor()
                drafts = list(decide(self.state))
                if not drafts:
                    return []
                try:
                    result = await self._append(drafts, expect_seq=self.state.seq, cursor=cursor)
                except Conflict as exc:
                    # Another process appended first: decide again once its events are here.
                    await self.hub.sync(self.key, exc.last_seq)
                    continue
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
        self.require_open()
        # Attributed to whoever has the floor, tagged with the current agenda item (in every
        # channel: the state of an interpretation channel shares the floor's).
        drafts = [Draft("line", self.room_id, attribute(self.state, line)) for line in lines]
        if by is not None:
            self.clear_live(by)
        return await self._append(drafts, cursor=cursor)

    async def correct(
        self, line_seq: int, text: str, captioner: str, cursor: tuple[str, int] | None = None
    ) -> list[Event]:
        # Also in a closed room: a correction puts the record right, it adds nothing to it.
        def decide(state: RoomState) -> list[Draft]:
            return [correction_rules.correct_text(state, line_seq, text, captioner, now_ms())]

        return await self.execute(decide, cursor)

    async def set_open(self, is_open: bool, by: str) -> list[Event]:
        def decide(state: RoomState) -> list[Draft]:
            if state.open == is_open:
                return []
            now = now_ms()
            # Caption stations' open lines are lines of the meeting: recorded before it closes.
            drafts = [] if is_open else caption_rules.close_all(state, now)
            kind = "room.opened" if is_open else "room.closed"
            return [*drafts, Draft(kind, self.room_id, {"by": by}, now)]

        return await self.execute(decide)

    # -- caption stations ------------------------------------------------------------------
    async def caption(self, post: caption_rules.Post) -> list[Event]:
        """Record a caption POST (server/domain/caption_rules.py): no events for a retry."""
        events = await self.execute(lambda state: caption_rules.decide(state, post, now_ms()))
        if events and events[-1].type == "line.partial":
            self._own_open.add(post.station)
        elif events:
            self._own_open.discard(post.station)
        return events

    def has_open_lines(self) -> bool:
        """Whether a caption station's open line waits for its pause here."""
        return self.state.open and any(s.open is not None for s in self.state.stations.values())

    def _watch_open_lines(self) -> None:
        """Set the timer for the next open line due to be committed after a pause."""
        if self._pause_task is not None:
            return  # it sets the timer again when it is done
        if self._pause_handle is not None:
            self._pause_handle.cancel()
            self._pause_handle = None
        pause_ms = round(CAPTION_PAUSE_S * 1000)
        due: list[float] = []
        for by, station in self.state.stations.items():
            if station.open is None:
                continue
            grace = 0.0 if by in self._own_open else CAPTION_PAUSE_GRACE_S
            due.append((station.open.last_ts + pause_ms) / 1000 + grace)
        self._follow_floor()
        if not due or not self.state.open:
            return
        delay = max(0.0, min(due) - time.time()) + 0.001  # not before it is due, in ms
        loop = asyncio.get_running_loop()
        self._pause_handle = loop.call_later(delay, self._pause_due)

    def _pause_due(self) -> None:
        self._pause_handle = None
        self._pause_task = asyncio.get_running_loop().create_task(self._close_paused())

    async def _close_paused(self) -> None:
        pause_ms = round(CAPTION_PAUSE_S * 1000)
        retry = False
        try:
            await self.execute(lambda state: caption_rules.close_paused(state, now_ms(), pause_ms))
        except (BackendUnavailable, CommandRejected) as exc:
            log.warning("open caption lines in %s not committed yet: %s", self.key, exc)
            retry = True
        except Exception:
            log.exception("committing open caption lines in %s failed; trying again", self.key)
            retry = True
        finally:
            self._pause_task = None
        if retry:
            loop = asyncio.get_running_loop()
            self._pause_handle = loop.call_later(RETRY_AFTER_S * 2, self._pause_due)
        else:
            self._watch_open_lines()

    def stop(self) -> asyncio.Task[None] | None:
        """Cancel the timers (the room is let go, or the process stops); the commit that was
        running, if any, to wait for."""
        if self._pause_handle is not None:
            self._pause_handle.cancel()
            self._pause_handle = None
        task = self._pause_task
        if task is not None:
            task.cancel()
        return task

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
        self.backend = hub.backend
        self._rooms: dict[str, RoomRuntime] = {}
        hub.restarted.append(self._forget)

    def _forget(self, key: str) -> None:
        """The room's record went back (a new epoch): its projection is of the old one. The
        next use loads it again from the record."""
        runtime = self._rooms.pop(key, None)
        if runtime is None:
            return
        runtime.stop()
        channel = self.hub.channels.get(key)
        if channel is not None and runtime.on_event in channel.listeners:
            channel.listeners.remove(runtime.on_event)

    async def get(self, meeting_id: str, room_id: str, channel: str = FLOOR) -> RoomRuntime:
        """A room's floor, or one of its interpretation channels (the caller checks that the
        room has it: server/domain/channels.py)."""
        floor = None if channel == FLOOR else await self.get(meeting_id, room_id)
        key = room_key(meeting_id, room_id, channel)
        runtime = self._rooms.get(key)
        if runtime is None:
            runtime = RoomRuntime(self.hub, meeting_id, room_id, channel, floor)
            self._rooms[key] = runtime
        runtime.last_used = time.monotonic()
        await runtime.load()
        return runtime

    async def close_channel_lines(
        self, meeting_id: str, room_id: str, channels: Sequence[str]
    ) -> None:
        """Record the open caption lines of a room's interpretation channels, as lines: what a
        room that closes does first (its floor's own are recorded with its ``room.closed``)."""
        for channel in channels:
            runtime = await self.get(meeting_id, room_id, channel)
            await runtime.execute(lambda state: caption_rules.close_all(state, now_ms()))

    def followed(self) -> int:
        """How many rooms this process follows now."""
        return len(self._rooms)

    async def sweep(self, idle_s: float) -> None:
        """Let go of rooms with no local clients that nothing has used for ``idle_s``."""
        now = time.monotonic()
        # Interpretation channels first: a floor is kept while one of its channels is.
        ordered = sorted(self._rooms.items(), key=lambda kv: kv[1].floor is kv[1])
        for key, runtime in ordered:
            channel = self.hub.channels.get(key)
            if channel is not None and channel.outboxes:
                runtime.last_used = now
                continue
            if runtime.floor is runtime and any(
                r.floor is runtime and r is not runtime for r in self._rooms.values()
            ):
                continue
            # A room with an open caption line is kept: it commits that line after the pause.
            idle = now - runtime.last_used >= idle_s and not runtime.live
            if idle and not runtime.has_open_lines():
                del self._rooms[key]
                runtime.stop()
                await self.hub.detach(key, runtime.on_event)

    async def close(self) -> None:
        """Stop every room's timers (the process stops)."""
        tasks = [task for r in self._rooms.values() if (task := r.stop()) is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
