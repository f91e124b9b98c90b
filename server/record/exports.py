"""Transcript exports from room logs: plain text, Markdown, HTML, WebVTT, SRT, JSON and .docx.

Exports are pure functions of the log, so the same log gives byte-identical exports on either
backend (the .docx is written with fixed zip dates for the same reason). Corrections and
re-attributions are applied; JSON keeps each line's history of both (``history``: its texts;
``attributions``: what it was attributed to before, who changed it and when). Times are in the
meeting's time zone. A whole meeting exports as one document with a section per room (WebVTT and
SRT are timed media files: one room each).

WebVTT and SRT cues play in the record's order: each starts when its line began (a YouTube
sender's cue time, the first part of a line sent in parts, else when it was recorded), never
before the line recorded ahead of it, and ends no later than the next begins. static/transcript.js
makes the same files in the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from server.domain import captions
from server.domain.events import Event
from server.domain.meetings import time_zone as zone
from server.domain.text import clean_text
from server.record import word
from server.record.markup import esc, html_page, md_escape

FORMATS = {
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "json": "application/json",
    "docx": word.MEDIA_TYPE,
}
# A timed-text file follows one room's clock; rooms run in parallel, so these are per room.
MEETING_FORMATS = ("txt", "md", "html", "json", "docx")

# A cue lasts until the next line starts, but never longer than this (a pause in the meeting).
MAX_CUE_MS = 8000
# Lines that began at one moment (the lines of one caption POST, a cue with <br>) follow each
# other this far apart, or closer when the next line begins sooner, so that each is shown.
SPREAD_MS = 2000


@dataclass(slots=True)
class ExportLine:
    seq: int
    ts: int
    text: str
    speaker: str
    captioner: str
    lang: str
    history: list[dict[str, Any]] = field(default_factory=list)
    # Each re-attribution of the line: when, by whom, what it was and what it became.
    attributions: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    heading: str = ""  # the agenda item the room was on, as "number. title"
    begins: int = 0  # when the line began (ms): its ``at`` if it has one, else ``ts``


@dataclass(frozen=True, slots=True)
class Section:
    """One room's part of an export."""

    room: str
    name: str
    lines: list[ExportLine]


def transcript(events: Iterable[Event]) -> list[ExportLine]:
    """The committed lines of a log, in order, with corrections applied. A caption station's
    open line that nothing ended (every process stopped before its pause) is a line too."""
    lines: dict[int, ExportLine] = {}
    stations: captions.Stations = {}
    heading = ""
    headings: dict[int, str] = {}  # item id -> heading, for a line re-attributed to an item
    for ev in events:
        if ev.type == "line":
            d = ev.data
            extra = {
                k: v
                for k, v in d.items()
                if k not in ("text", "speaker", "captioner", "lang", "by", "post")
            }
            at = d.get("at")
            began = captions.ms_of_iso(at) if isinstance(at, str) else None
            lines[ev.seq] = ExportLine(
                ev.seq,
                ev.ts,
                d["text"],
                d.get("speaker", ""),
                d.get("captioner", ""),
                d.get("lang", ""),
                extra=extra,
                heading=heading,
                begins=ev.ts if began is None else began,
            )
            captions.on_line(stations, ev.seq, ev.ts, d)
        elif ev.type == "line.partial":
            captions.on_partial(stations, ev.seq, ev.ts, ev.data)
        elif ev.type == "correction":
            line = lines.get(ev.data["line"])
            if line is not None:
                line.history.append(
                    {
                        "seq": ev.seq,
                        "ts": ev.ts,
                        "was": line.text,
                        "text": ev.data["text"],
                        "captioner": ev.data.get("captioner", ""),
                    }
                )
                line.text = ev.data["text"]
        elif ev.type == "line.reattributed":
            _reattribute(lines, ev, headings)
        elif ev.type == "agenda.current":
            number, title = ev.data.get("number") or "", ev.data.get("title") or ""
            heading = f"{number}. {title}" if number and title else title or number
            if isinstance(ev.data.get("item"), int):
                headings[ev.data["item"]] = heading
    for station in stations.values():
        left = station.open
        if left is not None and clean_text(left.text):
            extra = {"source": left.source, "at": captions.iso_of_ms(left.first_ts), "open": True}
            lines[left.first_seq] = ExportLine(
                left.first_seq,
                left.first_ts,
                clean_text(left.text),
                left.speaker,
                left.captioner,
                left.lang,
                extra=extra,
                heading=heading,
                begins=left.first_ts,
            )
    return sorted(lines.values(), key=lambda line: line.seq)


