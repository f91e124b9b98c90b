"""Client messages and the record's renderers, fuzzed: arbitrary JSON, arbitrary Unicode (lone
surrogates, controls, bidi marks) and arbitrary numbers. The parser only ever refuses with a
``BadMessage``; what it accepts is real text; and any line in the record — including one written
before text was checked at the edge, with a lone surrogate — renders in every export format,
every report and a search."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.events import Draft, Event
from server.domain.meetings import Meeting, Room
from server.record import exports
from server.record.documents import REPORTS, meeting_logs, meeting_meta, render_report, room_meta
from server.record.facts import facts_from_logs
from server.record.search import Query, SearchIndex
from server.web.protocol import BadMessage, Commit, Correct, Hello, parse_client_message

# Every code point, surrogates included, with the troublesome ones drawn more often.
ANY_CHAR = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.sampled_from(["\ud800", "\udfff", "\u202e", "\u2028", "\x00", "\x85", "\ufeff", "<", "&"]),
)
TEXT = st.text(ANY_CHAR, max_size=40)
NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([2**53 - 1, 2**53, 2**63, -(2**63), 0, -1]),
    st.floats(allow_nan=True),
    st.booleans(),
)
SCALARS = st.one_of(st.none(), NUMBERS, TEXT)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
TYPES = st.sampled_from(["hello", "edit", "commit", "correct", "ping", "cmd", "nope", ""])
FIELDS = st.sampled_from(["n", "text", "speaker", "lang", "line", "del", "ins", "after",
                          "client", "name", "key", "passcode", "op", "args"])  # fmt: skip


def strings_of(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict | list | tuple):
        items = value.values() if isinstance(value, dict) else value
        return [s for v in items for s in strings_of(v)] + (
            [k for k in value if isinstance(k, str)] if isinstance(value, dict) else []
        )
    if hasattr(value, "__slots__"):
        return [s for name in value.__slots__ for s in strings_of(getattr(value, name))]
    return []


@given(TYPES, st.dictionaries(FIELDS, JSONISH, max_size=6))
@settings(max_examples=300)
def test_the_client_message_parser_only_refuses_and_accepts_real_text(
    kind: str, fields: dict[str, Any]
) -> None:
    raw = json.dumps({"type": kind, **fields})  # escapes surrogates as a browser would send
    try:
        msg = parse_client_message(raw)
    except BadMessage as exc:
        assert exc.code and exc.message
        return
    for text in strings_of(msg):
        text.encode("utf-8")  # real Unicode: no lone surrogate got through
    if isinstance(msg, Commit | Correct) and msg.n is not None:
        assert 1 <= msg.n <= 2**53 - 1
    if isinstance(msg, Hello):
        assert 0 <= msg.after <= 2**53 - 1


@given(st.text(ANY_CHAR, max_size=200))
def test_any_text_frame_is_parsed_or_refused(raw: str) -> None:
    try:
        parse_client_message(raw)
    except BadMessage:
        pass


MEETING = Meeting(
    "fuzzmeeting", "Fuzz", rooms=[Room("plenary", "Plenary")], timezone="Europe/Zurich"
)
LINE = st.fixed_dictionaries(
    {"text": TEXT, "speaker": TEXT, "lang": TEXT, "captioner": TEXT, "source": TEXT},
    optional={"at": st.one_of(TEXT, NUMBERS), "item": NUMBERS, "delegation": TEXT, "by": TEXT},
)
TS = st.integers(0, 4_102_444_800_000)  # up to the year 2100: ts is the server's clock


@st.composite
def room_logs(draw: st.DrawFn) -> list[Event]:
    drafts: list[Draft] = []
    for _ in range(draw(st.integers(1, 6))):
        if drafts and draw(st.booleans()):
            data = {"line": draw(st.integers(0, len(drafts) + 1)), "text": draw(TEXT),
                    "was": draw(TEXT), "captioner": draw(TEXT)}  # fmt: skip
            drafts.append(Draft("correction", "plenary", data, draw(TS)))
        else:
            drafts.append(Draft("line", "plenary", draw(LINE), draw(TS)))
    # As the record holds them: encoded once (ensure_ascii), read back from the frame.
    return [Event.from_frame(Event.create(n, d).frame) for n, d in enumerate(drafts, 1)]


@given(room_logs())
@settings(max_examples=60)
def test_any_recorded_line_renders_in_every_format(events: list[Event]) -> None:
    meta = room_meta(MEETING, "plenary")
    for fmt in exports.FORMATS:
        body = exports.render(fmt, events, meta)
        assert isinstance(body, bytes)
        if fmt == "json":
            json.loads(body)
    logs = {"plenary": events}
    for fmt in exports.MEETING_FORMATS:
        exports.render_meeting(fmt, meeting_logs(MEETING, logs), meeting_meta(MEETING))
    facts = facts_from_logs(MEETING, logs)
    for name, formats in REPORTS.items():
        for fmt in formats:
            render_report(name, fmt, facts)
    index = SearchIndex(MEETING.id)
    index.add("plenary", events)
    words = next((e.data.get("text") for e in events if e.type == "line"), "") or "x"
    json.dumps(index.search(Query(words=str(words)[:20])), ensure_ascii=False).encode()
