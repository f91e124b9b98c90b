"""Bad input on the websocket: each gets a clear error, nothing partial is recorded, and the
connection or the server stays healthy."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from server.domain.keys import room_key
from server.services import admin
from tests.conftest import LiveServer
from tests.support import Client, RawWebSocket


async def close_of(
    live: LiveServer,
    room: str = "plenary",
    *,
    meeting: str | None = None,
    origin: str | None = None,
    first: str | None = None,
    **hello: object,
) -> tuple[int, str]:
    headers = {"Origin": origin} if origin else None
    async with websockets.connect(
        f"{live.base_ws}/ws/{meeting or live.meeting.id}/{room}", additional_headers=headers
    ) as ws:
        with pytest.raises(websockets.ConnectionClosed) as info:
            await ws.send(first if first is not None else json.dumps({"type": "hello", **hello}))
            while True:
                await asyncio.wait_for(ws.recv(), 5)
    rcvd = info.value.rcvd
    assert rcvd is not None
    return rcvd.code, rcvd.reason


async def recorded(live: LiveServer) -> int:
    return len(await live.plenary.backend.read(room_key(live.meeting.id, "plenary"), 0, 100))


async def test_other_sites_origin_is_refused(live: LiveServer) -> None:
    code, reason = await close_of(live, origin="https://evil.example")
    assert code == 4403 and "origin" in reason


async def test_own_origin_is_accepted(live: LiveServer) -> None:
    client = await Client.connect(live.base_ws, live.meeting.id, "plenary", origin=live.base)
    assert client.welcome["role"] == "viewer"


async def test_configured_extra_origin_is_accepted(live: LiveServer) -> None:
    live.settings.allowed_origins.append("https://captions.example.org")
    client = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", origin="https://captions.example.org"
    )
    assert client.welcome["role"] == "viewer"


async def test_first_frame_must_be_hello(live: LiveServer) -> None:
    code, reason = await close_of(live, first=json.dumps({"type": "commit", "text": "x"}))
    assert code == 4400 and "hello" in reason
    code, reason = await close_of(live, first="{not json")
    assert code == 4400 and "JSON" in reason


async def test_hello_timeout(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import server.web.ws

    monkeypatch.setattr(server.web.ws, "HELLO_TIMEOUT_S", 0.2)
    async with websockets.connect(f"{live.base_ws}/ws/{live.meeting.id}/plenary") as ws:
        with pytest.raises(websockets.ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 5)
    assert info.value.rcvd is not None and info.value.rcvd.code == 4408


@pytest.mark.parametrize("key", ["nope", "abc.def", "x" * 150])
async def test_bad_key(live: LiveServer, key: str) -> None:
    code, _ = await close_of(live, key=key)
    assert code == 4401


async def test_captioner_key_for_another_room(live: LiveServer) -> None:
    code, reason = await close_of(live, "plenary", key=live.captioner_key("break-out-a"))
    assert code == 4403 and "another room" in reason


async def test_unknown_meeting_and_room(live: LiveServer) -> None:
    assert (await close_of(live, meeting="nosuchmeeting"))[0] == 4404
    assert (await close_of(live, "nosuchroom"))[0] == 4404


async def test_revoked_captioner_link_stops_working(live: LiveServer) -> None:
    old = live.captioner_key()
    keys = await admin.reissue(live.plenary.backend, live.meeting.id, "captioner", "plenary")
    code, reason = await close_of(live, key=old)
    assert code == 4401 and "revoked" in reason
    client = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=keys["captioner:plenary"]
    )
    assert client.welcome["role"] == "captioner"


async def test_viewer_cannot_push_text(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    await viewer.send(type="commit", n=1, text="I am not a captioner")
    err = await viewer.recv_type("error")
    assert err["code"] == "forbidden"
    await viewer.send(type="edit", ins="typing")
    assert (await viewer.recv_type("error"))["code"] == "forbidden"
    await viewer.send(type="correct", line=1, text="x")
    assert (await viewer.recv_type("error"))["code"] == "forbidden"
    await viewer.send(type="ping")
    assert (await viewer.recv_type("pong"))["type"] == "pong"  # still healthy
    assert await recorded(live) == 0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{broken", "bad_json"),
        ("[1, 2]", "bad_message"),
        (json.dumps({"type": "launch"}), "unknown_type"),
        (json.dumps({"type": 3}), "bad_message"),
        (json.dumps({"type": "commit", "n": 1, "text": ""}), "empty_line"),
        (json.dumps({"type": "commit", "n": 1, "text": 5}), "bad_field"),
        (json.dumps({"type": "commit", "n": -1, "text": "x"}), "bad_field"),
        (json.dumps({"type": "commit", "n": 1, "text": "x" * 5000}), "too_long"),
        (json.dumps({"type": "edit", "del": "3"}), "bad_field"),
        (json.dumps({"type": "edit", "ins": "x" * 5000}), "too_long"),
        (json.dumps({"type": "correct", "n": 1, "line": 0, "text": "x"}), "bad_field"),
        (json.dumps({"type": "hello"}), "bad_message"),
    ],
)
async def test_malformed_messages_get_an_error_and_nothing_is_recorded(
    live: LiveServer, raw: str, code: str
) -> None:
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="c"
    )
    await cap.ws.send(raw)
    err = await cap.recv_type("error")
    assert err["code"] == code and err["message"]
    # The connection is still usable and nothing partial was recorded.
    await cap.send(type="commit", n=1, text="still works")
    ack = await cap.recv_type("ack")
    assert ack["seq"] == 1
    assert await recorded(live) == 1


async def test_binary_frame_is_refused_politely(live: LiveServer) -> None:
    cap = await Client.connect(live.base_ws, live.meeting.id, "plenary", key=live.captioner_key())
    await cap.ws.send(b"\x00\x01binary")
    err = await cap.recv_type("error")
    assert err["code"] == "bad_message" and "text" in err["message"]


async def test_oversized_frame_closes_with_1009_and_server_stays_healthy(
    live: LiveServer,
) -> None:
    cap = await Client.connect(live.base_ws, live.meeting.id, "plenary", key=live.captioner_key())
    await cap.ws.send(json.dumps({"type": "commit", "text": "x" * 100_000}))
    with pytest.raises(websockets.ConnectionClosed) as info:
        await cap.recv(timeout=5)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    other = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    assert other.welcome["last_seq"] == 0


async def test_invalid_utf8_closes_with_1007(live: LiveServer) -> None:
    raw = await RawWebSocket.connect(f"{live.base_ws}/ws/{live.meeting.id}/plenary")
    raw.send_text(b'{"type":"hello","text":"\xff\xfe"}')
    assert await raw.close_code() == 1007
    raw.abort()


async def test_flooding_is_rate_limited(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    with pytest.raises(websockets.ConnectionClosed) as info:
        for _ in range(1000):
            await viewer.send(type="ping")
        while True:
            await viewer.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 4429


async def test_closed_room_refuses_lines(live: LiveServer) -> None:
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="c"
    )
    runtime = await live.plenary.rooms.get(live.meeting.id, "plenary")
    await runtime.set_open(False, "Chair")
    await cap.recv_type("room.closed")
    await cap.send(type="commit", n=1, text="after closing")
    err = await cap.recv_type("error")
    assert err["code"] == "room_closed"
    await cap.send(type="edit", ins="typing")
    assert (await cap.recv_type("error"))["code"] == "room_closed"
    assert await recorded(live) == 1  # only the room.closed event


async def test_passcode_protected_meeting(live: LiveServer) -> None:
    meeting, _ = await admin.create_meeting(
        live.plenary.backend, "Closed session", ["Plenary"], passcode="geneva2014"
    )
    code, reason = await close_of(live, meeting=meeting.id)
    assert code == 4401 and "passcode required" in reason
    code, _ = await close_of(live, meeting=meeting.id, passcode="wrong")
    assert code == 4401
    viewer = await Client.connect(live.base_ws, meeting.id, "plenary", passcode="geneva2014")
    assert viewer.welcome["role"] == "viewer"


async def test_a_connected_chair_whose_link_is_revoked_commands_nothing(live: LiveServer) -> None:
    chair = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.keys["chair"], client="chair-1"
    )
    await chair.send(type="cmd", n=1, op="agenda.add", args={"number": "1", "title": "Opening"})
    assert (await chair.recv_type("ack", "error"))["type"] == "ack"
    await admin.reissue(live.plenary.backend, live.meeting.id, "chair", None)
    await chair.send(type="cmd", n=2, op="agenda.add", args={"number": "2", "title": "Late"})
    with pytest.raises(websockets.ConnectionClosed) as info:
        while True:
            await chair.recv(5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 4401 and "revoked" in info.value.rcvd.reason
    assert [e.data.get("title") for e in await read_all(live)] == ["Opening"]


async def read_all(live: LiveServer) -> list[Any]:
    return await live.plenary.backend.read(room_key(live.meeting.id, "plenary"), 0, 100)


async def test_a_connected_captioner_whose_link_is_revoked_stops_writing(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="cap-1"
    )
    await cap.send(type="commit", n=1, text="Before the new link.")
    assert (await cap.recv_type("ack", "error"))["type"] == "ack"
    await admin.reissue(live.plenary.backend, live.meeting.id, "captioner", "plenary")
    # The link is checked again once CAPTIONER_RECHECK_S has passed; here, at once.
    monkeypatch.setattr("server.web.session.CAPTIONER_RECHECK_S", 0.0)
    await cap.send(type="commit", n=2, text="After the new link.")
    with pytest.raises(websockets.ConnectionClosed) as info:
        while True:
            await cap.recv(5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 4401 and "revoked" in info.value.rcvd.reason
    assert [e.data["text"] for e in await read_all(live)] == ["Before the new link."]
