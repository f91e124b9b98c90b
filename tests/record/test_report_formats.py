"""The digest and the figures in Word, the draft summary in HTML: read back with real parsers,
they say what the Markdown says; and the digest's request counts say what they count."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import docx

from server.record import digest, figures, summary
from server.record.documents import render_report
from server.record.facts import facts_from_logs
from tests.record.builders import sample_meeting


def _word_text(body: bytes) -> str:
    doc = docx.Document(io.BytesIO(body))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_digest_and_figures_in_word_hold_what_the_markdown_holds() -> None:
    meeting, b, _ = sample_meeting()
    facts = facts_from_logs(meeting, b.events())
    d = digest.digest(facts)
    text = _word_text(render_report("digest", "docx", facts))
    for item in d["items"]:
        assert item["label"] in text
        for part in item["rooms"]:
            assert part["requests"]["said"] in text
            for i in part["interventions"]:
                assert i["who"]["name"] in text
    assert "Ms. A. Silva" in text and "Floor requests made under this item: 5" in text
    f = figures.figures(facts)
    text = _word_text(render_report("figures", "docx", facts))
    assert "Transcript lines" in text and "By delegation" in text
    for row in f["scopes"][0]["by_delegation"]:
        assert row["key"] in text
    # The same record, the same bytes (dated from the record, not the clock).
    assert render_report("digest", "docx", facts) == render_report("digest", "docx", facts)


def test_the_summary_as_html_has_every_paragraph_and_note() -> None:
    meeting, b, _ = sample_meeting()
    facts = facts_from_logs(meeting, b.events())
    paragraphs = summary.summary(facts)
    page = _Text()
    page.feed(render_report("summary", "html", facts).decode())
    said = "".join(page.parts)
    assert page.tags.count("li") >= len(paragraphs)
    for p in paragraphs:
        assert p.text in said
        for note in p.footnotes:
            assert note in said
    assert "<script" not in render_report("summary", "html", facts).decode()


def test_request_counts_name_the_item_a_request_was_made_under() -> None:
    meeting, b, _ = sample_meeting()
    facts = facts_from_logs(meeting, b.events())
    # Move one request of item 2 back to item 1 (made under the previous item, granted under
    # this one): the counts of both items say so in words.
    cat_a = next(i for i in facts.items.values() if i.title == "Category A")
    opening = next(i for i in facts.items.values() if i.title == "Opening")
    granted = next(r for r in facts.requests if r.item == cat_a.id and r.status == "granted")
    granted.item = opening.id
    d = digest.digest(facts)
    part = next(p for p in d["items"][1]["rooms"] if p["room"] == "plenary")
    said = part["requests"]["said"]
    assert "Requests given the floor under this item: 2, including 1 made under 1. Opening" in said
    first = next(p for p in d["items"][0]["rooms"] if p["room"] == "plenary")
    assert "1 given it later, under another item" in first["requests"]["said"]
