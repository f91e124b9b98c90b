"""The per-process fan-out hub: one channel per room with local clients.

A channel holds the room's one backend subscription, the outboxes of its local clients, the
in-process followers of its log (the room's projection) and the last events already encoded, so
a crowd that reconnects at once resumes from memory. Messages from the backend are delivered in
sequence order: one that skips ahead is held back while the missing events are read from the
record (a gap repair), so no client and no projection ever sees a hole.

Frames stay the bytes the backend delivered: the same bytes are the record, the message between
processes and, once framed, what every viewer of the room receives.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from prometheus_client import Gauge

from server.backends.base import Backend
from server.domain.events import EPOCH_FRAME_PREFIX, control_frame, ephemeral_frame, epoch_frame
from server.domain.keys import room_id_of
from server.fanout.lane import Lane
from server.fanout.outbox import Outbox
from server.fanout.wire import WireFrame
from server.limits import (
    BACKLOG_PAGE,
    GAP_REPAIR_RETRY_S,
    LIVE_SNAPSHOT_MAX_AGE_S,
    MAX_BATCH_BYTES,
    RECENT_EVENTS_PER_ROOM,
    SYNC_WAIT_S,
)
from server.metrics import METRICS

log = logging.getLogger("plenary.hub")

# An in-process follower of a room's log: called with (seq, frame) for every recorded event.
Listener = Callable[[int, bytes], None]


@dataclass(slots=True)
class Channel:
    key: str
    outboxes: set[Outbox] = field(default_factory=set)
    # The same outboxes, split into those whose frames the lane writes at once and the others.
    lane: Lane = field(default_factory=Lane)
    listeners: list[Listener] = field(default_factory=list)
    recent: deque[tuple[int, bytes]] = field(
        default_factory=lambda: deque(maxlen=RECENT_EVENTS_PER_ROOM)
    )
    last_seq: int = -1  # -1 until the subscription is in place and the log position known
    epoch: str = ""  # the room's epoch (server/backends/base.py), known with last_seq
    held: dict[int, bytes] = field(default_factory=dict)  # arrived ahead of a gap
    early: list[tuple[int | None, bytes]] = field(default_factory=list)  # before last_seq known
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    repairing: bool = False
    # Those waiting until the channel has delivered a seq (see Hub.sync).
    waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)
    # Frames waiting for the end of this turn of the event loop, to leave as one message.
    pending: list[bytes] = field(default_factory=list)
    pending_bytes: int = 0
    flush_scheduled: bool = False
    # The lines being typed, by captioner connection (from every process), with when they were
    # last seen, so that a viewer joining mid-sentence sees the sentence at once.
    live: dict[str, tuple[float, dict[str, str]]] = field(default_factory=dict)
    # Messages fanned out, and how many of them were compressed (once each, for every viewer of
    # the room that negotiated compression): the same two numbers mean no compression per viewer.
    messages: int = 0
    compressed: int = 0
    # The last backlog built from ``recent`` (after, upto, its message): clients resuming from the
    # same point (a crowd reconnecting) share it, compressed at most once.
    resume: tuple[int, int, WireFrame] | None = None
    # The room's connections gauge, looked up by its label once rather than at every join.
    gauge: Gauge | None = None

    def note_live(self, frame: bytes) -> None:
        data = json.loads(frame).get("data", {})
        now = time.monotonic()
        for line in data.get("lines", []):
            if line.get("text"):
                self.live[line["by"]] = (now, line)
            else:
                self.live.pop(line["by"], None)

    def live_snapshot(self) -> bytes | None:
        """One ``live`` frame with every line being typed now, or None if nobody types."""
        horizon = time.monotonic() - LIVE_SNAPSHOT_MAX_AGE_S
        lines = [line for seen, line in self.live.values() if seen >= horizon]
        if not lines:
            return None
        return ephemeral_frame("live", room_id_of(self.key), {"lines": lines})


@dataclass(slots=True)
class Subscription:
    """What a client gets when it joins a room: its outbox and the backlog it must send first."""

    channel: Channel
    outbox: Outbox
    from_seq: int  # the client's resume point
    upto_seq: int  # the backlog is (from_seq, upto_seq]; live frames in the outbox follow it
    live: bytes | None = None  # the lines being typed when the client joined; sent after backlog


class Joined:
    """``Hub.join``'s context manager: an object of a few slots rather than a suspended
    generator, since every viewer holds one for as long as it is connected."""

    __slots__ = ("_after", "_hub", "_key", "_outbox", "_sub")

    def __init__(self, hub: Hub, key: str, after: int, outbox: Outbox) -> None:
        self._hub, self._key, self._after, self._outbox = hub, key, after, outbox
        self._sub: Subscription | None = None

    async def __aenter__(self) -> Subscription:
        self._sub = await self._hub._enter(self._key, self._after, self._outbox)
        return self._sub

    async def __aexit__(self, *exc: object) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            await self._hub._leave(self._key, sub)


class Hub:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.channels: dict[str, Channel] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # Called with a room's key when its record went back (a new epoch): what follows the
        # room in this process (its projection) starts again from the record.
        self.restarted: list[Callable[[str], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._started: dict[str, str] = {}  # rooms' epochs this process started

    # -- joining and leaving ---------------------------------------------------------------
    def join(self, key: str, after: int, outbox: Outbox | None = None) -> Joined:
        """Subscribe a client to a room from its resume point (``async with``); always leaves
        on exit. ``outbox`` is the kind the client's transport needs (a websocket's by
        default)."""
        return Joined(self, key, after, outbox if outbox is not None else Outbox())

    async def _enter(self, key: str, after: int, outbox: Outbox) -> Subscription:
        channel = await self._channel(key)
        # No await between reading last_seq and adding the outbox: every event after upto_seq
        # reaches the outbox, every event up to it is in the backlog. That closes the race
        # between reading the backlog and receiving live messages.
        # Frames not yet sent out belong to the clients already here: they are in this client's
        # backlog (up to last_seq), so they must not reach its outbox as well.
        self.flush(channel)
        sub = Subscription(channel, outbox, after, channel.last_seq, channel.live_snapshot())
        channel.outboxes.add(outbox)
        channel.lane.join(outbox)
        if channel.gauge is None:
            channel.gauge = METRICS.connections.labels(room=key)
        channel.gauge.inc()
        return sub

    async def _leave(self, key: str, sub: Subscription) -> None:
        channel, outbox = sub.channel, sub.outbox
        channel.outboxes.discard(outbox)
        channel.lane.leave(outbox)
        if channel.gauge is not None:
            channel.gauge.dec()
        if not channel.outboxes and not channel.listeners:
            await self._drop(key, channel)

    async def attach(self, key: str, listener: Listener) -> Channel:
        """Follow a room's recorded events from now on (for in-process projections)."""
        channel = await self._channel(key)
        channel.listeners.append(listener)
        return channel

    async def backlog(self, channel: Channel, after: int, upto: int) -> AsyncIterator[list[bytes]]:
        """The frames in (after, upto], in pages, from memory when they are recent."""
        recent = channel.recent
        while after < upto:
            if recent and recent[0][0] <= after + 1:
                start = after + 1 - recent[0][0]
                frames = [f for s, f in list(recent)[start:] if s <= upto]
                if frames:
                    yield frames
                return
            events = await self.backend.read(channel.key, after, BACKLOG_PAGE)
            frames = [e.frame for e in events if e.seq <= upto]
            if not frames:
                return
            yield frames
            after = events[-1].seq

    @staticmethod
    def recent_backlog(channel: Channel, after: int, upto: int) -> WireFrame | None:
        """The frames in (after, upto] as ONE websocket message (plain, and compressed when a
        viewer that negotiated compression needs it), when they are all in the room's recent
        events; None otherwise (read them with ``backlog``). Built once for every client resuming
        from the same point: the last one built is kept, and extended when later clients resume
        from the same seq."""
        recent = channel.recent
        if after >= upto or not recent or recent[0][0] > after + 1 or recent[-1][0] < upto:
            return None
        cached = channel.resume
        if cached is not None and cached[0] == after and cached[1] == upto:
            return cached[2]
        first = recent[0][0]  # seqs in ``recent`` are consecutive: delivered strictly in order
        if cached is not None and cached[0] == after and cached[1] < upto:
            head = cached[2].text
            start = cached[1] + 1
        else:
            head, start = b"", after + 1
        parts = [f for _, f in itertools.islice(recent, start - first, upto + 1 - first)]
        message = b"\n".join([head, *parts] if head else parts)
        channel.resume = (after, upto, WireFrame(message))
        return channel.resume[2]

    async def _channel(self, key: str) -> Channel:
        channel = self.channels.get(key)
        if channel is None:
            channel = Channel(key)
            self.channels[key] = channel
            lock = self._locks.setdefault(key, asyncio.Lock())
            async with lock:
                try:
                    await self.backend.subscribe(
                        key, lambda seq, frame: self._on_message(channel, seq, frame)
                    )
                    channel.epoch = await self.backend.epoch(key)
                    channel.last_seq = await self.backend.last_seq(key)
                except BaseException:
                    # Whoever waits on this channel retries with a new one.
                    del self.channels[key]
                    channel.ready.set()
                    raise
                early, channel.early = channel.early, []
                for seq, frame in early:
                    self._on_message(channel, seq, frame)
                channel.ready.set()
        await channel.ready.wait()
        if channel.last_seq < 0:
            return await self._channel(key)
        return channel

    async def detach(self, key: str, listener: Listener) -> None:
        """Stop following a room; the subscription goes when nothing local follows it."""
        channel = self.channels.get(key)
        if channel is not None and listener in channel.listeners:
            channel.listeners.remove(listener)
            if not channel.outboxes and not channel.listeners:
                await self._drop(key, channel)

    async def _drop(self, key: str, channel: Channel) -> None:
        # Under the room's lock, so that a new channel for the room subscribes only after this
        # unsubscribe has finished and is never undone by it.
        async with self._locks.setdefault(key, asyncio.Lock()):
            if self.channels.get(key) is channel and not channel.outboxes and not channel.listeners:
                del self.channels[key]
                await self.backend.unsubscribe(key)

    # -- messages from the backend ---------------------------------------------------------
    def _on_message(self, channel: Channel, seq: int | None, frame: bytes) -> None:
        if channel.last_seq < 0:
            channel.early.append((seq, frame))
            return
        if seq is None:
            if frame.startswith(EPOCH_FRAME_PREFIX):
                # Once per new epoch: the process that started it is told twice (at once, and
                # through the broker), and its reload may already have read the new epoch.
                if json.loads(frame)["data"]["epoch"] != channel.epoch:
                    self._restart(channel)
                return
            if frame.startswith(b'{"type":"live"'):
                channel.note_live(frame)
            self._fan_out(channel, frame)
            return
        if seq <= channel.last_seq:
            return  # already delivered (a repair read it first, or a duplicate publish)
        if seq > channel.last_seq + 1:
            channel.held[seq] = frame
            self._start_repair(channel)
            return
        self._deliver(channel, seq, frame)
        self._deliver_held(channel)

    def _deliver(self, channel: Channel, seq: int, frame: bytes) -> None:
        channel.last_seq = seq
        channel.recent.append((seq, frame))
        for listener in channel.listeners:
            listener(seq, frame)
        self._fan_out(channel, frame)
        METRICS.events.inc()
        if channel.waiters:
            waiting = []
            for upto, future in channel.waiters:
                if upto <= seq:
                    if not future.done():
                        future.set_result(None)
                else:
                    waiting.append((upto, future))
            channel.waiters = waiting

    def _deliver_held(self, channel: Channel) -> None:
        while channel.last_seq + 1 in channel.held:
            nxt = channel.last_seq + 1
            self._deliver(channel, nxt, channel.held.pop(nxt))

    @staticmethod
    def _fan_out(channel: Channel, frame: bytes) -> None:
        """Send a frame to every client of the room at the end of this turn of the event loop.

        Frames that arrive in the same turn (a group commit, a burst of lines) leave together, as
        one websocket message: one write per viewer instead of one per frame per viewer."""
        channel.pending.append(frame)
        channel.pending_bytes += len(frame)
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
        frames, channel.pending, channel.pending_bytes = channel.pending, [], 0
        message = frames[0] if len(frames) == 1 else b"\n".join(frames)
        # Framed once per room: the same websocket frame bytes go to every viewer, and compressed
        # at most once, by the first viewer that negotiated compression and takes it.
        wire = WireFrame(message)
        channel.lane.send(message, wire)
        channel.messages += 1
        if wire.was_deflated:
            channel.compressed += 1
            METRICS.frames_compressed.inc()

    # -- a record that went back ---
    async def position(self, key: str, after: int, epoch: str | None) -> tuple[str, bool]:
        """Where a client resuming from ``after`` in ``epoch`` stands: the room's epoch, and
        whether the client must start again from the beginning (reset). A client of the room's
        epoch (or of none: an older client) that holds more than the record is the sign that the
        record went back: the room starts a new epoch and every process is told. A client of
        another epoch is reset without starting one: its epoch is already over."""
        channel = await self._channel(key)
        current = channel.epoch
        if after == 0:
            return current, False
        if epoch is not None and epoch != current:
            return current, True
        last = await self.backend.last_seq(key)
        if after <= last:
            return current, False
        if epoch is None and self._started.get(key) == current:
            return current, True  # this process started this epoch already, for this sign
        new = await self.backend.new_epoch(key, current)
        if new != current:
            self._started[key] = new
            log.error(
                "a client of room %s holds seq %d, but the record ends at %d: an older copy of "
                "the record was restored. The room goes on in a new epoch (%s)",
                key, after, last, new,
            )  # fmt: skip
            await self.backend.publish(key, epoch_frame(room_id_of(key), new, last))
        return new, True

    def _restart(self, channel: Channel) -> None:
        """The room's record went back and a new epoch started: what this process holds of the
        room (recent events, the position, its projection) is of the old epoch. Its clients
        are closed with the resume code (they reconnect, are told of the new epoch and start
        again from the beginning); the position and epoch are read again, and messages that
        arrive meanwhile wait, as when the channel was first made."""
        if channel.last_seq < 0:
            return  # already being read again
        channel.last_seq = -1
        channel.recent.clear()
        channel.held.clear()
        channel.pending.clear()
        channel.pending_bytes = 0
        channel.live.clear()
        ready = channel.ready = asyncio.Event()
        for outbox in list(channel.outboxes):
            outbox.close("the record went back: start again")
        for hook in self.restarted:
            hook(channel.key)
        task = asyncio.get_running_loop().create_task(self._reload(channel, ready))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reload(self, channel: Channel, ready: asyncio.Event) -> None:
        while True:
            try:
                channel.epoch = await self.backend.epoch(channel.key)
                channel.last_seq = await self.backend.last_seq(channel.key)
                break
            except Exception as exc:
                log.warning("reading %s again failed (%s); retrying", channel.key, exc)
                await asyncio.sleep(GAP_REPAIR_RETRY_S * 20)
        early, channel.early = channel.early, []
        for seq, frame in early:
            self._on_message(channel, seq, frame)
        # This reload's own event: if a message above restarted the room again, the new
        # reload sets the new one, and those waiting here look again.
        ready.set()

    # -- reading what pub/sub did not bring ------------------------------------------------
    def _start_repair(self, channel: Channel) -> None:
        if not channel.repairing:
            channel.repairing = True
            asyncio.get_running_loop().create_task(self._repair(channel))

    async def _repair(self, channel: Channel) -> None:
        """Read events missing between the last delivered and the first held one."""
        METRICS.gap_repairs.inc()
        try:
            while channel.held:
                await self._fill(channel, min(channel.held) - 1)
                if channel.held and channel.last_seq + 1 not in channel.held:
                    await asyncio.sleep(GAP_REPAIR_RETRY_S)  # not readable yet: try again
        except Exception:
            log.exception("gap repair failed for %s; clients will resume", channel.key)
            for outbox in list(channel.outboxes):
                outbox.close("gap")
        finally:
            channel.repairing = False

    async def _fill(self, channel: Channel, upto: int) -> None:
        """Deliver, from the record, the events after the last delivered one up to ``upto``,
        then whatever was held back behind them."""
        while channel.last_seq < upto:
            events = await self.backend.read(channel.key, channel.last_seq, BACKLOG_PAGE)
            delivered = False
            for ev in events:
                if ev.seq == channel.last_seq + 1 and ev.seq <= upto:
                    self._deliver(channel, ev.seq, ev.frame)
                    delivered = True
            self._deliver_held(channel)
            if not delivered:
                return
        self._deliver_held(channel)

    async def sync(self, key: str, seq: int) -> None:
        """Return once the room's channel has delivered ``seq`` to its listeners and clients.

        After an append, the appending process waits here for its own events to come back
        through the one path every follower uses. They normally arrive at once (the embedded
        backend delivers before an append returns; Redis publishes inside the append); if
        pub/sub is slow or down, they are read from the record after ``SYNC_WAIT_S``."""
        channel = await self._channel(key)
        if channel.last_seq >= seq:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        channel.waiters.append((seq, future))
        try:
            await asyncio.wait_for(asyncio.shield(future), SYNC_WAIT_S)
        except TimeoutError:
            await self._fill(channel, seq)
        finally:
            channel.waiters = [(s, f) for s, f in channel.waiters if f is not future]

    # -- heartbeats ------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """One heartbeat frame per room, encoded once, to every local client of that room."""
        for channel in self.channels.values():
            if channel.last_seq >= 0:
                self._fan_out(channel, control_frame("hb", seq=channel.last_seq))
