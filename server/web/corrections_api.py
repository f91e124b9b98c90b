"""HTTP for putting a room's record right: a line's text, a run of lines' attribution, an
intervention's times; and what the record console needs to offer them (a room's lines with their
attribution, its interventions).

The same commands as over the websocket (server/services/record_commands.py), with the same
rules and refusals: ``Authorization: Bearer KEY``; answers ``{"seq": N, "event": {…}}``, the
event recorded. A correction that changes nothing is refused with 409 ``unchanged``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.domain.errors import Invalid
from server.domain.events import Event
from server.domain.numbers import text_number
from server.domain.text import text_field
from server.limits import MAX_LABEL_CHARS, MAX_LINE_CHARS
from server.services.commands import CommandContext
from server.services.room_commands import dispatch
from server.web.access import Access, access
from server.web.chair_api import body_json
from server.web.problems import Problem

# Who may ask to put the record right over HTTP; each rule narrows it further.
CORRECTORS = ("chair", "secretariat", "captioner", "convener")


async def _context(request: Request, a: Access, body: dict[str, Any]) -> CommandContext:
    room = a.room(request.path_params["room"])
    runtime = await a.px.rooms.get(a.meeting.id, room.id)
    name = a.grant.label or a.grant.role.capitalize()
    if a.grant.role == "captioner" and "name" in body:
        # A captioner acts under the name they caption with, as on their page.
        name = text_field(body.get("name"), "'name'", MAX_LABEL_CHARS) or name
    return CommandContext(a.px.rooms, runtime, a.meeting, a.grant, "", name, None)


def _answer(events: list[Event]) -> Response:
    event = events[-1]
    return JSONResponse({"seq": event.seq, "event": event.to_dict()})


async def correct_line(request: Request) -> Response:
    """``POST …/{room}/lines/{seq}/text`` ``{"text": "…"}``: the chair or a captioner of the
    room."""
    a = await access(request, *CORRECTORS)
    body = await body_json(request)
    ctx = await _context(request, a, body)
    if not a.grant.may_caption(ctx.runtime.room_id):
        raise Problem(403, "forbidden", "only a captioner of this room or the chair can do this")
    text = text_field(body.get("text"), "'text'", MAX_LINE_CHARS, required=True)
    events = await ctx.runtime.correct(request.path_params["seq"], text, ctx.name)
    return _answer(events)


async def reattribute(request: Request) -> Response:
    """``POST …/{room}/lines/{seq}/attribution``: the fields of ``line.reattribute``
    (``through``, ``speaker``, ``delegation``, ``intervention``, ``item``, ``proposal``)."""
    a = await access(request, *CORRECTORS)
    body = await body_json(request)
    ctx = await _context(request, a, body)
    args = {k: v for k, v in body.items() if k != "name"}
    args["line"] = request.path_params["seq"]
    return _answer(await dispatch(ctx, "line.reattribute", args))


async def correct_times(request: Request) -> Response:
    """``POST …/{room}/interventions/{id}/times`` ``{"began": ms, "ended": ms}``."""
    a = await access(request, *CORRECTORS)
    body = await body_json(request)
    ctx = await _context(request, a, body)
    args = {"began": body.get("began"), "ended": body.get("ended")}
    args["intervention"] = request.path_params["intervention"]
    return _answer(await dispatch(ctx, "floor.correct", args))


async def room_lines(request: Request) -> Response:
    """A room's committed lines with their current attribution (``?from=SEQ&limit=N``), for
    the record console and the captioner page."""
    a = await access(request, "chair", "secretariat", "captioner")
    room = a.room(request.path_params["room"])
    if a.grant.role == "captioner" and not a.grant.may_caption(room.id):
        raise Problem(403, "forbidden", "this captioner link is for another room")
    runtime = await a.px.rooms.get(a.meeting.id, room.id)
    start = _number(request, "from", 0)
    limit = min(_number(request, "limit", 200), 1000)
    lines = runtime.state.lines
    chosen = [lines[s] for s in sorted(lines) if s >= start][:limit]
    return JSONResponse(
        {
            "room": room.id,
            "lines": [
                {
                    "seq": line.seq,
                    "ts": line.ts,
                    "text": line.text,
                    "captioner": line.captioner,
                    "corrected": line.corrected,
                    "reattributed": line.reattributed,
                    **line.attribution(),
                }
                for line in chosen
            ],
        }
    )


async def room_interventions(request: Request) -> Response:
    """A room's interventions (who had the floor, from when to when), newest last: what a line
    can be attributed to, and what ``…/times`` corrects."""
    a = await access(request, "chair", "secretariat", "captioner", "convener")
    room = a.room(request.path_params["room"])
    runtime = await a.px.rooms.get(a.meeting.id, room.id)
    held = sorted(runtime.state.floor.held.values(), key=lambda h: h.began)
    return JSONResponse({"room": room.id, "interventions": [h.to_dict() for h in held]})


def _number(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, "")
    if not raw:
        return default
    try:
        return text_number(raw, name)
    except Invalid as exc:
        raise Problem(400, exc.code, exc.message) from None
