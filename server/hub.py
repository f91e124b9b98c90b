"""The per-process fan-out hub: one channel per room with local clients.

A channel holds the room's one backend subscription, the outboxes of its local clients, and the
last events already encoded, so a crowd that reconnects at once resumes from memory. Messages from
the backend are delivered in sequence order: one that skips ahead is held back while the missing
events are read from the record (a gap repair), so no client ever sees a hole.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from server.backends.base import Backend
from server.events import control_frame, ephemeral_frame
from server.limits import (
    BACKLOG_PAGE,
    LIVE_SNAPSHOT_MAX_AGE_S,
    MAX_BATCH_BYTES,
    RECENT_EVENTS_PER_ROOM,
)
from server.metrics import METRICS
from server.outbox import Outbox
from server.wire import text_frame

log = logging.getLogger("plenary.hub")


def room_id_of(key: str) -> str:
    """The room's id within its meeting, from its backend key ``{meeting/room}``."""
    return key.strip("{}").rpartition("/")[2]


@dataclass(slots=True)
class Channel:
    room: str
    outboxes: set[Outbox] = field(default_factory=set)
    # In-process followers of the log (the room's projection): called for every recorded event.
    listeners: list[Callable[[int, str], None]] = field(default_factory=list)
    recent: deque[tuple[int, str]] = field(
        default_factory=lambda: deque(maxlen=RECENT_EVENTS_PER_ROOM)
    )
    last_seq: int = -1  # -1 until the subscription is in place and the log position known
    held: dict[int, str] = field(default_factory=dict)  # arrived ahead of a gap
    early: list[tuple[int | None, bytes]] = field(default_factory=list)  # before last_seq known
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    repairing: bool = False
    # Frames waiting for the end of this turn of the event loop, to leave as one message.
    pending: list[str] = field(default_factory=list)
    pending_bytes: int = 0
    flush_scheduled: bool = False
    # The lines being typed, by captioner connection (from every process), with when they were
    # last seen, so that a viewer joining mid-sentence sees the sentence at once.
    live: dict[str, tuple[float, dict[str, str]]] = field(default_factory=dict)

    def note_live(self, frame: bytes) -> None:
        data = json.loads(frame).get("data", {})
        now = time.monotonic()
        for line in data.get("lines", []):
            if line.get("text"):
                self.live[line["by"]] = (now, line)
            else:
                self.live.pop(line["by"], None)

    def live_snapshot(self) -> str | None:
        """One ``live`` frame with every line being typed now, or None if nobody types."""
        horizon = time.monotonic() - LIVE_SNAPSHOT_MAX_AGE_S
        lines = [line for seen, line in self.live.values() if seen >= horizon]
        if not lines:
            return None
        return ephemeral_frame("live", room_id_of(self.room), {"lines": lines}).decode()


@dataclass(slots=True)
class Subscription:
    """What a client gets when it joins a room: its outbox and the backlog it must send first."""

    channel: Channel
    outbox: Outbox
    from_seq: int  # the client's resume point
    upto_seq: int  # the backlog is (from_seq, upto_seq]; live frames in the outbox follow it
    live: str | None = None  # the lines being typed when the client joined; sent after backlog


