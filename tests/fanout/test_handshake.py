"""The websocket handshake as httptools read it: handed to the websocket protocol without being
written out and parsed a second time (server/fanout/wire.py, ``handshake_request``), and judged
by ``websockets`` as before; what ``websockets``' parser would refuse is answered with an HTTP
error, and the connection closed."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dis
import gc
import hashlib
import json
import os
import struct
from collections.abc import AsyncIterator, Iterator

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS, Request
from websockets.protocol import Protocol
from websockets.server import ServerProtocol

from server.fanout.wire import HandshakeRefused, PlenaryWebSocketProtocol, handshake_request
from tests.conftest import LiveServer
from tests.support import eventually

# RFC 6455 section 1.3: the accept value is the SHA-1 of the key and this GUID, in base64.
RFC6455_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

ORDINARY = [
    (b"host", b"127.0.0.1:8000"),
    (b"upgrade", b"websocket"),
    (b"connection", b"Upgrade"),
    (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"sec-websocket-version", b"13"),
    (b"cookie", b"a=1"),
    (b"cookie", b"b=2"),
]


def test_the_parts_of_uvicorn_and_websockets_the_handshake_relies_on_exist() -> None:
    # Named here so that an upgrade of either that moves them fails loudly, not in production.
    assert callable(HttpToolsProtocol.handle_websocket_upgrade)
    assert callable(Protocol.parse) and callable(ServerProtocol.accept)
    conn = ServerProtocol()
    assert hasattr(conn, "parser")  # the generator open_handshake replaces
    # PlenaryWebSocketProtocol.adopt does what uvicorn's connection_made does: should that come
    # to set anything more, adopt must too.
    stored = {
        i.argval
        for i in dis.get_instructions(WebSocketsSansIOProtocol.connection_made)
        if i.opname == "STORE_ATTR"
    }
    assert stored == {"transport", "server", "client", "scheme"}


def test_an_ordinary_request_becomes_the_request_websockets_would_parse() -> None:
    request = handshake_request("GET", b"/ws/m1/plenary?x=1", ORDINARY)
    assert isinstance(request, Request)
    assert request.path == "/ws/m1/plenary?x=1"
    assert request.headers["Sec-WebSocket-Key"] == "dGhlIHNhbXBsZSBub25jZQ=="
    assert request.headers.get_all("Cookie") == ["a=1", "b=2"]  # repeated headers stay repeated
    assert len(list(request.headers.raw_items())) == len(ORDINARY)


def test_a_latin1_header_value_is_kept_as_websockets_keeps_it() -> None:
    request = handshake_request("GET", b"/ws/m1/plenary", [*ORDINARY, (b"x-name", b"Jos\xe9")])
    assert isinstance(request, Request) and request.headers["X-Name"] == "Jos\xe9"


def _unusual() -> Iterator[tuple[str, int, str, bytes, list[tuple[bytes, bytes]]]]:
    yield "another method", 405, "POST", b"/ws/m1/plenary", ORDINARY
    yield "a body", 400, "GET", b"/ws/m1/plenary", [*ORDINARY, (b"content-length", b"5")]
    yield "a transfer coding", 400, "GET", b"/", [*ORDINARY, (b"transfer-encoding", b"x")]
    many = [(b"x-h%d" % i, b"v") for i in range(MAX_NUM_HEADERS)]
    yield "too many headers", 431, "GET", b"/ws/m1/plenary", ORDINARY + many
    yield "a header too long", 431, "GET", b"/", [*ORDINARY, (b"x-long", b"v" * MAX_LINE_LENGTH)]
    yield "a target too long", 414, "GET", b"/" + b"a" * MAX_LINE_LENGTH, ORDINARY
    yield "a target not ASCII", 400, "GET", b"/ws/m1/pl\xc3\xa9nary", ORDINARY
    yield "a value websockets refuses", 400, "GET", b"/", [*ORDINARY, (b"x-nul", b"a\x00b")]


@pytest.mark.parametrize(
    ("status", "method", "target", "headers"),
    [case[1:] for case in _unusual()],
    ids=[case[0] for case in _unusual()],
)
def test_what_websockets_parser_would_refuse_is_refused_with_an_http_status(
    status: int, method: str, target: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    refused = handshake_request(method, target, headers)
    assert isinstance(refused, HandshakeRefused)
    assert refused.status == status and refused.message


def test_an_empty_body_is_no_body() -> None:
    # Some clients send "Content-Length: 0" with a GET; websockets takes it, and so does plenary.
    request = handshake_request("GET", b"/", [*ORDINARY, (b"content-length", b"0")])
    assert isinstance(request, Request)


async def _exchange(live: LiveServer, request: bytes) -> tuple[asyncio.StreamReader, bytes]:
    """Send a raw handshake; the reader and the response's head."""
    port = int(live.base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    live_writers.append(writer)
    return reader, head


live_writers: list[asyncio.StreamWriter] = []


def _handshake(target: str, *extra: str, key: str = "dGhlIHNhbXBsZSBub25jZQ==") -> bytes:
    lines = [
        f"GET {target} HTTP/1.1",
        "Host: 127.0.0.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        *([f"Sec-WebSocket-Key: {key}"] if key else []),
        "Sec-WebSocket-Version: 13",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _masked_text(payload: bytes) -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + body


async def _read_text_frame(reader: asyncio.StreamReader) -> bytes:
    first, second = await asyncio.wait_for(reader.readexactly(2), 30)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    assert first == 0x81, "an unfragmented, uncompressed text frame"
    return await asyncio.wait_for(reader.readexactly(length), 30)


@pytest.fixture(autouse=True)
async def _close_writers() -> AsyncIterator[None]:
    yield
    while live_writers:
        writer = live_writers.pop()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def test_an_ordinary_handshake_is_accepted_and_its_frames_are_read(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing parses the request a second time: were websockets' parser used, this would fail.
    def parse_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the handshake request was parsed a second time")

    monkeypatch.setattr(Request, "parse", parse_again)
    key = base64.b64encode(os.urandom(16)).decode()
    target = f"/ws/{live.meeting.id}/plenary"
    reader, head = await _exchange(live, _handshake(target, key=key))
    assert head.startswith(b"HTTP/1.1 101 ")
    expected = base64.b64encode(hashlib.sha1(key.encode() + RFC6455_GUID).digest())
    fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line)
    assert {k.lower(): v for k, v in fields.items()}[b"sec-websocket-accept"] == expected
    # The frames after the handshake reach the session: a hello is answered with the welcome.
    live_writers[-1].write(_masked_text(json.dumps({"type": "hello", "after": 0}).encode()))
    welcome = json.loads((await _read_text_frame(reader)).split(b"\n")[0])
    assert welcome["type"] == "welcome" and welcome["role"] == "viewer"


async def test_a_handshake_without_a_key_is_refused_by_websockets(live: LiveServer) -> None:
    _, head = await _exchange(live, _handshake(f"/ws/{live.meeting.id}/plenary", key=""))
    assert head.startswith(b"HTTP/1.1 400 ")


async def test_a_header_line_too_long_is_answered_and_the_connection_closed(
    live: LiveServer,
) -> None:
    long_header = "X-Long: " + "v" * MAX_LINE_LENGTH
    reader, head = await _exchange(live, _handshake(f"/ws/{live.meeting.id}/plenary", long_header))
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    body = await asyncio.wait_for(reader.read(), 30)  # to the end: the server closed it
    assert body == b"a header field is too long"


async def test_a_post_upgrade_is_answered_with_405(live: LiveServer) -> None:
    request = _handshake(f"/ws/{live.meeting.id}/plenary").replace(b"GET ", b"POST ", 1)
    reader, head = await _exchange(live, request)
    assert head.startswith(b"HTTP/1.1 405 ")
    assert await asyncio.wait_for(reader.read(), 30) == b"a websocket handshake is a GET request"


async def test_the_connection_knows_both_ends_of_its_socket(live: LiveServer) -> None:
    # The addresses come from the HTTP protocol that read the upgrade (no second system call).
    reader, head = await _exchange(live, _handshake(f"/ws/{live.meeting.id}/plenary"))
    assert head.startswith(b"HTTP/1.1 101 ")
    writer = live_writers[-1]
    writer.write(_masked_text(json.dumps({"type": "hello", "after": 0}).encode()))
    await _read_text_frame(reader)
    client_host, client_port = writer.get_extra_info("sockname")[:2]
    server_host, server_port = writer.get_extra_info("peername")[:2]

    def this_connection() -> list[PlenaryWebSocketProtocol]:
        found = [o for o in gc.get_objects() if type(o) is PlenaryWebSocketProtocol]
        return [p for p in found if p.client == (client_host, client_port)]

    [proto] = await eventually(this_connection, what="the server side of the connection")
    assert proto.server == (server_host, server_port)
    assert proto.scheme == "ws"
    assert proto.scope["client"] == (client_host, client_port)
