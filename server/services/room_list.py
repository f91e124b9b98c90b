"""The meeting's list of rooms as pages show it, and the news that it changed.

The welcome carries the list as it is when a page connects. When a group opens or reports back,
or the chair closes or reopens a room, every room of the meeting is sent the new list as an
ephemeral ``rooms`` frame, so a page in one break-out group sees another one open without a
reload. The frame is not recorded: the record has what changed (``group.opened``,
``room.closed`` …), and a page that reconnects gets the list from its welcome again.
"""

from __future__ import annotations

import contextlib

from server.backends.base import Backend, BackendUnavailable
from server.domain.channels import FLOOR
from server.domain.events import ephemeral_frame
from server.domain.keys import room_key
from server.domain.meetings import Meeting


def summary(meeting: Meeting) -> list[dict[str, object]]:
    """Each room's id, name, kind, status, convener, topic and caption channels (the floor
    first, then its interpretation channels' tags), in the meeting's order: for the welcome, the
    ``rooms`` frame and the meeting's HTTP description alike."""
    return [
        {
            "id": r.id,
            "name": r.name,
            "kind": r.kind,
            "status": r.status,
            "convener": r.convener,
            "led_as": r.led_as,
            "topic": r.topic,
            "channels": [FLOOR, *r.channels],
        }
        for r in meeting.rooms
    ]


async def announce(backend: Backend, meeting: Meeting) -> None:
    """Send the meeting's current list of rooms to the pages open in each of its rooms, on
    every process. A hint: when the record is unavailable it is skipped, not retried."""
    rooms = summary(meeting)
    with contextlib.suppress(BackendUnavailable):
        for room in meeting.rooms:
            frame = ephemeral_frame("rooms", room.id, {"rooms": rooms})
            for channel in (FLOOR, *room.channels):
                await backend.publish(room_key(meeting.id, room.id, channel), frame)
