"""Caption ingest over HTTP, in the formats captioning software already speaks.

Zoom's third-party closed-caption API: ``POST <caption URL>&seq=N&lang=xx-XX`` with a text/plain
body; ``GET <path>/seq?<same query>`` answers the last accepted ``seq``. YouTube's HTTP caption
format: the same ``seq``, a body of cues (a timestamp line, then the text; ``<br>`` a line
break). Every caption URL is a caption station (server/domain/captions.py): a room has one per
captioner or CAT station, each with its own ``seq`` counter and name in the record.

This module reads and checks the request; what a POST records, and why it keeps every POST
answered 200 in the record exactly once and in order, is server/domain/caption_rules.py.
Errors are plain text (server/web/problems.py), which caption software shows or logs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from server.domain import auth, captions, channels
from server.domain.caption_rules import Post
from server.domain.errors import CommandRejected, Invalid
from server.domain.numbers import ascii_digits, is_whole, text_number
from server.domain.text import clean_text
from server.limits import MAX_CAPTION_BODY_BYTES, MAX_LABEL_CHARS
from server.services.room import RoomRuntime
from server.web.access import guarded, plenary
from server.web.context import Plenary
from server.web.problems import Problem

# Language tags are short (BCP 47 allows 35 characters in practice).
_MAX_LANG_CHARS = 35


def _server_time() -> str:
    """The answer to a POST, as Zoom and YouTube give it: the server's time in UTC, which
    senders use to correct their clocks."""
    return captions.iso_ms(datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class CaptionAccess:
    px: Plenary
    grant: auth.Grant
    meeting_id: str
    room_id: str
    source: str  # zoom or youtube
    channel: str  # the caption channel the POST lands in (server/domain/channels.py)

    @property
    def station(self) -> str:
        return captions.station_id(self.source, self.grant.credential_id or "")

    @property
    def legacy_cursor(self) -> str:
        # Where versions that kept no texts counted this URL's POSTs (server/backends cursors).
        return f"{self.source}:{self.grant.credential_id}"


async def _authorize(request: Request) -> CaptionAccess:
    px = plenary(request)
    meeting_id = request.path_params["meeting"]
    room_id = request.path_params["room"]
    meeting = await px.meeting(meeting_id)
    if meeting is None or meeting.room(room_id) is None:
        raise Problem(404, "no_such_room", "no such meeting or room: check the caption URL")
    grant = await guarded(request, meeting, request.query_params.get("key") or "-")
    if grant is not None and grant.role == "chair":
        # The chair's key opens everything; captioning software keeps its URL in settings files
        # and logs. The chair issues a caption station for it instead.
        raise Problem(
            403,
            "forbidden",
            "the chair's key is not a caption URL: issue a caption station for this room "
            "(chair console, or `plenary station add`) and give the software its URL",
        )
    if grant is None or grant.role != "captioner" or grant.room != room_id:
        raise Problem(
            403,
            "forbidden",
            "the key is missing, revoked or not a caption station of this room: "
            "copy the caption URL again from the meeting's links",
        )
    source = "youtube" if request.url.path.startswith("/api/youtube/") else "zoom"
    room = meeting.room(room_id)
    assert room is not None
    channel = _channel(request, grant, room.channels, meeting.language)
    return CaptionAccess(px, grant, meeting_id, room_id, source, channel)


def _channel(request: Request, grant: auth.Grant, interpreted: list[str], floor_lang: str) -> str:
    """The channel a POST lands in. A station of one channel writes in it (a ``lang`` of another
    language is refused; the floor's takes any language, as speakers use). A station of the
    whole room goes by ``lang``: an interpretation channel's language lands there, the meeting's
    language or none on the floor, and a room without interpretation takes any language."""
    lang = _field(request, "lang", _MAX_LANG_CHARS)
    bound = grant.channel
    if bound == channels.FLOOR or (bound is None and (not lang or not interpreted)):
        return channels.FLOOR
    if bound is not None:
        if lang and not channels.same_language(lang, bound):
            raise Problem(
                400,
                "no_such_channel",
                f"this caption URL is for the {bound} channel; lang={lang} is another language",
            )
        return bound
    found = channels.match(interpreted, lang)
    if found is not None:
        return found
    if floor_lang and channels.same_language(lang, floor_lang):
        return channels.FLOOR
    raise Problem(
        400,
        "no_such_channel",
        f"this room has no caption channel for lang={lang}; its channels are "
        + channels.named(interpreted, floor_lang),
    )


def _seq(request: Request) -> int:
    raw = request.query_params.get("seq")
    if raw is None:
        raise Problem(
            403, "bad_seq", "missing seq: append &seq=N to the caption URL, 1 more for each POST"
        )
    try:
        return text_number(raw, "seq")
    except Invalid as exc:
        raise Problem(403, "bad_seq", exc.message) from None


async def _body(request: Request) -> str:
    too_big = Problem(
        413, "too_large", f"a caption POST may carry at most {MAX_CAPTION_BODY_BYTES} bytes"
    )
    declared = request.headers.get("content-length")
    if declared is not None and not (
        ascii_digits(declared) and is_whole(int(declared), 0, MAX_CAPTION_BODY_BYTES)
    ):
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CAPTION_BODY_BYTES:
            raise too_big
    return captions.decode(bytes(body), request.headers.get("content-type"))


def _field(request: Request, name: str, limit: int) -> str:
    return clean_text(request.query_params.get(name, ""))[:limit]


async def _room(a: CaptionAccess) -> RoomRuntime:
    runtime = await a.px.rooms.get(a.meeting_id, a.room_id, a.channel)
    if not runtime.is_open:
        raise _closed()
    return runtime


def _closed() -> Problem:
    # Zoom answers 400 while its meeting has not started; senders retry, and log the message.
    return Problem(400, "room_closed", "this room is closed: captions are no longer accepted")


async def _post(request: Request, a: CaptionAccess, text: str) -> Response:
    seq = _seq(request)
    runtime = await _room(a)
    if not text.strip():
        if text == "" or a.source == "youtube":
            # A heartbeat (YouTube senders check the connection and their clock with an empty
            # POST): answered with the time, and its seq stays free for the next caption.
            return PlainTextResponse(_server_time())
    post = Post(
        a.station,
        a.source,
        seq,
        "",
        _field(request, "name", MAX_LABEL_CHARS) or a.grant.label,
        _field(request, "lang", _MAX_LANG_CHARS) or runtime.language,
        _field(request, "speaker", MAX_LABEL_CHARS),
    )
    if a.source == "youtube":
        cues = tuple(captions.youtube_cues(text))
        said = captions.youtube_text(cues)
        post = replace(post, digest=captions.text_digest(a.source, said), cues=cues)
    else:
        *ended, tail = text.split("\n")
        digest = captions.text_digest(a.source, text)
        post = replace(post, digest=digest, ended=tuple(ended), tail=tail)
    if a.station not in runtime.state.stations:
        legacy = await a.px.backend.cursor(runtime.key, a.legacy_cursor)
        if legacy > 0:
            post = replace(post, legacy_top=legacy)
    try:
        await runtime.caption(post)
    except CommandRejected as exc:
        if exc.code == "room_closed":
            raise _closed() from None
        if exc.code == "busy":
            raise Problem(503, "busy", "the room is very busy: retry with the same seq") from None
        raise
    return PlainTextResponse(_server_time())


async def zoom_post(request: Request) -> Response:
    a = await _authorize(request)
    return await _post(request, a, await _body(request))


async def youtube_post(request: Request) -> Response:
    a = await _authorize(request)
    return await _post(request, a, await _body(request))


async def last_seq(request: Request) -> Response:
    """The last accepted ``seq`` of this caption URL, 0 before the first: a bare integer, which is
    JSON as well as text, so a sender that reads the answer either way gets a number."""
    a = await _authorize(request)
    runtime = await a.px.rooms.get(a.meeting_id, a.room_id, a.channel)
    key = runtime.key
    # Another process may have accepted the last POST: catch up with the record first.
    await a.px.hub.sync(key, await a.px.backend.last_seq(key))
    station = runtime.state.stations.get(a.station)
    top = station.top if station is not None else -1
    legacy = await a.px.backend.cursor(key, a.legacy_cursor)
    return Response(str(max(top, legacy, 0)), media_type="application/json")
