"""Caption stations: captioning software that sends text over HTTP (Zoom's and YouTube's caption
formats), as a projection of the room's log, and the text rules of those formats. No I/O.

A station is one caption URL (one captioner credential) in one format. What it sent is in the
record and nowhere else, so that every server process decides the same about the next POST:

- each recorded event of a POST carries the station as ``by``; the last one carries the POST's
  own number and a digest of its text (``post``), so that a retry is told from new text that
  reuses a number, whichever process the retry reaches;
- text after the last line end of a POST is recorded at once as a ``line.partial`` event: the
  station's open line, which viewers see being typed and which the station's next POST, a pause
  or the room's closing ends as one ``line``.

The rules that decide what a POST records are in server/domain/caption_rules.py.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message

from server.domain.errors import Invalid
from server.domain.events import JSON
from server.domain.text import REMOVED, SPACES, clean_text, real_text
from server.limits import CAPTION_SEQS_REMEMBERED

SOURCES = ("zoom", "youtube")

_REMOVED = re.compile(f"[{REMOVED}]")
_SPACES = re.compile(f"[{SPACES}]+")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# A cue's time as YouTube documents it (YYYY-MM-DDTHH:MM:SS.mmm, UTC; its page writes the seconds
# after a dot, and some senders do too) and as senders write it: with Z or an offset, with more
# or fewer fractional digits. What follows on the line is the optional region and cue.
_CUE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})[:.](\d{2})(?:[.,](\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})?(?:\s.*)?$"
)
# Character sets a sender may declare that are Python's own transformations rather than
# encodings of text: decoding with them would read backslashes in the text as escapes.
_NOT_CHARSETS = frozenset({"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"})

YOUTUBE_FORMAT = (
    "a YouTube-format caption body is one or more cues, each a line with the time in UTC "
    "(YYYY-MM-DDTHH:MM:SS.mmm, e.g. 2024-02-24T09:00:01.000, optionally followed by a space and "
    "region:reg1#cue1) and then the caption's text, with <br> for a line break"
)


# -- what a station sent ---------------------------------------------------------------------------
def station_id(source: str, credential_id: str) -> str:
    """The station's name in the record (the ``by`` of its events): stable for a caption URL and
    format, and not the credential's id, which viewers need not see."""
    digest = hashlib.sha256(f"{source}:{credential_id}".encode()).hexdigest()
    return "s" + digest[:11]


def text_digest(source: str, text: str) -> str:
    """What a POST said, in 16 hex digits: a retry says the same."""
    return hashlib.sha256(f"{source}\0{text}".encode()).hexdigest()[:16]


def decode(body: bytes, content_type: str | None) -> str:
    """A POST's body as text: in the charset its Content-Type declares (UTF-8 if none), without
    a leading byte-order mark, line ends (CRLF, CR) as LF."""
    charset = "utf-8"
    if content_type:
        message = Message()
        message["content-type"] = content_type
        charset = message.get_content_charset() or "utf-8"
    try:
        info = codecs.lookup(charset)
    except LookupError:
        raise Invalid(
            "bad_charset", f"unknown charset {charset[:40]!r}: send UTF-8 (or name the charset)"
        ) from None
    if info.name.replace("-", "_") in _NOT_CHARSETS:
        raise Invalid(
            "bad_charset", f"{charset[:40]!r} is not a charset of text: send UTF-8"
        ) from None
    try:
        text = body.decode(info.name)
    except UnicodeError:  # UnicodeDecodeError, and what some codecs raise instead
        raise Invalid(
            "bad_encoding",
            f"the body is not valid {charset[:40]} text (send UTF-8, or declare the charset: "
            "Content-Type: text/plain; charset=…)",
        ) from None
    except LookupError:  # a codec that does not decode bytes to text (base64, rot13 …)
        raise Invalid(
            "bad_charset", f"{charset[:40]!r} is not a charset of text: send UTF-8"
        ) from None
    text = real_text(text).removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def fold(text: str) -> str:
    """Text as it joins an open line: control characters removed, every run of spaces one space,
    but not trimmed, since a space at either end says whether the next part continues a word."""
    return _SPACES.sub(" ", _REMOVED.sub("", real_text(text)))


def split_long(line: str, limit: int) -> list[str]:
    """A line longer than ``limit`` characters as several, broken at spaces; a word longer than
    the limit on its own is cut. Clients retry a refused POST forever, so a long line is kept,
    not refused."""
    out: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit + 1)
        if cut <= 0:
            out.append(line[:limit])
            line = line[limit:].lstrip(" ")
        else:
            out.append(line[:cut].rstrip(" "))
            line = line[cut + 1 :].lstrip(" ")
    if line:
        out.append(line)
    return [part for part in out if part]


