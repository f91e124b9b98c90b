"""What a backend must do, as narrow interfaces: the record (``Log``), the fan-out between server
processes (``Broker``), the meeting documents (``MeetingStore``) and attached files
(``FileStore``).

The invariant every backend keeps: **appending events to a room's log and publishing them to every
process subscribed to that room is one atomic step**, and sequence numbers per room start at 1 and
increase by exactly one. So what is recorded and what is delivered always agree, with no gap
between them, and a process that reads the log after subscribing misses nothing.

Rooms are named by their key (server/domain/keys.py, ``{meeting/room}``); every parameter that
is such a key is called ``key``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.domain.events import Draft, Event
from server.domain.meetings import Meeting
from server.limits import BACKLOG_PAGE

# Called for every message of a subscribed room, in the order the backend received them:
# (sequence number or None for an ephemeral frame, the encoded frame).
Deliver = Callable[[int | None, bytes], None]


class Conflict(Exception):
    """The room's log moved on since the caller last looked (another writer got in first)."""

    def __init__(self, message: str, last_seq: int = -1) -> None:
        super().__init__(message)
        self.last_seq = last_seq


class BackendUnavailable(Exception):
    """The record cannot be written or read right now; the caller may retry later."""


@dataclass(slots=True)
class AppendResult:
    events: list[Event] = field(default_factory=list)
    # True when the cursor showed this input had already been accepted: nothing was appended.
    duplicate: bool = False


class Log(Protocol):
    """Each room's append-only log of events, and the cursors of numbered senders."""

    async def append(
        self,
        key: str,
        drafts: Sequence[Draft],
        *,
        expect_seq: int | None = None,
        cursor: tuple[str, int] | None = None,
    ) -> AppendResult:
        """Append drafts to the room's log, durably, and publish them to every process.

        Returns only once the events are durable. ``expect_seq``: append only if the room's last
        sequence number is exactly this, else raise ``Conflict``. ``cursor``: ``(source, n)`` for
        inputs numbered by their sender (a Zoom ``seq``, a captioner's line counter): append only
        if ``n`` is greater than the last ``n`` accepted from that source, else return a duplicate
        result. Both checks and the append are one atomic step.
        """
        ...

    async def read(self, key: str, after: int, limit: int) -> list[Event]:
        """Events of the room with sequence number greater than ``after``, oldest first."""
        ...

    async def last_seq(self, key: str) -> int:
        """The room's last sequence number; 0 for a room with no events."""
        ...

    async def cursor(self, key: str, source: str) -> int:
        """The last ``n`` accepted from a numbered source; 0 if none."""
        ...

    async def cursors(self, key: str) -> dict[str, int]:
        """Every numbered source's last accepted ``n`` in the room (to move a record)."""
        ...

    async def rooms_with_events(self) -> list[str]:
        """The key of every room that has a log (to move a record between backends)."""
        ...

    async def epoch(self, key: str) -> str:
        """The room's epoch: a token that, with a sequence number, names a position in the room's
        record. It changes when the record is found to have gone back (an older copy restored):
        numbers given out after that name other events than before, and a client holding a
        position of an older epoch must start again from the beginning."""
        ...

    async def new_epoch(self, key: str, seen: str) -> str:
        """Start a new epoch for the room if it is still at ``seen``; return the epoch now. Two
        processes finding the same sign start one new epoch between them."""
        ...


class Broker(Protocol):
    """Messages of a room to every server process that follows it."""

    async def publish(self, key: str, frame: bytes) -> None:
        """Send an ephemeral frame to every process subscribed to the room. Not recorded."""
        ...

    async def subscribe(self, key: str, deliver: Deliver) -> None:
        """Start delivering the room's messages to ``deliver``. One subscription per room."""
        ...

    async def unsubscribe(self, key: str) -> None:
        """Stop delivering the room's messages."""
        ...


class MeetingStore(Protocol):
    """Meeting documents, saved over the version they were loaded at."""

    async def load_meeting(self, meeting_id: str) -> Meeting | None: ...

    async def load_meeting_shared(self, meeting_id: str) -> Meeting | None:
        """``load_meeting`` for callers that do not change what they get: the backend may keep
        it for ``current_meeting``."""
        ...

    def current_meeting(self, meeting_id: str) -> Meeting | None:
        """The meeting as ``load_meeting_shared`` last returned it, if the record still holds
        that version (checked now, without awaiting); None otherwise, or where the backend
        cannot check without a round trip. Shared: the caller must not change it."""
        ...

    async def save_meeting(self, meeting: Meeting) -> None:
        """Save over the version the meeting was loaded at, then bump it; else raise Conflict."""
        ...

    async def list_meetings(self) -> list[Meeting]: ...


class FileStore(Protocol):
    """The bytes of files attached to a meeting's agenda (a spreadsheet, a presentation), kept in
    the backend so every server process serves them. What a file is (title, type, size, hash)
    is recorded in the agenda room's log; the store only keeps bytes by meeting and file id."""

    async def put_file(self, meeting_id: str, file_id: str, data: bytes) -> None:
        """Store the bytes durably (before the event that names them is recorded)."""
        ...

    async def get_file(self, meeting_id: str, file_id: str) -> bytes | None: ...

    async def delete_file(self, meeting_id: str, file_id: str) -> None: ...

    async def list_files(self, meeting_id: str) -> list[str]:
        """The ids of a meeting's stored files (to move a record)."""
        ...


class Backend(Log, Broker, MeetingStore, FileStore, Protocol):
    """All four, with a lifecycle and a health report: what a server process runs on."""

    url: str

    async def start(self) -> None:
        """Open connections and files."""
        ...

    async def close(self) -> None:
        """Release everything; pending appends are finished or failed first."""
        ...

    async def health(self) -> dict[str, Any]:
        """A small report for the health endpoint; ``ok`` is False when the record is unusable."""
        ...

    async def claim_new_store(self) -> bool:
        """Make an empty store a record, atomically across processes: True only for the one
        caller that did (it may then create the first meeting). Starting a backend writes
        nothing, so read-only commands never make an empty store look like a record."""
        ...


async def read_all(log: Log, key: str) -> list[Event]:
    """Every event of a room, oldest first (for exports and reports)."""
    events: list[Event] = []
    while True:
        page = await log.read(key, events[-1].seq if events else 0, BACKLOG_PAGE)
        events += page
        if len(page) < BACKLOG_PAGE:
            return events
