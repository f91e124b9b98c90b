"""The caption endpoints' body parsing, fuzzed: arbitrary bytes in any declared charset, arbitrary
Unicode (surrogates, controls, bidi marks, line and paragraph separators) and odd numbers never
make an exception escape, and nothing they record can break an export made later."""

from __future__ import annotations

import io
import json
import string
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
import srt
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.domain import caption_rules, captions
from server.domain.caption_rules import Post
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import Event
from server.domain.state import RoomState
from server.domain.text import clean_text
from server.record import exports
from tests.support import ROOT, ServerProcess, free_port

CHARSETS = ["utf-8", "UTF-8", "iso-8859-1", "windows-1252", "utf-16", "utf-16-le", "latin1",
            "ascii", "shift_jis", "koi8-r", "klingon", "base64", "rot13", "unicode_escape",
            "utf-7", "undefined", "charmap", "utf-8-sig", "hex", "", '"utf-8"',
            "utf-8; q=1"]  # fmt: skip
MEDIA_TYPES = ["text/plain", "application/octet-stream", "application/x-www-form-urlencoded"]
CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(MEDIA_TYPES),
    st.sampled_from(CHARSETS).map(lambda c: f"text/plain; charset={c}"),
    st.text(max_size=40),
)
# Text with what breaks naive code: controls, CR/LF, separators, bidi marks, a BOM, <br>, "-->",
# and (as JSON could carry) lone surrogates.
NASTY = st.sampled_from(
    ["\r", "\n", "\r\n", "\x00", "\x1b", "\x85", "\u2028", "\u2029", "\u202e", "\u200f",
     "\ufeff", "\ud800", "\udfff", "<br>", "<BR/>", "-->", " ", "\t", "&", "<v x>", "\\u0000"]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=30), NASTY), max_size=12).map("".join)
STAMP = st.sampled_from(
    ["2014-02-24T09:00:01.000", "2014-02-24T09:00:01.5Z", "2014-02-24T09:00:01.123456+00:00",
     "9999-12-31T23:59:59.999+00:00", "0001-01-01T00:00:00.000-23:59", "2014-02-30T09:00:01.000"]
)  # fmt: skip
YOUTUBE = st.lists(st.one_of(STAMP, TEXT), max_size=8).map("\n".join)


@given(st.binary(max_size=300), CONTENT_TYPES)
def test_any_body_is_text_or_a_clear_refusal(body: bytes, content_type: str | None) -> None:
    try:
        text = captions.decode(body, content_type)
    except Invalid as refused:
        assert refused.code in ("bad_encoding", "bad_charset") and refused.message
        return
    assert "\r" not in text and not text.startswith("\ufeff")
    text.encode("utf-8")  # real Unicode: no lone surrogates


def _record(state: RoomState, events: list[Event], post: Post, now: int) -> None:
    try:
        drafts = caption_rules.decide(state, post, now)
    except CommandRejected:
        return
    for draft in drafts:
        ev = Event.create(state.seq + 1, draft)
        state.apply(ev.seq, ev.type, ev.ts, ev.data)
        events.append(ev)


def _every_export_reads_back(events: list[Event]) -> None:
    meta = {"title": "Fuzz", "timezone": "Europe/Zurich", "room": "plenary"}
    lines = exports.transcript(events)
    for fmt in exports.FORMATS:
        body = exports.render(fmt, events, meta)
        if fmt != "docx":
            body.decode("utf-8")
    texts = [line.text for line in lines]
    record = json.loads(exports.render("json", events, meta))
    assert [line["text"] for line in record["lines"]] == texts
    assert all(t and t == t.strip() and "\n" not in t and "\r" not in t for t in texts)
    cues = webvtt.from_buffer(io.StringIO(exports.render("vtt", events, meta).decode()))
    assert len(cues) == len(texts)
    subs = list(srt.parse(exports.render("srt", events, meta).decode(), ignore_errors=False))
    assert len(subs) == len(texts)
    docx.Document(io.BytesIO(exports.render("docx", events, meta)))


# Rendering every format (a .docx among them) for each example is the slow part.
EXPORTING = settings(max_examples=40)


