"""The websocket wire: a frame encoded once per room, written straight to every viewer's socket.

A server-to-client websocket frame is not masked, so the bytes of one event are identical for
every viewer of a room. The hub encodes them once; for each viewer that is keeping up, the outbox
writes them to the connection's transport at once (as ``websockets.broadcast()`` does), with no
task to wake and no ASGI message per viewer. A viewer that is not keeping up (its socket's buffer
is above the high-water mark) gets its frames queued and batched by its own sender task instead.

Compression (permessage-deflate, RFC 7692) is accepted only without context takeover in either
direction: every message is then compressed on its own, so its compressed bytes too are the same
for every viewer. A ``WireFrame`` holds a message's plain frame and, made the first time a viewer
that negotiated compression needs it, its compressed frame: compressed once per room, written to
every such viewer (docs/protocol.md, docs/performance.md).

This needs a hook below ASGI, so plenary runs uvicorn with ``PlenaryWebSocketProtocol``: uvicorn's
websockets-sansio protocol plus an extension in the connection's scope that exposes a
``DirectWriter``. Under any other server the extension is absent and every frame goes through
ASGI as before: same bytes on the wire, only slower.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHeaderValue
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS, Request
from websockets.protocol import Protocol

from server.fanout.waiting import Flag, MessageQueue
from server.limits import STALLED_CLOSE_GRACE_S, VIEWER_SEND_BUFFER_BYTES

# The key of the scope extension through which the endpoint finds the connection's writer.
EXTENSION = "plenary.direct_writer"

log = logging.getLogger("plenary.wire")


# The compression every viewer shares. The server's window is capped at 2**12 bytes (as uvicorn's
# and websockets' servers do by default; messages are rarely longer): clients that ask for no
# particular server window (browsers, the `websockets` client) or a larger one all get the same
# bytes. A client that asks for a smaller window gets its frames compressed for it alone (ASGI).
DEFLATE_WINDOW_BITS = 12
DEFLATE_LEVEL = 6
DEFLATE_MEM_LEVEL = 8
DEFLATE_SETTINGS: dict[str, int] = {"level": DEFLATE_LEVEL, "memLevel": DEFLATE_MEM_LEVEL}
DEFLATE = ServerPerMessageDeflateFactory(
    server_no_context_takeover=True,  # each message compressed on its own: shareable
    client_no_context_takeover=True,  # nor does the server keep a decoder per connection
    server_max_window_bits=DEFLATE_WINDOW_BITS,
    compress_settings=DEFLATE_SETTINGS,
)
_FIN_TEXT = 0x81
_FIN_RSV1_TEXT = 0xC1  # RSV1 marks a compressed message (RFC 7692 section 6)
_EMPTY_BLOCK = b"\x00\x00\xff\xff"


def _frame(first: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", first, n) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", first, 126, n) + payload
    return struct.pack("!BBQ", first, 127, n) + payload


def text_frame(payload: bytes) -> bytes:
    """One complete, unmasked, unfragmented websocket text frame (RFC 6455 section 5.2) carrying
    ``payload``, which must be UTF-8 text."""
    return _frame(_FIN_TEXT, payload)


def deflated_text_frame(payload: bytes) -> bytes:
    """The same message compressed as RFC 7692 section 7.2.1 says, with a fresh compressor (no
    context taken over from an earlier message): a frame any viewer that negotiated ``DEFLATE``
    can decode."""
    compressor = zlib.compressobj(
        DEFLATE_LEVEL, zlib.DEFLATED, -DEFLATE_WINDOW_BITS, DEFLATE_MEM_LEVEL
    )
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert data.endswith(_EMPTY_BLOCK)
    return _frame(_FIN_RSV1_TEXT, data[:-4])


class WireFrame:
    """One message of a room as it goes on the wire: its text, its plain frame, and its compressed
    frame, made at most once, when a first viewer that negotiated compression needs it."""

    __slots__ = ("_deflated", "plain", "text")

    def __init__(self, text: bytes) -> None:
        self.text = text
        self.plain = text_frame(text)
        self._deflated: bytes | None = None

    @property
    def deflated(self) -> bytes:
        if self._deflated is None:
            self._deflated = deflated_text_frame(self.text)
        return self._deflated

    @property
    def was_deflated(self) -> bool:
        """True once the compressed frame has been made."""
        return self._deflated is not None


def shares_deflate(extensions: list[Extension]) -> bool:
    """True when what a connection negotiated lets it receive the room's shared frames: nothing,
    or ``DEFLATE`` with the server's window (a smaller one needs its own compression)."""
    if not extensions:
        return True
    [ext] = extensions  # only permessage-deflate is offered, so at most one
    return (
        isinstance(ext, PerMessageDeflate)
        and ext.local_no_context_takeover
        and ext.local_max_window_bits == DEFLATE_WINDOW_BITS
    )


