"""Word (.docx) documents, written so that the same record gives the same bytes.

python-docx stamps the package with the current time (core properties and zip entry dates); both
are set from the record instead, so an export is reproducible on any server and any backend.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import docx
from docx.document import Document
from docx.shared import Pt

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Zip entries carry a local date; the earliest a zip can hold keeps them all the same.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def document(title: str) -> Document:
    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    props = doc.core_properties
    props.title = title[:255]
    props.author = "plenary"
    props.last_modified_by = "plenary"
    props.revision = 1
    props.comments = ""
    return doc


def save(doc: Document, as_of_ms: int) -> bytes:
    """The document's bytes, dated ``as_of_ms`` (the record's last event)."""
    when = datetime.fromtimestamp(max(0, as_of_ms) / 1000, UTC).replace(tzinfo=None, microsecond=0)
    doc.core_properties.created = when
    doc.core_properties.modified = when
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
