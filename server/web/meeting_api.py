"""HTTP API of a meeting: what it is, each room's transcript, opening and closing rooms, and the
vocabulary the pages share with the server.

Credentials: ``Authorization: Bearer <key>`` for a link's key, ``X-Plenary-Passcode`` for a
viewer passcode. Public meetings need neither to read.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.domain import document
from server.domain.agenda import STATUSES
from server.domain.channels import FLOOR
from server.domain.errors import AdminError
from server.domain.floor import KINDS, PRESENCES
from server.domain.meetings import Meeting, RoomStatus
from server.record import channel_logs, exports
from server.record.documents import room_meta
from server.services import admin, room_list
from server.web.access import access
from server.web.problems import Problem


def meeting_summary(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "timezone": meeting.timezone,
        "starts": meeting.starts,
        "ends": meeting.ends,
        "venue": meeting.venue,
        "chaired_by": meeting.chaired_by,
        "language": meeting.language,
        "rooms": room_list.summary(meeting),
    }


async def meeting_info(request: Request) -> Response:
    a = await access(request)
    # A convener's link is for one room (link_room); the pages offer that room only.
    return JSONResponse(
        {**meeting_summary(a.meeting), "role": a.grant.role, "link_room": a.grant.room}
    )


def attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def transcript(request: Request) -> Response:
    a = await access(request)
    room = a.room(request.path_params["room"])
    fmt = request.path_params["fmt"]
    if fmt not in exports.FORMATS:
        raise Problem(
            404, "no_such_format", f"unknown format; use one of: {', '.join(exports.FORMATS)}"
        )
    try:
        channel = channel_logs.room_channel(a.meeting, room, request.query_params.get("lang"))
    except AdminError as exc:
        raise Problem(404, "no_such_channel", str(exc)) from None
    events = await channel_logs.room_events(a.px.backend, a.meeting, room, channel)
    meta = channel_logs.channel_meta(a.meeting, room, channel, room_meta(a.meeting, room.id))
    body = exports.render(fmt, events, meta)
    suffix = "" if channel == FLOOR else f"-{channel}"
    return attachment(body, exports.FORMATS[fmt], f"{a.meeting.id}-{room.id}{suffix}.{fmt}")


async def _set_room_open(request: Request, is_open: bool) -> Response:
    a = await access(request, "chair")
    room = a.room(request.path_params["room"])
    status: RoomStatus = "open" if is_open else "closed"
    runtime = await a.px.rooms.get(a.meeting.id, room.id)

    def mark(doc: Meeting) -> None:
        target = doc.room(room.id)
        if target is not None:
            target.status = status

    # The log decides (a second chair closing at the same moment records nothing); the meeting
    # document follows, re-applied if someone else saved it first.
    if not is_open:
        await a.px.rooms.close_channel_lines(a.meeting.id, room.id, room.channels)
    await runtime.set_open(is_open, a.grant.label or "chair")
    updated, _ = await admin.update_meeting(a.px.backend, a.meeting.id, mark)
    await room_list.announce(a.px.backend, updated)
    return JSONResponse({"room": room.id, "status": status})


async def open_room(request: Request) -> Response:
    return await _set_room_open(request, True)


async def close_room(request: Request) -> Response:
    return await _set_room_open(request, False)


async def vocabulary(request: Request) -> Response:
    """How requests' kinds, presences, agenda statuses and proposals' kinds and statuses are
    named: one definition, the server's (server/domain/floor.py, agenda.py, document.py), for
    every page."""
    return JSONResponse(
        {
            "kinds": KINDS,
            "presences": PRESENCES,
            "statuses": STATUSES,
            "proposal_kinds": document.KINDS,
            "proposal_statuses": document.STATUSES,
        },
        headers={"cache-control": "max-age=300"},
    )
