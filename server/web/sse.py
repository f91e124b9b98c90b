"""The plain-HTTP fallback: a room followed as Server-Sent Events, messages sent as POSTs.

For networks whose proxy lets ordinary HTTP through but not a websocket. ``GET /sse/{meeting}/
{room}`` is the room as one long response of events (server/fanout/sse.py): the welcome, the
backlog after the client's resume point, then the same frames every websocket viewer gets, from
the same per-room fan-out. ``POST /sse/{meeting}/{room}`` carries one client message (a
keystroke, a line, a room command) and answers with the frame the websocket would have sent.

The client says its hello in the request: its key in ``Authorization: Bearer``, a passcode in
``X-Plenary-Passcode`` (never in the query string, which proxies and servers log), its resume
point in ``Last-Event-ID`` (or ``after`` in the query for the first request) and its ``client``
id and ``name`` in the query. ``hello_of`` reads them, in one place for both requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator

import anyio
from sse_starlette.sse import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.backends.base import BackendUnavailable
from server.fanout.http_wire import bound_send_buffer
from server.fanout.outbox import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_RATE_LIMITED,
    CLOSE_UNAVAILABLE,
)
from server.fanout.sse import SseOutbox, encoded_once
from server.limits import (
    CLIENT_BURST,
    CLIENT_RATE_PER_S,
    HTTP_RATE_CLIENTS,
    MAX_CONNECTIONS_PER_ADDRESS,
    MAX_FRAME_BYTES,
    RETRY_AFTER_S,
    SSE_SEND_TIMEOUT_S,
    SSE_SHUTDOWN_GRACE_S,
)
from server.metrics import METRICS
from server.web.access import bearer_key, plenary
from server.web.admission import HTTP_STATUS, Admitted, Refused, admit, check_origin
from server.web.context import Plenary
from server.web.protocol import BadMessage, Hello, parse_client_message
from server.web.ratelimit import TokenBucket
from server.web.session import Commands, follow

log = logging.getLogger("plenary.sse")

# Query parameters that would put a secret in a URL: refused, so a mistaken client learns at once.
_SECRET_PARAMS = ("key", "passcode")
# A connection id as the welcome gives it (``conn``).
_CONN = re.compile(r"[0-9a-f]{1,32}")
# A fallback connection id: a random part, then a tag of it keyed by the credential (conn_for).
_CONN_NONCE, _CONN_TAG = 12, 16


def conn_for(hello: Hello, nonce: str | None = None) -> str:
    """A fallback connection id bound to the key or passcode that opened it. POSTs name their
    connection in ``X-Plenary-Conn``, and connection ids are not secret (a live line names its
    writer's), so an id alone would let another captioner of the room write over someone's
    live line. The tag is an HMAC of the random part keyed by the credential's secret: only a
    request holding that secret can name the connection, on any process, with nothing stored."""
    nonce = nonce if nonce is not None else secrets.token_hex(_CONN_NONCE // 2)
    secret = (hello.key or hello.passcode or "").encode()
    return nonce + hmac.new(secret, nonce.encode(), "sha256").hexdigest()[:_CONN_TAG]


def conn_is_of(conn: str, hello: Hello) -> bool:
    """True when ``conn`` was opened with the credential this request holds."""
    if len(conn) != _CONN_NONCE + _CONN_TAG:
        return False
    return hmac.compare_digest(conn_for(hello, conn[:_CONN_NONCE]), conn)


def hello_of(request: Request) -> Hello:
    """The hello an HTTP request says, checked by the websocket's own parser. Every query
    parameter but the secrets is a hello field (``client``, ``name``, and whatever the hello
    gains); ``after`` is a number, and ``Last-Event-ID`` (sent on a reconnect) takes its place."""
    query = request.query_params
    for name in _SECRET_PARAMS:
        if name in query:
            raise Refused(
                CLOSE_BAD_REQUEST,
                f"send the {name} in a header (Authorization: Bearer … or X-Plenary-Passcode), "
                "never in the URL",
            )
    fields: dict[str, object] = dict(query.items())
    after = request.headers.get("last-event-id") or query.get("after") or "0"
    if not after.isdigit() or len(after) > 19:
        raise Refused(CLOSE_BAD_REQUEST, "'after' and Last-Event-ID must be a whole number")
    fields.update(
        type="hello",
        after=int(after),
        key=bearer_key(request),
        passcode=request.headers.get("x-plenary-passcode"),
    )
    try:
        hello = parse_client_message(json.dumps(fields))
    except BadMessage as exc:
        raise Refused(CLOSE_BAD_REQUEST, exc.message) from None
    assert isinstance(hello, Hello)
    return hello


def refusal(exc: Refused | BackendUnavailable) -> Response:
    """A refusal as an HTTP answer: the status for its close code, the close code in the body."""
    if isinstance(exc, BackendUnavailable):
        exc = Refused(CLOSE_UNAVAILABLE, f"the record is unavailable, retry shortly: {exc}")
    status = HTTP_STATUS.get(exc.code, 400)
    headers = {"Retry-After": str(round(RETRY_AFTER_S))} if status in (429, 503) else None
    return JSONResponse(
        {"error": exc.reason, "code": "refused", "close": exc.code}, status, headers=headers
    )


async def _admitted(request: Request, *, resuming: bool = True) -> tuple[Hello, Admitted]:
    px = plenary(request)
    check_origin(px, request.headers.get("origin"))
    hello = hello_of(request)
    meeting, room = request.path_params["meeting"], request.path_params["room"]
    address = request.client.host if request.client is not None else ""
    return hello, await admit(px, meeting, room, hello, address, resuming=resuming)


# -- following a room -----------------------------------------------------------------------------
async def stream(request: Request) -> Response:
    """GET: the room as Server-Sent Events, from the client's resume point."""
    try:
        hello, admitted = await _admitted(request)
    except (Refused, BackendUnavailable) as exc:
        return refusal(exc)
    px = plenary(request)
    address = request.client.host if request.client is not None else ""
    if px.connections.get(address, 0) >= MAX_CONNECTIONS_PER_ADDRESS:
        return refusal(
            Refused(
                CLOSE_RATE_LIMITED,
                f"more than {MAX_CONNECTIONS_PER_ADDRESS} connections from one address",
            )
        )
    bound_send_buffer(request.scope)
    # Set when the server is stopping: the stream then ends cleanly, and the client resumes
    # from its Last-Event-ID on the next process.
    stopping = anyio.Event()
    return EventSourceResponse(
        _events(px, admitted, hello, address, stopping),
        shutdown_event=stopping,
        shutdown_grace_period=SSE_SHUTDOWN_GRACE_S,
        # The room's own heartbeat frames (every HEARTBEAT_INTERVAL_S) keep proxies from timing
        # the response out and tell the client what it should hold; no second ping is needed.
        ping=0,
        send_timeout=SSE_SEND_TIMEOUT_S,
        headers={"Cache-Control": "no-store"},
    )


class _Pipe:
    """Hands messages from the session's task to the response, one at a time: ``send`` returns
    once the response has written it, so a client that does not read holds back its own outbox
    and nothing else."""

    def __init__(self) -> None:
        self._items: asyncio.Queue[tuple[bytes, asyncio.Future[None]] | None] = asyncio.Queue()

    async def send(self, message: bytes) -> None:
        written = asyncio.get_running_loop().create_future()
        self._items.put_nowait((message, written))
        await written

    async def send_text(self, text: str) -> None:
        await self.send(text.encode())

    def end(self) -> None:
        self._items.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (item := await self._items.get()) is not None:
            message, written = item
            yield message
            if not written.done():
                written.set_result(None)


async def _events(
    px: Plenary, admitted: Admitted, hello: Hello, address: str, stopping: anyio.Event
) -> AsyncIterator[bytes]:
    pipe = _Pipe()
    session = asyncio.get_running_loop().create_task(_session(px, admitted, hello, pipe))
    session.add_done_callback(lambda _: pipe.end())

    async def end_when_stopping() -> None:
        await stopping.wait()
        pipe.end()

    watch = asyncio.get_running_loop().create_task(end_when_stopping())
    px.connections[address] = px.connections.get(address, 0) + 1
    try:
        async for message in pipe:
            yield message
    finally:
        left = px.connections.get(address, 1) - 1
        if left > 0:
            px.connections[address] = left
        else:
            px.connections.pop(address, None)
        watch.cancel()
        session.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await session


async def _session(px: Plenary, admitted: Admitted, hello: Hello, pipe: _Pipe) -> None:
    """Welcome, backlog, then the room's frames until the outbox ends the session (the client
    fell too far behind) or the client goes."""
    runtime, grant = admitted.runtime, admitted.grant
    conn_id = conn_for(hello)
    name = hello.name or grant.label or grant.role

    async def send(message: bytes) -> None:
        # A resume backlog from memory is one object for every client resuming from the same
        # point: encoded once for all of them, as the room's live frames are.
        await pipe.send(encoded_once(message))

    ended = asyncio.Event()
    outbox = SseOutbox()
    try:
        # Presence is the room's, whichever channel a participant follows.
        with px.presence.connected(
            runtime.floor.key, runtime.room_id, grant.participant, grant.role
        ):
            async with follow(px, admitted, hello, conn_id, name, send, outbox):
                outbox.start(pipe.send_text, None, ended.set)
                try:
                    await ended.wait()
                finally:
                    await outbox.stop()
                    if grant.may_caption(runtime.room_id, runtime.channel):
                        runtime.forget_live(conn_id)
        if outbox.overflowed:
            METRICS.slow_clients_dropped.inc()
    except BackendUnavailable as exc:
        log.info("a fallback stream ended: the record is unavailable (%s); it will resume", exc)


# -- messages from the client ---------------------------------------------------------------------
class _Buckets:
    """Each HTTP client's message rate, by connection id, for the most recent clients."""

    def __init__(self) -> None:
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, conn: str) -> bool:
        bucket = self._buckets.pop(conn, None) or TokenBucket(CLIENT_RATE_PER_S, CLIENT_BURST)
        self._buckets[conn] = bucket
        if len(self._buckets) > HTTP_RATE_CLIENTS:
            self._buckets.popitem(last=False)
        return bucket.take()