class Hub:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.channels: dict[str, Channel] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    # -- joining and leaving ---------------------------------------------------------------
    @asynccontextmanager
    async def join(self, room: str, after: int) -> AsyncIterator[Subscription]:
        """Subscribe a client to a room from its resume point; always leaves on exit."""
        channel = await self._channel(room)
        outbox = Outbox()
        # No await between reading last_seq and adding the outbox: every event after upto_seq
        # reaches the outbox, every event up to it is in the backlog. That closes the race
        # between reading the backlog and receiving live messages.
        # Frames not yet sent out belong to the clients already here: they are in this client's
        # backlog (up to last_seq), so they must not reach its outbox as well.
        self.flush(channel)
        sub = Subscription(channel, outbox, after, channel.last_seq, channel.live_snapshot())
        channel.outboxes.add(outbox)
        METRICS.connections.labels(room=room).inc()
        try:
            yield sub
        finally:
            channel.outboxes.discard(outbox)
            METRICS.connections.labels(room=room).dec()
            if not channel.outboxes and not channel.listeners:
                await self._drop(room, channel)

    async def attach(self, room: str, listener: Callable[[int, str], None]) -> Channel:
        """Follow a room's recorded events from now on (for in-process projections)."""
        channel = await self._channel(room)
        channel.listeners.append(listener)
        return channel

    async def backlog(self, sub: Subscription) -> AsyncIterator[list[str]]:
        """The frames a joining client missed, in pages, from memory when they are recent."""
        after, upto = sub.from_seq, sub.upto_seq
        recent = sub.channel.recent
        while after < upto:
            if recent and recent[0][0] <= after + 1:
                start = after + 1 - recent[0][0]
                frames = [f for s, f in list(recent)[start:] if s <= upto]
                if frames:
                    yield frames
                return
            events = await self.backend.read(sub.channel.room, after, BACKLOG_PAGE)
            frames = [e.frame.decode() for e in events if e.seq <= upto]
            if not frames:
                return
            yield frames
            after = events[-1].seq

    async def _channel(self, room: str) -> Channel:
        channel = self.channels.get(room)
        if channel is None:
            channel = Channel(room)
            self.channels[room] = channel
            lock = self._locks.setdefault(room, asyncio.Lock())
            async with lock:
                try:
                    await self.backend.subscribe(
                        room, lambda seq, frame: self._on_message(channel, seq, frame)
                    )
                    channel.last_seq = await self.backend.last_seq(room)
                except BaseException:
                    # Whoever waits on this channel retries with a new one.
                    del self.channels[room]
                    channel.ready.set()
                    raise
                early, channel.early = channel.early, []
                for seq, frame in early:
                    self._on_message(channel, seq, frame)
                channel.ready.set()
        await channel.ready.wait()
        if channel.last_seq < 0:
            return await self._channel(room)
        return channel

    async def detach(self, room: str, listener: Callable[[int, str], None]) -> None:
        """Stop following a room; the subscription goes when nothing local follows it."""
        channel = self.channels.get(room)
        if channel is not None and listener in channel.listeners:
            channel.listeners.remove(listener)
            if not channel.outboxes and not channel.listeners:
                await self._drop(room, channel)

    async def _drop(self, room: str, channel: Channel) -> None:
        # Under the room's lock, so that a new channel for the room subscribes only after this
        # unsubscribe has finished and is never undone by it.
        async with self._locks.setdefault(room, asyncio.Lock()):
            if (
                self.channels.get(room) is channel
                and not channel.outboxes
                and not channel.listeners
            ):
                del self.channels[room]
                await self.backend.unsubscribe(room)

    # -- messages from the backend ---------------------------------------------------------
    def _on_message(self, channel: Channel, seq: int | None, frame: bytes) -> None:
        if channel.last_seq < 0:
            channel.early.append((seq, frame))
            return
        text = frame.decode()  # once per room: every outbox gets this same string
        if seq is None:
            if frame.startswith(b'{"type":"live"'):
                channel.note_live(frame)
            self._fan_out(channel, text)
            return
        if seq <= channel.last_seq:
            return  # already delivered (a repair read it first, or a duplicate publish)
        if seq > channel.last_seq + 1:
            channel.held[seq] = text
            if not channel.repairing:
                channel.repairing = True
                asyncio.get_running_loop().create_task(self._repair(channel))
            return
        self._deliver(channel, seq, text)
        while channel.last_seq + 1 in channel.held:
            nxt = channel.last_seq + 1
            self._deliver(channel, nxt, channel.held.pop(nxt))

    def _deliver(self, channel: Channel, seq: int, text: str) -> None:
        channel.last_seq = seq
        channel.recent.append((seq, text))
        for listener in channel.listeners:
            listener(seq, text)
        self._fan_out(channel, text)
        METRICS.events.inc()

    @staticmethod
    def _fan_out(channel: Channel, text: str) -> None:
        """Send a frame to every client of the room at the end of this turn of the event loop.

        Frames that arrive in the same turn (a group commit, a burst of lines) leave together, as
        one websocket message: one write per viewer instead of one per frame per viewer."""
        channel.pending.append(text)
        channel.pending_bytes += len(text)
        if channel.pending_bytes >= MAX_BATCH_BYTES:
            Hub.flush(channel)
        elif not channel.flush_scheduled:
            channel.flush_scheduled = True
            asyncio.get_running_loop().call_soon(Hub.flush, channel)

    @staticmethod
    def flush(channel: Channel) -> None:
        channel.flush_scheduled = False
        if not channel.pending:
            return
        texts, channel.pending, channel.pending_bytes = channel.pending, [], 0
        text = texts[0] if len(texts) == 1 else "\n".join(texts)
        # Encoded once per room: the same websocket frame bytes go to every viewer.
        wire = text_frame(text)
        for outbox in channel.outboxes:
            outbox.push(text, wire)

    async def _repair(self, channel: Channel) -> None:
        """Read events missing between the last delivered and the first held one."""
        METRICS.gap_repairs.inc()
        try:
            while channel.held:
                upto = min(channel.held)
                events = await self.backend.read(channel.room, channel.last_seq, BACKLOG_PAGE)
                for ev in events:
                    if ev.seq == channel.last_seq + 1 and ev.seq < upto:
                        self._deliver(channel, ev.seq, ev.frame.decode())
                while channel.last_seq + 1 in channel.held:
                    nxt = channel.last_seq + 1
                    self._deliver(channel, nxt, channel.held.pop(nxt))
                if channel.held and not events:
                    await asyncio.sleep(0.05)
        except Exception:
            log.exception("gap repair failed for %s; clients will resume", channel.room)
            for outbox in list(channel.outboxes):
                outbox.close("gap")
        finally:
            channel.repairing = False

    # -- heartbeats ------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """One heartbeat frame per room, encoded once, to every local client of that room."""
        for channel in self.channels.values():
            if channel.last_seq >= 0:
                self._fan_out(channel, control_frame("hb", seq=channel.last_seq).decode())

    def pending_total(self) -> int:
        return sum(o.pending() for c in self.channels.values() for o in c.outboxes)
