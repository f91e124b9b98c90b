"""HTTP endpoints of the chair's console and the participant page: participants (one, or a CSV
file), personal links, the agenda, a room's floor, opening groups and closing them on their
report. Credentials as in server/api.py: ``Authorization: Bearer KEY``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import admin, auth, groups, participants
from server.access import grant_for, problem
from server.admin import AdminError
from server.agenda import agenda_room
from server.backends.base import BackendUnavailable
from server.context import Plenary
from server.errors import CommandRejected
from server.events import now_ms
from server.limits import MAX_CSV_BYTES
from server.links import caption_api_url, captioner_url, viewer_url
from server.meetings import Meeting, Participant


class _Refused(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


async def _who(request: Request, role: str | None = None) -> tuple[Plenary, Meeting, auth.Grant]:
    granted = await grant_for(request)
    if isinstance(granted, JSONResponse):
        raise _Refused(granted)
    if role is not None and granted[2].role != role:
        raise _Refused(problem(403, f"only the {role} can do this"))
    return granted


def _base(request: Request) -> str:
    # Links are made for the address the chair is using, which works for the people they
    # hand them to (set PLENARY_PUBLIC_URL when that is not the case, e.g. behind a proxy).
    px: Plenary = request.app.state.plenary
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


async def _body_text(request: Request) -> str:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CSV_BYTES:
            raise _Refused(problem(413, f"send at most {MAX_CSV_BYTES // 1024} KiB"))
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(problem(400, "the body is not UTF-8 text (save the CSV as UTF-8)")) from None


async def _json(request: Request) -> dict[str, Any]:
    text = await _body_text(request)
    try:
        value = json.loads(text or "{}")
    except ValueError:
        raise _Refused(problem(400, "the body is not valid JSON")) from None
    if not isinstance(value, dict):
        raise _Refused(problem(400, "the body must be a JSON object"))
    return value


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler) -> Handler:
    """Turn refusals and an unavailable record into clear JSON errors."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except _Refused as exc:
            return exc.response
        except CommandRejected as exc:
            status = 403 if exc.code == "forbidden" else 404 if exc.code.startswith("no_") else 409
            return JSONResponse({"error": exc.message, "code": exc.code}, status_code=status)
        except AdminError as exc:
            return problem(400, str(exc))
        except BackendUnavailable as exc:
            return problem(503, f"the record is unavailable, retry shortly: {exc}")

    return run


# -- participants --------------------------------------------------------------------------------
@endpoint
async def list_participants(request: Request) -> Response:
    _, meeting, _ = await _who(request, "chair")
    return JSONResponse(
        {"groups": meeting.groups, "participants": [_person(p) for p in meeting.participants]}
    )


@endpoint
async def add_participants(request: Request) -> Response:
    """One participant as JSON, or many as a CSV file (``Content-Type: text/csv``)."""
    px, meeting, _ = await _who(request, "chair")
    room = request.query_params.get("room") or agenda_room(meeting)
    if meeting.room(room) is None:
        return problem(404, "no such room for the links")
    if request.headers.get("content-type", "").startswith("text/csv"):
        people = participants.parse_csv(await _body_text(request), meeting.groups)
    else:
        body = await _json(request)
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
        px.backend, meeting.id, lambda m: participants.register(m, people)
    )
    base = _base(request)
    return JSONResponse(
        {
            "participants": [
                {
                    **_person(r.participant),
                    "link": participants.personal_url(base, meeting.id, room, r.key),
                }
                for r in done
            ]
        }
    )


@endpoint
async def new_link(request: Request) -> Response:
    px, meeting, _ = await _who(request, "chair")
    pid = request.path_params["participant"]
    _, done = await admin.update_meeting(
        px.backend, meeting.id, lambda m: participants.reissue(m, pid)
    )
    room = agenda_room(meeting)
    link = participants.personal_url(_base(request), meeting.id, room, done.key)
    return JSONResponse({**_person(done.participant), "link": link})


@endpoint
async def me(request: Request) -> Response:
    _, meeting, grant = await _who(request, "participant")
    person = meeting.participant(grant.participant or "")
    if person is None:
        return problem(404, "this link's participant is no longer registered")
    return JSONResponse(_person(person))


# -- agenda and floor ----------------------------------------------------------------------------
@endpoint
async def get_agenda(request: Request) -> Response:
    px, meeting, _ = await _who(request)
    runtime = await px.rooms.get(meeting.id, agenda_room(meeting))
    return JSONResponse(
        {"room": runtime.room_id, "seq": runtime.state.seq, **runtime.state.agenda.to_dict()}
    )


@endpoint
async def get_floor(request: Request) -> Response:
    """A room's speakers' list and current item as the server's projection holds them."""
    px, meeting, grant = await _who(request)
    room = meeting.room(request.path_params["room"])
    if room is None:
        return problem(404, "no such room in this meeting")
    runtime = await px.rooms.get(meeting.id, room.id)
    state = runtime.state
    now = now_ms()
    shown = state.floor.to_dict(now)
    if grant.role != "chair":
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
        }
    )


# -- groups --------------------------------------------------------------------------------------
@endpoint
async def open_group(request: Request) -> Response:
    px, meeting, grant = await _who(request, "chair")
    body = await _json(request)
    opened = await groups.open_group(px, meeting, body, grant.label or "Chair")
    base = _base(request)
    room = opened.room
    return JSONResponse(
        {
            "room": room.id,
            "name": room.name,
            "kind": room.kind,
            "convener": room.convener,
            "topic": room.topic,
            "viewer": viewer_url(base, meeting.id, room.id),
            "captioner": captioner_url(base, meeting.id, room.id, opened.captioner_key),
            "caption_api": caption_api_url(base, meeting.id, room.id, opened.captioner_key),
        }
    )


@endpoint
async def report_group(request: Request) -> Response:
    px, meeting, grant = await _who(request, "chair")
    body = await _json(request)
    room_id = request.path_params["room"]
    await groups.report_group(px, meeting, room_id, body.get("report"), grant.label or "Chair")
    return JSONResponse({"room": room_id, "status": "closed"})


def routes() -> list[Route]:
    """Listed before server/api.py's routes: ``…/{room}/report`` must not reach its
    ``…/{room}/{action}``."""
    return [
        Route("/api/m/{meeting}/participants", list_participants, methods=["GET"]),
        Route("/api/m/{meeting}/participants", add_participants, methods=["POST"]),
        Route("/api/m/{meeting}/participants/{participant}/link", new_link, methods=["POST"]),
        Route("/api/m/{meeting}/me", me, methods=["GET"]),
        Route("/api/m/{meeting}/agenda", get_agenda, methods=["GET"]),
        Route("/api/m/{meeting}/rooms", open_group, methods=["POST"]),
        Route("/api/m/{meeting}/{room}/floor", get_floor, methods=["GET"]),
        Route("/api/m/{meeting}/{room}/report", report_group, methods=["POST"]),
    ]
