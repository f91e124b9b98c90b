"""HTTP for the meeting record: the digest, participation figures and charts, the draft chair's
summary, search, and whole-meeting transcript exports.

Reports and search are for the chair and the secretariat (``Authorization: Bearer KEY`` with the
chair's key, or a secretariat key where the meeting has one). The transcript export of the whole
meeting is what each room's export already is: readable by anyone who may view the meeting.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import exports
from server.access import grant_for, problem
from server.backends.base import BackendUnavailable
from server.context import Plenary
from server.meetings import Meeting
from server.report import digest, figures, summary
from server.report.record import Facts, load, zone
from server.report.search import INDEXES, Query, SearchError
from server.report.word import MEDIA_TYPE as DOCX

# Who may read reports and search: the chair, and a secretariat role where one exists.
RECORD_ROLES = frozenset({"chair", "secretariat"})

_JSON, _MD, _HTML = "application/json", exports.FORMATS["md"], exports.FORMATS["html"]
REPORTS: dict[str, dict[str, str]] = {
    "digest": {"json": _JSON, "md": _MD, "html": _HTML},
    "figures": {"json": _JSON, "md": _MD, "html": _HTML},
    "summary": {"json": _JSON, "md": _MD, "docx": DOCX},
}


async def _staff(request: Request) -> tuple[Plenary, Meeting] | JSONResponse:
    granted = await grant_for(request)
    if isinstance(granted, JSONResponse):
        return granted
    px, meeting, grant = granted
    if grant.role not in RECORD_ROLES:
        return problem(403, "reports and search are for the chair and the secretariat")
    return px, meeting


def _attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _json(value: Any) -> Response:
    return Response(
        json.dumps(value, ensure_ascii=False, indent=1).encode(), media_type="application/json"
    )


# -- documents -------------------------------------------------------------------------------------
def render_report(name: str, fmt: str, facts: Facts) -> bytes:
    """One report in one format (``REPORTS``); the same for the command line and HTTP."""
    if name == "digest":
        d = digest.digest(facts)
        if fmt == "json":
            return json.dumps(d, ensure_ascii=False, indent=1).encode()
        if fmt == "md":
            return digest.to_markdown(facts, d).encode()
        f = figures.figures(facts)
        extra = ["<h2>Participation figures</h2>", *figures.html_body(facts, f)]
        return digest.to_html(facts, d, extra).encode()
    if name == "figures":
        f = figures.figures(facts)
        if fmt == "json":
            return json.dumps(f, ensure_ascii=False, indent=1).encode()
        if fmt == "md":
            return figures.to_markdown(facts, f).encode()
        return figures.to_html(facts, f).encode()
    paragraphs = summary.summary(facts)
    if fmt == "json":
        return json.dumps(summary.to_json(facts, paragraphs), ensure_ascii=False, indent=1).encode()
    if fmt == "md":
        return summary.to_markdown(facts, paragraphs).encode()
    return summary.to_docx(facts, paragraphs)


async def report(request: Request) -> Response:
    staff = await _staff(request)
    if isinstance(staff, JSONResponse):
        return staff
    px, meeting = staff
    name, fmt = request.path_params["name"], request.path_params["fmt"]
    if name not in REPORTS:
        return problem(404, f"no such report; use one of: {', '.join(REPORTS)}")
    if fmt not in REPORTS[name]:
        return problem(404, f"the {name} comes as: {', '.join(REPORTS[name])}")
    try:
        facts = await px.report_facts.facts(px.backend, meeting)
    except BackendUnavailable as exc:
        return problem(503, str(exc))
    body = render_report(name, fmt, facts)
    if fmt == "json":
        return Response(body, media_type="application/json")
    return _attachment(body, REPORTS[name][fmt], f"{meeting.id}-{name}.{fmt}")


async def charts(request: Request) -> Response:
    """The charts of one scope of the figures (``?scope=N``, 0 = the whole meeting) as SVG."""
    staff = await _staff(request)
    if isinstance(staff, JSONResponse):
        return staff
    px, meeting = staff
    try:
        facts = await px.report_facts.facts(px.backend, meeting)
    except BackendUnavailable as exc:
        return problem(503, str(exc))
    f = figures.figures(facts)
    raw = request.query_params.get("scope", "0")
    if not raw.isdigit() or int(raw) >= len(f["scopes"]):
        return problem(400, f"scope must be a number from 0 to {len(f['scopes']) - 1}")
    return _json(
        {"scope": f["scopes"][int(raw)]["label"], "charts": figures.chart_svgs(f, int(raw))}
    )


async def meeting_transcript(request: Request) -> Response:
    """Every room's transcript in one document."""
    granted = await grant_for(request)
    if isinstance(granted, JSONResponse):
        return granted
    px, meeting, _ = granted
    fmt = request.path_params["fmt"]
    if fmt not in exports.MEETING_FORMATS:
        return problem(
            404,
            f"a whole meeting exports as: {', '.join(exports.MEETING_FORMATS)} "
            "(WebVTT and SRT per room: /api/m/{meeting}/{room}/transcript.vtt)",
        )
    try:
        logs = await load(px.backend, meeting)
    except BackendUnavailable as exc:
        return problem(503, str(exc))
    body = exports.render_meeting(fmt, meeting_logs(meeting, logs), meeting_meta(meeting))
    return _attachment(body, exports.FORMATS[fmt], f"{meeting.id}.{fmt}")


