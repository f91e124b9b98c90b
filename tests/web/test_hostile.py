"""What a hostile or unlucky client sends cannot stop a process or make the record unreadable
(issue: nothing from outside can break the record)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.backends import Backend
from server.backends.base import BackendUnavailable
from server.backends.embedded import EmbeddedBackend
from server.config import Settings
from server.domain.events import Draft
from server.domain.keys import room_key
from server.record import exports
from tests.conftest import LiveServer, _serve
from tests.support import Client, RawWebSocket, free_port

HUGE = 2**63


async def eventually_async(
    get: Callable[[], Awaitable[Any]], ok: Callable[[Any], bool], timeout: float = 20.0
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await get()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"timed out; last: {value!r}"
        await asyncio.sleep(0.05)


def chair(live: LiveServer) -> dict[str, str]:
    return {"authorization": f"Bearer {live.keys['chair']}"}


def line(text: str) -> Draft:
    return Draft("line", "plenary", {"text": text, "speaker": text, "lang": "", "captioner": text})


# -- 1. one message cannot stop a process ----------------------------------------------------------
async def test_a_huge_command_number_is_refused_and_writes_go_on(live: LiveServer) -> None:
    chair_ws = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.keys["chair"], client="c1"
    )
    for n in (HUGE, 2**53, -1, 1.5, True, "7"):
        await chair_ws.send(type="cmd", n=n, op="floor.add", args={"name": "X"})
        error = await chair_ws.recv_type("error")
        assert error["code"] == "bad_field", (n, error)
    await chair_ws.send(type="commit", n=1, text="still recording")
    ack = await chair_ws.recv_type("ack", timeout=10)
    assert ack["seq"] >= 1 and not ack["duplicate"]


async def test_a_cursor_beyond_range_fails_that_append_only(backend: Backend) -> None:
    key = "{m1/plenary}"
    with pytest.raises(ValueError, match="cursor"):
        await asyncio.wait_for(backend.append(key, [line("a")], cursor=("s", HUGE)), 10)
    done = await asyncio.wait_for(backend.append(key, [line("b")], cursor=("s", 5)), 10)
    assert [e.data["text"] for e in done.events] == ["b"]
    assert (await backend.health())["ok"]


async def test_a_writer_that_stops_makes_the_process_unhealthy_and_fails_writes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The embedded backend's one writer task, stopped from outside (as a bug or a cancelled
    task would): /healthz says so with the cause, writes fail at once instead of hanging."""
    settings = Settings(port=free_port(), data_dir=tmp_path / "data")
    async for app, _ in _serve(settings):
        backend: EmbeddedBackend = app.state.plenary.backend  # type: ignore[attr-defined]
        assert backend._committer is not None
        backend._committer.cancel()
        async with httpx.AsyncClient() as http:
            url = f"http://127.0.0.1:{settings.port}/healthz"
            await eventually_async(lambda: http.get(url), lambda r: r.status_code == 503)
            health = (await http.get(url)).json()
        assert "writer stopped" in health["error"] and "restart" in health["error"]
        with pytest.raises(BackendUnavailable, match="writer stopped"):
            await asyncio.wait_for(backend.append("{m/r}", [line("x")]), 10)
    assert any("writer stopped" in r.getMessage() for r in caplog.records)


async def test_caption_numbers_are_checked_where_they_are_read(live: LiveServer) -> None:
    url = f"{live.base}/api/caption/{live.meeting.id}/plenary?key={live.captioner_key()}"
    async with httpx.AsyncClient() as http:
        for seq in ("%C2%B2", "99999999999999999999", "-1", "1.0"):
            r = await http.post(f"{url}&seq={seq}", content=b"hello")
            assert r.status_code == 403 and "whole number" in r.text, (seq, r.text)
        r = await http.post(
            f"{live.base}/api/m/{live.meeting.id}/files?item=%C2%B2&title=x&filename=x.txt",
            content=b"x",
            headers=chair(live),
        )
        assert r.status_code == 400, r.text


# -- 3. deep or odd JSON --------------------------------------------------------------------------
async def test_deeply_nested_json_is_bad_json(live: LiveServer) -> None:
    deep = '{"type":"cmd","args":' + "[" * 20_000 + "]" * 20_000 + "}"
    client = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    await client.ws.send(deep)
    error = await client.recv_type("error")
    assert error["code"] == "bad_json"


