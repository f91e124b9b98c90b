"""Redis pub/sub for the Redis backend: one connection per Redis node, shared by every room.

redis-py's asyncio pub/sub client does not always resubscribe after Redis restarts, so this module
keeps its own connections ("links"), each with:

- a reader task that reads every message as soon as it arrives, whatever the hub and its clients
  do with it: a subscriber that reads slowly is cut by Redis (``client-output-buffer-limit
  pubsub``), and the hub's delivery never blocks;
- a watchdog that pings the connection and replaces it when it stops answering (a network
  partition sends no reset);
- after every reconnection: a check that Redis still holds the record, a resubscription of every
  room, then a catch-up read of each room's stream from the last sequence number delivered, with
  live messages held back meanwhile and merged after it. Clients miss nothing across a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

from server.backends.base import BackendUnavailable, Deliver
from server.domain.events import EPOCH_FRAME_PREFIX
from server.limits import (
    BACKLOG_PAGE,
    REDIS_PUBSUB_PING_S,
    REDIS_RECONNECT_MAX_S,
    REDIS_RECONNECT_MIN_S,
    REDIS_SUBSCRIBE_WAIT_S,
)
from server.metrics import METRICS

log = logging.getLogger("plenary.redis")

# (address, a factory for a fresh connection to that node) for a channel.
Locate = Callable[[bytes], tuple[str, Callable[[], AbstractConnection]]]
# Events of a room after a sequence number, as (seq, frame), at most a page.
ReadFrames = Callable[[str, int, int], Awaitable[list[tuple[int, bytes]]]]

_SEQ_PREFIX = b'{"seq":'
_FAILURES = (RedisError, OSError, BackendUnavailable, TimeoutError)


@dataclass(slots=True)
class _Room:
    key: str
    channel: bytes
    deliver: Deliver
    pos: int = 0  # the last seq delivered
    ready: bool = False  # the subscription is in place and pos is known
    held: list[bytes] | None = None  # live messages that arrived while catching up


@dataclass(slots=True, eq=False)
class _Link:
    """One pub/sub connection to one Redis node and the rooms it carries."""

    address: str
    make: Callable[[], AbstractConnection]
    rooms: dict[bytes, _Room] = field(default_factory=dict)
    waiters: dict[bytes, deque[asyncio.Future[None]]] = field(default_factory=dict)
    unsubscribing: dict[bytes, int] = field(default_factory=dict)  # our own, unconfirmed
    conn: AbstractConnection | None = None
    generation: int = 0
    up: asyncio.Event = field(default_factory=asyncio.Event)
    heard: float = 0.0
    task: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RedisPubSub:
    def __init__(
        self,
        *,
        sharded: bool,
        locate: Locate,
        read: ReadFrames,
        last_seq: Callable[[str], Awaitable[int]],
        check: Callable[[], Awaitable[None]],
        refresh: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._locate = locate
        self._read = read
        self._last_seq = last_seq
        self._check = check  # raises BackendUnavailable when Redis no longer holds the record
        self._refresh = refresh  # re-reads a cluster's slot map after a connection failed
        self._sub, self._unsub = (
            (b"SSUBSCRIBE", b"SUNSUBSCRIBE") if sharded else (b"SUBSCRIBE", b"UNSUBSCRIBE")
        )
        self._message_kinds = (b"smessage", b"message")
        self._confirm_kinds = (b"ssubscribe", b"subscribe")
        self._links: dict[str, _Link] = {}
        self._where: dict[str, _Link] = {}
        self._closed = False

    # -- state for the health report ---------------------------------------------------------
    def rooms(self) -> int:
        return len(self._where)

    def connections(self) -> int:
        return len(self._links)

    def links_down(self) -> list[str]:
        return [a for a, link in self._links.items() if link.rooms and not link.up.is_set()]

    # -- subscribing -------------------------------------------------------------------------
    async def subscribe(self, key: str, channel: bytes, deliver: Deliver) -> None:
        link = self._link(channel)
        try:
            await asyncio.wait_for(link.up.wait(), REDIS_SUBSCRIBE_WAIT_S)
        except TimeoutError:
            raise BackendUnavailable("Redis is not reachable for subscriptions; retry") from None
        sub = _Room(key, channel, deliver)
        link.rooms[channel] = sub
        self._where[key] = link
        generation = link.generation
        try:
            await self._send_subscribe(link, [channel])
            # Read after Redis confirmed the subscription: every later event is published to us.
            last = await self._last_seq(key)
            if link.generation != generation or not link.up.is_set():
                raise BackendUnavailable("the Redis connection was lost while subscribing; retry")
        except BaseException:
            await self.unsubscribe(key)
            raise
        sub.pos = max(sub.pos, last)
        sub.ready = True

    async def unsubscribe(self, key: str) -> None:
        link = self._where.pop(key, None)
        if link is None:
            return
        sub = next((s for s in link.rooms.values() if s.key == key), None)
        if sub is None:
            return
        del link.rooms[sub.channel]
        if link.up.is_set():
            # Failure here means the connection is going down: its replacement will not
            # resubscribe a room that is no longer in link.rooms.
            link.unsubscribing[sub.channel] = link.unsubscribing.get(sub.channel, 0) + 1
            with contextlib.suppress(*_FAILURES):
                await self._send(link, [(self._unsub, sub.channel)])

    def _link(self, channel: bytes) -> _Link:
        address, make = self._locate(channel)
        link = self._links.get(address)
        if link is None:
            link = _Link(address, make)
            self._links[address] = link
            link.task = asyncio.get_running_loop().create_task(
                self._run(link), name=f"plenary-redis-pubsub-{address}"
            )
        return link

    async def _send(self, link: _Link, commands: list[tuple[bytes, bytes]]) -> None:
        async with link.lock:
            conn = link.conn
            # Checked right before sending: redis-py would silently open a fresh, unsubscribed
            # connection on a closed one.
            if conn is None or not conn.is_connected:
                raise BackendUnavailable("the Redis pub/sub connection is down; retry")
            await conn.send_packed_command(conn.pack_commands(commands), check_health=False)

    async def _send_subscribe(self, link: _Link, channels: list[bytes]) -> None:
        """Subscribe and wait until Redis confirmed every channel."""
        if not channels:
            return
        loop = asyncio.get_running_loop()
        futures = []
        for channel in channels:
            future: asyncio.Future[None] = loop.create_future()
            link.waiters.setdefault(channel, deque()).append(future)
            futures.append(future)
        # One command per channel: on a cluster a multi-channel SSUBSCRIBE must stay in one slot.
        await self._send(link, [(self._sub, c) for c in channels])
        try:
            await asyncio.wait_for(asyncio.gather(*futures), REDIS_SUBSCRIBE_WAIT_S)
        except TimeoutError:
            raise BackendUnavailable("Redis did not confirm the subscription; retry") from None

    # -- each link's connection cycle --------------------------------------------------------
    async def _run(self, link: _Link) -> None:
        delay = REDIS_RECONNECT_MIN_S
        connected_before = False
        while not self._closed:
            conn: AbstractConnection | None = None
            reader: asyncio.Task[None] | None = None
            try:
                conn = link.make()
                await conn.connect()  # type: ignore[no-untyped-call]
                link.conn = conn
                link.generation += 1
                link.heard = asyncio.get_running_loop().time()
                reader = asyncio.create_task(self._read_loop(link, conn))
                await self._check()
                await self._resubscribe(link)
                link.up.set()
                METRICS.backend_up.set(1)
                if connected_before:
                    METRICS.backend_reconnects.inc()
                    log.warning(
                        "Redis pub/sub reconnected to %s; %d room(s) resubscribed and caught up",
                        link.address,
                        len(link.rooms),
                    )
                connected_before = True
                delay = REDIS_RECONNECT_MIN_S
                await self._watch(link, reader)
            except asyncio.CancelledError:
                raise
            except _FAILURES as exc:
                if link.up.is_set() or not connected_before:
                    log.warning("Redis pub/sub connection to %s failed: %s", link.address, exc)
            finally:
                was_up = link.up.is_set()
                link.up.clear()
                link.conn = None
                if was_up:
                    METRICS.backend_up.set(0)
                for waiters in link.waiters.values():
                    for future in waiters:
                        if not future.done():
                            future.set_exception(BackendUnavailable("Redis connection lost"))
                link.waiters.clear()
                link.unsubscribing.clear()
                for sub in link.rooms.values():
                    sub.held = None
                if reader is not None:
                    reader.cancel()
                    await asyncio.gather(reader, return_exceptions=True)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.disconnect(nowait=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, REDIS_RECONNECT_MAX_S)
            if self._refresh is not None:
                with contextlib.suppress(*_FAILURES):
                    await self._refresh()
                self._relocate(link)

    async def _resubscribe(self, link: _Link) -> None:
        """After a (re)connection: subscribe every room again, then read what it missed."""
        rooms = list(link.rooms.values())
        await self._send_subscribe(link, [r.channel for r in rooms])
        for sub in rooms:
            if sub.ready and link.rooms.get(sub.channel) is sub:
                await self._catch_up(sub)

    async def _catch_up(self, sub: _Room) -> None:
        sub.held = []
        try:
            while True:
                page = await self._read(sub.key, sub.pos, BACKLOG_PAGE)
                for seq, frame in page:
                    self._deliver_recorded(sub, seq, frame)
                if len(page) < BACKLOG_PAGE:
                    break
            held, sub.held = sub.held, None
            for data in held:
                self._dispatch(sub, data)
        finally:
            sub.held = None

    def _relocate(self, link: _Link) -> None:
        """On a cluster, move rooms whose slot now lives on another node to that node's link."""
        for channel, sub in list(link.rooms.items()):
            address, _ = self._locate(channel)
            if address != link.address:
                del link.rooms[channel]
                target = self._link(channel)
                target.rooms[channel] = sub
                self._where[sub.key] = target
                if target.up.is_set():
                    # The target's cycle will not revisit it: subscribe and catch up here. If
                    # this fails the target's connection is failing too and will resubscribe.
                    task = asyncio.get_running_loop().create_task(self._adopt(target, sub))
                    task.add_done_callback(_consume)

    async def _adopt(self, link: _Link, sub: _Room) -> None:
        await self._send_subscribe(link, [sub.channel])
        await self._catch_up(sub)

    async def _watch(self, link: _Link, reader: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            done, _ = await asyncio.wait({reader}, timeout=REDIS_PUBSUB_PING_S)
            if done:
                reader.result()  # raises what ended the reader
                raise BackendUnavailable("the Redis pub/sub connection closed")
            if loop.time() - link.heard > 2 * REDIS_PUBSUB_PING_S:
                raise BackendUnavailable("Redis stopped answering on the pub/sub connection")
            await self._send(link, [(b"PING", b"")])

    # -- reading -----------------------------------------------------------------------------
    async def _read_loop(self, link: _Link, conn: AbstractConnection) -> None:
        loop = asyncio.get_running_loop()
        while True:
            msg: Any = await conn.read_response(timeout=math.inf, disconnect_on_error=False)
            link.heard = loop.time()
            if not isinstance(msg, list) or len(msg) < 3:
                continue
            kind, channel = msg[0], msg[1]
            if kind in self._message_kinds:
                sub = link.rooms.get(channel)
                if sub is not None:
                    self._dispatch(sub, msg[2])
            elif kind in self._confirm_kinds:
                waiters = link.waiters.get(channel)
                if waiters:
                    future = waiters.popleft()
                    if not future.done():
                        future.set_result(None)
            elif kind == b"sunsubscribe":
                pending = link.unsubscribing.pop(channel, 0)
                if pending > 1:
                    link.unsubscribing[channel] = pending - 1
                elif not pending and channel in link.rooms:
                    # Redis dropped a subscription we hold: its slot moved to another node.
                    raise BackendUnavailable("Redis moved a subscribed slot; reconnecting")

    def restart(self, key: str, frame: bytes) -> None:
        """The room's record went back (this process found it): deliver the epoch frame here at
        once, whether or not the subscription is up, as if it had come through Redis."""
        link = self._where.get(key)
        sub = None if link is None else next((r for r in link.rooms.values() if r.key == key), None)
        if sub is not None:
            self._new_epoch(sub, frame)

    @staticmethod
    def _new_epoch(sub: _Room, frame: bytes) -> None:
        # Numbering goes on from the record's position in the new epoch: what this subscription
        # delivered beyond it was of the old one.
        sub.pos = min(sub.pos, int(json.loads(frame)["data"]["seq"]))
        _call(sub.deliver, None, frame)

    def _dispatch(self, sub: _Room, data: bytes) -> None:
        if sub.held is not None:
            sub.held.append(data)
            return
        if data.startswith(EPOCH_FRAME_PREFIX):
            self._new_epoch(sub, data)
            return
        if not data.startswith(_SEQ_PREFIX):
            _call(sub.deliver, None, data)
            return
        # One message carries every event of one append, newline separated.
        for frame in data.split(b"\n"):
            seq = int(frame[len(_SEQ_PREFIX) : frame.index(b",", len(_SEQ_PREFIX))])
            self._deliver_recorded(sub, seq, frame)

    @staticmethod
    def _deliver_recorded(sub: _Room, seq: int, frame: bytes) -> None:
        if seq <= sub.pos:
            return
        sub.pos = seq
        _call(sub.deliver, seq, frame)

    # -- shutting down -----------------------------------------------------------------------
    async def close(self) -> None:
        self._closed = True
        tasks = [link.task for link in self._links.values() if link.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._links.clear()
        self._where.clear()


def _call(deliver: Deliver, seq: int | None, frame: bytes) -> None:
    try:
        deliver(seq, frame)
    except Exception:
        # The reader must keep reading whatever a subscriber does.
        log.exception("delivering a Redis message failed")


def _consume(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("moving a subscription failed: %s", task.exception())
