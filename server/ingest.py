"""Caption ingest over HTTP, in the formats captioning software already speaks.

Zoom's third-party closed-caption API: ``POST <url>&seq=N&lang=xx-XX`` with a UTF-8 text/plain
body; ``GET <path>/seq?<same query>`` answers the last accepted ``seq``. YouTube's HTTP caption
format: the same ``seq`` semantics, a body of cues, each a ``YYYY-MM-DDTHH:MM:SS.mmm`` line and the
caption text, ``<br>`` as a line break.

Each POST is committed as it arrives: its text, split at newlines (and ``<br>``), becomes one
recorded line per non-empty piece. A fragment without a final newline is a line too, so nothing
acknowledged ever sits only in memory. A ``seq`` at or below the last accepted one is acknowledged
and not recorded again: software that retries after a lost response loses and duplicates nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from server import auth
from server.backends.base import BackendUnavailable
from server.context import Plenary
from server.limits import MAX_CAPTION_BODY_BYTES, MAX_LABEL_CHARS, MAX_LINE_CHARS
from server.protocol import clean_text
from server.state import CommandRejected

_CUE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)(?:\s.*)?$")
RETRY = {"Retry-After": "1"}
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _error(status: int, message: str, **headers: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


async def _authorize(request: Request) -> tuple[Plenary, auth.Grant, str, str] | Response:
    px: Plenary = request.app.state.plenary
    meeting_id = request.path_params["meeting"]
    room_id = request.path_params["room"]
    meeting = await px.meeting(meeting_id)
    if meeting is None or meeting.room(room_id) is None:
        return _error(404, "no such meeting or room: check the caption URL")
    grant = auth.authenticate(meeting, request.query_params.get("key") or "-")
    if grant is None or not grant.may_caption(room_id):
        return _error(
            403,
            "the key is missing, revoked or not a captioner key for this room: "
            "copy the caption URL again from the meeting's links",
        )
    return px, grant, meeting_id, room_id


def _seq(request: Request) -> int | Response:
    raw = request.query_params.get("seq")
    if raw is None:
        return _error(403, "missing seq: append &seq=N (1, 2, 3 ...) to the caption URL")
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
        return _error(403, "seq must be a positive integer")
    return int(raw)


async def _body_text(request: Request) -> str | Response:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_CAPTION_BODY_BYTES):
        return _error(413, f"a caption POST may carry at most {MAX_CAPTION_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CAPTION_BODY_BYTES:
            return _error(413, f"a caption POST may carry at most {MAX_CAPTION_BODY_BYTES} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, "the body is not valid UTF-8 text")


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
    authorized = await _authorize(request)
    if isinstance(authorized, Response):
        return authorized
    px, grant, meeting_id, room_id = authorized
    seq = _seq(request)
    if isinstance(seq, Response):
        return seq
    if any(len(line) > MAX_LINE_CHARS for _, line in lines):
        return _error(413, f"a caption line may have at most {MAX_LINE_CHARS} characters")
    lang = request.query_params.get("lang", "")[:35]
    runtime = await px.rooms.get(meeting_id, room_id)
    name = clean_text(request.query_params.get("name", ""))[:MAX_LABEL_CHARS] or grant.label
    try:
        if not runtime.state.open:
            return _error(400, "this room is closed: captions are no longer accepted")
        records = []
        for at, text in lines:
            record = {
                "text": text,
                "speaker": "",
                "lang": lang,
                "captioner": name,
                "source": source,
            }
            if at is not None:
                record["at"] = at
            records.append(record)
        # An empty caption records nothing but still advances seq, as Zoom expects.
        await runtime.commit_lines(records, None, (f"{source}:{grant.credential_id}", seq))
    except CommandRejected as exc:
        return _error(400, exc.message)
    except BackendUnavailable:
        return _error(
            503, "the record is unavailable: retry with the same seq", **{"Retry-After": "1"}
        )
    return PlainTextResponse(_timestamp())


async def zoom_post(request: Request) -> Response:
    text = await _body_text(request)
    if isinstance(text, Response):
        return text
    return await _commit(request, "zoom", [(None, line) for line in zoom_lines(text)])


async def youtube_post(request: Request) -> Response:
    text = await _body_text(request)
    if isinstance(text, Response):
        return text
    return await _commit(request, "youtube", youtube_cues(text))


async def last_seq(request: Request) -> Response:
    authorized = await _authorize(request)
    if isinstance(authorized, Response):
        return authorized
    px, grant, meeting_id, room_id = authorized
    source = "youtube" if request.url.path.startswith("/api/youtube/") else "zoom"
    runtime = await px.rooms.get(meeting_id, room_id)
    try:
        n = await px.backend.cursor(runtime.key, f"{source}:{grant.credential_id}")
    except BackendUnavailable:
        return _error(503, "the record is unavailable: retry", **RETRY)
    return PlainTextResponse(str(n))
