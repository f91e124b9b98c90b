"""Search across a meeting's transcript: words, speaker, delegation, agenda item, room and time.

The index is SQLite FTS5 in memory, built from the log and kept up to date incrementally: each
search first reads only the events recorded since the last one (per room), so a five-day record
is read once and every later query costs an index lookup. Corrections replace the line's text in
the index. The record stays the source of truth: an index can be dropped at any time and is
rebuilt from the log, on any server process.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.backends.base import Log
from server.domain.channels import FLOOR
from server.domain.events import JSON, Event
from server.domain.keys import room_key
from server.domain.meetings import Meeting
from server.limits import BACKLOG_PAGE, MAX_SEARCH_INDEXES, MAX_SEARCH_RESULTS
from server.record.folding import fold, fold_with_offsets

SCHEMA = """
CREATE TABLE lines (
    id INTEGER PRIMARY KEY,
    room TEXT NOT NULL,
    channel TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    item INTEGER,
    speaker TEXT NOT NULL,
    delegation TEXT NOT NULL,
    text TEXT NOT NULL,
    corrected INTEGER NOT NULL DEFAULT 0,
    intervention INTEGER,
    reattributed INTEGER NOT NULL DEFAULT 0,
    UNIQUE (room, channel, seq)
);
CREATE INDEX lines_ts ON lines (ts);
CREATE INDEX lines_item ON lines (item, ts);
CREATE VIRTUAL TABLE lines_fts USING fts5(
    folded, tokenize='unicode61 remove_diacritics 0'
);
"""
# The full-text index holds each line folded (server/record/folding.py), and queries are folded
# alike, so a search finds words whatever their case and accents, in every script; the hits are
# marked on the line as it was written.

# Marks around matched words in snippets: control characters never occur in recorded text
# (clean_text removes them), so they cannot be confused with what someone said.
HIT_START, HIT_END = "\x01", "\x02"
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


class SearchError(ValueError):
    """A query that cannot be run; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Query:
    words: str = ""
    speaker: str = ""
    delegation: str = ""
    item: int | None = None
    room: str = ""
    channel: str = ""  # "" for every channel, else "floor" or a tag
    since: int | None = None  # ms, inclusive
    until: int | None = None  # ms, exclusive
    limit: int = 100
    offset: int = 0


def match_expression(words: str) -> str:
    """An FTS5 query from what someone typed, folded: every word must occur (as a word prefix),
    "quoted phrases" as phrases. Everything is quoted, so FTS5 syntax never leaks through."""
    terms = []
    for phrase, word in _TOKEN.findall(fold(words)):
        text = (phrase or word).replace('"', " ").strip()
        if not text:
            continue
        quoted = '"' + text + '"'
        terms.append(quoted if phrase else quoted + "*")
    return " AND ".join(terms)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _segments(text: str, marked: str) -> list[JSON]:
    """A line as segments, its hits marked, for pages that must insert text, never markup.
    ``marked`` is the folded line with the index's marks: they are carried over to ``text``."""
    _, offsets = fold_with_offsets(text)
    bounds: list[int] = []  # where hits start and end in ``text``, alternately
    at = 0  # position in the folded line
    for n, part in enumerate(re.split(f"[{HIT_START}{HIT_END}]", marked)):
        at += len(part)
        if n % 2 == 0 and at < len(offsets):
            bounds.append(offsets[at])  # a hit starts at the character this folded one is from
        elif n % 2 == 1:
            # A hit ends before the next character that folds to something: marks that fold
            # to nothing (a tone mark after the letter it is on) are part of it.
            after = offsets[at] if at < len(offsets) else len(text)
            bounds.append(max(after, offsets[at - 1] + 1) if at > 0 else 0)
    out: list[JSON] = []
    last = 0
    for i in range(0, len(bounds) - 1, 2):
        start, end = bounds[i], bounds[i + 1]
        if start > last:
            out.append({"text": text[last:start], "hit": False})
        if end > start:
            out.append({"text": text[start:end], "hit": True})
        last = max(last, end)
    if last < len(text):
        out.append({"text": text[last:], "hit": False})
    return out


