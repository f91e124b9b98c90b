"""The composition root: what a running server process holds, built once per app."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.backends.base import Backend
from server.config import Settings
from server.domain.meetings import Meeting
from server.fanout.hub import Hub
from server.fanout.presence import Presence
from server.record.cache import FactsCache
from server.record.search import Indexes
from server.services.room import Rooms
from server.web.guard import Guard
from server.web.shared_reads import SharedReads
from server.web.welcomes import Welcomes


@dataclass(slots=True)
class Plenary:
    settings: Settings
    backend: Backend
    hub: Hub = field(init=False)
    rooms: Rooms = field(init=False)
    presence: Presence = field(init=False)
    report_facts: FactsCache = field(init=False)
    search: Indexes = field(init=False)
    # Open websocket connections per client address (limits.MAX_CONNECTIONS_PER_ADDRESS).
    connections: dict[str, int] = field(default_factory=dict)
    # Wrong keys and passcodes, counted per address and meeting (server/web/guard.py).
    guard: Guard = field(default_factory=Guard)
    # Websocket hellos arriving together share one read of their meeting (server/web/shared_reads).
    hello_meetings: SharedReads[Meeting | None] = field(init=False)
    # The meeting part of every welcome, encoded once per version (server/web/welcomes.py).
    welcomes: Welcomes = field(default_factory=Welcomes)

    def __post_init__(self) -> None:
        self.hello_meetings = SharedReads(self.backend.load_meeting_shared)
        self.hub = Hub(self.backend)
        self.rooms = Rooms(self.hub)
        self.presence = Presence(self.hub)
        self.report_facts = FactsCache()
        self.search = Indexes()

    async def meeting(self, meeting_id: str) -> Meeting | None:
        # Loaded for every request and command, never cached: a revoked link stops working on
        # every process at once. (Hellos use ``meeting_for_hello``: a copy checked against the
        # record's version.)
        if not meeting_id.isalnum() or len(meeting_id) > 40:
            return None
        return await self.backend.load_meeting(meeting_id)

    async def meeting_for_hello(self, meeting_id: str) -> Meeting | None:
        """The meeting for a websocket's hello, as the record holds it at this call (the copy
        read for earlier hellos while the record's version is unchanged, else one read shared
        with the other hellos of the same moment): the caller must not change it."""
        if not meeting_id.isalnum() or len(meeting_id) > 40:
            return None
        current = self.backend.current_meeting(meeting_id)
        if current is not None:
            return current
        return await self.hello_meetings.get(meeting_id)
