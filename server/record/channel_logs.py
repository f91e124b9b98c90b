"""Which caption channels an export holds, and how their sections are headed.

A room's transcript export is one channel: the floor unless ``lang`` names an interpretation
channel (``fr``, or ``fr-CA`` for a room's ``fr``). A whole-meeting export holds the floors (as
before channels existed), one interpretation language (each room that has it), or ``all``: every
channel of every room, each section headed with its room and channel. Subtitle files are per room
and channel. The digest and figures read the floors only (server/record/facts.py): an
intervention is counted once, however many channels captioned it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.backends.base import Log, read_all
from server.domain import channels
from server.domain.errors import AdminError
from server.domain.events import Event
from server.domain.keys import room_key
from server.domain.meetings import Meeting, Room

ALL = "all"


def room_channel(meeting: Meeting, room: Room, lang: str | None) -> str:
    """The channel of a room a ``lang`` names (None or ``floor``: the floor), or AdminError
    naming the room's channels."""
    found = channels.pick(room.channels, lang or channels.FLOOR)
    if found is None:
        raise AdminError(
            f"room {room.id!r} has no {lang!r} channel; its channels: "
            + channels.named(room.channels, meeting.language)
        )
    return found


def heading(room: Room, channel: str) -> str:
    return (
        f"{room.name} — {'floor' if channel == channels.FLOOR else f'interpretation ({channel})'}"
    )


def channel_meta(
    meeting: Meeting, room: Room, channel: str, meta: dict[str, Any]
) -> dict[str, Any]:
    """A room export's metadata for one channel: unchanged for the floor."""
    if channel == channels.FLOOR:
        return meta
    return {**meta, "channel": channel, "title": f"{meeting.title} — {heading(room, channel)}"}


async def room_events(log: Log, meeting: Meeting, room: Room, channel: str) -> list[Event]:
    return await read_all(log, room_key(meeting.id, room.id, channel))


async def meeting_sections(
    log: Log, meeting: Meeting, lang: str | None
) -> Sequence[tuple[str, str, Sequence[Event]]]:
    """A whole-meeting export's sections: (id, heading, events). The floors are headed by their
    room's name as they always were; with channels the id is ``room`` or ``room~tag``."""
    out: list[tuple[str, str, Sequence[Event]]] = []
    if lang in (None, "", channels.FLOOR):
        for room in meeting.rooms:
            out.append((room.id, room.name, await room_events(log, meeting, room, channels.FLOOR)))
        return out
    if lang == ALL:
        for room in meeting.rooms:
            for channel in (channels.FLOOR, *room.channels):
                events = await room_events(log, meeting, room, channel)
                out.append((_section_id(room, channel), heading(room, channel), events))
        return out
    for room in meeting.rooms:
        found = channels.pick(room.channels, lang or "")
        if found is not None and found != channels.FLOOR:
            events = await room_events(log, meeting, room, found)
            out.append((_section_id(room, found), heading(room, found), events))
    if not out:
        offered = sorted({t for r in meeting.rooms for t in r.channels})
        raise AdminError(
            f"no room of this meeting has a {lang!r} channel; channels: "
            + ", ".join([channels.FLOOR, *offered, ALL])
        )
    return out


def _section_id(room: Room, channel: str) -> str:
    return room.id if channel == channels.FLOOR else f"{room.id}~{channel}"
