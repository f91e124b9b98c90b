"""Per-message compression, compressed once per room: what is negotiated, frames a standard client
decodes, the compressed bytes made once for every viewer that negotiated it, plain frames for
those that did not, the backlog on resume as one compressed message, and compressed frames from
clients decoded within the frame-size limit (a deflate bomb closes the connection)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import zlib
from dataclasses import dataclass

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from server.fanout.hub import Channel
from server.fanout.wire import (
    DEFLATE_SETTINGS,
    DEFLATE_WINDOW_BITS,
    WireFrame,
    deflated_text_frame,
    text_frame,
)
from server.limits import MAX_FRAME_BYTES
from tests.conftest import LiveServer
from tests.support import Client

AGREED = {
    "permessage-deflate",
    "server_no_context_takeover",
    "client_no_context_takeover",
    f"server_max_window_bits={DEFLATE_WINDOW_BITS}",
}


def _params(header: str) -> set[str]:
    return {part.strip() for part in header.split(";")}


# -- the compressed frame itself -------------------------------------------------------------------
@pytest.mark.parametrize("length", [0, 1, 125, 126, 300, 4096, 65535, 70000])
def test_deflated_frame_is_the_frame_websockets_would_send(length: int) -> None:
    payload = (b'{"seq":1,"type":"line","data":{"text":"Madam Chair, thank you"}}' * 2000)[:length]
    # The server's side of the agreed extension, as websockets itself would compress with it.
    theirs = PerMessageDeflate(True, True, 15, DEFLATE_WINDOW_BITS, DEFLATE_SETTINGS)
    expected = Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[theirs])
    assert deflated_text_frame(payload) == expected
    assert deflated_text_frame(payload)[0] == 0xC1  # FIN, RSV1, text


@given(st.text(max_size=3000))
def test_any_text_survives_compression_for_a_client(text: str) -> None:
    payload = text.encode()
    frame = deflated_text_frame(payload)
    client_side = PerMessageDeflate(True, True, DEFLATE_WINDOW_BITS, 15)
    header = 2 if len(frame) - 2 < 126 else 4 if len(frame) - 4 < 1 << 16 else 10
    decoded = client_side.decode(Frame(Opcode.TEXT, frame[header:], rsv1=True), max_size=None)
    assert decoded.data == payload


def test_a_wire_frame_is_compressed_once_and_only_when_asked() -> None:
    wire = WireFrame(b'{"type":"hb","seq":3}')
    assert wire.plain == text_frame(wire.text) and not wire.was_deflated
    first = wire.deflated
    assert wire.deflated is first and wire.was_deflated  # the same bytes object every time


# -- raw connections: what is on the wire ----------------------------------------------------------
@dataclass
class RawFrame:
    rsv1: bool
    opcode: int
    payload: bytes

    def text(self) -> str:
        """The message, inflated as RFC 7692 says when it is compressed."""
        if not self.rsv1:
            return self.payload.decode()
        return zlib.decompressobj(wbits=-15).decompress(self.payload + b"\x00\x00\xff\xff").decode()


class RawViewer:
    """A websocket client written out by hand, to see each frame's bytes as the server sent them
    (a library client decompresses before anyone can look). Offers compression as Chromium does
    (``permessage-deflate; client_max_window_bits``) or not at all."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.extensions = ""

    @classmethod
    async def connect(cls, live: LiveServer, *, deflate: bool, after: int = 0) -> RawViewer:
        host, port = live.base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        writer.write(
            (
                f"GET /ws/{live.meeting.id}/plenary HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"{offer if deflate else ''}\r\n"
            ).encode()
        )
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode()
        assert head.startswith("HTTP/1.1 101"), head
        raw = cls(reader, writer)
        for line in head.split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "sec-websocket-extensions":
                raw.extensions = value.strip()
        raw.send(json.dumps({"type": "hello", "after": after}).encode())
        return raw

    def send(self, payload: bytes, *, rsv1: bool = False, fin: bool = True) -> None:
        """One masked text frame (with a zero mask, which leaves the bytes as they are)."""
        first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | 0x01
        n = len(payload)
        if n < 126:
            head = bytes([first, 0x80 | n])
        elif n < 1 << 16:
            head = bytes([first, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([first, 0x80 | 127]) + n.to_bytes(8, "big")
        self.writer.write(head + b"\x00\x00\x00\x00" + payload)

    async def frame(self, timeout: float = 10.0) -> RawFrame:
        async def read() -> RawFrame:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(await self.reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.reader.readexactly(8), "big")
            return RawFrame(bool(b0 & 0x40), b0 & 0x0F, await self.reader.readexactly(n))

        return await asyncio.wait_for(read(), timeout)

    async def message(self, timeout: float = 10.0) -> tuple[RawFrame, list[dict[str, object]]]:
        frame = await self.frame(timeout)
        assert frame.opcode == 0x1, frame
        return frame, [json.loads(part) for part in frame.text().split("\n")]

    async def close_code(self, timeout: float = 10.0) -> int:
        while True:
            frame = await self.frame(timeout)
            if frame.opcode == 0x8:
                return int.from_bytes(frame.payload[:2], "big")

    def close(self) -> None:
        self.writer.close()


async def captioner(live: LiveServer) -> Client:
    return await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), compression=None
    )


