"""Files attached to an agenda item: a correspondence group's spreadsheet, a presentation.

The bytes are stored in the backend first (server/backends/base.py ``FileStore``), then the
agenda room records ``agenda.attached`` naming them, so an event never names bytes that are not
there and every process can serve them. Detaching records ``agenda.detached`` and then removes
the bytes. What a file is served as is decided here, from its name, never from what the uploader
claimed: a short list of office, PDF, image and text types; anything else (HTML, SVG, scripts)
is served as ``application/octet-stream``, always as a download.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from server.domain import agenda_rules
from server.domain.agenda import Attachment, agenda_room
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import JSON, now_ms
from server.domain.meetings import Meeting, new_id
from server.domain.text import clean_text, text_field
from server.limits import MAX_AGENDA_TITLE_CHARS, MAX_ATTACHMENT_BYTES
from server.services.room import Rooms

# Types a file is served with, by its name's extension. Each is a download people open in an
# application; none is a type a browser would run or render as a page.
TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "csv": "text/csv",
    "txt": "text/plain",
    "md": "text/markdown",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "zip": "application/zip",
}
OTHER = "application/octet-stream"
MAX_FILENAME_CHARS = 120
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


def content_type(filename: str) -> str:
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    return TYPES.get(ext, OTHER)


def clean_filename(raw: str) -> str:
    """A file name without a path, quotes or characters a file system refuses."""
    name = _UNSAFE.sub("_", clean_text(raw.replace("\\", "/").rpartition("/")[2]))
    name = name.strip(". ")[:MAX_FILENAME_CHARS]
    return name or "attachment"


@dataclass(frozen=True, slots=True)
class Upload:
    item: int
    title: str
    filename: str
    data: bytes


def check(item: object, title: object, filename: object, data: bytes) -> Upload:
    if isinstance(item, bool) or not isinstance(item, int):
        raise Invalid("bad_field", "say which agenda item the file is for (?item=ID)")
    if not data:
        raise Invalid("bad_field", "the file is empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise Invalid("too_large", f"a file is at most {MAX_ATTACHMENT_BYTES // 2**20} MiB")
    name = clean_filename(filename if isinstance(filename, str) else "")
    clean_title = text_field(title, "the title", MAX_AGENDA_TITLE_CHARS) or name
    return Upload(item, clean_title, name, data)


async def attach(rooms: Rooms, meeting: Meeting, upload: Upload, by: str) -> JSON:
    """Store the bytes, then record the attachment in the agenda room."""
    home = await rooms.get(meeting.id, agenda_room(meeting))
    home.state.require_open()
    if home.state.agenda.item(upload.item) is None:
        raise CommandRejected("no_such_item", f"there is no agenda item {upload.item}")
    file_id = new_id(12)
    meta: JSON = {
        "file": file_id,
        "title": upload.title,
        "filename": upload.filename,
        "content_type": content_type(upload.filename),
        "size": len(upload.data),
        "sha256": hashlib.sha256(upload.data).hexdigest(),
    }
    await rooms.backend.put_file(meeting.id, file_id, upload.data)
    try:
        await home.execute(lambda s: agenda_rules.attach(s, upload.item, meta, by=by, now=now_ms()))
    except BaseException:
        await rooms.backend.delete_file(meeting.id, file_id)
        raise
    return {"item": upload.item, **meta}


async def detach(rooms: Rooms, meeting: Meeting, file_id: str, by: str) -> None:
    home = await rooms.get(meeting.id, agenda_room(meeting))
    await home.execute(lambda s: agenda_rules.detach(s, file_id, by=by, now=now_ms()))
    await rooms.backend.delete_file(meeting.id, file_id)


async def read(rooms: Rooms, meeting: Meeting, file_id: str) -> tuple[Attachment, bytes]:
    """An attached file and its bytes; only files attached now are served."""
    home = await rooms.get(meeting.id, agenda_room(meeting))
    found = home.state.agenda.attachment(file_id)
    data = await rooms.backend.get_file(meeting.id, file_id) if found is not None else None
    if found is None or data is None:
        raise CommandRejected("no_such_file", "no such file (it may have been removed)")
    return found[1], data