class SearchIndex:
    def __init__(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.upto: dict[str, int] = {}
        self.items: dict[int, str] = {}  # item id -> "number. title", from agenda.current
        self.lock = asyncio.Lock()

    # -- keeping up with the log -------------------------------------------------------------
    def add(self, room: str, events: Iterable[Event], channel: str = FLOOR) -> int:
        """Index a room's events (of one of its channels) that follow what is indexed already;
        returns lines added."""
        added = 0
        cur = self.db.cursor()
        log = _log_name(room, channel)
        for ev in events:
            if ev.seq <= self.upto.get(log, 0):
                continue
            self.upto[log] = ev.seq
            d = ev.data
            if ev.type == "line":
                item = d.get("item")
                ref = d.get("intervention")
                cur.execute(
                    "INSERT INTO lines (room, channel, seq, ts, item, speaker, delegation, text, "
                    "intervention) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        room,
                        channel,
                        ev.seq,
                        ev.ts,
                        item if isinstance(item, int) else None,
                        str(d.get("speaker") or ""),
                        str(d.get("delegation") or ""),
                        str(d.get("text") or ""),
                        ref if isinstance(ref, int) else None,
                    ),
                )
                cur.execute(
                    "INSERT INTO lines_fts (rowid, folded) VALUES (?, ?)",
                    (cur.lastrowid, fold(str(d.get("text") or ""))),
                )
                added += 1
            elif ev.type == "correction":
                row = cur.execute(
                    "SELECT id FROM lines WHERE room = ? AND channel = ? AND seq = ?",
                    (room, channel, d.get("line")),
                ).fetchone()
                if row is not None:
                    new = str(d.get("text") or "")
                    cur.execute("DELETE FROM lines_fts WHERE rowid = ?", row)
                    cur.execute(
                        "UPDATE lines SET text = ?, corrected = 1 WHERE id = ?", (new, row[0])
                    )
                    cur.execute(
                        "INSERT INTO lines_fts (rowid, folded) VALUES (?, ?)", (row[0], fold(new))
                    )
            elif ev.type == "line.reattributed":
                self._reattribute(cur, room, channel, d)
            elif ev.type == "agenda.current" and isinstance(d.get("item"), int):
                number, title = str(d.get("number") or ""), str(d.get("title") or "")
                self.items[d["item"]] = f"{number}. {title}" if number else title
        self.db.commit()
        return added

    @staticmethod
    def _reattribute(cur: sqlite3.Cursor, room: str, channel: str, d: JSON) -> None:
        """The new speaker, delegation, item and intervention of re-attributed lines."""
        changes: JSON = d["set"] if isinstance(d.get("set"), dict) else {}
        columns = [c for c in ("speaker", "delegation", "item", "intervention") if c in changes]
        values = [
            str(changes[c] or "") if c in ("speaker", "delegation") else changes[c] for c in columns
        ]
        sets = "".join(f"{c} = ?, " for c in columns)
        for seq in d.get("lines") or ():
            cur.execute(
                f"UPDATE lines SET {sets}reattributed = 1 "  # noqa: S608
                "WHERE room = ? AND channel = ? AND seq = ?",
                (*values, room, channel, seq),
            )

    def reset(self) -> None:
        self.db.executescript("DELETE FROM lines; DELETE FROM lines_fts;")
        self.upto.clear()
        self.items.clear()

    async def refresh(self, backend: Log, meeting: Meeting) -> None:
        """Read what every room recorded since the last refresh."""
        async with self.lock:
            logs = [(r.id, c) for r in meeting.rooms for c in (FLOOR, *r.channels)]
            lasts = {
                _log_name(r, c): await backend.last_seq(room_key(meeting.id, r, c)) for r, c in logs
            }
            if any(lasts[r] < n for r, n in self.upto.items() if r in lasts):
                self.reset()  # the record was replaced (restored from a backup): start again
            for room_id, channel in logs:
                log = _log_name(room_id, channel)
                if lasts[log] <= self.upto.get(log, 0):
                    continue
                key = room_key(meeting.id, room_id, channel)
                while True:
                    page = await backend.read(key, self.upto.get(log, 0), BACKLOG_PAGE)
                    self.add(room_id, page, channel)
                    if len(page) < BACKLOG_PAGE:
                        break

    # -- asking ------------------------------------------------------------------------------
    def search(self, q: Query) -> JSON:
        where: list[str] = []
        params: list[str | int] = []
        match = match_expression(q.words)
        if q.words.strip() and not match:
            raise SearchError("the search words hold nothing to look for")
        if q.speaker.strip():
            where.append("l.speaker LIKE ? ESCAPE '\\'")
            params.append(_like(q.speaker.strip()))
        if q.delegation.strip():
            where.append("l.delegation LIKE ? ESCAPE '\\'")
            params.append(_like(q.delegation.strip()))
        if q.item is not None:
            where.append("l.item = ?")
            params.append(q.item)
        if q.room:
            where.append("l.room = ?")
            params.append(q.room)
        if q.channel:
            where.append("l.channel = ?")
            params.append(q.channel)
        if q.since is not None:
            where.append("l.ts >= ?")
            params.append(q.since)
        if q.until is not None:
            where.append("l.ts < ?")
            params.append(q.until)
        if match:
            source = "lines_fts JOIN lines l ON l.id = lines_fts.rowid"
            where.insert(0, "lines_fts MATCH ?")
            params.insert(0, match)
            text = f"highlight(lines_fts, 0, '{HIT_START}', '{HIT_END}')"
        else:
            source, text = "lines l", "''"
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        try:
            total = self.db.execute(f"SELECT count(*) FROM {source}{clause}", params).fetchone()[0]  # noqa: S608
            rows = self.db.execute(
                "SELECT l.room, l.channel, l.seq, l.ts, l.item, l.speaker, l.delegation, "  # noqa: S608
                f"l.text, {text}, l.corrected, l.intervention, l.reattributed "
                f"FROM {source}{clause} "
                "ORDER BY l.ts, l.id LIMIT ? OFFSET ?",
                [*params, min(q.limit, MAX_SEARCH_RESULTS), q.offset],
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchError(f"the search could not be run: {exc}") from exc
        return {"total": total, "hits": [self._hit(r) for r in rows]}

    def _hit(self, row: tuple[Any, ...]) -> JSON:
        room, channel, seq, ts, item, speaker, delegation, line, marked, corrected, ref, moved = row
        return {
            "room": room,
            "channel": channel,
            "seq": seq,
            "ts": ts,
            "item": item,
            "item_label": self.items.get(item, "") if item is not None else "",
            "speaker": speaker,
            "delegation": delegation,
            "text": line,
            "segments": _segments(line, marked) if marked else [{"text": line, "hit": False}],
            "corrected": bool(corrected),
            "intervention": ref,
            "reattributed": bool(moved),
        }

    def facets(self) -> JSON:
        """What the filters can be set to: speakers, delegations, items and rooms indexed."""

        def counted(column: str) -> list[JSON]:
            rows = self.db.execute(
                f"SELECT {column}, count(*) FROM lines WHERE {column} != '' "  # noqa: S608
                f"GROUP BY {column} ORDER BY {column}"
            ).fetchall()
            return [{"value": v, "lines": n} for v, n in rows]

        lines = self.db.execute("SELECT count(*), min(ts), max(ts) FROM lines").fetchone()
        return {
            "lines": lines[0],
            "from": lines[1],
            "to": lines[2],
            "speakers": counted("speaker"),
            "delegations": counted("delegation"),
            "items": [{"item": k, "label": v} for k, v in sorted(self.items.items())],
            "rooms": sorted({log.partition("~")[0] for log in self.upto}),
            "channels": sorted(
                {c for (c,) in self.db.execute("SELECT DISTINCT channel FROM lines")}
            ),
        }


def _log_name(room: str, channel: str) -> str:
    return room if channel == FLOOR else f"{room}~{channel}"


class Indexes:
    """The search indexes of the meetings searched lately, the least recently used dropped. One
    per server process (server/web/context.py): an index follows the record, which every process
    shares."""

    def __init__(self, limit: int = MAX_SEARCH_INDEXES) -> None:
        self.limit = limit
        self._indexes: OrderedDict[str, SearchIndex] = OrderedDict()

    async def get(self, backend: Log, meeting: Meeting) -> SearchIndex:
        name = meeting.id
        index = self._indexes.get(name)
        if index is None:
            index = SearchIndex(meeting.id)
            self._indexes[name] = index
            while len(self._indexes) > self.limit:
                # Not closed: a search may still be using it; it is freed when it is done.
                self._indexes.popitem(last=False)
        self._indexes.move_to_end(name)
        await index.refresh(backend, meeting)
        return index
