"""The direct websocket wire: frames byte-identical to what ``websockets`` itself sends, and the
parts of uvicorn's protocol that server/fanout/wire.py relies on, named so that an upgrade of
uvicorn that moves them fails here, loudly, rather than in production."""

from __future__ import annotations

import asyncio
import gc

import pytest
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol

from server.fanout.waiting import Flag, MessageQueue
from server.fanout.wire import EXTENSION, DirectWriter, PlenaryWebSocketProtocol, text_frame
from tests.conftest import LiveServer
from tests.support import Client, eventually


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frame_is_the_frame_websockets_would_send(length: int) -> None:
    payload = b"x" * length
    expected = Frame(Opcode.TEXT, payload).serialize(mask=False)
    assert text_frame(payload) == expected


def test_the_protocol_hooks_wire_py_overrides_exist_in_uvicorn() -> None:
    for hook in ("connection_made", "handle_connect", "send", "pause_writing", "resume_writing"):
        assert callable(getattr(WebSocketsSansIOProtocol, hook, None)), hook
        assert hook in vars(PlenaryWebSocketProtocol), hook


async def test_an_open_connection_has_every_attribute_wire_py_reads(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")

    def protocols() -> list[PlenaryWebSocketProtocol]:
        found = [o for o in gc.get_objects() if type(o) is PlenaryWebSocketProtocol]
        return [p for p in found if p.handshake_complete and not p.disconnected]

    [proto] = await eventually(protocols, what="the server side of the connection")
    assert isinstance(proto.transport, asyncio.Transport)
    assert isinstance(proto.conn, ServerProtocol)
    assert callable(proto.conn.send_close) and callable(proto.conn.data_to_send)
    # The client offers compression (as `websockets` and browsers do): accepted in the form whose
    # frames every viewer shares, so they still go out as the room encoded them.
    [deflate] = proto.conn.extensions
    assert deflate.local_no_context_takeover and deflate.remote_no_context_takeover
    assert proto.deflate is True
    assert isinstance(proto.queue, MessageQueue) and isinstance(proto.writable, Flag)
    assert isinstance(proto.loop, asyncio.AbstractEventLoop)
    assert proto.close_sent is False and proto.close_timer is None
    assert proto.paused is False and proto.direct_ok is True
    # Released once open (an idle viewer holds its connection for hours).
    assert proto.request is None and proto.response is None
    assert isinstance(proto.scope["extensions"][EXTENSION], DirectWriter)
    await viewer.close()