class DirectWriter:
    """Writes pre-encoded frames to one connection's transport, bypassing ASGI."""

    __slots__ = ("_proto",)

    def __init__(self, proto: PlenaryWebSocketProtocol) -> None:
        self._proto = proto

    def ready(self) -> bool:
        """True when a frame written now goes straight out: the connection is open, it can take
        the room's shared frames (plain or compressed, see ``shares_deflate``), and its buffer is
        below the high-water mark."""
        p = self._proto
        return p.direct_ok and not p.paused and not p.close_sent and not p.disconnected

    def write(self, frame: WireFrame) -> None:
        p = self._proto
        p.transport.write(frame.deflated if p.deflate else frame.plain)

    @property
    def raw_fd(self) -> int | None:
        """The connection's socket, which the room's fast lane writes the frame's bytes to
        (plain or compressed, as ``deflate`` says) while ``ready()`` holds: the transport then
        holds nothing of its own (see ``PlenaryWebSocketProtocol.connection_made``). None under
        TLS, where bytes must go through the transport to be encrypted."""
        return self._proto.raw_fd

    def write_all(self, frames: Iterable[WireFrame]) -> None:
        """Several frames in one write to the socket."""
        p = self._proto
        if p.deflate:
            p.transport.writelines([frame.deflated for frame in frames])
        else:
            p.transport.writelines([frame.plain for frame in frames])

    def write_bytes(self, data: bytes) -> None:
        self._proto.transport.write(data)

    @property
    def deflate(self) -> bool:
        return self._proto.deflate

    def watch(self, on_change: Callable[[], None] | None) -> None:
        """Have ``on_change`` called whenever ``ready()`` may have changed: the socket paused or
        resumed, a close frame was sent, the connection was lost. (None: no longer.)"""
        self._proto.on_change = on_change

    def drop(self, code: int, reason: str) -> None:
        """Close a connection that fell too far behind without waiting for its buffer.

        The close frame is queued behind what the socket already holds: a viewer that starts
        reading again within the grace period reads the code and resumes; otherwise the
        connection is aborted, and everything held for it is freed."""
        p = self._proto
        if p.close_sent or p.disconnected:
            return
        p.conn.send_close(code, reason)
        p.transport.write(b"".join(p.conn.data_to_send()))
        p.close_sent = True
        p.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        if p.close_timer is not None:
            p.close_timer.cancel()
        p.close_timer = p.loop.call_later(STALLED_CLOSE_GRACE_S, p.transport.abort)


@dataclass(frozen=True, slots=True)
class HandshakeRefused:
    """Why a handshake request is answered with an HTTP error instead of a websocket."""

    status: int
    message: str


def handshake_request(
    method: str, target: bytes, headers: list[tuple[bytes, bytes]]
) -> Request | HandshakeRefused:
    """The websocket handshake request that httptools has parsed, as ``websockets`` represents
    one, for ``PlenaryWebSocketProtocol.open_handshake``; or why it is refused.

    uvicorn writes an upgrade request out again for the websocket protocol to parse a second
    time, in Python. Building the same ``Request`` from what was read saves that work on every
    handshake. What ``websockets``' parser would refuse is refused here, within the same limits,
    and answered: under uvicorn such a request gets no answer at all (the parser's response is
    never written), and the connection stays open until the client gives up.
    """
    if method != "GET":
        return HandshakeRefused(405, "a websocket handshake is a GET request")
    if len(headers) > MAX_NUM_HEADERS:
        return HandshakeRefused(431, f"more than {MAX_NUM_HEADERS} header fields")
    if len(target) + len("GET  HTTP/1.1\r\n") > MAX_LINE_LENGTH:
        return HandshakeRefused(414, "the request target is too long")
    if not target.isascii():
        return HandshakeRefused(400, "the request target must be ASCII (percent-encoded)")
    pairs: list[tuple[str, str]] = []
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return HandshakeRefused(400, "a websocket handshake has no body")
        if len(name) + len(value) + len(": \r\n") > MAX_LINE_LENGTH:
            return HandshakeRefused(431, "a header field is too long")
        pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    try:
        return Request(target.decode("ascii"), Headers(pairs))
    except InvalidHeaderValue as exc:
        return HandshakeRefused(400, f"a header field's value is not allowed: {exc}")


class PlenaryWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, with a ``DirectWriter`` in each connection's scope."""

    # Told of every change of what DirectWriter.ready() reads (see DirectWriter.watch). A class
    # attribute, so that it exists before uvicorn's __init__ first sets ``close_sent``.
    on_change: Callable[[], None] | None = None
    raw_fd: int | None = None  # the socket, when bytes may be written to it directly

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    @property
    def close_sent(self) -> bool:
        return self._close_sent

    @close_sent.setter
    def close_sent(self, value: bool) -> None:
        # uvicorn sets this wherever it sends or answers a close frame: from then on no frame may
        # follow, so the connection leaves its room's fast lane at once.
        self._close_sent = value
        if value:
            self._changed()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The same queue and flow-control flag in a few bytes instead of five deques
        # (server/fanout/waiting.py): a viewer holds its connection for hours.
        self.queue = MessageQueue()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()
        self.paused = False
        self.direct_ok = False
        self.deflate = False  # compression negotiated: write the compressed frames
        # Offer plenary's compression in place of uvicorn's (which keeps a compression context
        # per connection): only when the configuration accepts compression at all.
        self.conn.available_extensions = [DEFLATE] if self.config.ws_per_message_deflate else []

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._bound_socket(transport)

    def adopt(
        self,
        transport: Any,
        server: tuple[str, int | None] | None,
        client: tuple[str, int] | None,
        tls: bool,
    ) -> None:
        """Take over a connection from the HTTP protocol that read its upgrade request: what
        ``connection_made`` does, with the addresses that protocol has already asked the socket
        for (two system calls fewer per handshake)."""
        self.connections.add(self)
        self.transport = transport
        self.server, self.client = server, client
        self.scheme = "wss" if tls else "ws"
        self._bound_socket(transport)

    def open_handshake(self, request: Request) -> None:
        """Judge a handshake ``request`` that uvicorn's HTTP parser has already read (see
        ``handshake_request``), as ``websockets`` judges the ones it parses itself."""
        # The request is read, so the connection's parser starts at the frames that follow it,
        # as ``ServerProtocol.parse`` does once it has parsed a request of its own.
        self.conn.parser = Protocol.parse(self.conn)
        next(self.conn.parser)
        self.handle_connect(request)

    def _bound_socket(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and VIEWER_SEND_BUFFER_BYTES:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, VIEWER_SEND_BUFFER_BYTES)
        # Paused at the first byte the transport has to keep (and resumed once it has written
        # everything): so a connection that is not paused has nothing buffered in its
        # transport, and the fast lane may write to its socket directly without overtaking.
        # The kernel's send buffer still absorbs bursts; past it, frames wait in the outbox.
        transport.set_write_buffer_limits(high=0)
        if sock is not None and transport.get_extra_info("sslcontext") is None:
            self.raw_fd = sock.fileno()

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # The application task is created above but runs later, so the scope can still be
        # extended here. Frames written directly are the room's shared frames, plain or
        # compressed, so only for a connection whose extensions allow one of them.
        scope = getattr(self, "scope", None)
        if scope is not None and self.response.status_code == 101:
            self.direct_ok = shares_deflate(self.conn.extensions)
            self.deflate = bool(self.conn.extensions)
            scope["extensions"][EXTENSION] = DirectWriter(self)

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The handshake's request and response (two header maps) are not needed once the
            # connection is open, and a viewer holds its connection for hours. The request's
            # headers are emptied too: the websockets parser's suspended frame still refers to
            # the request. (The ASGI scope keeps its own copy of the headers.)
            self.request.headers.clear()
            self.request = self.response = None  # type: ignore[assignment]

    def send_receive_event_to_app(self) -> None:
        # A text frame that is not UTF-8 is the client's error, not the server's: close it with
        # 1007 (invalid data) and one line in the log, not the traceback uvicorn would log.
        if self.curr_msg_data_type == "text" and not self.close_sent:
            data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
            try:
                data.decode()
            except UnicodeDecodeError:
                self.frames = []
                log.info("closed a connection with 1007: a text frame was not UTF-8")
                self.conn.send_close(1007, "text frames must be UTF-8")
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            super().connection_lost(exc)
        finally:
            self._changed()  # before uvloop closes the transport: no write may reach it now

    def pause_writing(self) -> None:
        self.paused = True
        super().pause_writing()
        self._changed()

    def resume_writing(self) -> None:
        self.paused = False
        super().resume_writing()
        self._changed()