def channel_of(live: LiveServer, viewers: int) -> Channel:
    [channel] = [c for c in live.plenary.hub.channels.values() if len(c.outboxes) >= viewers]
    return channel


async def commit(cap: Client, n: int, text: str) -> int:
    await cap.send(type="commit", n=n, text=text, speaker="Chair")
    ack = await cap.recv_type("ack")
    return int(ack["seq"])


# -- negotiation and shared bytes, both backends ---------------------------------------------
async def test_viewers_that_negotiate_share_one_compression_per_message(live: LiveServer) -> None:
    # Two viewers with websockets' own client offering compression, one offering none, one raw
    # viewer offering it as a browser does, one raw viewer offering nothing.
    deflating = [
        await Client.connect(live.base_ws, live.meeting.id, "plenary", compression="deflate")
        for _ in range(2)
    ]
    plain = await Client.connect(live.base_ws, live.meeting.id, "plenary", compression=None)
    raw_deflate = await RawViewer.connect(live, deflate=True)
    raw_plain = await RawViewer.connect(live, deflate=False)
    for raw in (raw_deflate, raw_plain):
        _, [welcome] = await raw.message()
        assert welcome["type"] == "welcome"
    for client in deflating:
        assert AGREED <= _params(client.ws.response.headers["Sec-WebSocket-Extensions"])
        [ext] = client.ws.protocol.extensions
        assert isinstance(ext, PerMessageDeflate)
        assert ext.remote_no_context_takeover and ext.local_no_context_takeover
    assert "Sec-WebSocket-Extensions" not in plain.ws.response.headers
    assert plain.ws.protocol.extensions == []
    assert _params(raw_deflate.extensions) >= AGREED and raw_plain.extensions == ""

    cap = await captioner(live)
    channel = channel_of(live, 5)
    messages, compressed = channel.messages, channel.compressed
    texts = [f"Thank you, Madam Chair; line {i} of the statement on the agenda." for i in range(8)]
    for i, text in enumerate(texts):
        seq = await commit(cap, i + 1, text)
        for client in (*deflating, plain):
            [event] = await client.events_until(seq)
            assert event["data"]["text"] == text
        compressed_frame, [event] = await raw_deflate.message()
        plain_frame, [same] = await raw_plain.message()
        assert compressed_frame.rsv1 and not plain_frame.rsv1
        assert event == same and event["data"]["text"] == text
        assert len(compressed_frame.payload) < len(plain_frame.payload)

    # Every message went out once per room, each compressed once, for the three viewers that
    # negotiated compression (compressed for each, it would be three times as many).
    sent = channel.messages - messages
    assert sent >= len(texts)
    assert channel.compressed - compressed == sent
    for closing in (*deflating, plain, cap):
        await closing.close()
    raw_deflate.close()
    raw_plain.close()


async def test_nothing_is_compressed_when_no_viewer_negotiated(live: LiveServer) -> None:
    viewers = [
        await Client.connect(live.base_ws, live.meeting.id, "plenary", compression=None)
        for _ in range(2)
    ]
    cap = await captioner(live)
    channel = channel_of(live, 3)
    messages, compressed = channel.messages, channel.compressed
    for n in range(1, 6):
        seq = await commit(cap, n, f"line {n}")
        for viewer in viewers:
            await viewer.events_until(seq)
    assert channel.messages - messages >= 5
    assert channel.compressed == compressed
    for closing in (*viewers, cap):
        await closing.close()


async def test_backlog_on_resume_is_one_compressed_message(live: LiveServer) -> None:
    cap = await captioner(live)
    seqs = [await commit(cap, n, f"Line {n}: the delegation of Norway.") for n in range(1, 31)]
    viewer = await RawViewer.connect(live, deflate=True, after=seqs[4])
    welcome_frame, [welcome] = await viewer.message()
    assert welcome["type"] == "welcome" and welcome_frame.rsv1
    backlog_frame, backlog = await viewer.message()
    assert backlog_frame.rsv1  # one compressed message holds the whole backlog
    assert [e["seq"] for e in backlog] == seqs[5:]
    assert len(backlog_frame.payload) * 3 < len(backlog_frame.text().encode())
    # And with websockets' own client decoding it.
    client = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", after=seqs[4], compression="deflate"
    )
    assert [e["seq"] for e in await client.events_until(seqs[-1])] == seqs[5:]
    await client.close()
    await cap.close()
    viewer.close()


