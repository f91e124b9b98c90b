"""Transcript exports from a room's events: plain text, WebVTT, SRT and JSON.

Exports are pure functions of the log, so the same log gives byte-identical exports on either
backend. Corrections are applied; JSON keeps each line's history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from server.events import Event

FORMATS = {
    "txt": "text/plain; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "json": "application/json",
}

# A cue lasts until the next line starts, but never longer than this (a pause in the meeting).
MAX_CUE_MS = 8000
MIN_CUE_MS = 1000


@dataclass(slots=True)
class ExportLine:
    seq: int
    ts: int
    text: str
    speaker: str
    captioner: str
    lang: str
    history: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def transcript(events: Iterable[Event]) -> list[ExportLine]:
    """The committed lines of a log, in order, with corrections applied."""
    lines: dict[int, ExportLine] = {}
    for ev in events:
        if ev.type == "line":
            d = ev.data
            extra = {
                k: v
                for k, v in d.items()
                if k not in ("text", "speaker", "captioner", "lang", "by")
            }
            lines[ev.seq] = ExportLine(
                ev.seq,
                ev.ts,
                d["text"],
                d.get("speaker", ""),
                d.get("captioner", ""),
                d.get("lang", ""),
                extra=extra,
            )
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
    return sorted(lines.values(), key=lambda line: line.seq)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return UTC


def _clock(ms: int, zone: tzinfo) -> str:
    return datetime.fromtimestamp(ms / 1000, zone).strftime("%Y-%m-%d %H:%M:%S")


def to_text(lines: list[ExportLine], title: str, timezone: str = "UTC") -> str:
    zone = _zone(timezone)
    out = [title, "=" * len(title), ""] if title else []
    for line in lines:
        who = f"{line.speaker}: " if line.speaker else ""
        out.append(f"[{_clock(line.ts, zone)}] {who}{line.text}")
    return "\n".join(out) + "\n"


def _cue_times(lines: list[ExportLine]) -> list[tuple[int, int]]:
    if not lines:
        return []
    origin = lines[0].ts
    times = []
    for i, line in enumerate(lines):
        start = line.ts - origin
        nxt = lines[i + 1].ts - origin if i + 1 < len(lines) else start + MAX_CUE_MS
        # Until the next line starts, but long enough to read and not across a long pause.
        end = start + min(MAX_CUE_MS, max(MIN_CUE_MS, nxt - start))
        times.append((start, end))
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
    for line, (start, end) in zip(lines, _cue_times(lines), strict=True):
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
    for i, (line, (start, end)) in enumerate(zip(lines, _cue_times(lines), strict=True), 1):
        who = f"{line.speaker}: " if line.speaker else ""
        out += [str(i), f"{_stamp(start, ',')} --> {_stamp(end, ',')}", who + line.text, ""]
    return "\n".join(out)


def to_json(lines: list[ExportLine], meta: dict[str, Any]) -> str:
    return json.dumps(
        {
            **meta,
            "lines": [
                {
                    "seq": line.seq,
                    "ts": line.ts,
                    "text": line.text,
                    "speaker": line.speaker,
                    "captioner": line.captioner,
                    "lang": line.lang,
                    "history": line.history,
                    **line.extra,
                }
                for line in lines
            ],
        },
        ensure_ascii=False,
        indent=1,
    )


def render(fmt: str, events: Iterable[Event], meta: dict[str, Any]) -> str:
    lines = transcript(events)
    if fmt == "txt":
        return to_text(lines, meta.get("title", ""), meta.get("timezone", "UTC"))
    if fmt == "vtt":
        return to_webvtt(lines)
    if fmt == "srt":
        return to_srt(lines)
    if fmt == "json":
        return to_json(lines, meta)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
