"""HTTP endpoints of the chair's console and the participant page: participants (one, or a CSV
file), personal links, the agenda, a room's floor, opening groups and closing them on their
report. Credentials as in server/web/access.py: ``Authorization: Bearer KEY``."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.domain import channels, links, participants
from server.domain.agenda import agenda_room
from server.domain.events import now_ms
from server.domain.links import (
    caption_api_url,
    captioner_url,
    personal_url,
    viewer_url,
    youtube_api_url,
)
from server.domain.meetings import Participant
from server.limits import MAX_CSV_BYTES
from server.services import admin, groups, room_list
from server.web.access import access, plenary
from server.web.problems import Problem


def link_base(request: Request) -> str:
    # Links are made for the address the chair is using, which works for the people they
    # hand them to (set PLENARY_PUBLIC_URL when that is not the case, e.g. behind a proxy).
    px = plenary(request)
    if px.settings.public_url:
        return px.settings.base_url()
    return str(request.base_url).rstrip("/")


def _person(p: Participant) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "delegation": p.delegation,
        "group": p.group,
        "presence": p.presence,
    }


async def body_text(request: Request, limit: int = MAX_CSV_BYTES) -> str:
    """The request's body as UTF-8 text, at most ``limit`` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Problem(413, "too_large", f"send at most {limit // 1024} KiB")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(
            400, "bad_encoding", "the body is not UTF-8 text (save it as UTF-8)"
        ) from None