def _reattribute(lines: dict[int, ExportLine], ev: Event, headings: dict[int, str]) -> None:
    """Apply a ``line.reattributed``: the lines' current attribution, and its history."""
    changes: dict[str, Any] = ev.data["set"] if isinstance(ev.data.get("set"), dict) else {}
    was = {w.get("line"): w for w in ev.data.get("was") or () if isinstance(w, dict)}
    for ref in ev.data.get("lines") or ():
        line = lines.get(ref)
        if line is None:
            continue
        before = {k: v for k, v in was.get(ref, {}).items() if k != "line"}
        line.attributions.append(
            {
                "seq": ev.seq,
                "ts": ev.ts,
                "was": before,
                "set": {k: changes[k] for k in before if k in changes},
                "by": ev.data.get("by", ""),
                "role": ev.data.get("role", ""),
            }
        )
        for name, value in changes.items():
            if name == "speaker":
                line.speaker = str(value or "")
            elif value is None:
                line.extra.pop(name, None)
            else:
                line.extra[name] = value
            if name == "item":
                line.heading = headings.get(value, line.heading) if value is not None else ""


def _clock(ms: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d %H:%M:%S")


def _iso(ms: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="milliseconds")


def _day(ms: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ms / 1000, tz).strftime("%A %d %B %Y")


def _time(ms: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ms / 1000, tz).strftime("%H:%M:%S")


# -- plain text ------------------------------------------------------------------------------------
def _text_lines(lines: list[ExportLine], tz: tzinfo) -> list[str]:
    out = []
    for line in lines:
        who = f"{line.speaker}: " if line.speaker else ""
        out.append(f"[{_clock(line.ts, tz)}] {who}{line.text}")
    return out


def to_text(lines: list[ExportLine], title: str, timezone: str = "UTC") -> str:
    out = [title, "=" * len(title), ""] if title else []
    out += _text_lines(lines, zone(timezone))
    return "\n".join(out) + "\n"


def meeting_text(sections: Sequence[Section], title: str, timezone: str) -> str:
    tz = zone(timezone)
    out = [title, "=" * len(title)] if title else []
    for section in sections:
        out += ["", section.name, "-" * len(section.name), *_text_lines(section.lines, tz)]
    return "\n".join(out) + "\n"


# -- the structure shared by Markdown, HTML and .docx ---------------------------------------------
@dataclass(frozen=True, slots=True)
class Block:
    """A heading (``level`` 2 to 4) or a speaker's run of consecutive lines (``level`` 0)."""

    level: int
    text: str = ""
    speaker: str = ""
    ts: int = 0
    lines: tuple[ExportLine, ...] = ()


def _run(lines: list[ExportLine]) -> Block:
    return Block(0, speaker=lines[0].speaker, ts=lines[0].ts, lines=tuple(lines))


def blocks(sections: Sequence[Section], tz: tzinfo, with_rooms: bool) -> list[Block]:
    """Room, day and agenda-item headings, then runs of lines by the same speaker."""
    out: list[Block] = []
    for section in sections:
        if with_rooms:
            out.append(Block(2, section.name))
        day = heading = None
        run: list[ExportLine] = []
        for line in section.lines:
            new_day = _day(line.ts, tz) != day
            new_item = new_day or line.heading != heading
            if run and (new_item or run[-1].speaker != line.speaker):
                out.append(_run(run))
                run = []
            if new_day:
                day = _day(line.ts, tz)
                out.append(Block(3, day))
            if new_item:
                heading = line.heading
                if heading:
                    out.append(Block(4, heading))
            run.append(line)
        if run:
            out.append(_run(run))
    return out


# -- Markdown --------------------------------------------------------------------------------------
def to_markdown(sections: Sequence[Section], title: str, timezone: str, rooms: bool) -> str:
    tz = zone(timezone)
    out = [f"# {md_escape(title)}", "", f"Times are in {md_escape(timezone)}.", ""]
    for block in blocks(sections, tz, rooms):
        if block.level:
            # Room sections are level 2 in a meeting export; days and items follow one level down.
            level = block.level if rooms else block.level - 1
            out += [f"{'#' * level} {md_escape(block.text)}", ""]
            continue
        who = f"**{md_escape(block.speaker)}** " if block.speaker else ""
        text = " ".join(md_escape(line.text) for line in block.lines)
        out += [f"{who}({_time(block.ts, tz)}): {text}", ""]
    return "\n".join(out)


# -- HTML ------------------------------------------------------------------------------------------
# The file is meant to be saved and opened or printed, so its style travels inside it.
HTML_STYLE = """
body { font: 11pt/1.5 Georgia, "Times New Roman", serif; max-width: 46em; margin: 2em auto;
  padding: 0 1em; color: #111; background: #fff; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; border-bottom: 1px solid #888; }
h3 { font-size: 1.1em; } h4 { font-size: 1em; font-style: italic; }
p.turn { margin: 0 0 .6em; } .speaker { font-weight: bold; }
time { color: #444; font-size: .85em; font-family: Helvetica, Arial, sans-serif; }
.meta { color: #444; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-before: page; } section:first-of-type h2 { break-before: auto; }
  h2, h3, h4 { break-after: avoid; } p.turn { orphans: 3; widows: 3; }
  a { color: inherit; text-decoration: none; }
}
""".strip()


def to_html(sections: Sequence[Section], title: str, timezone: str, rooms: bool) -> str:
    tz = zone(timezone)
    body = [f"<h1>{esc(title)}</h1>", f'<p class="meta">Times are in {esc(timezone)}.</p>']
    open_section = False
    for block in blocks(sections, tz, rooms):
        if block.level == 2:
            if open_section:
                body.append("</section>")
            body.append(f"<section>\n<h2>{esc(block.text)}</h2>")
            open_section = True
        elif block.level:
            level = block.level if rooms else block.level - 1
            body.append(f"<h{level}>{esc(block.text)}</h{level}>")
        else:
            stamp = f'<time datetime="{_iso(block.ts, tz)}">{_time(block.ts, tz)}</time>'
            who = f' <span class="speaker">{esc(block.speaker)}</span>' if block.speaker else ""
            text = " ".join(esc(line.text) for line in block.lines)
            body.append(f'<p class="turn">{stamp}{who} {text}</p>')
    if open_section:
        body.append("</section>")
    return html_page(title, body, HTML_STYLE)


# -- .docx -----------------------------------------------------------------------------------------
def to_docx(sections: Sequence[Section], title: str, timezone: str, rooms: bool) -> bytes:
    tz = zone(timezone)
    language = word.language_of(line.lang for section in sections for line in section.lines)
    doc = word.document(title, language)
    doc.add_heading(title, level=0)
    doc.add_paragraph(f"Times are in {timezone}.")
    for block in blocks(sections, tz, rooms):
        if block.level:
            doc.add_heading(block.text, level=block.level - 1 if rooms else block.level - 2)
            continue
        para = doc.add_paragraph()
        para.add_run(_time(block.ts, tz) + "  ")
        if block.speaker:
            para.add_run(block.speaker + ": ").bold = True
        for i, line in enumerate(block.lines):
            run = para.add_run((" " if i else "") + line.text)
            if line.lang and line.lang != language:
                word.set_language(run, line.lang)
    last = max((line.ts for s in sections for line in s.lines), default=0)
    return word.save(doc, last)


# -- timed text ------------------------------------------------------------------------------------
def cue_times(lines: Sequence[ExportLine]) -> list[tuple[int, int]]:
    """(start, end) of each line's cue in ms from the first: in the record's order, strictly
    increasing, each ending no later than the next begins."""
    if not lines:
        return []
    began = [line.begins for line in lines]
    for i in range(1, len(began)):  # the record's order is the order of play
        began[i] = max(began[i], began[i - 1])
    starts: list[int] = []
    i = 0
    while i < len(began):
        j = i
        while j < len(began) and began[j] == began[i]:
            j += 1
        # Lines i..j-1 began together: spread them until the next line begins.
        room = began[j] - began[i] if j < len(began) else (j - i) * SPREAD_MS
        slot = min(SPREAD_MS, room // (j - i))
        starts += [began[i] + k * slot for k in range(j - i)]
        i = j
    for i in range(1, len(starts)):
        starts[i] = max(starts[i], starts[i - 1] + 1)
    origin = starts[0]
    times = []
    for i, start in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else start + MAX_CUE_MS
        # Until the next line starts, but not across a long pause.
        times.append((start - origin, min(nxt, start + MAX_CUE_MS) - origin))
    return times


def _stamp(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(lines: list[ExportLine]) -> str:
    out = ["WEBVTT", ""]
    for line, (start, end) in zip(lines, cue_times(lines), strict=True):
        out.append(str(line.seq))
        out.append(f"{_stamp(start, '.')} --> {_stamp(end, '.')}")
        text = _vtt_escape(line.text)
        if line.speaker:
            # A voice tag names the speaker, as players and screen readers expect.
            speaker = _vtt_escape(line.speaker).replace(">", "")
            text = f"<v {speaker}>{text}</v>"
        out.append(text)
        out.append("")
    return "\n".join(out)


def to_srt(lines: list[ExportLine]) -> str:
    out = []
    for i, (line, (start, end)) in enumerate(zip(lines, cue_times(lines), strict=True), 1):
        who = f"{line.speaker}: " if line.speaker else ""
        out += [str(i), f"{_stamp(start, ',')} --> {_stamp(end, ',')}", who + line.text, ""]
    return "\n".join(out)


# -- JSON ------------------------------------------------------------------------------------------
def _json_lines(lines: list[ExportLine], tz: tzinfo) -> list[dict[str, Any]]:
    return [
        {
            "seq": line.seq,
            "ts": line.ts,
            "time": _iso(line.ts, tz),
            "text": line.text,
            "speaker": line.speaker,
            "captioner": line.captioner,
            "lang": line.lang,
            "history": line.history,
            "attributions": [{**a, "time": _iso(a["ts"], tz)} for a in line.attributions],
            **line.extra,
        }
        for line in lines
    ]


def to_json(lines: list[ExportLine], meta: dict[str, Any]) -> str:
    tz = zone(meta.get("timezone", "UTC"))
    return json.dumps({**meta, "lines": _json_lines(lines, tz)}, ensure_ascii=False, indent=1)


def meeting_json(sections: Sequence[Section], meta: dict[str, Any]) -> str:
    tz = zone(meta.get("timezone", "UTC"))
    rooms = [{"room": s.room, "name": s.name, "lines": _json_lines(s.lines, tz)} for s in sections]
    return json.dumps({**meta, "sections": rooms}, ensure_ascii=False, indent=1)


# -- entry points ----------------------------------------------------------------------------------
def render(fmt: str, events: Iterable[Event], meta: dict[str, Any]) -> bytes:
    """One room's transcript in a format of ``FORMATS``."""
    lines = transcript(events)
    title, timezone = meta.get("title", ""), meta.get("timezone", "UTC")
    section = [Section(meta.get("room", ""), title, lines)]
    if fmt == "txt":
        return to_text(lines, title, timezone).encode()
    if fmt == "md":
        return to_markdown(section, title, timezone, rooms=False).encode()
    if fmt == "html":
        return to_html(section, title, timezone, rooms=False).encode()
    if fmt == "vtt":
        return to_webvtt(lines).encode()
    if fmt == "srt":
        return to_srt(lines).encode()
    if fmt == "json":
        return to_json(lines, meta).encode()
    if fmt == "docx":
        return to_docx(section, title, timezone, rooms=False)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def render_meeting(
    fmt: str, logs: Sequence[tuple[str, str, Iterable[Event]]], meta: dict[str, Any]
) -> bytes:
    """Every room's transcript in one document: ``logs`` is (room id, room name, events)."""
    sections = [Section(room, name, transcript(events)) for room, name, events in logs]
    title, timezone = meta.get("title", ""), meta.get("timezone", "UTC")
    if fmt == "txt":
        return meeting_text(sections, title, timezone).encode()
    if fmt == "md":
        return to_markdown(sections, title, timezone, rooms=True).encode()
    if fmt == "html":
        return to_html(sections, title, timezone, rooms=True).encode()
    if fmt == "json":
        return meeting_json(sections, meta).encode()
    if fmt == "docx":
        return to_docx(sections, title, timezone, rooms=True)
    raise ValueError(
        f"format {fmt!r} is not available for a whole meeting: use one of "
        f"{', '.join(MEETING_FORMATS)} (WebVTT and SRT are exported per room)"
    )
