"""Transcript exports: every format parsed back by a real parser and compared with the log;
corrections applied with their history in JSON; times in the meeting's time zone; the same bytes
from either backend; whole-meeting exports over HTTP and from the command line."""

from __future__ import annotations

import hashlib
import html
import io
import json
import subprocess
import sys
from html.parser import HTMLParser

import docx
import httpx
import pytest
import srt
import webvtt

from server.backends.base import Backend
from server.domain.events import Event
from server.record import exports
from server.record.facts import read_room
from tests.conftest import LiveServer
from tests.record.builders import LogBuilder, at, sample_meeting
from tests.support import ROOT

TEXTS = [
    "Good morning & welcome to <the> meeting.",
    "We support the agenda.",
    "The spreadsheet covers twenty-four areas.",
    "Day two begins now.",
]


def plenary_events() -> list[Event]:
    _, b, _ = sample_meeting()
    return b.events()["plenary"]


def meta() -> dict[str, str]:
    return {
        "meeting": "m",
        "room": "plenary",
        "title": "WGEC — Plenary",
        "timezone": "Europe/Zurich",
    }


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.skip = tag in ("style", "time", "title")

    def handle_endtag(self, tag: str) -> None:
        self.skip = False

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def test_every_format_parses_back_to_the_log() -> None:
    events = plenary_events()
    lines = exports.transcript(events)
    assert [line.text for line in lines] == TEXTS  # the correction applied
    out = {fmt: exports.render(fmt, events, meta()) for fmt in exports.FORMATS}

    vtt = webvtt.from_buffer(io.StringIO(out["vtt"].decode()))
    assert [html.unescape(c.text) for c in vtt] == TEXTS
    assert [c.voice for c in vtt] == [line.speaker for line in lines]
    subs = list(srt.parse(out["srt"].decode()))
    assert [s.content for s in subs] == [f"{line.speaker}: {line.text}" for line in lines]

    record = json.loads(out["json"])
    assert [line["text"] for line in record["lines"]] == TEXTS
    last = record["lines"][-1]
    assert last["history"] == [
        {
            "seq": last["history"][0]["seq"],
            "ts": at(1, 9, 2),
            "was": "Day two begins.",
            "text": "Day two begins now.",
            "captioner": "Bob",
        }
    ]
    # Times in the meeting's zone: 10:02 in Geneva in February is 09:02 UTC.
    assert record["lines"][0]["time"] == "2014-02-24T10:02:00.000+01:00"
    assert record["lines"][1]["delegation"] == "Brazil" and record["lines"][1]["intervention"]

    text = out["txt"].decode()
    assert "[2014-02-24 10:02:00] Chair: Good morning & welcome to <the> meeting." in text

    md = out["md"].decode()
    assert "Good morning & welcome to \\<the\\> meeting." in md
    assert "## Monday 24 February 2014" in md and "### 1. Opening" in md
    assert "**Ms. A. Silva** (10:03:01): We support the agenda." in md

    parser = _Text()
    parser.feed(out["html"].decode())
    body = " ".join(" ".join(parser.parts).split())
    for t in TEXTS:
        assert t in body
    assert "<the>" not in out["html"].decode()  # escaped, never markup
    assert "@media print" in out["html"].decode()

    document = docx.Document(io.BytesIO(out["docx"]))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "WGEC — Plenary"
    spoken = " ".join(paragraphs)
    for t in TEXTS:
        assert t in spoken
    assert "Monday 24 February 2014" in paragraphs and "Tuesday 25 February 2014" in paragraphs
    assert "10:03:01  Ms. A. Silva: We support the agenda." in paragraphs


async def test_the_same_log_gives_the_same_bytes_from_the_backend(backend: Backend) -> None:
    meeting, b, _ = sample_meeting()
    await backend.save_meeting(meeting)
    await b.store(backend, meeting)
    stored = await read_room(backend, meeting.id, "plenary")
    assert [e.frame for e in stored] == [e.frame for e in b.events()["plenary"]]
    for fmt in exports.FORMATS:
        mine = exports.render(fmt, b.events()["plenary"], meta())
        theirs = exports.render(fmt, stored, meta())
        assert hashlib.sha256(mine).digest() == hashlib.sha256(theirs).digest(), fmt


def test_whole_meeting_export_has_a_section_per_room() -> None:
    meeting, b, _ = sample_meeting()
    logs = b.events()
    sections = [(r.id, r.name, logs.get(r.id, [])) for r in meeting.rooms]
    m = {"meeting": meeting.id, "title": meeting.title, "timezone": meeting.timezone}
    md = exports.render_meeting("md", sections, m).decode()
    assert md.index("## Plenary") < md.index("## Break-out A")
    assert "Let us separate the recommendations." in md.split("## Break-out A")[1]
    record = json.loads(exports.render_meeting("json", sections, m))
    assert [s["room"] for s in record["sections"]] == ["plenary", "break-out-a"]
    document = docx.Document(io.BytesIO(exports.render_meeting("docx", sections, m)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == ["Plenary", "Break-out A"]
    with pytest.raises(ValueError, match="per room"):
        exports.render_meeting("vtt", sections, m)


async def test_exports_over_http_and_the_command_line(live: LiveServer) -> None:
    b = LogBuilder()
    b.line("plenary", at(0, 10, 0), "In the plenary.", "Chair")
    b.line("break-out-a", at(0, 10, 1), "In the break-out.", "Peru", captioner="Bo", source="zoom")
    await b.store(live.plenary.backend, live.meeting)
    mid = live.meeting.id
    async with httpx.AsyncClient(base_url=live.base) as http:
        whole = await http.get(f"/api/m/{mid}/transcript.docx")  # public, like each room's
        assert whole.status_code == 200
        assert whole.headers["content-type"].startswith("application/vnd.openxmlformats")
        text = " ".join(p.text for p in docx.Document(io.BytesIO(whole.content)).paragraphs)
        assert "In the plenary." in text and "In the break-out." in text
        room = await http.get(f"/api/m/{mid}/break-out-a/transcript.md")
        assert room.status_code == 200 and "In the break-out." in room.text
        assert "In the plenary." not in room.text
        refused = await http.get(f"/api/m/{mid}/transcript.srt")
        assert refused.status_code == 404 and "per room" in refused.json()["error"]
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "export",
            mid,
            "-f",
            "html",
            "--backend",
            live.settings.backend_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert "<h2>Plenary</h2>" in cli.stdout and "In the break-out." in cli.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "export",
            mid,
            "-f",
            "vtt",
            "--backend",
            live.settings.backend_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "give a room" in bad.stderr
