"""A rolling document as a file: Markdown, HTML (prints cleanly) and Word, either with each
proposal's status and history (``full``) or its current text alone (``text``).

Everything comes from the record (server/record/document_facts.py); every piece of text is
escaped for its format, so what anyone typed is shown as written, never as markup.
"""

from __future__ import annotations

from server.domain.document import KINDS, STATUSES, Change, Proposal
from server.record import word
from server.record.document_facts import DocumentFacts
from server.record.facts import Facts
from server.record.markup import REPORT_STYLE, esc, html_page, md_escape

FORMATS = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8",
           "docx": word.MEDIA_TYPE}  # fmt: skip
VIEWS = ("full", "text")


def kind_label(kind: str) -> str:
    return KINDS.get(kind, kind)


def status_label(status: str) -> str:
    return STATUSES.get(status, status)


def _short(text: str | None, limit: int = 400) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(facts: Facts, d: DocumentFacts, c: Change) -> str:
    """One history entry in words: when, where, by whom, during which item, what."""
    what = {
        "doc.proposed": "proposed",
        "doc.revised": f"revised; it read: “{_short(c.was)}”",
        "doc.split": c.note + (f"; it read: “{_short(c.was)}”" if c.was else ""),
        "doc.merged": c.note + (f"; it read: “{_short(c.was)}”" if c.was else ""),
        "doc.moved": f"moved from category {c.was} to {c.now}",
        "doc.kind": f"sorted as {kind_label(c.now or '')} (was {kind_label(c.was or '')})",
        "doc.status": f"status {status_label(c.now or '')} (was {status_label(c.was or '')})",
        "doc.current": "put under discussion",
        "doc.tasked": c.note,
        "doc.endorsed": f"the plenary endorsed {c.note}"
        + (f"; it read: “{_short(c.was)}”" if c.was else ""),
        "doc.taken_up": f"the plenary took up {c.note}"
        + (f"; it read: “{_short(c.was)}”" if c.was else ""),
    }.get(c.type, c.type)
    item = facts.items.get(c.item) if c.item is not None else None
    during = f", item {item.number or item.title}" if item is not None else ""
    by = f" by {c.by}" if c.by else ""
    return f"{facts.stamp(c.ts)}, {facts.room_name(c.room)}{during}{by}: {what}"


def _meta(p: Proposal) -> str:
    if p.merged_into is not None:
        return f"merged into {p.merged_into}"
    return f"{kind_label(p.kind)}, {status_label(p.status)}"


def _submitters(p: Proposal) -> str:
    return "; ".join(s.name for s in p.submitted_by)


def _heading(facts: Facts, d: DocumentFacts) -> list[str]:
    lines = []
    if d.doc.description:
        lines.append(d.doc.description)
    posted = f"Posted {d.doc.posted}. " if d.doc.posted else ""
    lines.append(f"{posted}As the record holds it at {facts.stamp(facts.as_of)} "
                 f"({facts.meeting.timezone}).")  # fmt: skip
    return lines


# -- Markdown ------------------------------------------------------------------------------------
def to_markdown(facts: Facts, d: DocumentFacts, view: str = "full") -> str:
    doc = d.doc
    out = [f"# {md_escape(doc.title)}", ""]
    for line in _heading(facts, d):
        out += [md_escape(line), ""]
    for c in doc.categories:
        out += [f"## {md_escape(c.label)}", ""]
        shown = doc.in_category(c.letter, active_only=view == "text")
        for p in shown:
            if view == "text":
                out += [f"**{p.id}** {md_escape(p.text)}", ""]
                continue
            out += [f"### {p.id} ({md_escape(_meta(p))})", ""]
            if p.active:
                out += [md_escape(p.text), ""]
            if p.submitted_by:
                out += [f"Submitted by: {md_escape(_submitters(p))}.", ""]
            groups = [facts.room_name(r) for r in d.groups_of(p)]
            if groups:
                out += [f"Worked on in: {md_escape(', '.join(groups))}.", ""]
            out += ["History:", ""]
            out += [f"- {md_escape(describe(facts, d, ch))}" for ch in d.history(p)]
            out.append("")
        if not shown:
            out += ["No proposals.", ""]
    return "\n".join(out)


# -- HTML ----------------------------------------------------------------------------------------
def to_html(facts: Facts, d: DocumentFacts, view: str = "full") -> str:
    doc = d.doc
    body = [f"<h1>{esc(doc.title)}</h1>"]
    body += [f'<p class="meta">{esc(line)}</p>' for line in _heading(facts, d)]
    for c in doc.categories:
        body.append(f'<section aria-labelledby="cat-{esc(c.letter)}">')
        body.append(f'<h2 id="cat-{esc(c.letter)}">{esc(c.label)}</h2>')
        shown = doc.in_category(c.letter, active_only=view == "text")
        for p in shown:
            if view == "text":
                body.append(f'<p class="proposal" id="p-{esc(p.id)}"><strong>{esc(p.id)}</strong> '
                            f"{esc(p.text)}</p>")  # fmt: skip
                continue
            body.append(f'<article class="proposal" id="p-{esc(p.id)}">')
            body.append(f'<h3>{esc(p.id)} <span class="meta">({esc(_meta(p))})</span></h3>')
            if p.active:
                body.append(f'<p class="text">{esc(p.text)}</p>')
            if p.submitted_by:
                body.append(f"<p>Submitted by: {esc(_submitters(p))}.</p>")
            groups = [facts.room_name(r) for r in d.groups_of(p)]
            if groups:
                body.append(f"<p>Worked on in: {esc(', '.join(groups))}.</p>")
            body.append('<h4>History</h4><ol class="history">')
            body += [f"<li>{esc(describe(facts, d, ch))}</li>" for ch in d.history(p)]
            body.append("</ol></article>")
        if not shown:
            body.append("<p>No proposals.</p>")
        body.append("</section>")
    style = REPORT_STYLE + "\narticle.proposal { break-inside: avoid; margin-bottom: 1em; }"
    return html_page(doc.title, body, style)


# -- Word ----------------------------------------------------------------------------------------
def to_docx(facts: Facts, d: DocumentFacts, view: str = "full") -> bytes:
    doc = d.doc
    out = word.document(doc.title)
    out.add_heading(doc.title, level=0)
    for line in _heading(facts, d):
        out.add_paragraph(line)
    for c in doc.categories:
        out.add_heading(c.label, level=1)
        for p in doc.in_category(c.letter, active_only=view == "text"):
            if view == "text":
                para = out.add_paragraph()
                para.add_run(p.id).bold = True
                para.add_run(f" {p.text}")
                continue
            out.add_heading(f"{p.id} ({_meta(p)})", level=2)
            if p.active:
                out.add_paragraph(p.text)
            if p.submitted_by:
                out.add_paragraph(f"Submitted by: {_submitters(p)}.")
            groups = [facts.room_name(r) for r in d.groups_of(p)]
            if groups:
                out.add_paragraph(f"Worked on in: {', '.join(groups)}.")
            out.add_heading("History", level=3)
            for ch in d.history(p):
                out.add_paragraph(describe(facts, d, ch), style="List Bullet")
    return word.save(out, facts.as_of)


def render(facts: Facts, d: DocumentFacts, fmt: str, view: str) -> bytes:
    if fmt == "md":
        return to_markdown(facts, d, view).encode()
    if fmt == "html":
        return to_html(facts, d, view).encode()
    return to_docx(facts, d, view)
