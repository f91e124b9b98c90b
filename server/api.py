"""HTTP API: meeting information, transcript exports, opening and closing rooms.

Credentials: ``Authorization: Bearer <key>`` for a link's key, ``X-Plenary-Passcode`` for a
viewer passcode. Public meetings need neither to read.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import admin, exports, room_list
from server.access import grant_for, problem
from server.backends.base import BackendUnavailable
from server.meetings import Meeting, RoomStatus
from server.report import http as record_http


def meeting_summary(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "timezone": meeting.timezone,
        "starts": meeting.starts,
        "ends": meeting.ends,
        "venue": meeting.venue,
        "chaired_by": meeting.chaired_by,
        "rooms": room_list.summary(meeting),
    }


async def meeting_info(request: Request) -> Response:
    granted = await grant_for(request)
    if isinstance(granted, JSONResponse):
        return granted
    _, meeting, grant = granted
    return JSONResponse({**meeting_summary(meeting), "role": grant.role})


async def transcript(request: Request) -> Response:
    granted = await grant_for(request)
    if isinstance(granted, JSONResponse):
        return granted
    px, meeting, _ = granted
    room = meeting.room(request.path_params["room"])
    if room is None:
        return problem(404, "no such room in this meeting")
    fmt = request.path_params["fmt"]
    if fmt not in exports.FORMATS:
        return problem(404, f"unknown format; use one of: {', '.join(exports.FORMATS)}")
    runtime = await px.rooms.get(meeting.id, room.id)
    try:
        events = await px.backend.read_all(runtime.key)
    except BackendUnavailable as exc:
        return problem(503, str(exc))
    meta = {
        "meeting": meeting.id,
        "title": f"{meeting.title} — {room.name}",
        "room": room.id,
        "timezone": meeting.timezone,
    }
    body = exports.render(fmt, events, meta)
    filename = f"{meeting.id}-{room.id}.{fmt}"
    return Response(
        body,
        media_type=exports.FORMATS[fmt],
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def set_room_open(request: Request) -> Response:
    granted = await grant_for(request)
    if isinstance(granted, JSONResponse):
        return granted
    px, meeting, grant = granted
    if grant.role != "chair":
        return problem(403, "only the chair can open or close a room")
    room = meeting.room(request.path_params["room"])
    if room is None:
        return problem(404, "no such room in this meeting")
    if request.path_params["action"] not in ("open", "close"):
        return problem(404, "use …/open or …/close")
    is_open = request.path_params["action"] == "open"
    status: RoomStatus = "open" if is_open else "closed"
    runtime = await px.rooms.get(meeting.id, room.id)

    def mark(doc: Meeting) -> None:
        target = doc.room(room.id)
        if target is not None:
            target.status = status

    try:
        # The log decides (a second chair closing at the same moment records nothing); the
        # meeting document follows, re-applied if someone else saved it first.
        await runtime.set_open(is_open, grant.label or "chair")
        updated, _ = await admin.update_meeting(px.backend, meeting.id, mark)
        await room_list.announce(px.backend, updated)
    except BackendUnavailable as exc:
        return problem(503, str(exc))
    except admin.AdminError as exc:
        return problem(409, str(exc))
    return JSONResponse({"room": room.id, "status": status})


def routes() -> list[Route]:
    return [
        # The record first: its paths are more specific than a room's.
        *record_http.routes(),
        Route("/api/m/{meeting}", meeting_info),
        Route("/api/m/{meeting}/{room}/transcript.{fmt}", transcript),
        Route("/api/m/{meeting}/{room}/{action:str}", set_room_open, methods=["POST"]),
    ]
