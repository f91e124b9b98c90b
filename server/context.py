"""What a running server process holds: settings, backend, hub and rooms."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.backends.base import Backend
from server.config import Settings
from server.hub import Hub
from server.meetings import Meeting
from server.report.cache import FactsCache
from server.room import Rooms


@dataclass(slots=True)
class Plenary:
    settings: Settings
    backend: Backend
    hub: Hub = field(init=False)
    rooms: Rooms = field(init=False)
    report_facts: FactsCache = field(init=False)

    def __post_init__(self) -> None:
        self.hub = Hub(self.backend)
        self.rooms = Rooms(self.hub)
        self.report_facts = FactsCache()

    async def meeting(self, meeting_id: str) -> Meeting | None:
        # Loaded per connection and per request, never cached: a revoked link stops working on
        # every process at once.
        if not meeting_id.isalnum() or len(meeting_id) > 40:
            return None
        return await self.backend.load_meeting(meeting_id)