# -- what clients send compressed -------------------------------------------------------------
async def test_compressed_client_frames_are_decoded(live: LiveServer) -> None:
    # websockets' client compresses what it sends (above a few bytes); the captioner's commit and
    # the ping are decoded and answered.
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), compression="deflate"
    )
    text = "A long line, long enough to be compressed by the client:" + " agenda item 4" * 20
    seq = await commit(cap, 1, text)
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary", after=seq - 1)
    [event] = await viewer.events_until(seq)
    assert event["data"]["text"] == text
    await cap.close()
    await viewer.close()


async def test_a_deflate_bomb_closes_the_connection(live: LiveServer) -> None:
    bomb_viewer = await RawViewer.connect(live, deflate=True)
    await bomb_viewer.message()  # welcome
    # 64 MiB of zeros compresses to about 64 KB: the server stops inflating at its frame limit.
    compressor = zlib.compressobj(wbits=-15)
    bomb = compressor.compress(b"\x00" * (64 * 1024 * 1024)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert len(bomb) < MAX_FRAME_BYTES
    bomb_viewer.send(bomb[:-4], rsv1=True)
    assert await bomb_viewer.close_code() == 1009  # message too big
    bomb_viewer.close()
    # A compressed message just over the limit is refused too; the server serves others on.
    over = await RawViewer.connect(live, deflate=True)
    await over.message()
    compressor = zlib.compressobj(wbits=-15)
    body = b'{"type":"ping","pad":"' + b"x" * MAX_FRAME_BYTES + b'"}'
    over.send((compressor.compress(body) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4], rsv1=True)
    assert await over.close_code() == 1009
    over.close()
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary", compression="deflate")
    await viewer.send(type="ping")
    assert (await viewer.recv_type("pong"))["type"] == "pong"
    await viewer.close()


async def test_a_fragmented_compressed_message_is_limited_as_a_whole(live: LiveServer) -> None:
    viewer = await RawViewer.connect(live, deflate=True)
    await viewer.message()
    compressor = zlib.compressobj(wbits=-15)
    first = compressor.compress(b'{"type":"ping","pad":"' + b"y" * 40_000)
    first += compressor.flush(zlib.Z_SYNC_FLUSH)
    second = compressor.compress(b"y" * 40_000 + b'"}') + compressor.flush(zlib.Z_SYNC_FLUSH)
    viewer.send(first, rsv1=True, fin=False)
    # A continuation frame (opcode 0) carrying the rest: 80 KB in all, over the 64 KiB limit.
    n = len(second) - 4
    head = bytes([0x80, 0x80 | 126]) + n.to_bytes(2, "big") if n >= 126 else bytes([0x80, 0x80 | n])
    viewer.writer.write(head + b"\x00\x00\x00\x00" + second[:-4])
    assert await viewer.close_code() == 1009
    viewer.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(min_size=1, max_size=300))
async def test_garbage_as_a_compressed_frame_closes_cleanly(live: LiveServer, data: bytes) -> None:
    viewer = await RawViewer.connect(live, deflate=True)
    await viewer.message()
    viewer.send(data, rsv1=True)
    # Either it inflates to something the server answers (an error: not a valid message), or the
    # connection is closed with a code that says why: never a hang, never a crash.
    frame = await viewer.frame()
    if frame.opcode == 0x8:
        assert int.from_bytes(frame.payload[:2], "big") in (1002, 1007, 1009, 4400)
    else:
        [answer] = [json.loads(part) for part in frame.text().split("\n")]
        assert answer["type"] == "error", answer
    viewer.close()
    other = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    await other.close()


async def test_a_viewer_that_asks_for_a_smaller_window_gets_frames_it_can_decode(
    live: LiveServer,
) -> None:
    # websockets' client asking for a server window of 2**10: its frames cannot be the room's
    # shared ones (compressed with 2**12), so they are compressed for it alone, and still decode.
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    small = ClientPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=10)
    ws = await websockets.connect(
        f"{live.base_ws}/ws/{live.meeting.id}/plenary", extensions=[small], compression=None
    )
    assert "server_max_window_bits=10" in ws.response.headers["Sec-WebSocket-Extensions"]
    await ws.send(json.dumps({"type": "hello", "after": 0}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert welcome["type"] == "welcome"
    viewer = Client(ws, welcome)
    cap = await captioner(live)
    channel = channel_of(live, 2)
    compressed = channel.compressed
    text = ("Compressed for this viewer alone, within the window it asked for. " * 30).strip()
    seq = await commit(cap, 1, text)
    [event] = await viewer.events_until(seq)
    assert event["data"]["text"] == text
    assert channel.compressed == compressed  # not the room's shared compressed frame
    await viewer.close()
    await cap.close()
