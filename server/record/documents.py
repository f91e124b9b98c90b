"""The record's documents by name and format: what ``plenary export`` and ``plenary report`` write
and what the HTTP API serves, read straight from the record. The same record gives the same bytes
whichever way it is asked for."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from server.backends.base import Log, MeetingStore
from server.domain.errors import AdminError
from server.domain.events import Event
from server.domain.meetings import Meeting
from server.record import (
    channel_logs,
    digest,
    document_export,
    exports,
    figures,
    report_formats,
    summary,
)
from server.record.facts import Facts, facts_from_logs, load
from server.record.word import MEDIA_TYPE as DOCX

_JSON, _MD, _HTML = "application/json", exports.FORMATS["md"], exports.FORMATS["html"]
REPORTS: dict[str, dict[str, str]] = {
    "digest": {"json": _JSON, "md": _MD, "html": _HTML, "docx": DOCX},
    "figures": {"json": _JSON, "md": _MD, "html": _HTML, "docx": DOCX},
    "summary": {"json": _JSON, "md": _MD, "html": _HTML, "docx": DOCX},
}


class Store(Log, MeetingStore, Protocol):
    """What the documents are read from: the meetings and their rooms' logs."""


def meeting_logs(
    meeting: Meeting, logs: dict[str, list[Event]]
) -> list[tuple[str, str, Sequence[Event]]]:
    return [(room.id, room.name, logs.get(room.id, [])) for room in meeting.rooms]


def meeting_meta(meeting: Meeting) -> dict[str, Any]:
    return {
        "meeting": meeting.id,
        "title": meeting.title,
        "timezone": meeting.timezone,
        "rooms": [{"room": r.id, "name": r.name, "kind": r.kind} for r in meeting.rooms],
    }


def room_meta(meeting: Meeting, room_id: str) -> dict[str, Any]:
    room = meeting.room(room_id)
    name = room.name if room is not None else room_id
    return {**meeting_meta(meeting), "room": room_id, "title": f"{meeting.title} — {name}"}


def render_report(name: str, fmt: str, facts: Facts) -> bytes:
    """One report in one format of ``REPORTS``."""
    if name == "digest":
        d = digest.digest(facts)
        if fmt == "json":
            return json.dumps(d, ensure_ascii=False, indent=1).encode()
        if fmt == "md":
            return digest.to_markdown(facts, d).encode()
        if fmt == "docx":
            return report_formats.digest_docx(facts, d)
        f = figures.figures(facts)
        extra = ["<h2>Participation figures</h2>", *figures.html_body(facts, f)]
        return digest.to_html(facts, d, extra).encode()
    if name == "figures":
        f = figures.figures(facts)
        if fmt == "json":
            return json.dumps(f, ensure_ascii=False, indent=1).encode()
        if fmt == "md":
            return figures.to_markdown(facts, f).encode()
        if fmt == "docx":
            return report_formats.figures_docx(facts, f)
        return figures.to_html(facts, f).encode()
    paragraphs = summary.summary(facts)
    if fmt == "json":
        return json.dumps(summary.to_json(facts, paragraphs), ensure_ascii=False, indent=1).encode()
    if fmt == "md":
        return summary.to_markdown(facts, paragraphs).encode()
    if fmt == "html":
        return report_formats.summary_html(facts, paragraphs).encode()
    return summary.to_docx(facts, paragraphs)


def check_report(name: str, fmt: str) -> None:
    if name not in REPORTS:
        raise AdminError(f"no report {name!r}; use one of: {', '.join(REPORTS)}")
    if fmt not in REPORTS[name]:
        raise AdminError(f"the {name} comes as: {', '.join(REPORTS[name])}")


async def _meeting(store: Store, meeting_id: str) -> Meeting:
    meeting = await store.load_meeting(meeting_id)
    if meeting is None:
        raise AdminError(f"no meeting {meeting_id!r}; see `plenary meeting list`")
    return meeting


async def export(
    store: Store, meeting_id: str, room_id: str | None, fmt: str, lang: str | None = None
) -> bytes:
    """A room's transcript, or every room's when ``room_id`` is None; ``lang`` picks the caption
    channel (server/record/channel_logs.py)."""
    meeting = await _meeting(store, meeting_id)
    if room_id is None:
        if fmt not in exports.MEETING_FORMATS:
            raise AdminError(
                f"a whole meeting exports as {', '.join(exports.MEETING_FORMATS)}; "
                f"give a room for {fmt} (rooms: {', '.join(r.id for r in meeting.rooms)})"
            )
        sections = await channel_logs.meeting_sections(store, meeting, lang)
        return exports.render_meeting(fmt, sections, meeting_meta(meeting))
    room = meeting.room(room_id)
    if room is None:
        names = ", ".join(r.id for r in meeting.rooms)
        raise AdminError(f"no room {room_id!r} (rooms: {names})")
    channel = channel_logs.room_channel(meeting, room, lang)
    events = await channel_logs.room_events(store, meeting, room, channel)
    meta = channel_logs.channel_meta(meeting, room, channel, room_meta(meeting, room_id))
    return exports.render(fmt, events, meta)


async def report(store: Store, meeting_id: str, name: str, fmt: str) -> bytes:
    check_report(name, fmt)
    meeting = await _meeting(store, meeting_id)
    facts = facts_from_logs(meeting, await load(store, meeting))
    return render_report(name, fmt, facts)


def render_document(facts: Facts, doc_id: int, fmt: str, view: str = "full") -> bytes:
    """A rolling document: ``fmt`` one of ``document_export.FORMATS``; ``view`` ``full`` (status
    and history of each proposal) or ``text`` (the current text alone)."""
    found = facts.document(doc_id)
    if found is None:
        known = ", ".join(str(d.doc.id) for d in facts.documents) or "none yet"
        raise AdminError(f"no rolling document {doc_id} in this meeting (documents: {known})")
    if fmt not in document_export.FORMATS:
        raise AdminError(f"a document exports as: {', '.join(document_export.FORMATS)}")
    if view not in document_export.VIEWS:
        raise AdminError(f"view is one of: {', '.join(document_export.VIEWS)}")
    return document_export.render(facts, found, fmt, view)


async def document(
    store: Store, meeting_id: str, doc_id: int, fmt: str, view: str = "full"
) -> bytes:
    meeting = await _meeting(store, meeting_id)
    facts = facts_from_logs(meeting, await load(store, meeting))
    return render_document(facts, doc_id, fmt, view)