async def body_json(request: Request) -> dict[str, Any]:
    text = await body_text(request)
    try:
        value = json.loads(text or "{}")
    except (ValueError, RecursionError):
        raise Problem(400, "bad_json", "the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise Problem(400, "bad_json", "the body must be a JSON object")
    return value


# -- participants --------------------------------------------------------------------------------
# Who keeps the participant register and hands out personal links.
REGISTRARS = ("chair", "secretariat")


async def list_participants(request: Request) -> Response:
    # A convener reads the register too: to put people on their group's list.
    a = await access(request, *REGISTRARS, "convener")
    return JSONResponse(
        {"groups": a.meeting.groups, "participants": [_person(p) for p in a.meeting.participants]}
    )


async def add_participants(request: Request) -> Response:
    """One participant as JSON, or many as a CSV file (``Content-Type: text/csv``)."""
    a = await access(request, *REGISTRARS)
    meeting = a.meeting
    room = request.query_params.get("room") or agenda_room(meeting)
    if meeting.room(room) is None:
        raise Problem(404, "no_such_room", "no such room for the links")
    if request.headers.get("content-type", "").startswith("text/csv"):
        people = participants.parse_csv(await body_text(request), meeting.groups)
    else:
        body = await body_json(request)
        people = [
            participants.check(
                meeting.groups,
                body.get("name"),
                body.get("delegation", ""),
                body.get("group", ""),
                body.get("presence", "remote"),
            )
        ]
    _, done = await admin.update_meeting(
        a.px.backend, meeting.id, lambda m: participants.register(m, people)
    )
    base = link_base(request)
    return JSONResponse(
        {
            "participants": [
                {**_person(r.participant), "link": personal_url(base, meeting.id, room, r.key)}
                for r in done
            ]
        }
    )


async def new_link(request: Request) -> Response:
    a = await access(request, *REGISTRARS)
    pid = request.path_params["participant"]
    _, done = await admin.update_meeting(
        a.px.backend, a.meeting.id, lambda m: participants.reissue(m, pid)
    )
    room = agenda_room(a.meeting)
    link = personal_url(link_base(request), a.meeting.id, room, done.key)
    return JSONResponse({**_person(done.participant), "link": link})


async def me(request: Request) -> Response:
    a = await access(request, "participant")
    person = a.meeting.participant(a.grant.participant or "")
    if person is None:
        raise Problem(404, "no_such_participant", "this link's participant is no longer registered")
    return JSONResponse(_person(person))


# -- agenda and floor ----------------------------------------------------------------------------
async def get_agenda(request: Request) -> Response:
    a = await access(request)
    runtime = await a.px.rooms.get(a.meeting.id, agenda_room(a.meeting))
    return JSONResponse(
        {"room": runtime.room_id, "seq": runtime.state.seq, **runtime.state.agenda.to_dict()}
    )


async def get_floor(request: Request) -> Response:
    """A room's speakers' list and current item as the server's projection holds them."""
    a = await access(request)
    room = a.room(request.path_params["room"])
    runtime = await a.px.rooms.get(a.meeting.id, room.id)
    state = runtime.state
    now = now_ms()
    shown = state.floor.to_dict(now)
    if not (a.grant.may_run(room.id) or a.grant.may_manage()):
        del shown["totals"]
    current = state.agenda.current
    return JSONResponse(
        {
            "room": room.id,
            "seq": state.seq,
            "now": now,
            "open": state.open,
            "floor": shown,
            "item": current.to_dict() if current else None,
            "proposal": state.docs.current.to_dict() if state.docs.current else None,
        }
    )


# -- groups --------------------------------------------------------------------------------------
async def open_group(request: Request) -> Response:
    a = await access(request, "chair")
    body = await body_json(request)
    opened = await groups.open_group(a.px.rooms, a.meeting, body, a.grant.label or "Chair")
    base = link_base(request)
    room = opened.room
    meeting_id = a.meeting.id
    return JSONResponse(
        {
            "room": room.id,
            "name": room.name,
            "kind": room.kind,
            "convener": room.convener,
            "topic": room.topic,
            "viewer": viewer_url(base, meeting_id, room.id),
            "captioner": captioner_url(base, meeting_id, room.id, opened.captioner_key),
            "caption_api": caption_api_url(base, meeting_id, room.id, opened.captioner_key),
            "youtube_api": youtube_api_url(base, meeting_id, room.id, opened.captioner_key),
        }
    )


async def report_group(request: Request) -> Response:
    """The chair, or the group's own convener, closes it on its report."""
    a = await access(request, "chair", "convener")
    room_id = request.path_params["room"]
    if not a.grant.may_run(room_id):
        raise Problem(403, "forbidden", "a convener's link reports only its own group")
    body = await body_json(request)
    report = body.get("report")
    by = a.grant.label or a.grant.role.capitalize()
    await groups.report_group(a.px.rooms, a.meeting, room_id, report, by)
    return JSONResponse({"room": room_id, "status": "closed"})


# -- caption stations ----------------------------------------------------------------------------
async def list_stations(request: Request) -> Response:
    """A room's caption stations: names, ids and whether revoked (their keys are not kept)."""
    a = await access(request, "chair")
    room = a.room(request.path_params["room"])
    base = link_base(request)
    found = [links.station(base, a.meeting, c) for c in admin.stations(a.meeting, room.id)]
    return JSONResponse({"room": room.id, "stations": [s.to_dict() for s in found]})


async def add_station(request: Request) -> Response:
    """Issue a caption station: its captioner page, Zoom-format and YouTube-format URLs."""
    a = await access(request, "chair")
    room = a.room(request.path_params["room"])
    body = await body_json(request)
    name = body.get("name")
    channel = body.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise Problem(400, "bad_field", "'channel' is a caption channel: floor or a language tag")
    if channel is not None and channels.pick(room.channels, channel) is None:
        raise Problem(
            404,
            "no_such_channel",
            f"this room has no {channel[:35]!r} channel; its channels: "
            + channels.named(room.channels, a.meeting.language),
        )
    meeting, cred, key = await admin.add_station(a.px.backend, a.meeting.id, room.id, name, channel)
    return JSONResponse(links.station(link_base(request), meeting, cred, key).to_dict())


# -- caption channels ----------------------------------------------------------------------------
async def add_channel(request: Request) -> Response:
    """Add an interpretation channel to a room (``{"channel": "fr"}``): its viewer link and its
    first caption station's links. The chair or the secretariat."""
    a = await access(request, "chair", "secretariat")
    room = a.room(request.path_params["room"])
    body = await body_json(request)
    tag = channels.tag(body.get("channel"))  # a bad tag is a 400 that says what a tag is
    if tag in room.channels:
        raise Problem(409, "channel_exists", f"room {room.name!r} has a {tag} channel already")
    meeting, tag, key = await admin.add_channel(a.px.backend, a.meeting.id, room.id, tag)
    await room_list.announce(a.px.backend, meeting)
    base = link_base(request)
    return JSONResponse(
        {
            "room": room.id,
            "channel": tag,
            "channels": [channels.FLOOR, *(meeting.room(room.id) or room).channels],
            "viewer": links.viewer_url(base, meeting.id, room.id, tag),
            "captioner": links.captioner_url(base, meeting.id, room.id, key, tag),
            "caption_api": links.caption_api_url(base, meeting.id, room.id, key),
            "youtube_api": links.youtube_api_url(base, meeting.id, room.id, key),
        }
    )


async def revoke_station(request: Request) -> Response:
    a = await access(request, "chair")
    room = a.room(request.path_params["room"])
    station = request.path_params["station"]
    if not any(c.id == station for c in admin.stations(a.meeting, room.id)):
        raise Problem(404, "no_such_station", "no such caption station in this room")
    cred = await admin.revoke_station(a.px.backend, a.meeting.id, station)
    return JSONResponse(links.station(link_base(request), a.meeting, cred).to_dict())
