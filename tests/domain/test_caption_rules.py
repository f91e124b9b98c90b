"""The decisions behind the caption endpoints, on the projection alone: what a POST records,
when it is a retry, how text without a line end joins the next POST, long lines, pauses."""

from __future__ import annotations

import pytest

from server.domain import caption_rules, captions
from server.domain.caption_rules import Post
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import Draft, Event
from server.domain.state import RoomState
from server.limits import MAX_LINE_CHARS


class Room:
    """A room's projection and the events recorded in it."""

    def __init__(self) -> None:
        self.state = RoomState("plenary")
        self.events: list[Event] = []
        self.now = 1_393_232_400_000

    def record(self, drafts: list[Draft]) -> list[Event]:
        out = []
        for d in drafts:
            ev = Event.create(self.state.seq + 1, d)
            self.state.apply(ev.seq, ev.type, ev.ts, ev.data)
            self.events.append(ev)
            out.append(ev)
        return out

    def post(self, number: int, body: str, station: str = "sA", **kw: str) -> list[Event]:
        self.now += 100
        text = captions.decode(body.encode(), "text/plain")
        *ended, tail = text.split("\n")
        post = Post(
            station,
            "zoom",
            number,
            captions.text_digest("zoom", text),
            kw.get("captioner", "Ann"),
            kw.get("lang", "en-US"),
            kw.get("speaker", ""),
            tuple(ended),
            tail,
        )
        return self.record(caption_rules.decide(self.state, post, self.now))

    def lines(self) -> list[str]:
        return [e.data["text"] for e in self.events if e.type == "line"]

    def open_text(self, station: str = "sA") -> str | None:
        s = self.state.stations.get(station)
        return s.open.text if s is not None and s.open is not None else None


def test_zooms_documentation_example_is_one_line() -> None:
    room = Room()
    room.post(1, "I'M SENDING ")
    assert room.lines() == [] and room.open_text() == "I'M SENDING "
    room.post(2, "SEVERAL CAPTIONS.\n")
    assert room.lines() == ["I'M SENDING SEVERAL CAPTIONS."]
    assert room.open_text() is None
    # The line began with its first part.
    line = room.events[-1]
    assert line.data["at"] == captions.iso_of_ms(room.events[0].ts)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["I'M", " SENDING", " SEVERAL CAPTIONS.\n"], ["I'M SENDING SEVERAL CAPTIONS."]),
        (["I'M ", "SENDING ", "\n"], ["I'M SENDING"]),
        # Whole phrases without line ends (speech engines): a line each.
        (["Hello there", "how are you", "\n"], ["Hello there", "how are you"]),
        (["a\nb\r\nc\rd", "\n"], ["a", "b", "c", "d"]),
        (["one ", " ", "two\n"], ["one two"]),
        (["\n", "\n\n", "x\n"], ["x"]),
    ],
)
def test_line_ends_and_junctions(parts: list[str], expected: list[str]) -> None:
    room = Room()
    for n, part in enumerate(parts, 1):
        room.post(n, part)
    assert room.lines() == expected


def test_a_retry_is_recorded_once_and_new_text_reusing_a_number_is_kept() -> None:
    room = Room()
    assert room.post(1, "First.\n")
    assert room.post(1, "First.\n") == []  # a retry
    assert room.post(2, "Second.\n")
    assert room.post(1, "First.\n") == []  # a late retry of an older one
    # The same number with other text: a sender that restarted its count, or two on one URL.
    assert room.post(2, "Another second.\n")
    assert room.post(1, "Counting again from one.\n")
    assert room.lines() == ["First.", "Second.", "Another second.", "Counting again from one."]
    assert room.state.stations["sA"].top == 2


def test_a_number_seen_before_this_version_is_a_retry_by_number_alone() -> None:
    room = Room()
    post = Post("sA", "zoom", 7, "d", "Ann", "", "", ("x",), "", legacy_top=7)
    assert caption_rules.decide(room.state, post, 1) == []
    newer = Post("sA", "zoom", 8, "d", "Ann", "", "", ("x",), "", legacy_top=7)
    assert caption_rules.decide(room.state, newer, 1)


def test_stations_are_apart() -> None:
    room = Room()
    room.post(1, "Station A says ", station="sA", captioner="CAT 1")
    room.post(1, "Station B says\n", station="sB", captioner="CAT 2")
    room.post(2, "more.\n", station="sA", captioner="CAT 1")
    assert room.lines() == ["Station B says", "Station A says more."]
    assert [e.data["captioner"] for e in room.events if e.type == "line"] == ["CAT 2", "CAT 1"]


def test_a_long_line_is_split_at_spaces_never_refused() -> None:
    room = Room()
    words = " ".join(f"word{i}" for i in range(1500))  # 12,389 characters
    room.post(1, words + "\n")
    lines = room.lines()
    assert len(lines) == 4 and all(len(line) <= MAX_LINE_CHARS for line in lines)
    assert " ".join(lines) == words
    # A word longer than a line on its own is cut.
    room.post(2, "x" * (MAX_LINE_CHARS + 10) + "\n")
    assert [len(line) for line in room.lines()[4:]] == [MAX_LINE_CHARS, 10]


