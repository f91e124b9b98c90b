"""HTTP for the meeting record: the digest, participation figures and charts, the draft chair's
summary, search, and whole-meeting transcript exports.

Reports and search are for the chair and the secretariat (``Authorization: Bearer KEY``). The
transcript export of the whole meeting is what each room's export already is: readable by anyone
who may view the meeting.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.domain.errors import AdminError, Invalid
from server.domain.meetings import time_zone
from server.domain.numbers import ascii_digits, text_number
from server.limits import MAX_ID
from server.record import channel_logs, exports, figures
from server.record.documents import (
    REPORTS,
    check_report,
    meeting_meta,
    render_report,
)
from server.record.search import Query, SearchError
from server.web.access import Access, access
from server.web.meeting_api import attachment
from server.web.problems import Problem

# Who may read reports and search: the chair and the secretariat.
RECORD_ROLES = ("chair", "secretariat")


async def _staff(request: Request) -> Access:
    return await access(request, *RECORD_ROLES)


def _json(value: Any) -> Response:
    return Response(
        json.dumps(value, ensure_ascii=False, indent=1).encode(), media_type="application/json"
    )


# -- documents -------------------------------------------------------------------------------------
async def report(request: Request) -> Response:
    a = await _staff(request)
    name, fmt = request.path_params["name"], request.path_params["fmt"]
    try:
        check_report(name, fmt)
    except AdminError as exc:
        raise Problem(404, "no_such_report", str(exc)) from None
    facts = await a.px.report_facts.facts(a.px.backend, a.meeting)
    body = render_report(name, fmt, facts)
    if fmt == "json":
        return Response(body, media_type="application/json")
    return attachment(body, REPORTS[name][fmt], f"{a.meeting.id}-{name}.{fmt}")


async def charts(request: Request) -> Response:
    """The charts of one scope of the figures (``?scope=N``, 0 = the whole meeting) as SVG."""
    a = await _staff(request)
    facts = await a.px.report_facts.facts(a.px.backend, a.meeting)
    f = figures.figures(facts)
    scope = text_number(
        request.query_params.get("scope", "0"), "scope", maximum=len(f["scopes"]) - 1
    )
    return _json({"scope": f["scopes"][scope]["label"], "charts": figures.chart_svgs(f, scope)})


async def meeting_transcript(request: Request) -> Response:
    """Every room's transcript in one document."""
    a = await access(request)
    a.require_room(None)
    fmt = request.path_params["fmt"]
    if fmt not in exports.MEETING_FORMATS:
        raise Problem(
            404,
            "no_such_format",
            f"a whole meeting exports as: {', '.join(exports.MEETING_FORMATS)} "
            "(WebVTT and SRT per room: /api/m/{meeting}/{room}/transcript.vtt)",
        )
    lang = request.query_params.get("lang") or None
    try:
        sections = await channel_logs.meeting_sections(a.px.backend, a.meeting, lang)
    except AdminError as exc:
        raise Problem(404, "no_such_channel", str(exc)) from None
    body = exports.render_meeting(fmt, sections, meeting_meta(a.meeting))
    suffix = f"-{lang}" if lang else ""
    return attachment(body, exports.FORMATS[fmt], f"{a.meeting.id}{suffix}.{fmt}")


# -- search ----------------------------------------------------------------------------------------
def parse_time(raw: str, timezone: str, end: bool = False) -> int | None:
    """``YYYY-MM-DD`` (the whole day), ``YYYY-MM-DDTHH:MM[:SS]`` in the meeting's time zone, or
    milliseconds since the epoch. ``end``: a bare date means the end of that day."""
    raw = raw.strip()
    if not raw:
        return None
    if ascii_digits(raw):
        if len(raw) > len(str(MAX_ID)) or int(raw) > MAX_ID:
            raise SearchError(f"time {raw[:40]!r} is out of range")
        return int(raw)
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise SearchError(
            f"time {raw[:40]!r} not understood: use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=time_zone(timezone))
    ms = int(when.timestamp() * 1000)
    if end and len(raw) == 10:
        ms += 86_400_000
    return ms


def parse_query(params: Any, timezone: str) -> Query:
    def number(name: str, default: int | None) -> int | None:
        raw = str(params.get(name) or "").strip()
        if not raw:
            return default
        try:
            return text_number(raw, name)
        except Invalid as exc:
            raise SearchError(exc.message) from None

    return Query(
        words=str(params.get("q") or "")[:500],
        speaker=str(params.get("speaker") or "")[:200],
        delegation=str(params.get("delegation") or "")[:200],
        item=number("item", None),
        room=str(params.get("room") or "")[:60],
        channel=str(params.get("channel") or "")[:35],
        since=parse_time(str(params.get("from") or ""), timezone),
        until=parse_time(str(params.get("to") or ""), timezone, end=True),
        limit=number("limit", 100) or 100,
        offset=number("offset", 0) or 0,
    )


async def search(request: Request) -> Response:
    a = await _staff(request)
    try:
        query = parse_query(request.query_params, a.meeting.timezone)
        index = await a.px.search.get(a.px.backend, a.meeting)
        result = index.search(query)
    except SearchError as exc:
        raise Problem(400, "bad_query", str(exc)) from None
    rooms = {r.id: r.name for r in a.meeting.rooms}
    for hit in result["hits"]:
        hit["room_name"] = rooms.get(hit["room"], hit["room"])
    return _json({"query": request.query_params.get("q", ""), **result})


async def facets(request: Request) -> Response:
    """What the console needs to offer filters: speakers, delegations, items, rooms, days."""
    a = await _staff(request)
    index = await a.px.search.get(a.px.backend, a.meeting)
    return _json(
        {
            "meeting": a.meeting.id,
            "title": a.meeting.title,
            "timezone": a.meeting.timezone,
            **index.facets(),
            "rooms": [
                {"id": r.id, "name": r.name, "kind": r.kind, "channels": r.channels}
                for r in a.meeting.rooms
            ],
            # Interpretation channels' languages, in any room: to search or export one.
            "languages": sorted({tag for r in a.meeting.rooms for tag in r.channels}),
        }
    )
