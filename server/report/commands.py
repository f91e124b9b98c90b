"""What ``plenary export`` and ``plenary report`` do, given a backend: the same documents as the
HTTP API, read straight from the record."""

from __future__ import annotations

from server import exports
from server.admin import AdminError
from server.backends.base import Backend
from server.meetings import Meeting
from server.report.http import REPORTS, meeting_logs, meeting_meta, render_report
from server.report.record import facts_from_logs, load, read_room


async def _meeting(backend: Backend, meeting_id: str) -> Meeting:
    meeting = await backend.load_meeting(meeting_id)
    if meeting is None:
        raise AdminError(f"no meeting {meeting_id!r}; see `plenary meeting list`")
    return meeting


async def export(backend: Backend, meeting_id: str, room_id: str | None, fmt: str) -> bytes:
    """A room's transcript, or every room's when ``room_id`` is None."""
    meeting = await _meeting(backend, meeting_id)
    if room_id is None:
        if fmt not in exports.MEETING_FORMATS:
            raise AdminError(
                f"a whole meeting exports as {', '.join(exports.MEETING_FORMATS)}; "
                f"give a room for {fmt} (rooms: {', '.join(r.id for r in meeting.rooms)})"
            )
        logs = await load(backend, meeting)
        return exports.render_meeting(fmt, meeting_logs(meeting, logs), meeting_meta(meeting))
    room = meeting.room(room_id)
    if room is None:
        names = ", ".join(r.id for r in meeting.rooms)
        raise AdminError(f"no room {room_id!r} (rooms: {names})")
    meta = {
        **meeting_meta(meeting),
        "room": room.id,
        "title": f"{meeting.title} — {room.name}",
    }
    return exports.render(fmt, await read_room(backend, meeting.id, room.id), meta)


async def report(backend: Backend, meeting_id: str, name: str, fmt: str) -> bytes:
    meeting = await _meeting(backend, meeting_id)
    if fmt not in REPORTS[name]:
        raise AdminError(f"the {name} comes as: {', '.join(REPORTS[name])}")
    facts = facts_from_logs(meeting, await load(backend, meeting))
    return render_report(name, fmt, facts)
