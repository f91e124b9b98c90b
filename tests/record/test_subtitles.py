"""Subtitle files that play in order: WebVTT and SRT made from what caption senders posted, read
back by parsers nobody here wrote (the W3C webvtt-parser from npm, webvtt-py, srt in strict mode,
ffprobe); the page's WebVTT is the server's; the .docx says its language."""

from __future__ import annotations

import html
import io
import itertools
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
import srt
import webvtt
from hypothesis import given
from hypothesis import strategies as st

from server.domain import captions
from server.domain.events import Event
from server.record import exports
from tests.conftest import LiveServer
from tests.record.builders import LogBuilder, at
from tests.support import ROOT, require_binary
from tests.web.caption_support import events, post

# What a sorting parser sees: the W3C parser, as the WebVTT specification orders cues (by start
# time, then by end time, later first), with every error it found.
W3C_PARSE = """
const { WebVTTParser } = require("webvtt-parser");
const fs = require("fs");
const tree = new WebVTTParser().parse(fs.readFileSync(process.argv[2], "utf8"), "metadata");
console.log(JSON.stringify({
  errors: tree.errors,
  cues: tree.cues.map((c) => ({ id: c.id, start: c.startTime, end: c.endTime, text: c.text })),
}));
"""

# The page's own WebVTT (static/transcript.js), made from the same events.
PAGE_VTT = """
import { Transcript } from "%s";
import fs from "fs";
const t = new Transcript();
for (const frame of JSON.parse(fs.readFileSync(process.argv[2], "utf8"))) t.apply(frame);
process.stdout.write(t.toWebVtt());
"""