async def test_invalid_utf8_closes_1007_without_a_traceback(
    live: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    raw = await RawWebSocket.connect(f"{live.base_ws}/ws/{live.meeting.id}/plenary")
    raw.send_text(b'{"type":"hello","name":"\xff\xfe"}')
    assert await raw.close_code() == 1007
    raw.abort()
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(
    "query",
    ["from=99999999999999999999", "from=%C2%B2", "to=%C2%B2", "limit=%C2%B2", "after=-1"],
)
async def test_out_of_range_search_values_are_400(live: LiveServer, query: str) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.get(
            f"{live.base}/api/m/{live.meeting.id}/record/search?q=x&{query}", headers=chair(live)
        )
    assert r.status_code in (200, 400), r.text
    if "after" not in query:
        assert r.status_code == 400, r.text


async def test_a_superscript_chart_scope_is_400(live: LiveServer) -> None:
    async with httpx.AsyncClient() as http:
        for query in ("from=%C2%B2", "limit=99999999999999999999"):
            r = await http.get(
                f"{live.base}/api/m/{live.meeting.id}/plenary/lines?{query}", headers=chair(live)
            )
            assert r.status_code == 400 and "whole number" in r.json()["error"], r.text
        r = await http.get(
            f"{live.base}/api/m/{live.meeting.id}/record/charts?scope=%C2%B2", headers=chair(live)
        )
    assert r.status_code == 400, r.text


# -- 2. nothing recorded can make the record unreadable -------------------------------------------
async def test_a_surrogate_in_the_record_still_exports(live: LiveServer) -> None:
    key = room_key(live.meeting.id, "plenary")
    await live.plenary.backend.append(key, [line("before \ud800 \x08 after")])
    api = f"{live.base}/api/m/{live.meeting.id}"
    async with httpx.AsyncClient(timeout=30) as http:
        for fmt in exports.FORMATS:
            r = await http.get(f"{api}/plenary/transcript.{fmt}")
            assert r.status_code == 200, (fmt, r.text)
        for fmt in exports.MEETING_FORMATS:
            r = await http.get(f"{api}/transcript.{fmt}")
            assert r.status_code == 200, (fmt, r.text)
        r = await http.get(f"{api}/record/search?q=before", headers=chair(live))
        assert r.status_code == 200, r.text
        r = await http.get(f"{api}/record/facets", headers=chair(live))
        assert r.status_code == 200, r.text


async def test_a_surrogate_sent_over_the_websocket_is_not_recorded_as_one(
    live: LiveServer,
) -> None:
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="k"
    )
    await cap.ws.send('{"type":"commit","n":1,"text":"a \\ud800 b","speaker":"\\udc00"}')
    frame = await cap.recv_type("ack", "error")
    events = await live.plenary.backend.read(room_key(live.meeting.id, "plenary"), 0, 100)
    for e in events:
        json.dumps(e.data, ensure_ascii=False).encode()  # real Unicode: encodes as UTF-8
    assert frame["type"] in ("ack", "error")


# -- 4. exactly-once is per credential -----------------------------------------------------------
async def test_a_reused_client_id_cannot_swallow_a_captioners_lines(live: LiveServer) -> None:
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="shared"
    )
    chair_ws = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.keys["chair"], client="shared"
    )
    await chair_ws.send(type="cmd", n=50, op="floor.add", args={"name": "Delegate"})
    await chair_ws.recv_type("ack", "error")
    await cap.send(type="commit", n=1, text="my first line")
    ack = await cap.recv_type("ack", timeout=10)
    assert not ack["duplicate"] and ack["seq"] is not None


# -- 6. roles say what the docs say --------------------------------------------------------------
async def test_a_captioner_of_another_room_cannot_read_this_room_over_http(
    live: LiveServer,
) -> None:
    other = live.captioner_key("break-out-a")
    async with httpx.AsyncClient() as http:
        r = await http.get(
            f"{live.base}/api/m/{live.meeting.id}/plenary/transcript.txt",
            headers={"authorization": f"Bearer {other}"},
        )
    assert r.status_code == 403, r.text
    async with httpx.AsyncClient() as http:
        own = await http.get(
            f"{live.base}/api/m/{live.meeting.id}/break-out-a/transcript.txt",
            headers={"authorization": f"Bearer {other}"},
        )
        whole = await http.get(
            f"{live.base}/api/m/{live.meeting.id}/transcript.txt",
            headers={"authorization": f"Bearer {other}"},
        )
    assert own.status_code == 200 and whole.status_code == 403