@dataclass(frozen=True, slots=True)
class Cue:
    at: str  # its time, UTC, YYYY-MM-DDTHH:MM:SS.mmm
    lines: tuple[str, ...]


def cue_time(line: str) -> str | None:
    """The time of a YouTube-format timestamp line, as UTC ``YYYY-MM-DDTHH:MM:SS.mmm``; None if
    the line is not one."""
    match = _CUE_TIME.match(line.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    tz: timezone = UTC
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if delta >= timedelta(hours=24):
            return None
        tz = timezone(sign * delta)
    try:
        when = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            int((fraction or "0")[:6].ljust(6, "0")), tz,
        )  # fmt: skip
        when = when.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return iso_ms(when)


def iso_ms(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def iso_of_ms(ms: int) -> str:
    """A server time (ms since the epoch) in the form of a cue time."""
    return iso_ms(datetime.fromtimestamp(ms / 1000, UTC))


def ms_of_iso(at: str) -> int | None:
    """A cue time back in ms since the epoch; None if it is not one (an older or odd record)."""
    try:
        when = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return round(when.timestamp() * 1000)


def youtube_cues(text: str) -> list[Cue]:
    """The cues of a YouTube-format body: each a timestamp line, then its text (``<br>`` a line
    break). A body whose text does not follow a timestamp line is refused with the format."""
    cues: list[tuple[str, list[str]]] = []
    for raw in text.split("\n"):
        at = cue_time(raw)
        if at is not None:
            cues.append((at, []))
            continue
        if not clean_text(raw):
            continue
        if not cues:
            raise Invalid("no_timestamp", f"text before any timestamp line: {YOUTUBE_FORMAT}")
        cues[-1][1].extend(line for line in map(clean_text, _BR.split(raw)) if line)
    if not cues:
        raise Invalid("no_timestamp", f"no timestamp line: {YOUTUBE_FORMAT}")
    return [Cue(at, tuple(lines)) for at, lines in cues]


def youtube_text(cues: tuple[Cue, ...]) -> str:
    """What the cues say, without their times (which a sender may write anew on a retry)."""
    return "\n\n".join("\n".join(cue.lines) for cue in cues)


# -- the projection --------------------------------------------------------------------------------
@dataclass(slots=True)
class OpenLine:
    """Text a station sent after its last line end: the line it is still sending."""

    text: str  # folded (server.domain.captions.fold), not trimmed
    first_seq: int  # the record's seq of its first part
    first_ts: int
    last_ts: int  # when its latest part was recorded
    captioner: str
    lang: str
    speaker: str
    source: str


@dataclass(slots=True)
class Station:
    top: int = -1  # the highest POST number accepted; -1 before the first
    # (number, digest) of the latest POSTs recorded: a retry is one of these.
    recent: deque[tuple[int, str]] = field(
        default_factory=lambda: deque(maxlen=CAPTION_SEQS_REMEMBERED)
    )
    open: OpenLine | None = None

    def remembers(self, number: int, digest: str) -> bool:
        return (number, digest) in self.recent


Stations = dict[str, Station]


def _remember(stations: Stations, by: str, d: JSON) -> Station:
    station = stations.get(by)
    if station is None:
        station = stations[by] = Station()
    post = d.get("post")
    if isinstance(post, dict):
        number, digest = post.get("seq"), post.get("digest")
        if isinstance(number, int) and not isinstance(number, bool) and isinstance(digest, str):
            station.recent.append((number, digest))
            station.top = max(station.top, number)
    return station


def on_line(stations: Stations, seq: int, ts: int, d: JSON) -> None:
    """A recorded line ends its station's open line (the ``by`` of a websocket captioner's line is
    its connection, which never has one)."""
    by = d.get("by")
    if not isinstance(by, str):
        return
    station = stations.get(by)
    if station is not None:
        station.open = None
    if "post" in d:
        _remember(stations, by, d)


def on_partial(stations: Stations, seq: int, ts: int, d: JSON) -> None:
    by = d.get("by")
    text = d.get("text")
    if not isinstance(by, str) or not isinstance(text, str):
        return
    station = _remember(stations, by, d)
    line = station.open
    if line is None:
        station.open = OpenLine(
            text,
            seq,
            ts,
            ts,
            str(d.get("captioner", "")),
            str(d.get("lang", "")),
            str(d.get("speaker", "")),
            str(d.get("source", "")),
        )
    else:
        line.text += text
        line.last_ts = ts


HANDLERS = {"line.partial": on_partial}