@EXPORTING
@given(
    st.lists(
        st.tuples(st.integers(0, 5), TEXT, st.sampled_from(["sA", "sB"]), st.booleans()),
        max_size=12,
    )
)
def test_whatever_zoom_senders_post_every_export_reads_back(
    posts: list[tuple[int, str, str, bool]],
) -> None:
    state, events = RoomState("plenary"), []
    now = 1_393_232_400_000
    for number, raw, station, as_latin1 in posts:
        now += 700
        body = raw.encode("utf-8", "surrogatepass")
        try:
            text = captions.decode(body, "text/plain; charset=latin1" if as_latin1 else None)
        except Invalid:
            continue
        if text == "":
            continue  # a heartbeat
        *ended, tail = text.split("\n")
        # Names from the URL, cleaned as the endpoint cleans them.
        name, lang, speaker = clean_text(raw)[:20], clean_text(raw)[:5], clean_text(raw)[-9:]
        digest = captions.text_digest("zoom", text)
        post = Post(station, "zoom", number, digest, name, lang, speaker, tuple(ended), tail)
        _record(state, events, post, now)
    for draft in caption_rules.close_all(state, now + 1):
        ev = Event.create(state.seq + 1, draft)
        state.apply(ev.seq, ev.type, ev.ts, ev.data)
        events.append(ev)
    _every_export_reads_back(events)


@EXPORTING
@given(st.lists(st.tuples(st.integers(0, 3), YOUTUBE), max_size=8))
def test_whatever_youtube_senders_post_every_export_reads_back(
    posts: list[tuple[int, str]],
) -> None:
    state, events = RoomState("plenary"), []
    for n, (number, raw) in enumerate(posts):
        text = captions.decode(raw.encode("utf-8", "replace"), "text/plain")
        try:
            cues = tuple(captions.youtube_cues(text))
        except Invalid as refused:
            assert "YYYY-MM-DDTHH:MM:SS.mmm" in refused.message
            continue
        digest = captions.text_digest("youtube", captions.youtube_text(cues))
        post = Post("sY", "youtube", number, digest, "YT", "en", "", cues=cues)
        _record(state, events, post, 1_393_232_400_000 + n)
    _every_export_reads_back(events)


# -- over HTTP, against a real server process ----------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    proc = ServerProcess(free_port(), tmp_path_factory.mktemp("fuzz") / "data").start()
    try:
        yield proc
    finally:
        proc.stop()


def _meeting(server: ServerProcess) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "server", "meeting", "create", "Fuzz", "--json", "--data-dir",
         str(server.data_dir), "--public-url", server.base],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


SEQ = st.one_of(
    st.integers(-3, 40).map(str),
    st.sampled_from(["", "x", "1e3", "٣", "9" * 30, str(2**53), "0x10", " 1"]),
)


def test_the_endpoints_answer_every_body_and_the_record_stays_exportable(
    server: ServerProcess, tmp_path: Path
) -> None:
    doc = _meeting(server)
    room = doc["rooms"][0]
    zoom_url, youtube_url = room["caption_api"], room["youtube_api"]
    statuses: set[int] = set()
    with httpx.Client(timeout=20) as http:

        @settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
        @given(
            st.booleans(),
            st.one_of(st.binary(max_size=200), TEXT.map(lambda t: t.encode("utf-8", "replace"))),
            CONTENT_TYPES,
            SEQ,
            st.text(alphabet=string.printable, max_size=10),
        )
        def one(youtube: bool, body: bytes, content_type: str | None, seq: str, lang: str) -> None:
            url = youtube_url if youtube else zoom_url
            # As bytes: a header may carry any octet (the server reads it as Latin-1).
            headers = {} if content_type is None else {"content-type": content_type.encode()}
            try:
                query = urllib.parse.urlencode({"seq": seq, "lang": lang})
                r = http.post(f"{url}&{query}", content=body, headers=headers)
            except httpx.LocalProtocolError:
                return  # a header httpx itself will not send
            assert r.status_code in (200, 400, 403, 413), (r.status_code, r.text)
            assert r.text.strip(), "every answer says something"
            statuses.add(r.status_code)

        one()
        assert {200, 400, 403} <= statuses
        # Whatever was recorded exports in every format, and parses back.
        base = f"{server.base}/api/m/{doc['meeting']}/plenary/transcript"
        files = {}
        for fmt in exports.FORMATS:
            r = http.get(f"{base}.{fmt}")
            assert r.status_code == 200, (fmt, r.text[:300])
            files[fmt] = r.content
    lines = json.loads(files["json"])["lines"]
    assert lines, "some of it was recorded"
    assert len(webvtt.from_buffer(io.StringIO(files["vtt"].decode()))) == len(lines)
    assert len(list(srt.parse(files["srt"].decode(), ignore_errors=False))) == len(lines)
    docx.Document(io.BytesIO(files["docx"]))
    assert "Traceback" not in server.output()
