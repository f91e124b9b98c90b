"""The Redis backend: several server processes share one record and fan events out to each other.

A room's log is a Redis Stream that is never trimmed. One Lua script checks the room's position
(``expect_seq``), the sender's cursor and that Redis still holds what this process has seen, numbers
the events, adds them to the stream and publishes them, atomically: the record and the published
messages always agree and have no gaps. Ephemeral frames are published only. Pub/sub is sharded
(SSUBSCRIBE/SPUBLISH) where Redis has it (7.0+), so the same code runs on Redis Cluster
(``redis+cluster://host:port``); see server/backends/redis_keys.py for the key layout.

A Redis that comes back empty is not a new, empty meeting: an epoch marker written at first start
and this process's memory of the highest sequence number it has seen in each room detect it, and
appends are refused (retryable) rather than numbering events again from 1. docs/deployment.md
says how an operator recovers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry

from server.backends.base import AppendResult, BackendUnavailable, Conflict, Deliver
from server.backends.redis_keys import (
    APPEND,
    EPOCH,
    FRAME_FIELD,
    PUBLISH,
    SAVE_MEETING,
    Keys,
    RedisURL,
)
from server.backends.redis_pubsub import RedisPubSub
from server.domain.events import Draft, Event, epoch_frame
from server.domain.keys import room_id_of
from server.domain.meetings import Meeting
from server.domain.numbers import check_cursor
from server.limits import (
    REDIS_COMMAND_TIMEOUT_S,
    REDIS_CONNECT_TIMEOUT_S,
    REDIS_MAX_IN_FLIGHT,
    REDIS_RECONNECT_MAX_S,
    REDIS_START_WAIT_S,
)
from server.metrics import METRICS

log = logging.getLogger("plenary.redis")

# In the data directory: {Redis record: its marker} for every Redis record this machine has used.
STORES_FILE = "redis-records.json"
T = TypeVar("T")

RECOVERY = "restore Redis from its append-only file, or `plenary migrate` a copy of the record "
RECOVERY += "into it and restart the servers (docs/deployment.md)"


class RedisBackend:
    def __init__(self, url: str, state_dir: Path | None = None) -> None:
        self.url = url
        # Where this machine remembers the marker of every Redis record it has used (see
        # _remembered): a process that starts while Redis is empty then knows it lost data.
        self._state_file = state_dir / STORES_FILE if state_dir is not None else None
        self._opts = RedisURL.parse(url)
        self._keys = Keys(self._opts.prefix)
        self._client: Any = None  # Redis or RedisCluster: the same commands on both
        self._pubsub: RedisPubSub | None = None
        self._scripts: dict[str, Any] = {}
        self._publish_cmd = "SPUBLISH"
        self._epoch: bytes | None = None
        # The highest seq this process has seen in each room. Redis answering lower means it lost
        # data; numbering from there would reuse sequence numbers that clients already hold.
        self._known: dict[str, int] = {}
        self._registered: set[str] = set()
        self._lost: str | None = None
        self._closed = False
        # The last version of each meeting read from Redis: served while Redis is unreachable so
        # that requests fail with a retryable "record unavailable", not "no such meeting".
        self._meetings: dict[str, Meeting] = {}
        self._in_flight = asyncio.Semaphore(REDIS_MAX_IN_FLIGHT)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        common: dict[str, Any] = {
            "socket_timeout": REDIS_COMMAND_TIMEOUT_S,
            "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S,
            # No silent retries: an append whose reply was lost may have been carried out, and
            # only the caller (with its cursor) can retry it safely.
            "retry": Retry(NoBackoff(), 0),
            # RESP2: understood by every Redis, and pub/sub messages arrive as plain replies
            # that the pub/sub reader reads itself (RESP3 hands them to push handlers).
            "protocol": 2,
        }
        if self._opts.cluster:
            self._client = RedisCluster.from_url(self._opts.client_url, **common)
        else:
            self._client = Redis.from_url(self._opts.client_url, **common)
        await self._wait_for_redis()
        scripts = (
            ("append", APPEND),
            ("publish", PUBLISH),
            ("save", SAVE_MEETING),
            ("epoch", EPOCH),
        )
        for name, source in scripts:
            self._scripts[name] = self._client.register_script(source)
        sharded = await self._has_sharded_pubsub()
        self._publish_cmd = "SPUBLISH" if sharded else "PUBLISH"
        # Starting writes nothing: a read-only command, or a process that starts while Redis is
        # empty, must not make an empty Redis look like a record (claim_new_store does that).
        async with self._errors("reading the record's marker"):
            self._epoch = await self._client.get(self._keys.epoch)
            lost = await self._client.get(self._keys.lost)
        remembered = self._remembered()
        if lost is not None:
            self._set_lost(lost.decode(errors="replace"), announce=False)
        elif self._epoch is None and remembered is not None:
            # This process knows the record's marker: Redis is judged against it from now on
            # (and comes back by itself if its append-only file is restored).
            self._epoch = remembered.encode()
            self._set_lost(
                f"Redis holds no record (marker {self._keys.epoch} is missing), but this server "
                f"has used one here (marker {remembered}): Redis restarted empty or lost its "
                f"data. Nothing is created and appends are refused; {RECOVERY}. To start a "
                "new, empty record instead, run `plenary record new`."
            )
        elif self._epoch is not None:
            self._remember(self._epoch)
        self._pubsub = RedisPubSub(
            sharded=sharded,
            locate=self._locate,
            read=self._read_frames,
            last_seq=self.last_seq,
            check=self._check_record,
            refresh=self._refresh_slots if self._opts.cluster else None,
        )

    async def _wait_for_redis(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REDIS_START_WAIT_S
        warned = False
        while True:
            try:
                if self._opts.cluster:
                    await self._client.initialize()
                await self._client.ping()
                return
            except (RedisError, OSError) as exc:
                if loop.time() > deadline:
                    raise BackendUnavailable(
                        f"Redis at {self._opts.display} is not reachable: {exc}"
                    ) from exc
                if not warned:
                    log.warning("waiting for Redis at %s: %s", self._opts.display, exc)
                    warned = True
                await asyncio.sleep(REDIS_RECONNECT_MAX_S / 4)

    async def _has_sharded_pubsub(self) -> bool:
        async with self._errors("asking Redis its version"):
            info = await self._client.info("server")
        if self._opts.cluster:  # one answer per node
            info = next(iter(info.values())) if "redis_version" not in info else info
        major = int(str(info.get("redis_version", "0")).split(".")[0])
        return major >= 7

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=REDIS_COMMAND_TIMEOUT_S)
        if self._pubsub is not None:
            await self._pubsub.close()
        if self._client is not None:
            await self._client.aclose()

    # -- helpers ---------------------------------------------------------------------------
    @asynccontextmanager
    async def _errors(self, doing: str) -> AsyncIterator[None]:
        async with self._in_flight:
            try:
                yield
            except (RedisError, OSError) as exc:
                METRICS.backend_unavailable.inc()
                raise BackendUnavailable(f"Redis failed while {doing}: {exc}") from exc

    async def _query(self, doing: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run a command that may safely run twice: one retry covers a pooled connection that
        Redis closed while it sat idle (after a restart)."""
        try:
            async with self._in_flight:
                try:
                    return await call()
                except RedisConnectionError:
                    return await call()
        except (RedisError, OSError) as exc:
            METRICS.backend_unavailable.inc()
            raise BackendUnavailable(f"Redis failed while {doing}: {exc}") from exc

    def _usable(self) -> None:
        if self._closed:
            raise BackendUnavailable("the server is shutting down")
        if self._lost is not None:
            METRICS.backend_unavailable.inc()
            raise BackendUnavailable(self._lost)

    def _note(self, key: str, seq: int) -> None:
        if seq > self._known.get(key, 0):
            self._known[key] = seq

    def _set_lost(self, reason: str, *, announce: bool = True) -> None:
        if self._lost is None:
            log.error("%s", reason)
            if announce:
                # Say it in Redis too, so a process starting later (with no memory of the record)
                # does not take the empty Redis for a new one. Best effort: Redis may be away.
                self._announce_lost(reason)
        self._lost = reason
        METRICS.backend_up.set(0)

    def _announce_lost(self, reason: str) -> None:
        async def write() -> None:
            try:
                await self._client.set(self._keys.lost, reason, nx=True)
            except (RedisError, OSError) as exc:
                log.warning("could not record in Redis that data was lost: %s", exc)

        with contextlib.suppress(RuntimeError):  # no running loop: nothing to announce to
            task = asyncio.get_running_loop().create_task(write())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # -- the marker ------------------------------------------------------------------------
    def _remembered(self) -> str | None:
        if self._state_file is None or not self._state_file.exists():
            return None
        try:
            found = json.loads(self._state_file.read_text()).get(self._keys.epoch_id(self._opts))
        except (OSError, ValueError, AttributeError):
            return None
        return str(found) if found else None

    def _remember(self, epoch: bytes) -> None:
        if self._state_file is None:
            return
        name, value = self._keys.epoch_id(self._opts), epoch.decode()
        try:
            known = json.loads(self._state_file.read_text()) if self._state_file.exists() else {}
            if known.get(name) == value:
                return
            known[name] = value
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(known, indent=1))
            tmp.replace(self._state_file)
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("could not remember the record's marker in %s: %s", self._state_file, exc)

    async def claim_new_store(self) -> bool:
        """Make an empty Redis a record, once: True only for the one caller (of every process)
        that wrote the marker. Refused while data is known lost."""
        self._usable()
        if self._epoch is not None:
            return False
        token = secrets.token_hex(8)
        async with self._errors("writing the record's marker"):
            created = bool(await self._client.set(self._keys.epoch, token, nx=True))
            self._epoch = await self._client.get(self._keys.epoch)
        if self._epoch is not None:
            self._remember(self._epoch)
        return created

    async def accept_new_store(self) -> str:
        """The operator's `plenary record new`: what Redis holds now is the record (a new,
        empty one if it is empty). Clears the lost flag and writes a new marker."""
        token = secrets.token_hex(8)
        async with self._errors("writing the record's marker"):
            await self._client.set(self._keys.epoch, token)
            await self._client.delete(self._keys.lost)
        self._epoch, self._lost = token.encode(), None
        self._remember(self._epoch)
        return token

    async def _written(self) -> None:
        """Before a first write: an empty Redis becomes a record (with its marker) now."""
        if self._epoch is None:
            await self.claim_new_store()

    async def _check_record(self) -> None:
        """Raise BackendUnavailable unless Redis still holds everything this process has seen."""
        epoch, flag = await self._query(
            "checking the record", lambda: self._client.mget(self._keys.epoch, self._keys.lost)
        )
        if self._epoch is None and epoch is not None:
            self._epoch = epoch  # another process made Redis a record since this one started
            self._remember(epoch)
        rooms = [r for r, seq in self._known.items() if seq > 0]
        counters: list[bytes | None] = []
        if rooms:

            async def positions() -> list[bytes | None]:
                pipe = self._client.pipeline(transaction=False)
                for key in rooms:
                    pipe.hget(self._keys.meta(key), "seq")
                found: list[bytes | None] = await pipe.execute()
                return found

            counters = await self._query("checking the record", positions)
        if flag is not None:
            self._set_lost(flag.decode(errors="replace"), announce=False)
        elif epoch != self._epoch:
            self._set_lost(
                f"Redis no longer holds this deployment's record (marker {self._keys.epoch} "
                f"is {'missing' if epoch is None else 'different'}): it restarted empty or was "
                f"replaced. Appends are refused so that no sequence number is reused; {RECOVERY}. "
                "To start a new, empty record instead, run `plenary record new`."
            )
        else:
            for key, raw in zip(rooms, counters, strict=True):
                if int(raw or 0) < self._known[key]:
                    await self._went_back(key, int(raw or 0))
            if self._lost is not None:
                log.warning("Redis holds the record again; appends resume")
            self._lost = None
        if self._lost is not None:
            raise BackendUnavailable(self._lost)

    async def _went_back(self, key: str, last: int) -> str:
        """Redis has the room at ``last`` but this process has seen more: an older copy of the
        record was restored. The room starts a new epoch (once, whichever process sees it
        first); every process is told on the room's channel (each hub restarts its view of the
        room and its clients start again from the beginning); numbering goes on from ``last``
        in the new epoch, so no client is fed a reused number as if it continued what it
        holds."""
        seen = self._known.get(key, 0)
        epoch = await self.new_epoch(key, await self.epoch(key))
        self._known[key] = last
        message = (
            f"Redis has room {key} at seq {last}, but this server has seen seq {seen}: an older "
            f"copy of the record was restored. The room goes on in a new epoch ({epoch}); "
            "clients start again from its beginning"
        )
        log.error("%s", message)
        METRICS.backend_unavailable.inc()
        frame = epoch_frame(room_id_of(key), epoch, last)
        if self._pubsub is not None:
            self._pubsub.restart(key, frame)  # here, even while the subscription is down
        await self.publish(key, frame)  # and every other process
        return message

    # -- epochs ----------------------------------------------------------------------------
    async def epoch(self, key: str) -> str:
        return await self._epoch_step(key, "")

    async def new_epoch(self, key: str, seen: str) -> str:
        return await self._epoch_step(key, seen)

    async def _epoch_step(self, key: str, seen: str) -> str:
        self._usable()
        token = secrets.token_hex(4)
        raw = await self._query(
            "reading the room's epoch",
            lambda: self._scripts["epoch"](keys=[self._keys.meta(key)], args=[seen, token]),
        )
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    # -- the record ------------------------------------------------------------------------
    async def append(
        self,
        key: str,
        drafts: Sequence[Draft],
        *,
        expect_seq: int | None = None,
        cursor: tuple[str, int] | None = None,
    ) -> AppendResult:
        self._usable()
        check_cursor(cursor)
        await self._written()
        if key not in self._registered:
            async with self._errors("registering the room"):
                await self._client.sadd(self._keys.rooms, key)
            self._registered.add(key)
        args: list[str | bytes] = [
            self._publish_cmd,
            self._keys.channel(key),
            "" if expect_seq is None else str(expect_seq),
            str(self._known.get(key, 0)),
            cursor[0] if cursor else "",
            str(cursor[1]) if cursor else "",
            *(d.body() for d in drafts),
        ]
        keys = [self._keys.log(key), self._keys.meta(key), self._keys.cursors(key)]
        async with self._errors("appending to the record"):
            status, last = await self._scripts["append"](keys=keys, args=args)
        last = int(last)
        if status == b"lost":
            # Retryable: the retry is numbered in the room's new epoch.
            raise BackendUnavailable(await self._went_back(key, last))
        if status == b"duplicate":
            return AppendResult([], duplicate=True)
        if status == b"conflict":
            raise Conflict(f"the room is at {last}, not {expect_seq}", last)
        events = [Event.create(last + i + 1, d) for i, d in enumerate(drafts)]
        self._note(key, last + len(events))
        return AppendResult(events)

    async def read(self, key: str, after: int, limit: int) -> list[Event]:
        return [Event.from_frame(frame) for _, frame in await self._read_frames(key, after, limit)]

    async def _read_frames(self, key: str, after: int, limit: int) -> list[tuple[int, bytes]]:
        self._usable()
        entries = await self._query(
            "reading the record",
            lambda: self._client.xrange(
                self._keys.log(key), min=f"0-{after + 1}", max="+", count=limit
            ),
        )
        frames = [
            (int(entry_id.split(b"-")[1]), fields[FRAME_FIELD]) for entry_id, fields in entries
        ]
        if frames:
            self._note(key, frames[-1][0])
        return frames

    async def last_seq(self, key: str) -> int:
        self._usable()
        raw = await self._query(
            "reading the room's position", lambda: self._client.hget(self._keys.meta(key), "seq")
        )
        last = int(raw or 0)
        if last < self._known.get(key, 0):
            await self._went_back(key, last)
        self._note(key, last)
        return last

    async def cursor(self, key: str, source: str) -> int:
        self._usable()
        raw = await self._query(
            "reading a cursor", lambda: self._client.hget(self._keys.cursors(key), source)
        )
        return int(raw or 0)

    async def cursors(self, key: str) -> dict[str, int]:
        """Every numbered source's last accepted n in the room (for moving a record)."""
        self._usable()
        raw = await self._query(
            "reading cursors", lambda: self._client.hgetall(self._keys.cursors(key))
        )
        return {k.decode(): int(v) for k, v in raw.items()}

    async def rooms_with_events(self) -> list[str]:
        self._usable()
        members = await self._query(
            "listing rooms", lambda: self._client.smembers(self._keys.rooms)
        )
        rooms = sorted(r.decode() for r in members)
        return [r for r in rooms if await self.last_seq(r) > 0]

    # -- fan-out ---------------------------------------------------------------------------
    def _locate(self, channel: bytes) -> tuple[str, Any]:
        if self._opts.cluster:
            node = self._client.get_node_from_key(channel)
            kwargs = {**node.connection_kwargs, "health_check_interval": 0}
            return node.name, lambda: node.connection_class(**kwargs)
        pool = self._client.connection_pool
        kwargs = {**pool.connection_kwargs, "health_check_interval": 0}

        def make() -> AbstractConnection:
            conn: AbstractConnection = pool.connection_class(**kwargs)
            return conn

        return "redis", make

    async def _refresh_slots(self) -> None:
        await self._client.nodes_manager.initialize()

    async def publish(self, key: str, frame: bytes) -> None:
        self._usable()
        async with self._errors("publishing"):
            await self._scripts["publish"](
                keys=[self._keys.channel(key)], args=[self._publish_cmd, frame]
            )

    async def subscribe(self, key: str, deliver: Deliver) -> None:
        assert self._pubsub is not None, "start() the backend first"
        self._usable()
        try:
            await self._pubsub.subscribe(key, self._keys.channel(key), self._tracking(key, deliver))
        except (RedisError, OSError) as exc:
            raise BackendUnavailable(f"Redis failed while subscribing: {exc}") from exc

    def _tracking(self, key: str, deliver: Deliver) -> Deliver:
        def track(seq: int | None, frame: bytes) -> None:
            if seq is not None:
                self._note(key, seq)
            deliver(seq, frame)

        return track

    async def unsubscribe(self, key: str) -> None:
        if self._pubsub is not None:
            await self._pubsub.unsubscribe(key)

    # -- meetings --------------------------------------------------------------------------
    async def load_meeting_shared(self, meeting_id: str) -> Meeting | None:
        return await self.load_meeting(meeting_id)

    def current_meeting(self, meeting_id: str) -> Meeting | None:
        return None  # whether Redis holds a newer version takes a round trip to know

    async def load_meeting(self, meeting_id: str) -> Meeting | None:
        try:
            self._usable()
            doc = await self._query(
                "loading the meeting", lambda: self._client.hget(self._keys.meetings, meeting_id)
            )
        except BackendUnavailable:
            cached = self._meetings.get(meeting_id)
            if cached is None:
                raise
            return Meeting.from_dict(cached.to_dict())
        if doc is None:
            self._meetings.pop(meeting_id, None)
            return None
        meeting = Meeting.from_dict(json.loads(doc))
        self._meetings[meeting_id] = Meeting.from_dict(meeting.to_dict())
        return meeting

    async def list_meetings(self) -> list[Meeting]:
        self._usable()
        ids = await self._query(
            "listing meetings", lambda: self._client.zrange(self._keys.order, 0, -1)
        )
        docs = (
            await self._query(
                "listing meetings", lambda: self._client.hmget(self._keys.meetings, ids)
            )
            if ids
            else []
        )
        return [Meeting.from_dict(json.loads(d)) for d in docs if d is not None]

    async def save_meeting(self, meeting: Meeting) -> None:
        self._usable()
        await self._written()
        loaded = meeting.version
        meeting.version = loaded + 1
        keys = [
            self._keys.meetings,
            self._keys.versions,
            self._keys.order,
            self._keys.order_counter,
        ]
        args = [meeting.id, str(loaded), str(meeting.version), json.dumps(meeting.to_dict())]
        try:
            async with self._errors("saving the meeting"):
                saved = await self._scripts["save"](keys=keys, args=args)
        except BaseException:
            meeting.version = loaded
            raise
        if not saved:
            meeting.version = loaded
            raise Conflict(f"meeting {meeting.id} was changed by someone else; reload and retry")
        self._meetings[meeting.id] = Meeting.from_dict(meeting.to_dict())

    # -- files -----------------------------------------------------------------------------
    async def put_file(self, meeting_id: str, file_id: str, data: bytes) -> None:
        self._usable()
        await self._written()

        async def store() -> None:
            # One transaction: the set of ids never names bytes that are not there.
            pipe = self._client.pipeline(transaction=True)
            pipe.set(self._keys.file(meeting_id, file_id), data)
            pipe.sadd(self._keys.files(meeting_id), file_id)
            await pipe.execute()

        await self._query("storing the file", store)

    async def get_file(self, meeting_id: str, file_id: str) -> bytes | None:
        self._usable()
        data: bytes | None = await self._query(
            "reading the file", lambda: self._client.get(self._keys.file(meeting_id, file_id))
        )
        return data

    async def delete_file(self, meeting_id: str, file_id: str) -> None:
        self._usable()

        async def remove() -> None:
            pipe = self._client.pipeline(transaction=True)
            pipe.delete(self._keys.file(meeting_id, file_id))
            pipe.srem(self._keys.files(meeting_id), file_id)
            await pipe.execute()

        await self._query("removing the file", remove)

    async def list_files(self, meeting_id: str) -> list[str]:
        self._usable()
        members = await self._query(
            "listing files", lambda: self._client.smembers(self._keys.files(meeting_id))
        )
        return sorted(m.decode() for m in members)

    # -- health ----------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "ok": False,
            "backend": "redis",
            "url": self._opts.display,
            "mode": "cluster" if self._opts.cluster else "single",
            "pubsub": "sharded" if self._publish_cmd == "SPUBLISH" else "classic",
        }
        if self._closed or self._pubsub is None:
            report["error"] = "the backend is not running"
            return report
        try:
            await self._check_record()
        except BackendUnavailable as exc:
            report["error"] = str(exc)
            report["record"] = "lost" if self._lost else "unreachable"
            return report
        down = self._pubsub.links_down()
        report["record"] = "ok"
        report["subscriptions"] = self._pubsub.rooms()
        report["pubsub_connections"] = self._pubsub.connections()
        if down:
            report["error"] = f"pub/sub reconnecting to {', '.join(down)}"
        report["ok"] = not down
        METRICS.backend_up.set(1 if report["ok"] else 0)
        return report
