"""The plain-HTTP fallback on both backends, driven by a client written with an HTTP library
only: it resumes from Last-Event-ID with no gap and no duplicate, carries commands exactly once
with the websocket's answers (and its numbering, across transports), checks roles and Origin as
the websocket does, coalesces the live line, and drops a reader that stops reading without
slowing anyone else."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from server.domain import auth
from server.domain.keys import room_key
from server.domain.meetings import Meeting
from server.limits import LIVE_FLUSH_INTERVAL_S
from server.metrics import METRICS
from server.services import admin
from server.web import sse as sse_web
from tests.conftest import LiveServer
from tests.sse_support import Refused, SseClient, is_recorded, post
from tests.support import Client, eventually
from tests.web.test_floor_ws import register


async def sse(live: LiveServer, room: str = "plenary", **kw: Any) -> SseClient:
    return await SseClient.connect(live.base, live.meeting.id, room, **kw)


async def commit(client: SseClient, text: str, n: int) -> dict[str, Any]:
    status, reply = await client.post(type="commit", n=n, text=text)
    assert status == 200, reply
    assert reply["type"] == "ack" and reply["n"] == n, reply
    return dict(reply)


async def test_a_fallback_reader_resumes_from_last_event_id_with_no_gap_and_no_duplicate(
    live: LiveServer,
) -> None:
    captioner = await sse(live, key=live.captioner_key(), client="c-cap", name="Ann")
    viewer = await sse(live)
    assert viewer.welcome["role"] == "viewer" and viewer.welcome["last_seq"] == 0
    assert captioner.welcome["role"] == "captioner"
    for n in range(1, 6):
        ack = await commit(captioner, f"line {n}", n)
        assert ack["seq"] == n and ack["duplicate"] is False
    events = await viewer.events_until(5)
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert [e["data"]["text"] for e in events] == [f"line {n}" for n in range(1, 6)]
    assert events[0]["data"]["captioner"] == "Ann"
    # Each event's id is the seq of the last recorded frame it carries.
    assert viewer.last_id == 5
    await viewer.close()

    # Lines recorded while it was away, then a reconnect with Last-Event-ID: exactly the rest.
    await commit(captioner, "line 6", 6)
    await commit(captioner, "line 7", 7)
    again = await sse(live, last_event_id=3, after=0)  # the header wins over the query
    assert again.welcome["last_seq"] == 7 and again.welcome["reset"] is False
    assert [e["seq"] for e in await again.events_until(7)] == [4, 5, 6, 7]
    await commit(captioner, "line 8", 8)
    await again.events_until(8)
    assert again.seqs() == [4, 5, 6, 7, 8]
    await again.close()

    # The first request of a client says where it is with `after`.
    first = await sse(live, after=6)
    assert [e["seq"] for e in await first.events_until(8)] == [7, 8]
    await first.close()

    # A resume point beyond the record: told to reset, then given everything from seq 1.
    beyond = await sse(live, last_event_id=99)
    assert beyond.welcome["reset"] is True
    assert [e["seq"] for e in await beyond.events_until(8)] == list(range(1, 9))
    await beyond.close()
    await captioner.close()


async def test_commands_are_carried_out_once_whichever_transport_sends_them(
    live: LiveServer,
) -> None:
    captioner = await sse(live, key=live.captioner_key(), client="c-both")
    first = await commit(captioner, "only once", 1)
    again = await commit(captioner, "only once", 1)
    assert first["seq"] == 1 and first["duplicate"] is False
    assert again == {"type": "ack", "n": 1, "seq": None, "duplicate": True}
    # The same client id over the websocket continues the same numbering.
    ws = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="c-both"
    )
    await ws.send(type="commit", n=1, text="only once")
    assert await ws.recv_type("ack") == again
    await ws.send(type="commit", n=2, text="second")
    assert (await ws.recv_type("ack"))["seq"] == 2
    status, reply = await captioner.post(type="commit", n=2, text="second")
    assert (status, reply["duplicate"]) == (200, True)
    # A correction and a ping answer as they do over the websocket.
    status, reply = await captioner.post(type="correct", n=3, line=1, text="only once, really")
    assert status == 200 and reply["seq"] == 3
    assert await captioner.post(type="ping") == (200, {"type": "pong"})
    viewer = await sse(live)
    texts = [e["data"].get("text") for e in await viewer.events_until(3)]
    assert texts == ["only once", "second", "only once, really"]
    for client in (viewer, captioner):
        await client.close()
    await ws.close()


async def test_bad_messages_get_the_websockets_error_frames(live: LiveServer) -> None:
    captioner = await sse(live, key=live.captioner_key(), client="c-bad")
    cases: list[tuple[Any, int, str]] = [
        ("not json", 400, "bad_json"),
        ({"type": "commit", "n": 4, "text": "  "}, 400, "empty_line"),
        ({"type": "nonsense", "n": 5}, 400, "unknown_type"),
        ({"type": "correct", "n": 6, "line": 999, "text": "x"}, 409, "no_such_line"),
        ({"type": "hello", "after": 0}, 400, "bad_message"),
    ]
    for message, status, code in cases:
        got, reply = (
            await captioner.post(**message)
            if isinstance(message, dict)
            else (await post(captioner.http, captioner.url, message, key=live.captioner_key()))
        )
        assert (got, reply["type"], reply["code"]) == (status, "error", code), message
        assert reply["n"] == (message.get("n") if isinstance(message, dict) else None)
    # Too large a body, and a body that is not UTF-8, are refused before anything is read.
    big = json.dumps({"type": "commit", "n": 7, "text": "x" * 70_000})
    assert (await post(captioner.http, captioner.url, big))[0] == 413
    status, body = await post(captioner.http, captioner.url, b"\xff\xfe")
    assert status == 400 and "UTF-8" in body["error"]
    # Nothing of it was recorded.
    assert live.plenary.hub.channels[room_key(live.meeting.id, "plenary")].last_seq == 0
    await captioner.close()


async def test_roles_and_credentials_are_checked_as_on_the_websocket(live: LiveServer) -> None:
    url = f"{live.base}/sse/{live.meeting.id}/plenary"
    viewer = await sse(live, client="c-viewer")
    status, reply = await viewer.post(type="commit", n=1, text="not mine to say")
    assert (status, reply["code"], reply["n"]) == (403, "forbidden", 1)
    status, reply = await viewer.post(type="edit", **{"del": 0, "ins": "typing"})
    assert (status, reply["code"]) == (403, "forbidden")
    status, reply = await viewer.command("floor.grant", entry=1)
    assert status == 403 and reply["code"] == "forbidden"
    # Another room's captioner link, a key that is not valid, a key in the URL.
    with pytest.raises(Refused) as other:
        await sse(live, "plenary", key=live.captioner_key("break-out-a"))
    assert (other.value.status, other.value.body["close"]) == (403, 4403)
    with pytest.raises(Refused) as bad:
        await sse(live, key="nope.nope")
    assert (bad.value.status, bad.value.body["close"]) == (401, 4401)
    async with httpx.AsyncClient() as http:
        r = await http.get(url, params={"key": live.captioner_key()})
        assert r.status_code == 400 and "header" in r.json()["error"]
        status, body = await post(http, url, {"type": "ping"}, key="nope.nope")
        assert (status, body["close"]) == (401, 4401)
        r = await http.get(f"{live.base}/sse/{live.meeting.id}/nowhere")
        assert (r.status_code, r.json()["close"]) == (404, 4404)
        r = await http.get(url, params={"after": "-1"})
        assert r.status_code == 400
    assert live.plenary.hub.channels[room_key(live.meeting.id, "plenary")].last_seq == 0
    await viewer.close()


async def test_a_passcode_is_sent_in_a_header(live: LiveServer) -> None:
    def protect(m: Meeting) -> None:
        m.viewer_passcode_hash = auth.hash_passcode("letmein")

    await admin.update_meeting(live.plenary.backend, live.meeting.id, protect)
    with pytest.raises(Refused) as required:
        await sse(live)
    assert (required.value.status, required.value.body["error"]) == (401, "passcode required")
    with pytest.raises(Refused) as wrong:
        await sse(live, passcode="guess")
    assert wrong.value.status == 401
    viewer = await sse(live, passcode="letmein")
    assert viewer.welcome["role"] == "viewer"
    await viewer.close()


async def test_the_origin_is_checked_on_both_requests(live: LiveServer) -> None:
    url = f"{live.base}/sse/{live.meeting.id}/plenary"
    with pytest.raises(Refused) as refused:
        await sse(live, origin="https://evil.example")
    assert (refused.value.status, refused.value.body["close"]) == (403, 4403)
    async with httpx.AsyncClient() as http:
        status, body = await post(
            http, url, {"type": "commit", "n": 1, "text": "x"},
            key=live.captioner_key(), origin="https://evil.example",
        )  # fmt: skip
        assert (status, body["close"]) == (403, 4403)
    own = await sse(live, origin=live.base)
    assert own.welcome["type"] == "welcome"
    await own.close()


async def test_the_participant_asks_for_the_floor_and_the_chair_grants_it_over_http(
    live: LiveServer,
) -> None:
    (ana_key, *_) = await register(live)
    ana = await sse(live, key=ana_key, client="c-ana")
    chair = await sse(live, key=live.keys["chair"], client="c-chair")
    status, ack = await ana.command("floor.request", kind="speak")
    assert status == 200 and ack["duplicate"] is False
    requested = (await chair.events_until(ack["seq"]))[-1]
    assert requested["type"] == "floor.requested"
    status, granted = await chair.command("floor.grant", entry=requested["seq"])
    assert status == 200, granted
    seen = (await ana.events_until(granted["seq"]))[-1]
    assert seen["type"] == "floor.granted"
    # The same request again (a retry after a lost answer) is not carried out twice.
    ana.n -= 1
    status, again = await ana.command("floor.request", kind="speak")
    assert (status, again["duplicate"]) == (200, True)
    for client in (ana, chair):
        await client.close()


async def test_the_live_line_reaches_fallback_and_websocket_viewers_coalesced(
    live: LiveServer,
) -> None:
    captioner = await sse(live, key=live.captioner_key(), client="c-live", name="Ann")
    viewer = await sse(live)
    ws = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    typed = "the chair opens the meeting"
    for i in range(len(typed)):
        status, _ = await captioner.post(type="edit", **{"del": 0, "ins": typed[i]})
        assert status == 204
    conn = captioner.welcome["conn"]

    def last_text(frames: list[dict[str, Any]]) -> str | None:
        lines = [ln for f in frames if f["type"] == "live" for ln in f["data"]["lines"]]
        mine = [ln["text"] for ln in lines if ln["by"] == conn]
        return mine[-1] if mine else None

    for client in (viewer, ws):
        while last_text(client.frames) != typed:
            await client.recv()
        lives = [f["ts"] for f in client.frames if f["type"] == "live"]
        # At most ten a second whatever the typing rate, for both kinds of reader.
        assert all(b - a >= LIVE_FLUSH_INTERVAL_S * 1000 * 0.9 for a, b in pairwise(lives))
    # Committing clears it; leaving clears it too (for a line left uncommitted).
    await captioner.post(type="edit", **{"del": 100, "ins": "left open"})
    while last_text(viewer.frames) != "left open":
        await viewer.recv()
    await captioner.close()
    while last_text(viewer.frames) != "":
        await viewer.recv()
    await viewer.close()
    await ws.close()


def dropped() -> float:
    return METRICS.registry.get_sample_value("plenary_slow_clients_dropped_total") or 0.0


async def test_a_fallback_reader_that_stops_reading_is_dropped_and_slows_nobody(
    live: LiveServer,
) -> None:
    key = room_key(live.meeting.id, "plenary")
    channel = live.plenary.hub.channels.get(key)
    before = dropped()
    # A reader with a tiny receive window that never reads after its request.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    port = int(live.base.rsplit(":", 1)[1])
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    request = f"GET /sse/{live.meeting.id}/plenary HTTP/1.1\r\nHost: x\r\n\r\n"
    await asyncio.get_running_loop().sock_sendall(sock, request.encode())
    reading = await sse(live)
    ws = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    channel = live.plenary.hub.channels[key]
    await eventually(lambda: len(channel.outboxes) == 3, what="three readers in the room")
    runtime = await live.plenary.rooms.get(live.meeting.id, "plenary")
    started = time.monotonic()
    received = asyncio.gather(reading.events_until(600, 60), ws.events_until(600, 60))
    line = "x" * 2990
    for batch in range(30):  # 600 lines of 3,000 characters: past a reader's outbox bound
        lines = [{"text": f"{batch:03d}.{i:02d} {line}", "speaker": "", "lang": "",
                  "captioner": "t", "source": "test"} for i in range(20)]  # fmt: skip
        await runtime.commit_lines(lines, None, None)
    sse_events, ws_events = await received
    assert [e["seq"] for e in sse_events] == list(range(1, 601))
    assert [e["seq"] for e in ws_events] == list(range(1, 601))
    assert time.monotonic() - started < 30
    await eventually(lambda: len(channel.outboxes) == 2, 30, "the stalled reader to be dropped")
    assert dropped() > before
    sock.close()
    # Dropped, it resumes where it stopped and is given exactly what it had not read.
    resumed = await sse(live, last_event_id=450)
    assert [e["seq"] for e in await resumed.events_until(600, 30)] == list(range(451, 601))
    for client in (resumed, reading):
        await client.close()
    await ws.close()


async def test_a_heartbeat_reaches_a_fallback_reader(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = await sse(live)
    live.plenary.hub.heartbeat()
    beat = await viewer.recv_type("hb")
    assert beat == {"type": "hb", "seq": 0}
    await viewer.close()


def test_recorded_frames_are_told_from_the_others() -> None:
    assert is_recorded({"seq": 1, "room": "plenary", "type": "line"})
    assert not is_recorded({"type": "hb", "seq": 3})


# -- what an HTTP client says in its request -------------------------------------------------------
def request_with(query: list[tuple[str, str]], headers: list[tuple[str, str]]) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/sse/m/plenary",
        "query_string": urlencode(query).encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
    }
    return Request(scope)


header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80)


@given(
    st.lists(st.tuples(st.sampled_from(["after", "client", "name", "other", "n"]), st.text()),
             max_size=5),
    st.lists(st.tuples(st.sampled_from(["last-event-id", "authorization", "x-plenary-passcode"]),
                       header_text), max_size=3),
)  # fmt: skip
def test_any_request_is_a_checked_hello_or_a_clear_refusal(
    query: list[tuple[str, str]], headers: list[tuple[str, str]]
) -> None:
    try:
        hello = sse_web.hello_of(request_with(query, headers))
    except sse_web.Refused as exc:
        assert exc.code == 4400 and exc.reason
        return
    assert 0 <= hello.after and (hello.client is None or len(hello.client) <= 64)


def test_a_secret_in_the_query_is_refused() -> None:
    for name in ("key", "passcode"):
        with pytest.raises(sse_web.Refused, match="header"):
            sse_web.hello_of(request_with([(name, "ab.cd")], []))
    hello = sse_web.hello_of(
        request_with([("after", "4"), ("client", "c-1"), ("name", "Ann")],
                     [("Last-Event-ID", "9"), ("Authorization", "Bearer ab.cd")])
    )  # fmt: skip
    assert (hello.after, hello.client, hello.name, hello.key) == (9, "c-1", "Ann", "ab.cd")


async def test_messages_are_rate_limited_per_connection(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The websocket's bucket (a burst of 200, then 40 a second), made small enough to reach.
    monkeypatch.setattr(sse_web, "CLIENT_BURST", 5)
    monkeypatch.setattr(sse_web, "CLIENT_RATE_PER_S", 0.1)
    monkeypatch.setattr(sse_web, "_buckets", sse_web._Buckets())  # forgotten after the test
    viewer = await sse(live)
    answers = [await viewer.post(type="ping") for _ in range(10)]
    assert [status for status, _ in answers[:5]] == [200] * 5
    limited = [body for status, body in answers[5:] if status == 429]
    assert limited and all(body["close"] == 4429 for body in limited)
    # Another connection has its own bucket; leaving the connection out does not escape it.
    other = await sse(live)
    assert await other.post(type="ping") == (200, {"type": "pong"})
    async with httpx.AsyncClient() as http:
        bare = [(await post(http, viewer.url, {"type": "ping"}))[0] for _ in range(10)]
    assert 429 in bare
    await viewer.close()
    await other.close()