def test_an_open_line_that_grows_past_a_line_is_committed_at_a_space() -> None:
    room = Room()
    word = "abcdefghi "  # 10 characters
    for n in range(1, 402):  # 4,010 characters without a line end
        room.post(n, word)
    assert room.lines() == [("abcdefghi " * 400).strip()]
    assert room.open_text() == "abcdefghi "
    room.post(402, "end.\n")
    assert room.lines()[-1] == "abcdefghi end."


def test_a_pause_or_the_rooms_closing_ends_an_open_line() -> None:
    room = Room()
    room.post(1, "Still typing")
    started = room.events[-1].ts
    assert caption_rules.next_deadline(room.state, 5000) == started + 5000
    assert caption_rules.close_paused(room.state, started + 4999, 5000) == []
    closing = room.record(caption_rules.close_paused(room.state, started + 5000, 5000))
    assert [e.data["text"] for e in closing] == ["Still typing"]
    assert closing[0].data["by"] == "sA" and closing[0].data["captioner"] == "Ann"
    assert caption_rules.next_deadline(room.state, 5000) is None
    room.post(2, "Another")
    assert [d.data["text"] for d in caption_rules.close_all(room.state, room.now)] == ["Another"]


def test_a_closed_room_refuses_and_a_retry_is_still_a_retry() -> None:
    room = Room()
    room.post(1, "Before.\n")
    room.record([Draft("room.closed", "plenary", {"by": "Chair"})])
    with pytest.raises(CommandRejected):
        room.post(2, "After.\n")
    assert room.post(1, "Before.\n") == []


def test_lines_are_attributed_to_the_floor_unless_a_speaker_is_given() -> None:
    room = Room()
    who = {"participant": "p1", "name": "Ms. A. Silva", "delegation": "Brazil", "group": ""}
    room.record([Draft("floor.requested", "plenary", {"kind": "speak", "who": who, "at": 0})])
    room.record([Draft("floor.granted", "plenary", {"entry": 1, "kind": "speak", "who": who})])
    room.post(1, "Thank you, Chair.\n")
    room.post(2, "We agree.\n", speaker="Chair")
    first, second = [e.data for e in room.events if e.type == "line"]
    assert first["speaker"] == "Ms. A. Silva" and first["delegation"] == "Brazil"
    assert second["speaker"] == "Chair" and "delegation" not in second


@pytest.mark.parametrize(
    ("line", "at"),
    [
        ("2012-12-24T00:00:06.873", "2012-12-24T00:00:06.873"),
        ("2012-12-24T00:00:06.873Z", "2012-12-24T00:00:06.873"),
        ("2012-12-24T00:00:06.873+00:00", "2012-12-24T00:00:06.873"),
        ("2012-12-24T00:00:06.873456", "2012-12-24T00:00:06.873"),
        ("2012-12-24T00:00:06.873456Z", "2012-12-24T00:00:06.873"),
        ("2012-12-24T01:00:06.5+01:00", "2012-12-24T00:00:06.500"),
        ("2012-12-24T00:00:06", "2012-12-24T00:00:06.000"),
        ("2012-12-24T00:00.06.873", "2012-12-24T00:00:06.873"),  # as YouTube's page writes it
        ("2012-12-24T00:00:06.873 region:reg1#cue1", "2012-12-24T00:00:06.873"),
        ("2012-13-24T00:00:06.873", None),
        ("2012-12-24 00:00:06.873", None),
        ("I'M", None),
    ],
)
def test_cue_times(line: str, at: str | None) -> None:
    assert captions.cue_time(line) == at


def test_youtube_bodies() -> None:
    cues = captions.youtube_cues("\n2014-02-24T09:00:01.000\nOne<br>Two\n\n2014-02-24T09:00:02Z\n")
    assert cues == [
        captions.Cue("2014-02-24T09:00:01.000", ("One", "Two")),
        captions.Cue("2014-02-24T09:00:02.000", ()),
    ]
    for body in ("Just text\n", "Text first\n2014-02-24T09:00:01.000\nthen a cue"):
        with pytest.raises(Invalid) as refused:
            captions.youtube_cues(body)
        assert "YYYY-MM-DDTHH:MM:SS.mmm" in refused.value.message


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        (b"caf\xc3\xa9", "text/plain", "café"),
        (b"caf\xc3\xa9", None, "café"),
        (b"\xef\xbb\xbfBOM first", "text/plain; charset=utf-8", "BOM first"),
        (b"caf\xe9", "text/plain; charset=ISO-8859-1", "café"),
        (b"caf\xe9", 'text/plain; charset="latin1"', "café"),
        (b"\x93quoted\x94 \x80", "text/plain; charset=windows-1252", "\u201cquoted\u201d \u20ac"),
        (b"\xff\xfeh\x00i\x00", "text/plain; charset=utf-16", "hi"),
        (b"a\r\nb\rc\n", "text/plain", "a\nb\nc\n"),
    ],
)
def test_bodies_are_read_in_their_charset(body: bytes, content_type: str | None, text: str) -> None:
    assert captions.decode(body, content_type) == text


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"caf\xe9", "text/plain", "bad_encoding"),
        (b"x", "text/plain; charset=klingon", "bad_charset"),
        (b"x", "text/plain; charset=base64", "bad_charset"),
        (b"\\ud800", "text/plain; charset=unicode_escape", "bad_charset"),
        (b"x", "text/plain; charset=undefined", "bad_charset"),
    ],
)
def test_bodies_that_are_not_text(body: bytes, content_type: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        captions.decode(body, content_type)
    assert refused.value.code == code