_buckets = _Buckets()

# The status that goes with an error frame's code.
_BAD_INPUT = {
    "bad_json",
    "bad_message",
    "bad_field",
    "too_long",
    "empty_line",
    "unknown_type",
    "unknown_op",
}


def _status_of(reply: dict[str, object]) -> int:
    if reply.get("type") != "error":
        return 200
    if reply.get("retry"):
        return 503
    code = reply.get("code")
    if code == "forbidden":
        return 403
    return 400 if code in _BAD_INPUT else 409


async def post(request: Request) -> Response:
    """POST: one client message, answered with the frame the websocket would have sent (an
    ``ack``, ``pong`` or ``error``), or 204 when nothing answers it (a live-line edit)."""
    given = request.headers.get("x-plenary-conn")
    conn = given or secrets.token_hex(6)
    # A client that names no connection is counted by its address, so leaving the header out
    # does not escape the rate limit.
    address = request.client.host if request.client is not None else ""
    rate_key = conn if given else f"address {address}"
    if not _CONN.fullmatch(conn):
        return refusal(Refused(CLOSE_BAD_REQUEST, "X-Plenary-Conn must be the welcome's conn"))
    size = request.headers.get("content-length", "")
    if size.isdigit() and int(size) > MAX_FRAME_BYTES:
        return _too_large()
    body = await request.body()
    if len(body) > MAX_FRAME_BYTES:
        return _too_large()
    try:
        raw = body.decode()
    except UnicodeDecodeError:
        return refusal(Refused(CLOSE_BAD_REQUEST, "the body must be UTF-8 JSON"))
    try:
        hello, admitted = await _admitted(request, resuming=False)
        if given and not conn_is_of(given, hello):
            raise Refused(
                CLOSE_FORBIDDEN, "X-Plenary-Conn names a connection opened with another link"
            )
        if not _buckets.take(rate_key):
            raise Refused(CLOSE_RATE_LIMITED, "too many messages; slow down")
        name = hello.name or admitted.grant.label or admitted.grant.role
        commands = Commands(plenary(request), admitted.runtime, admitted.grant, hello, conn, name)
        reply = await commands.answer(raw)
    except (Refused, BackendUnavailable) as exc:
        return refusal(exc)
    if reply is None:
        return Response(status_code=204)
    status = _status_of(json.loads(reply))
    headers = {"Retry-After": str(round(RETRY_AFTER_S))} if status == 503 else None
    return Response(reply, status, headers=headers, media_type="application/json")


def _too_large() -> Response:
    return JSONResponse(
        {"error": f"a message is at most {MAX_FRAME_BYTES} bytes", "code": "too_large"}, 413
    )
