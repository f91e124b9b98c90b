"""The digest and the participation figures as Word (.docx) documents, and the draft chair's
summary as HTML: the same content as their Markdown and HTML, for a secretariat that edits in
Word or publishes a page. Written from the reports' JSON, with the same sentences and tables."""

from __future__ import annotations

from collections.abc import Sequence

from docx.document import Document

from server.domain.events import JSON
from server.record import digest, figures, summary, word
from server.record.facts import Facts
from server.record.markup import REPORT_STYLE, duration, esc, html_page


def _table(doc: Document, caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if caption:
        doc.add_paragraph().add_run(caption).bold = True
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


# -- the digest ------------------------------------------------------------------------------------
def _parts(doc: Document, facts: Facts, parts: list[JSON]) -> None:
    for part in parts:
        doc.add_heading(f"{part['name']}: {duration(part['time_ms'])}", level=2)
        for p in part["presentations"]:
            doc.add_paragraph(f"Presentation by {digest.presentation_line(p)}", style="List Bullet")
        if part["interventions"]:
            rows = digest.intervention_rows(facts, part)
            _table(doc, f"Interventions, {part['name']}", digest.INTERVENTION_HEAD, rows)
        doc.add_paragraph(part["requests"]["said"])
        doc.add_paragraph(digest.lines_sentence(part))


def digest_docx(facts: Facts, d: JSON) -> bytes:
    title = f"Digest: {d['title']}"
    doc = word.document(title)
    doc.add_heading(title, level=0)
    if d["from"] is not None:
        doc.add_paragraph(
            f"Record from {facts.stamp(d['from'])} to {facts.stamp(d['as_of'])} ({d['timezone']})."
        )
    for item in d["items"]:
        doc.add_heading(item["label"], level=1)
        doc.add_paragraph(
            f"Status: {digest.status_of(item)}. Time spent: {duration(item['time_ms'])}."
        )
        if item["outcome"]:
            doc.add_paragraph(f"Outcome: {item['outcome']}")
        _parts(doc, facts, item["rooms"])
        for g in item["groups"]:
            doc.add_paragraph(digest.group_line(g), style="List Bullet")
    if d["outside_items"]:
        doc.add_heading("Outside any agenda item", level=1)
        _parts(doc, facts, d["outside_items"])
    doc.add_heading("Not discussed", level=1)
    for i in d["not_discussed"]:
        doc.add_paragraph(f"{i['label']} ({digest.status_of(i)})", style="List Bullet")
    if not d["not_discussed"]:
        doc.add_paragraph("None.")
    doc.add_heading("Groups", level=1)
    for g in d["groups"]:
        doc.add_paragraph(digest.group_line(g), style="List Bullet")
    if not d["groups"]:
        doc.add_paragraph("None.")
    for found in d["documents"]:
        doc.add_heading(f"Rolling document: {found['title']}", level=1)
        for c in found["categories"]:
            doc.add_heading(c["label"], level=2)
            for p in c["proposals"]:
                doc.add_heading(digest.proposal_head(p), level=3)
                for line in digest.proposal_lines(facts, p):
                    doc.add_paragraph(line)
                for n, i in enumerate(p["interventions"], 1):
                    doc.add_paragraph(digest.spoke_line(facts, n, i))
                for h in p["history"]:
                    doc.add_paragraph(h["said"], style="List Bullet")
            if not c["proposals"]:
                doc.add_paragraph("No proposals.")
    return word.save(doc, facts.as_of)


# -- the figures -----------------------------------------------------------------------------------
def figures_docx(facts: Facts, f: JSON) -> bytes:
    title = f"Participation figures: {f['title']}"
    doc = word.document(title)
    doc.add_heading(title, level=0)
    doc.add_paragraph(f"Times are in {f['timezone']}.")
    for scope in f["scopes"]:
        prefix = {"day": "Day: ", "room": "Room: "}.get(scope["scope"], "")
        doc.add_heading(prefix + scope["label"], level=1 if scope["scope"] == "meeting" else 2)
        doc.add_paragraph(figures.summary_sentence(scope))
        for caption, head, rows, _ in figures.tables(scope):
            if rows:
                _table(doc, caption, head, rows)
        missed = figures.missed_rows(facts, scope)
        if missed:
            _table(doc, "Requests that never got the floor", figures.MISSED_HEAD, missed)
    return word.save(doc, facts.as_of)


# -- the summary -----------------------------------------------------------------------------------
def summary_html(facts: Facts, paragraphs: list[summary.Paragraph]) -> str:
    title = summary.heading(facts)
    body = [f"<h1>{esc(title)}</h1>", f'<p class="note"><em>{esc(summary.note(facts))}</em></p>']
    body.append("<ol>")
    notes: list[tuple[int, str]] = []
    for _, p, first in summary.numbered(paragraphs):
        marks = "".join(
            f'<sup><a href="#note-{first + k}" id="ref-{first + k}">{first + k}</a></sup>'
            for k in range(len(p.footnotes))
        )
        body.append(f"<li>{esc(p.text)}{marks}</li>")
        notes += [(first + k, text) for k, text in enumerate(p.footnotes)]
    body.append("</ol>")
    if notes:
        body.append('<ol class="footnotes" aria-label="Notes">')
        body += [f'<li id="note-{n}" value="{n}">{esc(text)}</li>' for n, text in notes]
        body.append("</ol>")
    return html_page(title, body, REPORT_STYLE)
