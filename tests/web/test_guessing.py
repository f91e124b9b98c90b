"""Guessing keys and passcodes is slow and hurts no one else: wrong ones are throttled per client
address (429 / close 4429 with when to retry) and per meeting (passcodes not yet known to be
right), on HTTP, the websocket and the caption URLs."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets

from server.limits import GUESS_ADDRESS_BURST, GUESS_MEETING_BURST
from server.services import admin
from tests.conftest import LiveServer


def at(address: str, **headers: str) -> dict[str, str]:
    # The test server trusts X-Forwarded-For from 127.0.0.1, as behind a proxy.
    return {"x-forwarded-for": address, **headers}


async def ws_close(live: LiveServer, address: str, meeting: str | None = None, **hello: str) -> int:
    async with websockets.connect(
        f"{live.base_ws}/ws/{meeting or live.meeting.id}/plenary", additional_headers=at(address)
    ) as ws:
        await ws.send(json.dumps({"type": "hello", **hello}))
        try:
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["type"] == "welcome":
                    return 0
        except websockets.ConnectionClosed as exc:
            assert exc.rcvd is not None
            return exc.rcvd.code


async def test_wrong_keys_over_http_are_throttled_per_address(live: LiveServer) -> None:
    api = f"{live.base}/api/m/{live.meeting.id}/participants"
    async with httpx.AsyncClient() as http:
        for _ in range(GUESS_ADDRESS_BURST):
            r = await http.get(api, headers=at("10.0.0.1", authorization="Bearer x.y"))
            assert r.status_code == 401
        r = await http.get(api, headers=at("10.0.0.1", authorization="Bearer x.y"))
        assert r.status_code == 429 and r.json()["code"] == "throttled"
        assert int(r.headers["retry-after"]) >= 1 and "retry in" in r.json()["error"]
        # Even the right key waits at that address; another address is not affected.
        right = f"Bearer {live.keys['chair']}"
        assert (await http.get(api, headers=at("10.0.0.1", authorization=right))).status_code == 429
        assert (await http.get(api, headers=at("10.0.0.2", authorization=right))).status_code == 200


async def test_wrong_keys_on_the_websocket_close_4429(live: LiveServer) -> None:
    for _ in range(GUESS_ADDRESS_BURST):
        assert await ws_close(live, "10.0.1.1", key="nope.nope") == 4401
    assert await ws_close(live, "10.0.1.1", key="nope.nope") == 4429
    assert await ws_close(live, "10.0.1.2", key=live.keys["chair"]) == 0


async def test_wrong_caption_keys_get_a_plain_text_429(live: LiveServer) -> None:
    url = f"{live.base}/api/caption/{live.meeting.id}/plenary"
    async with httpx.AsyncClient() as http:
        for seq in range(GUESS_ADDRESS_BURST):
            r = await http.post(
                f"{url}?key=bad.key&seq={seq}", content=b"x", headers=at("10.0.2.1")
            )
            assert r.status_code == 403
        r = await http.post(f"{url}?key=bad.key&seq=99", content=b"x", headers=at("10.0.2.1"))
        assert r.status_code == 429 and r.headers["content-type"].startswith("text/plain")
        assert "retry in" in r.text and int(r.headers["retry-after"]) >= 1
        good = f"{url}?key={live.captioner_key()}&seq=1"
        assert (
            await http.post(good, content=b"hello\n", headers=at("10.0.2.2"))
        ).status_code == 200


async def test_a_meeting_under_attack_keeps_its_viewers(live: LiveServer) -> None:
    meeting, _ = await admin.create_meeting(
        live.plenary.backend, "Closed session", ["Plenary"], passcode="geneva2014"
    )
    # A viewer who entered the right passcode before the attack.
    assert await ws_close(live, "10.1.0.1", meeting.id, passcode="geneva2014") == 0
    # Guessers from many addresses, each within its own budget: the meeting's budget runs out
    # (a little later than its burst, as it refills while they guess).
    codes = [
        await ws_close(live, f"10.2.0.{i}", meeting.id, passcode=f"g{i}")
        for i in range(GUESS_MEETING_BURST + 20)
    ]
    assert codes[:GUESS_MEETING_BURST] == [4401] * GUESS_MEETING_BURST
    assert 4429 in codes
    assert await ws_close(live, "10.3.0.1", meeting.id, passcode="another guess") == 4429
    # The right passcode, known to be right, still opens the meeting from anywhere; so do keys.
    assert await ws_close(live, "10.3.0.2", meeting.id, passcode="geneva2014") == 0
    async with httpx.AsyncClient() as http:
        r = await http.get(
            f"{live.base}/api/m/{meeting.id}", headers=at("10.3.0.3", **{"x-plenary-passcode": "x"})
        )
    assert r.status_code == 429 and "this meeting" in r.json()["error"]
