"""What a caption POST records, decided against the room's state (server/domain/captions.py).

The promise: a POST answered 2xx is in the record, exactly once, in order, or it was a retry of
one that is. The decisions below are made on the projection and appended with ``expect_seq``
(``RoomRuntime.execute``), so whichever server process a POST reaches, it is decided on exactly
the record every other process has, and two processes never both record one POST.

- **Retry or new.** A POST whose number and text a station sent among its latest
  ``CAPTION_SEQS_REMEMBERED`` POSTs is a retry: acknowledged, nothing recorded. Any other POST is
  recorded, also one whose number was used before or is below the highest (two senders on one
  URL, a sender that restarted its count, one that reuses the number after a failed POST):
  dropping it would be losing a caption answered as kept.
- **Line ends.** Each line end (LF, CRLF or CR) ends a line. Text after the last one is the open
  line, recorded at once (``line.partial``). The next POST continues it when a space stands
  between them (the end of the open text or the start of the new: ``I'M SENDING `` then
  ``SEVERAL CAPTIONS.``); without one, the open line is a line of its own (senders that post
  whole phrases with no line end). A pause of ``CAPTION_PAUSE_S`` or the room's closing ends it.
- **Long lines** are split at spaces into lines of at most ``MAX_LINE_CHARS``: never refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.captions import Cue, OpenLine, Station, fold, iso_of_ms, split_long
from server.domain.events import JSON, Draft
from server.domain.state import RoomState, attribute
from server.domain.text import clean_text
from server.limits import MAX_LINE_CHARS


@dataclass(frozen=True, slots=True)
class Post:
    """One caption POST, read and checked at the edge."""

    station: str  # captions.station_id
    source: str  # zoom or youtube
    number: int  # the sender's seq
    digest: str  # captions.text_digest of what it says
    captioner: str
    lang: str
    speaker: str
    ended: tuple[str, ...] = ()  # Zoom: the lines the body ends
    tail: str = ""  # Zoom: what follows its last line end
    cues: tuple[Cue, ...] = ()  # YouTube
    # The last number a version of plenary that kept no texts accepted from this URL, when the
    # record has nothing newer from it: a retry of that POST is recognised by its number alone.
    legacy_top: int | None = None


def is_retry(state: RoomState, post: Post) -> bool:
    station = state.stations.get(post.station)
    if station is not None and station.recent:
        return station.remembers(post.number, post.digest)
    return post.legacy_top is not None and post.number == post.legacy_top


def decide(state: RoomState, post: Post, now: int) -> list[Draft]:
    """The events a POST records; none for a retry or a POST with nothing to record."""
    if is_retry(state, post):
        return []
    state.require_open()
    station = state.stations.get(post.station) or Station()
    if post.source == "youtube":
        drafts = _cue_lines(state, post, now)
    else:
        drafts = _zoom(state, post, station.open, now)
    if drafts:
        last = drafts[-1]
        data: JSON = {**last.data, "post": {"seq": post.number, "digest": post.digest}}
        drafts[-1] = Draft(last.type, last.room, data, last.ts)
    return drafts


def close_paused(state: RoomState, now: int, pause_ms: int) -> list[Draft]:
    """Lines of the stations that have sent nothing for ``pause_ms``."""
    if not state.open:
        return []
    out: list[Draft] = []
    for by, station in sorted(state.stations.items()):
        if station.open is not None and now - station.open.last_ts >= pause_ms:
            out += _close(state, by, station.open, now)
    return out


def close_all(state: RoomState, now: int) -> list[Draft]:
    """Every open line, as lines: what the room's closing records first."""
    out: list[Draft] = []
    for by, station in sorted(state.stations.items()):
        if station.open is not None:
            out += _close(state, by, station.open, now)
    return out


def next_deadline(state: RoomState, pause_ms: int) -> int | None:
    """When the first open line is due to be closed for a pause (ms), or None."""
    due = [s.open.last_ts + pause_ms for s in state.stations.values() if s.open is not None]
    return min(due) if due and state.open else None


# -- the lines -------------------------------------------------------------------------------------
def _line(
    state: RoomState,
    post: Post | None,
    by: str,
    text: str,
    now: int,
    *,
    at: str | None = None,
    opened: OpenLine | None = None,
) -> Draft:
    # A line that ends an open line is named as its first part was.
    meta = opened if opened is not None else post
    assert meta is not None
    data: JSON = {
        "text": text,
        "speaker": meta.speaker,
        "lang": meta.lang,
        "captioner": meta.captioner,
        "source": meta.source,
        "by": by,
    }
    if at is not None:
        data["at"] = at
    return Draft("line", state.room, attribute(state, data), now)


def _lines(
    state: RoomState,
    post: Post | None,
    by: str,
    text: str,
    now: int,
    *,
    at: str | None = None,
    opened: OpenLine | None = None,
) -> list[Draft]:
    return [
        _line(state, post, by, part, now, at=at, opened=opened)
        for part in split_long(clean_text(text), MAX_LINE_CHARS)
    ]


def _close(state: RoomState, by: str, opened: OpenLine, now: int) -> list[Draft]:
    return _lines(state, None, by, opened.text, now, at=iso_of_ms(opened.first_ts), opened=opened)


def _partial(state: RoomState, post: Post, text: str, now: int) -> Draft:
    data: JSON = {
        "text": text,
        "speaker": post.speaker,
        "lang": post.lang,
        "captioner": post.captioner,
        "source": post.source,
        "by": post.station,
    }
    return Draft("line.partial", state.room, data, now)


def _cue_lines(state: RoomState, post: Post, now: int) -> list[Draft]:
    out: list[Draft] = []
    for cue in post.cues:
        for text in cue.lines:
            out += _lines(state, post, post.station, text, now, at=cue.at)
    return out


def _continues(open_text: str, first: str, ended: bool) -> bool:
    """Whether the first part of a POST continues the open line: a line end straight away ends
    it, and otherwise a space at the junction says the words go on."""
    if ended and first == "":
        return True
    return open_text.endswith(" ") or fold(first).startswith(" ")


def _zoom(state: RoomState, post: Post, opened: OpenLine | None, now: int) -> list[Draft]:
    by = post.station
    pieces = [*post.ended, post.tail]
    out: list[Draft] = []
    joined = ""  # the open line's text when the POST's first part continues it
    at: str | None = None
    if opened is not None:
        if _continues(opened.text, pieces[0], bool(post.ended)):
            joined, at = opened.text, iso_of_ms(opened.first_ts)
        else:
            out += _close(state, by, opened, now)
            opened = None
    for i, piece in enumerate(post.ended):
        head, line_at = (joined, at) if i == 0 else ("", None)
        first = opened if i == 0 else None
        out += _lines(state, post, by, head + fold(piece), now, at=line_at, opened=first)
    if post.ended:
        joined, opened = "", None
    tail = fold(post.tail)
    whole = joined + tail
    if not clean_text(whole):
        return out  # only spaces, and no open line they could be the junction of
    if len(clean_text(whole)) <= MAX_LINE_CHARS:
        out.append(_partial(state, post, tail, now))
        return out
    # The open line has grown past a line's length: its full lines are committed, the rest stays
    # open (it is recorded anew as the open line's text).
    parts = split_long(clean_text(whole), MAX_LINE_CHARS)
    out += [_line(state, post, by, p, now, at=at, opened=opened) for p in parts[:-1]]
    rest = parts[-1] + (" " if whole.endswith(" ") else "")
    out.append(_partial(state, post, rest, now))
    return out