@pytest.fixture(scope="session")
def w3c_parser(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """webvtt-parser installed with npm in a temporary directory, and a script that runs it."""
    npm = require_binary("npm", "install Node.js and npm (`apt-get install nodejs npm`)")
    where = tmp_path_factory.mktemp("webvtt-parser")
    out = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "webvtt-parser@2"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    script = where / "parse.js"
    script.write_text(W3C_PARSE)
    return script


def w3c_parse(script: Path, vtt: str) -> dict[str, Any]:
    path = script.parent / "cues.vtt"
    path.write_text(vtt, encoding="utf-8")
    out = subprocess.run(
        ["node", str(script), str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    parsed: dict[str, Any] = json.loads(out.stdout)
    return parsed


def ffprobe_starts(path: Path) -> list[float]:
    """The start of every subtitle packet as ffprobe reads the file (which it sorts by time)."""
    binary = require_binary("ffprobe", "apt-get install ffmpeg")
    out = subprocess.run(
        [binary, "-v", "error", "-of", "json", "-show_entries", "packet=pts_time", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [float(p["pts_time"]) for p in json.loads(out.stdout)["packets"]]


def seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


async def caption_a_meeting(live: LiveServer) -> None:
    """What caption senders post in a morning: fragments, paragraphs of several lines in one
    POST, YouTube cues (some stamped earlier than lines already recorded, some at one time)."""
    async with httpx.AsyncClient(timeout=10) as http:
        for n, body in enumerate(
            [
                "Good morning & welcome, ",
                "distinguished <delegates>.\n",
                "Three lines\nin one\nPOST --> all distinct.\n",
                "A line that ends with nothing after it",
            ],
            1,
        ):
            assert (await post(http, live, body, n, speaker="Chair")).status_code == 200
        youtube = (
            "2014-02-24T09:00:01.000\nA cue stamped long before.\n"
            "2099-01-01T00:00:00.000\nOne cue<br>of two lines.\n"
            "2099-01-01T00:00:00.000\nAt the same time.\n"
            "2099-01-01T00:00:03.000\nThree seconds on: kept apart.\n"
        )
        assert (await post(http, live, youtube, 0, kind="youtube")).status_code == 200
        assert (await post(http, live, "Back in Zoom's format.\n", 5)).status_code == 200


async def test_subtitles_of_caption_senders_play_in_record_order(
    live: LiveServer, w3c_parser: Path, tmp_path: Path
) -> None:
    await caption_a_meeting(live)
    async with httpx.AsyncClient(base_url=live.base) as http:
        files = {
            fmt: (await http.get(f"/api/m/{live.meeting.id}/plenary/transcript.{fmt}")).text
            for fmt in ("vtt", "srt", "json")
        }
    record = [line["text"] for line in json.loads(files["json"])["lines"]]
    # In the record's order: a line sent in parts is where it ended (the open line of the Zoom
    # station ends at its next POST, after the YouTube station's cues).
    assert record == [
        "Good morning & welcome, distinguished <delegates>.",
        "Three lines",
        "in one",
        "POST --> all distinct.",
        "A cue stamped long before.",
        "One cue",
        "of two lines.",
        "At the same time.",
        "Three seconds on: kept apart.",
        "A line that ends with nothing after it",
        "Back in Zoom's format.",
    ]

    # The W3C parser: no errors, and its sorting keeps the record's order.
    parsed = w3c_parse(w3c_parser, files["vtt"])
    assert parsed["errors"] == []
    w3c = parsed["cues"]
    assert [c["text"].split(">", 1)[-1].removesuffix("</v>") for c in w3c[:1]] == [
        "Good morning &amp; welcome, distinguished &lt;delegates&gt;."
    ]
    assert [int(c["id"]) for c in w3c] == sorted(int(c["id"]) for c in w3c)
    starts = [c["start"] for c in w3c]
    assert all(a < b for a, b in itertools.pairwise(starts))
    assert all(c["end"] <= n["start"] for c, n in itertools.pairwise(w3c))

    # webvtt-py reads the same cues in the record's order (their text escaped, as WebVTT's is).
    cues = webvtt.from_buffer(io.StringIO(files["vtt"]))
    assert [html.unescape(c.text) for c in cues] == record
    assert [c.voice for c in cues][:2] == ["Chair", "Chair"]
    # srt, strict: the same, "speaker: text".
    subs = list(srt.parse(files["srt"], ignore_errors=False))
    assert [s.content.removeprefix("Chair: ") for s in subs] == record
    assert [s.index for s in subs] == list(range(1, len(record) + 1))
    assert all(s.start < s.end <= n.start for s, n in itertools.pairwise(subs))
    assert srt.compose(subs, reindex=False).strip() == files["srt"].strip()

    # Lines of one POST start apart; the YouTube cues keep their times (the one stamped before
    # lines already recorded starts after them), lines of one time are spread until the next.
    vtt_starts = [seconds(c.start) for c in cues]
    three = vtt_starts[1:4]
    assert three == sorted(three) and len(set(three)) == 3
    assert vtt_starts[4] > vtt_starts[3]
    one_cue = vtt_starts[5]
    assert [round(t - one_cue, 3) for t in vtt_starts[5:9]] == [0.0, 1.0, 2.0, 3.0]
    assert vtt_starts[0] == 0.0

    for fmt in ("vtt", "srt"):
        path = tmp_path / f"room.{fmt}"
        path.write_text(files[fmt], encoding="utf-8")
        probed = ffprobe_starts(path)
        assert probed == pytest.approx(vtt_starts, abs=1e-3), fmt


def test_youtube_cue_times_are_the_cue_times() -> None:
    b = LogBuilder()
    t0 = at(0, 10, 0)
    for i, (offset_ms, text) in enumerate([(0, "I'M"), (101, "SENDING"), (157, "SEVERAL")]):
        stamp = captions.iso_of_ms(t0 + offset_ms)
        b.line("plenary", t0 + 5000, text, "", source="youtube", at=stamp, by="s1", n=i)
    lines = exports.transcript(b.events()["plenary"])
    assert exports.cue_times(lines) == [(0, 101), (101, 157), (157, 157 + exports.MAX_CUE_MS)]


def test_a_line_left_open_is_in_the_exports() -> None:
    """Every process stopped before the pause that would have ended it: the record holds it as
    the station's open line, and the exports as a line."""
    b = LogBuilder()
    b.line("plenary", at(0, 10, 0), "Before.", "Chair")
    b.add("plenary", at(0, 10, 1), "line.partial", text="The last words ", by="s1",
          captioner="CAT", lang="en", speaker="", source="zoom")  # fmt: skip
    b.add("plenary", at(0, 10, 2), "line.partial", text="were these", by="s1",
          captioner="CAT", lang="en", speaker="", source="zoom")  # fmt: skip
    evs = b.events()["plenary"]
    record = json.loads(exports.render("json", evs, {"timezone": "UTC"}))
    assert [(line["text"], line.get("open")) for line in record["lines"]] == [
        ("Before.", None),
        ("The last words were these", True),
    ]
    assert "The last words were these" in exports.render("vtt", evs, {}).decode()


def test_docx_carries_its_language() -> None:
    b = LogBuilder()
    for i, (text, lang) in enumerate(
        [("Bonjour à tous.", "fr-FR"), ("La séance est ouverte.", "fr-FR"), ("Thank you.", "en")]
    ):
        b.add("plenary", at(0, 10, i), "line", text=text, speaker="", lang=lang,
              captioner="Ann", source="zoom")  # fmt: skip
    body = exports.render("docx", b.events()["plenary"], {"title": "Séance", "timezone": "UTC"})
    document = docx.Document(io.BytesIO(body))
    assert document.core_properties.language == "fr-FR"
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        styles = z.read("word/styles.xml").decode()
        text = z.read("word/document.xml").decode()
    assert '<w:lang w:val="fr-FR"' in styles  # the default language of every run
    assert '<w:lang w:val="en"/>' in text  # the English line says so
    # Without language tags: English, the language of plenary's own words.
    plain = LogBuilder()
    plain.add("plenary", at(0, 10, 0), "line", text="x", speaker="", lang="", captioner="",
              source="websocket")  # fmt: skip
    body = exports.render("docx", plain.events()["plenary"], {"title": "t"})
    assert docx.Document(io.BytesIO(body)).core_properties.language == "en"


def _line_events(spec: list[tuple[int, int | None, int]]) -> list[Event]:
    """Line events from (recorded-at step, cue time offset or None, lines in the POST)."""
    b = LogBuilder()
    ts = at(0, 10, 0)
    for step, cue, count in spec:
        ts += step
        for k in range(count):
            extra: dict[str, Any] = {}
            if cue is not None:
                extra["at"] = captions.iso_of_ms(at(0, 10, 0) + cue)
            b.line("plenary", ts, f"line {len(b.logs.get('plenary', []))} {k}", "", **extra)
    return b.events().get("plenary", [])


SPEC = st.lists(
    st.tuples(
        st.integers(0, 20_000),
        st.one_of(st.none(), st.integers(-3_600_000, 3_600_000)),
        st.integers(1, 5),
    ),
    min_size=1,
    max_size=25,
)


@given(SPEC)
def test_cues_never_overlap_and_start_in_record_order(
    spec: list[tuple[int, int | None, int]],
) -> None:
    evs = _line_events(spec)
    lines = exports.transcript(evs)
    times = exports.cue_times(lines)
    assert times[0][0] == 0
    for (start, end), (nxt, _) in itertools.pairwise(times):
        assert start < end <= nxt
    assert times[-1][0] < times[-1][1]
    vtt = exports.to_webvtt(lines)
    assert [c.identifier for c in webvtt.from_buffer(io.StringIO(vtt))] == [
        str(line.seq) for line in lines
    ]
    subs = list(srt.parse(exports.to_srt(lines), ignore_errors=False))
    assert [s.index for s in subs] == list(range(1, len(lines) + 1))


async def test_the_pages_webvtt_is_the_servers(live: LiveServer, tmp_path: Path) -> None:
    node = require_binary("node", "install Node.js (`apt-get install nodejs`)")
    await caption_a_meeting(live)
    frames = [e.to_dict() for e in await events(live)]
    committed = [e for e in await events(live) if e.type != "line.partial"]
    source = tmp_path / "events.json"
    source.write_text(json.dumps(frames))
    script = tmp_path / "page.mjs"
    script.write_text(PAGE_VTT % (ROOT / "static" / "transcript.js").as_uri())
    out = subprocess.run(
        [node, str(script), str(source)], capture_output=True, text=True, timeout=60, check=True
    )
    # The page shows an open line as being typed, so it compares with the committed lines.
    server = exports.render("vtt", committed, {}).decode()
    assert out.stdout == server
