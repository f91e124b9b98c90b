"""What a websocket's welcome says about its meeting, encoded once per version of the meeting.

A crowd reconnecting at once gets the same meeting, title and room list thousands of times; the
bytes are made for the first hello after the meeting changed and shared by every session after
it (a session keeps them for as long as it is connected, instead of a copy of its own).
"""

from __future__ import annotations

from server.domain.events import dumps
from server.domain.meetings import Meeting
from server.services import room_list


def welcome_meeting(meeting: Meeting) -> dict[str, object]:
    return {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "timezone": meeting.timezone,
            "language": meeting.language,
        },
        "rooms": room_list.summary(meeting),
    }


class Welcomes:
    """The encoded meeting part of the welcome, by meeting: one entry per meeting, replaced when
    a hello brings a newer version (every save bumps it)."""

    __slots__ = ("_encoded",)

    def __init__(self) -> None:
        self._encoded: dict[str, tuple[int, bytes]] = {}

    def encoded(self, meeting: Meeting) -> bytes:
        held = self._encoded.get(meeting.id)
        if held is not None and held[0] == meeting.version:
            return held[1]
        data = dumps(welcome_meeting(meeting))
        self._encoded[meeting.id] = (meeting.version, data)
        return data


def with_meeting(frame: bytes, meeting_part: bytes) -> bytes:
    """A welcome ``frame`` (a JSON object) with the fields of ``meeting_part`` (another) added."""
    return frame[:-1] + b"," + meeting_part[1:]