def meeting_logs(meeting: Meeting, logs: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [(room.id, room.name, logs.get(room.id, [])) for room in meeting.rooms]


def meeting_meta(meeting: Meeting) -> dict[str, Any]:
    return {
        "meeting": meeting.id,
        "title": meeting.title,
        "timezone": meeting.timezone,
        "rooms": [{"room": r.id, "name": r.name, "kind": r.kind} for r in meeting.rooms],
    }


# -- search ----------------------------------------------------------------------------------------
def parse_time(raw: str, timezone: str, end: bool = False) -> int | None:
    """``YYYY-MM-DD`` (the whole day), ``YYYY-MM-DDTHH:MM[:SS]`` in the meeting's time zone, or
    milliseconds since the epoch. ``end``: a bare date means the end of that day."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.isdigit():
        return int(raw)
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise SearchError(
            f"time {raw[:40]!r} not understood: use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone(timezone))
    ms = int(when.timestamp() * 1000)
    if end and len(raw) == 10:
        ms += 86_400_000
    return ms


def parse_query(params: Any, timezone: str) -> Query:
    def number(name: str, default: int | None) -> int | None:
        raw = str(params.get(name) or "").strip()
        if not raw:
            return default
        if not raw.isdigit():
            raise SearchError(f"{name} must be a whole number")
        return int(raw)

    return Query(
        words=str(params.get("q") or "")[:500],
        speaker=str(params.get("speaker") or "")[:200],
        delegation=str(params.get("delegation") or "")[:200],
        item=number("item", None),
        room=str(params.get("room") or "")[:60],
        since=parse_time(str(params.get("from") or ""), timezone),
        until=parse_time(str(params.get("to") or ""), timezone, end=True),
        limit=number("limit", 100) or 100,
        offset=number("offset", 0) or 0,
    )


async def search(request: Request) -> Response:
    staff = await _staff(request)
    if isinstance(staff, JSONResponse):
        return staff
    px, meeting = staff
    try:
        query = parse_query(request.query_params, meeting.timezone)
        index = await INDEXES.get(px.backend, meeting)
        result = index.search(query)
    except SearchError as exc:
        return problem(400, str(exc))
    except BackendUnavailable as exc:
        return problem(503, str(exc))
    rooms = {r.id: r.name for r in meeting.rooms}
    for hit in result["hits"]:
        hit["room_name"] = rooms.get(hit["room"], hit["room"])
    return _json({"query": request.query_params.get("q", ""), **result})


async def facets(request: Request) -> Response:
    """What the console needs to offer filters: speakers, delegations, items, rooms, days."""
    staff = await _staff(request)
    if isinstance(staff, JSONResponse):
        return staff
    px, meeting = staff
    try:
        index = await INDEXES.get(px.backend, meeting)
    except BackendUnavailable as exc:
        return problem(503, str(exc))
    return _json(
        {
            "meeting": meeting.id,
            "title": meeting.title,
            "timezone": meeting.timezone,
            **index.facets(),
            "rooms": [{"id": r.id, "name": r.name, "kind": r.kind} for r in meeting.rooms],
        }
    )


def routes() -> list[Route]:
    return [
        Route("/api/m/{meeting}/transcript.{fmt}", meeting_transcript),
        Route("/api/m/{meeting}/record/search", search),
        Route("/api/m/{meeting}/record/facets", facets),
        Route("/api/m/{meeting}/record/charts", charts),
        Route("/api/m/{meeting}/record/{name}.{fmt}", report),
    ]
