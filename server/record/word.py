"""Word (.docx) documents, written so that the same record gives the same bytes.

python-docx stamps the package with the current time (core properties and zip entry dates); both
are set from the record instead, so an export is reproducible on any server and any backend.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

import docx
from docx.document import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Pt
from docx.text.run import Run

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Zip entries carry a local date; the earliest a zip can hold keeps them all the same.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# What the documents plenary writes itself (reports, summaries) are in, and a transcript with no
# language tags.
DEFAULT_LANGUAGE = "en"
_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def language_of(tags: Iterable[str]) -> str:
    """The language a document is in: the most frequent language tag of its lines."""
    counts = Counter(tag for tag in tags if _TAG.match(tag or ""))
    return counts.most_common(1)[0][0] if counts else DEFAULT_LANGUAGE


def document(title: str, language: str = DEFAULT_LANGUAGE) -> Document:
    """A document in ``language`` (a BCP 47 tag): Word checks its spelling, and screen readers
    read it, in that language."""
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
    props.language = language
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            _set_lang(rpr, language)
    return doc


def set_language(run: Run, language: str) -> None:
    """Mark a run of text as being in another language than its document."""
    if _TAG.match(language):
        _set_lang(run._r.get_or_add_rPr(), language)


def _set_lang(rpr: BaseOxmlElement, language: str) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)


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
