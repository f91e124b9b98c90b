"""Caption ingest over HTTP, in the formats captioning software already speaks.

Zoom's third-party closed-caption API: ``POST <url>&seq=N&lang=xx-XX`` with a UTF-8 text/plain
body; ``GET <path>/seq?<same query>`` answers the last accepted ``seq``. YouTube's HTTP caption
format: the same ``seq`` semantics, a body of cues, each a ``YYYY-MM-DDTHH:MM:SS.mmm`` line and the
caption text, ``<br>`` as a line break.

Each POST is committed as it arrives: its text, split at newlines (and ``<br>``), becomes one
recorded line per non-empty piece. A fragment without a final newline is a line too, so nothing
acknowledged ever sits only in memory. A ``seq`` at or below the last accepted one is acknowledged
and not recorded again: software that retries after a lost response loses and duplicates nothing.
Errors are plain text (server/web/problems.py), which caption software shows or logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from server.domain import auth
from server.domain.keys import room_key
from server.domain.text import clean_text
from server.limits import MAX_CAPTION_BODY_BYTES, MAX_LABEL_CHARS, MAX_LINE_CHARS
from server.web.access import plenary
from server.web.context import Plenary
from server.web.problems import Problem

_CUE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)(?:\s.*)?$")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


@dataclass(frozen=True, slots=True)
class CaptionAccess:
    px: Plenary
    grant: auth.Grant
    meeting_id: str
    room_id: str


async def _authorize(request: Request) -> CaptionAccess:
    px = plenary(request)
    meeting_id = request.path_params["meeting"]
    room_id = request.path_params["room"]
    meeting = await px.meeting(meeting_id)
    if meeting is None or meeting.room(room_id) is None:
        raise Problem(404, "no_such_room", "no such meeting or room: check the caption URL")
    grant = auth.authenticate(meeting, request.query_params.get("key") or "-")
    if grant is None or not grant.may_caption(room_id):
        raise Problem(
            403,
            "forbidden",
            "the key is missing, revoked or not a captioner key for this room: "
            "copy the caption URL again from the meeting's links",
        )
    return CaptionAccess(px, grant, meeting_id, room_id)


def _seq(request: Request) -> int:
    raw = request.query_params.get("seq")
    if raw is None:
        raise Problem(403, "bad_seq", "missing seq: append &seq=N (1, 2, 3 ...) to the caption URL")
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
        raise Problem(403, "bad_seq", "seq must be a positive integer")
    return int(raw)


async def _body_text(request: Request) -> str:
    too_big = Problem(
        413, "too_large", f"a caption POST may carry at most {MAX_CAPTION_BODY_BYTES} bytes"
    )
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_CAPTION_BODY_BYTES):
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CAPTION_BODY_BYTES:
            raise too_big
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "bad_encoding", "the body is not valid UTF-8 text") from None


def zoom_lines(text: str) -> list[str]:
    return [line for line in (clean_text(p) for p in text.split("\n")) if line]


def youtube_cues(text: str) -> list[tuple[str | None, str]]:
    """(cue time, line) pairs. Text before the first timestamp has no time."""
    cues: list[tuple[str | None, str]] = []
    at: str | None = None
    for raw in text.splitlines():
        match = _CUE_TIME.match(raw.strip())
        if match:
            at = match.group(1)
            continue
        for piece in _BR.split(raw):
            line = clean_text(piece)
            if line:
                cues.append((at, line))
    return cues


async def _commit(request: Request, source: str, lines: list[tuple[str | None, str]]) -> Response:
    a = await _authorize(request)
    seq = _seq(request)
    if any(len(line) > MAX_LINE_CHARS for _, line in lines):
        raise Problem(
            413, "too_long", f"a caption line may have at most {MAX_LINE_CHARS} characters"
        )
    lang = request.query_params.get("lang", "")[:35]
    runtime = await a.px.rooms.get(a.meeting_id, a.room_id)
    name = clean_text(request.query_params.get("name", ""))[:MAX_LABEL_CHARS] or a.grant.label
    if not runtime.state.open:
        raise Problem(400, "room_closed", "this room is closed: captions are no longer accepted")
    records = []
    for at, text in lines:
        record = {"text": text, "speaker": "", "lang": lang, "captioner": name, "source": source}
        if at is not None:
            record["at"] = at
        records.append(record)
    # An empty caption records nothing but still advances seq, as Zoom expects.
    await runtime.commit_lines(records, None, (f"{source}:{a.grant.credential_id}", seq))
    return PlainTextResponse(_timestamp())


async def zoom_post(request: Request) -> Response:
    text = await _body_text(request)
    return await _commit(request, "zoom", [(None, line) for line in zoom_lines(text)])


async def youtube_post(request: Request) -> Response:
    text = await _body_text(request)
    return await _commit(request, "youtube", youtube_cues(text))


async def last_seq(request: Request) -> Response:
    a = await _authorize(request)
    source = "youtube" if request.url.path.startswith("/api/youtube/") else "zoom"
    key = room_key(a.meeting_id, a.room_id)
    n = await a.px.backend.cursor(key, f"{source}:{a.grant.credential_id}")
    return PlainTextResponse(str(n))
