"""HTTP for rolling documents, attached files and the scoped links.

- Documents: import one from a CSV or Markdown file (or create an empty one), list them, read a
  room's projection of them, export one (Markdown, HTML, Word; with history or the current text).
- Files attached to an agenda item: upload, download, remove. Downloads are always served as
  attachments, with a type from a short list by the file's name (server/services/attachments.py),
  ``nosniff`` and a sandboxing policy: a file is never shown inline as a page.
- Links: the chair issues a secretariat link or a group's convener link.

Credentials as in server/web/access.py. Keeping documents and files is for the chair and the
secretariat; reading them for anyone who may view the meeting.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.domain.agenda import agenda_room
from server.domain.errors import AdminError
from server.domain.links import console_url
from server.domain.numbers import text_number
from server.limits import MAX_ATTACHMENT_BYTES, MAX_DOCUMENT_FILE_BYTES, MAX_DOCUMENT_TITLE_CHARS
from server.limits import MAX_DOCUMENT_DESCRIPTION_CHARS as MAX_DESCRIPTION
from server.record import document_export
from server.record.documents import render_document
from server.services import admin, attachments, document_commands, documents
from server.web.access import access
from server.web.chair_api import body_json, body_text, link_base
from server.web.meeting_api import attachment
from server.web.problems import Problem

MANAGERS = ("chair", "secretariat")

# What an upload's Content-Type says about the file it carries.
_FILE_FORMATS = {"text/csv": "csv", "text/markdown": "md", "text/x-markdown": "md"}


def _query_text(request: Request, name: str, limit: int) -> str:
    value = request.query_params.get(name, "").strip()
    if len(value) > limit:
        raise Problem(400, "too_long", f"{name} is longer than {limit} characters")
    return value


# -- documents -------------------------------------------------------------------------------------
async def create_document(request: Request) -> Response:
    """A CSV (``text/csv``) or Markdown (``text/markdown``) file, or JSON for an empty document
    ``{title, description, posted, categories: [{letter, title}]}``. Every line is checked
    before anything is recorded."""
    a = await access(request, *MANAGERS)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = _FILE_FORMATS.get(media) or request.query_params.get("format", "")
    by = a.grant.label or a.grant.role.capitalize()
    if fmt in ("csv", "md"):
        text = await body_text(request, MAX_DOCUMENT_FILE_BYTES)
        doc, count = await documents.import_document(
            a.px.rooms,
            a.meeting,
            fmt,
            text,
            title=_query_text(request, "title", MAX_DOCUMENT_TITLE_CHARS),
            description=_query_text(request, "description", MAX_DESCRIPTION),
            posted=_query_text(request, "posted", 10),
            by=by,
        )
        return JSONResponse({"doc": doc, "proposals": count}, status_code=201)
    if media not in ("application/json", ""):
        raise Problem(
            415, "bad_format", "send a CSV (text/csv) or Markdown (text/markdown) file, or JSON"
        )
    body = await body_json(request)
    doc = await document_commands.create_from_json(a.px.rooms, a.meeting, body, by)
    return JSONResponse({"doc": doc, "proposals": 0}, status_code=201)


async def list_documents(request: Request) -> Response:
    a = await access(request)
    runtime = await a.px.rooms.get(a.meeting.id, agenda_room(a.meeting))
    return JSONResponse(
        {
            "room": runtime.room_id,
            "seq": runtime.state.seq,
            "documents": [
                {
                    "doc": d.id,
                    "title": d.title,
                    "description": d.description,
                    "posted": d.posted,
                    "categories": [c.to_dict() for c in d.categories],
                    "proposals": sum(p.active for p in d.proposals.values()),
                }
                for d in runtime.state.docs.docs.values()
            ],
        }
    )


async def room_documents(request: Request) -> Response:
    """A room's projection of the documents: every document in the agenda room, a group's share
    in its room; the proposal under discussion there."""
    a = await access(request)
    room = a.room(request.path_params["room"])
    runtime = await a.px.rooms.get(a.meeting.id, room.id)
    return JSONResponse({"room": room.id, "seq": runtime.state.seq, **runtime.state.docs.to_dict()})


async def export_document(request: Request) -> Response:
    a = await access(request)
    doc_id, fmt = request.path_params["doc"], request.path_params["fmt"]
    view = request.query_params.get("view", "full")
    if fmt not in document_export.FORMATS:
        raise Problem(404, "no_such_format",
                      f"a document exports as: {', '.join(document_export.FORMATS)}")  # fmt: skip
    if view not in document_export.VIEWS:
        raise Problem(400, "bad_field", "view is 'full' (status and history) or 'text'")
    facts = await a.px.report_facts.facts(a.px.backend, a.meeting)
    body = render_document(facts, doc_id, fmt, view)
    suffix = "" if view == "full" else "-text"
    name = f"{a.meeting.id}-document-{doc_id}{suffix}.{fmt}"
    return attachment(body, document_export.FORMATS[fmt], name)


# -- files -----------------------------------------------------------------------------------------
async def _body_bytes(request: Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Problem(413, "too_large", f"a file is at most {limit // 2**20} MiB")
    return bytes(body)


async def upload_file(request: Request) -> Response:
    """The raw bytes as the body; ``?item=ID&title=…&filename=…``."""
    a = await access(request, *MANAGERS)
    raw_item = request.query_params.get("item", "")
    item = text_number(raw_item, "item") if raw_item else None
    data = await _body_bytes(request, MAX_ATTACHMENT_BYTES)
    upload = attachments.check(
        item, request.query_params.get("title", ""), request.query_params.get("filename", ""), data
    )
    by = a.grant.label or a.grant.role.capitalize()
    meta = await attachments.attach(a.px.rooms, a.meeting, upload, by)
    url = f"/api/m/{a.meeting.id}/files/{meta['file']}"
    return JSONResponse({**meta, "url": url}, status_code=201)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one (RFC 6266, RFC 5987)."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_"
                       for ch in filename)  # fmt: skip
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def download_file(request: Request) -> Response:
    a = await access(request)
    meta, data = await attachments.read(a.px.rooms, a.meeting, request.path_params["file"])
    return Response(
        data,
        media_type=meta.content_type,
        headers={
            "content-disposition": content_disposition(meta.filename),
            # Never rendered as a page, whatever it holds (``nosniff`` is on every answer, from
            # the app's security headers): a sandbox with nothing allowed, should a browser
            # ever open it inline.
            "content-security-policy": "sandbox; default-src 'none'",
            "cache-control": "private, max-age=3600",
        },
    )


async def remove_file(request: Request) -> Response:
    a = await access(request, *MANAGERS)
    by = a.grant.label or a.grant.role.capitalize()
    await attachments.detach(a.px.rooms, a.meeting, request.path_params["file"], by)
    return JSONResponse({"file": request.path_params["file"], "removed": True})


# -- links -----------------------------------------------------------------------------------------
async def new_link(request: Request) -> Response:
    """``{role: secretariat|convener, room?, label?}``: one more link (its key shown once)."""
    a = await access(request, "chair")
    body = await body_json(request)
    role, room, label = body.get("role"), body.get("room"), body.get("label", "")
    if not isinstance(role, str) or (room is not None and not isinstance(room, str)):
        raise Problem(
            400, "bad_field", "give role (secretariat or convener) and, for a convener, room"
        )
    if not isinstance(label, str):
        raise Problem(400, "bad_field", "label must be text")
    try:
        keys = await admin.add_link(a.px.backend, a.meeting.id, role, room, label)
    except AdminError as exc:
        raise Problem(400, "bad_field", str(exc)) from None
    ((name, key),) = keys.items()
    room_id = name.partition(":")[2] or None
    return JSONResponse(
        {
            "role": role,
            "room": room_id,
            "link": console_url(link_base(request), a.meeting.id, key, room_id),
        }
    )
