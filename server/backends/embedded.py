"""The embedded backend: a SQLite file is the record, fan-out stays inside this process.

Writes go through one thread that commits appends in groups (one fsync for every line that arrived
while the previous commit ran), which keeps acknowledgement latency low under load without ever
acknowledging a line before it is on disk. Sequence numbers and cursors are assigned in the event
loop, so the order in the log is the order of ``append`` calls.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.backends.base import AppendResult, BackendUnavailable, Conflict, Deliver
from server.domain.events import Draft, Event
from server.domain.meetings import Meeting
from server.domain.numbers import check_cursor
from server.limits import MAX_APPENDS_PER_COMMIT, MEETING_CHECK_SHARED_S

log = logging.getLogger("plenary.embedded")

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    room TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    ts INTEGER NOT NULL,
    frame BLOB NOT NULL,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cursors (
    room TEXT NOT NULL,
    source TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (room, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meetings (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS marker (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    meeting TEXT NOT NULL,
    id TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (meeting, id)
) WITHOUT ROWID;
"""


@dataclass(slots=True)
class _PendingAppend:
    key: str
    events: list[Event]
    cursor: tuple[str, int] | None
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: in WAL mode every commit is fsynced, so an acknowledged line survives a power cut.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class EmbeddedBackend:
    def __init__(self, path: Path | None, url: str = "") -> None:
        self._tmpdir: str | None = None
        if path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="plenary-")
            path = Path(self._tmpdir) / "plenary.db"
        self.path = path
        self.url = url or f"sqlite:///{path}"
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="plenary-sqlite-writer")
        self._readers = ThreadPoolExecutor(2, thread_name_prefix="plenary-sqlite-reader")
        self._local = threading.local()
        self._wconn: sqlite3.Connection | None = None
        self._last_seq: dict[str, int] = {}
        self._cursors: dict[tuple[str, str], int] = {}
        self._pending: list[_PendingAppend] = []
        self._wake = asyncio.Event()
        self._committer: asyncio.Task[None] | None = None
        self._subscribers: dict[str, Deliver] = {}
        self._closed = False
        self._healthy = True
        # Why the writer task stopped, when it stopped for anything but closing: the backend is
        # then unusable (health says so with this cause) and every append fails at once.
        self._writer_failure: str | None = None
        # Meetings as ``load_meeting_shared`` last read them, for ``current_meeting``, and the
        # connection it checks their version on (the event loop's own, opened when first used).
        self._shared_meetings: dict[str, Meeting] = {}
        self._vconn: sqlite3.Connection | None = None
        # Those found current, with when: the hellos of the next MEETING_CHECK_SHARED_S (a
        # crowd) share one check, as they would share one read (server/web/shared_reads.py).
        self._found_current: dict[str, tuple[Meeting, float]] = {}

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        self._wconn = await loop.run_in_executor(self._writer, self._open_writer)
        self._committer = asyncio.create_task(self._commit_loop(), name="plenary-committer")
        self._committer.add_done_callback(self._writer_stopped)

    def _writer_stopped(self, task: asyncio.Task[None]) -> None:
        """The commit loop ended. When closing, that is its job; otherwise nothing can be
        written any more, so say why, fail what waits, and refuse what comes (the operator, or
        the orchestrator watching /healthz, restarts the process)."""
        if self._closed and not task.cancelled() and task.exception() is None:
            return
        cause = "it was cancelled" if task.cancelled() else repr(task.exception() or "it ended")
        self._writer_failure = (
            f"the record's writer stopped ({cause}): nothing can be recorded until the server "
            "process is restarted"
        )
        log.error(
            "%s", self._writer_failure, exc_info=None if task.cancelled() else task.exception()
        )
        failed, self._pending = self._pending, []
        for item in failed:
            if not item.done.done():
                item.done.set_exception(BackendUnavailable(self._writer_failure))

    def _open_writer(self) -> sqlite3.Connection:
        conn = _connect(self.path)
        conn.executescript(SCHEMA)
        return conn

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._committer is not None and not self._committer.done():
            self._wake.set()
            await self._committer
        if self._vconn is not None:
            self._vconn.close()
            self._vconn = None
        loop = asyncio.get_running_loop()
        if self._wconn is not None:
            await loop.run_in_executor(self._writer, self._wconn.close)
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    # -- reads -----------------------------------------------------------------------------
    def _rconn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            self._local.conn = conn
        return conn

    async def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        def run() -> list[tuple[Any, ...]]:
            return self._rconn().execute(sql, args).fetchall()

        try:
            return await asyncio.get_running_loop().run_in_executor(self._readers, run)
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"reading the record failed: {exc}") from exc

    async def read(self, key: str, after: int, limit: int) -> list[Event]:
        rows = await self._query(
            "SELECT frame FROM events WHERE room=? AND seq>? ORDER BY seq LIMIT ?",
            (key, after, limit),
        )
        return [Event.from_frame(bytes(r[0])) for r in rows]

    async def last_seq(self, key: str) -> int:
        if key not in self._last_seq:
            rows = await self._query("SELECT MAX(seq) FROM events WHERE room=?", (key,))
            # Another coroutine may have appended (and cached) while we queried.
            self._last_seq.setdefault(key, int(rows[0][0] or 0))
        return self._last_seq[key]

    async def cursor(self, key: str, source: str) -> int:
        pair = (key, source)
        if pair not in self._cursors:
            rows = await self._query(
                "SELECT n FROM cursors WHERE room=? AND source=?", (key, source)
            )
            self._cursors.setdefault(pair, int(rows[0][0]) if rows else 0)
        return self._cursors[pair]

    async def cursors(self, key: str) -> dict[str, int]:
        rows = await self._query("SELECT source, n FROM cursors WHERE room=?", (key,))
        return {str(source): int(n) for source, n in rows}

    async def rooms_with_events(self) -> list[str]:
        rows = await self._query("SELECT DISTINCT room FROM events ORDER BY room", ())
        return [r[0] for r in rows]

    # -- appends ---------------------------------------------------------------------------
    async def append(
        self,
        key: str,
        drafts: Sequence[Draft],
        *,
        expect_seq: int | None = None,
        cursor: tuple[str, int] | None = None,
    ) -> AppendResult:
        if self._closed:
            raise BackendUnavailable("the server is shutting down")
        if self._writer_failure is not None:
            raise BackendUnavailable(self._writer_failure)
        if not self._healthy:
            raise BackendUnavailable("the record could not be written; try again shortly")
        check_cursor(cursor)
        last = await self.last_seq(key)
        if cursor is not None and cursor[1] <= await self.cursor(key, cursor[0]):
            return AppendResult([], duplicate=True)
        # From here to the queueing below there is no await: the checks and the assignment of
        # sequence numbers are one step, as in the Redis backend's Lua script.
        last = self._last_seq[key]
        if expect_seq is not None and expect_seq != last:
            raise Conflict(f"the room is at {last}, not {expect_seq}", last)
        if cursor is not None:
            if cursor[1] <= self._cursors[(key, cursor[0])]:
                return AppendResult([], duplicate=True)
            self._cursors[(key, cursor[0])] = cursor[1]
        events = [Event.create(last + i + 1, d) for i, d in enumerate(drafts)]
        self._last_seq[key] = last + len(events)
        pending = _PendingAppend(key, events, cursor)
        self._pending.append(pending)
        self._wake.set()
        await pending.done
        return AppendResult(events)

    async def _commit_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[:MAX_APPENDS_PER_COMMIT]
                del self._pending[:MAX_APPENDS_PER_COMMIT]
                try:
                    await loop.run_in_executor(self._writer, self._commit, batch)
                except Exception as exc:
                    # Whatever one batch raises fails that batch (and what was numbered after
                    # it), never the loop: every later write of every meeting depends on it.
                    log.error("a write to the record failed: %r", exc)
                    self._fail_all(batch, exc)
                    continue
                for item in batch:
                    deliver = self._subscribers.get(item.key)
                    if deliver is not None:
                        try:
                            for ev in item.events:
                                deliver(ev.seq, ev.frame)
                        except Exception:
                            # The events are durable; a subscriber's fault must not stop the
                            # writer (the hub repairs a gap from the record).
                            log.exception("delivering room %s's events failed", item.key)
                    if not item.done.done():
                        item.done.set_result(None)
            if self._closed and not self._pending:
                return

    def _commit(self, batch: list[_PendingAppend]) -> None:
        conn = self._wconn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO events (room, seq, type, ts, frame) VALUES (?,?,?,?,?)",
                [(p.key, e.seq, e.type, e.ts, e.frame) for p in batch for e in p.events],
            )
            conn.executemany(
                "INSERT INTO cursors (room, source, n) VALUES (?,?,?) "
                "ON CONFLICT(room, source) DO UPDATE SET n=excluded.n",
                [(p.key, p.cursor[0], p.cursor[1]) for p in batch if p.cursor is not None],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _fail_all(self, batch: list[_PendingAppend], exc: BaseException) -> None:
        # Appends queued behind the failed batch were numbered after it: they would leave a gap,
        # so they fail too, and the counters are reloaded from the file on the next append.
        failed = batch + self._pending
        self._pending = []
        self._last_seq.clear()
        self._cursors.clear()
        for item in failed:
            if not item.done.done():
                item.done.set_exception(
                    BackendUnavailable(f"the record could not be written: {exc}")
                )

    # -- epochs ----------------------------------------------------------------------------
    # Kept in the marker table, as "epoch:<room key>". Restoring an older copy of the file
    # restores its epochs too; the signs that the record went back then start new ones.
    async def epoch(self, key: str) -> str:
        return await self._epoch_step(key, None)

    async def new_epoch(self, key: str, seen: str) -> str:
        return await self._epoch_step(key, seen)

    async def _epoch_step(self, key: str, seen: str | None) -> str:
        name, token = f"epoch:{key}", secrets.token_hex(4)

        def run() -> str:
            conn = self._wconn
            assert conn is not None
            conn.execute("INSERT OR IGNORE INTO marker (name, value) VALUES (?, ?)", (name, token))
            if seen is not None:
                conn.execute(
                    "UPDATE marker SET value=? WHERE name=? AND value=?", (token, name, seen)
                )
            row = conn.execute("SELECT value FROM marker WHERE name=?", (name,)).fetchone()
            return str(row[0])

        if self._closed:
            raise BackendUnavailable("the server is shutting down")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._writer, run)
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"reading the room's epoch failed: {exc}") from exc

    async def claim_new_store(self) -> bool:
        def run() -> int:
            conn = self._wconn
            assert conn is not None
            cur = conn.execute(
                "INSERT OR IGNORE INTO marker (name, value) VALUES ('created', ?)",
                (str(time.time()),),
            )
            return cur.rowcount

        try:
            return await asyncio.get_running_loop().run_in_executor(self._writer, run) == 1
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"marking the record created failed: {exc}") from exc

    # -- fan-out ---------------------------------------------------------------------------
    async def publish(self, key: str, frame: bytes) -> None:
        deliver = self._subscribers.get(key)
        if deliver is not None:
            deliver(None, frame)

    async def subscribe(self, key: str, deliver: Deliver) -> None:
        self._subscribers[key] = deliver

    async def unsubscribe(self, key: str) -> None:
        self._subscribers.pop(key, None)

    # -- meetings --------------------------------------------------------------------------
    async def load_meeting(self, meeting_id: str) -> Meeting | None:
        rows = await self._query("SELECT doc FROM meetings WHERE id=?", (meeting_id,))
        return Meeting.from_dict(json.loads(rows[0][0])) if rows else None

    async def load_meeting_shared(self, meeting_id: str) -> Meeting | None:
        meeting = await self.load_meeting(meeting_id)
        if meeting is None:
            self._shared_meetings.pop(meeting_id, None)
        else:
            self._shared_meetings[meeting_id] = meeting
        return meeting

    def current_meeting(self, meeting_id: str) -> Meeting | None:
        # One indexed read of a small table, on the calling thread: a few microseconds, against
        # a read through the executor and a parse of the document for each websocket hello.
        # Readers never wait for the writer in WAL mode; should anything hold the database
        # (busy_timeout 0), the caller reads the document the usual way.
        cached = self._shared_meetings.get(meeting_id)
        if cached is None or self._closed:
            return None
        found = self._found_current.get(meeting_id)
        now = time.monotonic()
        if found is not None and found[0] is cached and now - found[1] < MEETING_CHECK_SHARED_S:
            return cached
        try:
            if self._vconn is None:
                self._vconn = sqlite3.connect(self.path, isolation_level=None)
                self._vconn.execute("PRAGMA busy_timeout=0")
            row = self._vconn.execute(
                "SELECT version FROM meetings WHERE id=?", (meeting_id,)
            ).fetchone()
        except sqlite3.Error:
            return None
        # Every save bumps the version (even one by another process, such as the CLI).
        if row is None or row[0] != cached.version:
            return None
        self._found_current[meeting_id] = (cached, now)
        return cached

    async def list_meetings(self) -> list[Meeting]:
        rows = await self._query("SELECT doc FROM meetings ORDER BY rowid", ())
        return [Meeting.from_dict(json.loads(r[0])) for r in rows]

    async def save_meeting(self, meeting: Meeting) -> None:
        loaded = meeting.version
        meeting.version = loaded + 1
        doc = json.dumps(meeting.to_dict())

        def run() -> int:
            conn = self._wconn
            assert conn is not None
            if loaded == 0:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO meetings (id, version, doc) VALUES (?,?,?)",
                    (meeting.id, meeting.version, doc),
                )
            else:
                cur = conn.execute(
                    "UPDATE meetings SET version=?, doc=? WHERE id=? AND version=?",
                    (meeting.version, doc, meeting.id, loaded),
                )
            return cur.rowcount

        try:
            changed = await asyncio.get_running_loop().run_in_executor(self._writer, run)
        except sqlite3.Error as exc:
            meeting.version = loaded
            raise BackendUnavailable(f"saving the meeting failed: {exc}") from exc
        if changed != 1:
            meeting.version = loaded
            raise Conflict(f"meeting {meeting.id} was changed by someone else; reload and retry")
        # The next hello checks again (and finds the new version).
        self._found_current.pop(meeting.id, None)

    # -- files -----------------------------------------------------------------------------
    async def _write(self, sql: str, args: tuple[Any, ...], doing: str) -> None:
        def run() -> None:
            conn = self._wconn
            assert conn is not None
            conn.execute(sql, args)

        if self._closed:
            raise BackendUnavailable("the server is shutting down")
        try:
            await asyncio.get_running_loop().run_in_executor(self._writer, run)
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"{doing} failed: {exc}") from exc

    async def put_file(self, meeting_id: str, file_id: str, data: bytes) -> None:
        await self._write(
            "INSERT OR REPLACE INTO files (meeting, id, data) VALUES (?,?,?)",
            (meeting_id, file_id, data),
            "storing the file",
        )

    async def get_file(self, meeting_id: str, file_id: str) -> bytes | None:
        rows = await self._query(
            "SELECT data FROM files WHERE meeting=? AND id=?", (meeting_id, file_id)
        )
        return bytes(rows[0][0]) if rows else None

    async def delete_file(self, meeting_id: str, file_id: str) -> None:
        await self._write(
            "DELETE FROM files WHERE meeting=? AND id=?", (meeting_id, file_id), "removing the file"
        )

    async def list_files(self, meeting_id: str) -> list[str]:
        rows = await self._query("SELECT id FROM files WHERE meeting=? ORDER BY id", (meeting_id,))
        return [str(r[0]) for r in rows]

    async def health(self) -> dict[str, Any]:
        try:
            await self._query("SELECT 1", ())
            ok = self._healthy and not self._closed and self._writer_failure is None
        except BackendUnavailable:
            ok = False
        report: dict[str, Any] = {"ok": ok, "backend": "embedded", "path": str(self.path)}
        if self._writer_failure is not None:
            report["error"] = self._writer_failure
        return report
