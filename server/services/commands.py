"""Room commands beyond the transcript (speakers' list, agenda, rooms), sent over the websocket as
``{"type": "cmd", "n": 5, "op": "floor.request", "args": {...}}``.

Each op is a handler registered here. A handler checks the caller's role, decides the events
against the room's current state (raising ``CommandRejected`` with a clear message otherwise) and
returns what it recorded. The websocket layer acknowledges with the seq of the first event. The
handlers are in server/services/room_commands.py, with ``dispatch``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from server.domain.auth import Grant
from server.domain.events import Event
from server.domain.meetings import Meeting
from server.services.room import RoomRuntime, Rooms


@dataclass(frozen=True, slots=True)
class CommandContext:
    rooms: Rooms  # the rooms this process follows, for commands that read another room
    runtime: RoomRuntime
    meeting: Meeting  # as it is now: read afresh for each command
    grant: Grant
    conn_id: str
    name: str
    cursor: tuple[str, int] | None  # pass to runtime.execute for exactly-once


Handler = Callable[[CommandContext, dict[str, Any]], Awaitable[list[Event]]]

COMMANDS: dict[str, Handler] = {}


def command(op: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[op] = handler
        return handler

    return register
