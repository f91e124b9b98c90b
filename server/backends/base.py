"""The interface every backend implements: an append-only log per room, fan-out, meetings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.events import Draft, Event
from server.limits import BACKLOG_PAGE
from server.meetings import Meeting

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


class Backend(ABC):
    url: str

    async def start(self) -> None:
        """Open connections and files."""

    async def close(self) -> None:
        """Release everything; pending appends are finished or failed first."""

    # -- the record ------------------------------------------------------------------------
    @abstractmethod
    async def append(
        self,
        room: str,
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

    @abstractmethod
    async def read(self, room: str, after: int, limit: int) -> list[Event]:
        """Events of the room with sequence number greater than ``after``, oldest first."""

    async def read_all(self, room: str) -> list[Event]:
        """Every event of the room, oldest first (for exports and reports)."""
        events: list[Event] = []
        while True:
            page = await self.read(room, events[-1].seq if events else 0, BACKLOG_PAGE)
            events += page
            if len(page) < BACKLOG_PAGE:
                return events

    @abstractmethod
    async def last_seq(self, room: str) -> int:
        """The room's last sequence number; 0 for a room with no events."""

    @abstractmethod
    async def cursor(self, room: str, source: str) -> int:
        """The last ``n`` accepted from a numbered source; 0 if none."""

    @abstractmethod
    async def rooms_with_events(self) -> list[str]:
        """Every room key that has a log (used to move a record between backends)."""

    # -- fan-out ---------------------------------------------------------------------------
    @abstractmethod
    async def publish(self, room: str, frame: bytes) -> None:
        """Send an ephemeral frame to every process subscribed to the room. Not recorded."""

    @abstractmethod
    async def subscribe(self, room: str, deliver: Deliver) -> None:
        """Start delivering the room's messages to ``deliver``. One subscription per room."""

    @abstractmethod
    async def unsubscribe(self, room: str) -> None:
        """Stop delivering the room's messages."""

    # -- meetings --------------------------------------------------------------------------
    @abstractmethod
    async def load_meeting(self, meeting_id: str) -> Meeting | None: ...

    @abstractmethod
    async def save_meeting(self, meeting: Meeting) -> None:
        """Save over the version the meeting was loaded at, then bump it; else raise Conflict."""

    @abstractmethod
    async def list_meetings(self) -> list[Meeting]: ...

    @abstractmethod
    async def health(self) -> dict[str, Any]:
        """A small report for the health endpoint; ``ok`` is False when the record is unusable."""
