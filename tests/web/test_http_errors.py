"""One error path for HTTP: every refusal is JSON (plain text for caption software) with a code,
validation errors are 400, conflicts 409, and while the record is unreachable every endpoint
answers 503 with Retry-After, never 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.config import Settings
from server.services import admin
from server.web.app import _heartbeats, create_app
from server.web.context import Plenary
from tests.conftest import LiveServer, _serve
from tests.redis_support import RedisServer
from tests.support import Client, eventually, free_port


def chair(live: LiveServer) -> dict[str, str]:
    return {"authorization": f"Bearer {live.keys['chair']}"}


async def test_validation_is_400_and_a_conflict_409(live: LiveServer) -> None:
    api = f"{live.base}/api/m/{live.meeting.id}"
    async with httpx.AsyncClient() as http:
        bad = await http.post(f"{api}/rooms", json={"name": 5}, headers=chair(live))
        assert bad.status_code == 400
        assert bad.json() == {"error": "the group's name must be text", "code": "bad_field"}
        assert (await http.post(f"{api}/rooms", content=b"{", headers=chair(live))).json()[
            "code"
        ] == "bad_json"
        opened = await http.post(f"{api}/rooms", json={"name": "Group C"}, headers=chair(live))
        assert opened.status_code == 200
        again = await http.post(f"{api}/rooms", json={"name": "Group C"}, headers=chair(live))
        assert again.status_code == 409 and again.json()["code"] == "exists"
        viewer = await http.post(f"{api}/rooms", json={"name": "Group D"})
        assert viewer.status_code == 403 and viewer.json()["code"] == "forbidden"
        missing = await http.get(f"{api}/nowhere/floor")
        assert missing.status_code == 404 and missing.json()["code"] == "no_such_room"
        wrong = await http.get(f"{api}/plenary/open")
        assert wrong.status_code == 405 and wrong.headers["allow"].startswith("POST")
        caption = await http.get(f"{live.base}/api/caption/{live.meeting.id}/plenary?seq=1")
        assert caption.headers["content-type"].startswith("text/plain")  # for caption software
        assert caption.status_code == 405 and "use POST" in caption.text


async def test_the_pages_and_the_server_share_one_vocabulary(live: LiveServer) -> None:
    async with httpx.AsyncClient() as http:
        words = (await http.get(f"{live.base}/api/vocabulary.json")).json()
    assert words["kinds"]["point_of_order"] == {
        "noun": "point of order",
        "label": "point of order",
        "asking": "on a point of order",
    }
    assert words["statuses"]["not_discussed"] == "not discussed"
    assert words["presences"] == {"in_room": "in the room", "remote": "remote"}


@pytest.fixture
async def unreachable(tmp_path: Path) -> AsyncIterator[tuple[str, str, dict[str, str]]]:
    """A server on Redis with one meeting; then Redis goes away."""
    redis = RedisServer(tmp_path / "redis").start()
    settings = Settings(port=free_port(), data_dir=tmp_path / "data", backend_url=redis.url())
    try:
        async for app, _ in _serve(settings):
            px: Plenary = app.state.plenary  # type: ignore[attr-defined]
            meeting, keys = await admin.create_meeting(px.backend, "Outage", ["Plenary"])
            redis.kill()
            yield f"http://127.0.0.1:{settings.port}", meeting.id, keys
    finally:
        redis.kill()


async def test_every_endpoint_answers_503_with_retry_after_while_redis_is_away(
    unreachable: tuple[str, str, dict[str, str]],
) -> None:
    base, m, keys = unreachable
    bearer = {"authorization": f"Bearer {keys['chair']}"}
    cap = keys["captioner:plenary"]
    calls = [
        ("GET", f"/api/m/{m}/plenary/transcript.txt", None),
        ("GET", f"/api/m/{m}/transcript.md", None),
        ("GET", f"/api/m/{m}/record/digest.json", bearer),
        ("GET", f"/api/m/{m}/record/search?q=x", bearer),
        ("GET", f"/api/m/{m}/record/facets", bearer),
        ("GET", f"/api/m/{m}/record/charts", bearer),
        ("GET", f"/api/m/{m}/agenda", None),
        ("GET", f"/api/m/{m}/plenary/floor", None),
        ("POST", f"/api/m/{m}/participants", bearer),
        ("POST", f"/api/m/{m}/rooms", bearer),
        ("POST", f"/api/m/{m}/plenary/close", bearer),
        ("POST", f"/api/caption/{m}/plenary?key={cap}&seq=1", None),
        ("GET", f"/api/caption/{m}/plenary/seq?key={cap}", None),
    ]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for method, path, headers in calls:
            body = b'{"name": "Someone"}' if method == "POST" else None
            r = await http.request(method, path, headers=headers, content=body)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.headers["retry-after"] == "1", path
            assert "retry" in r.text, path


async def test_a_failing_heartbeat_round_does_not_stop_the_heartbeats(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("server.web.app.HEARTBEAT_INTERVAL_S", 0.01)
    px: Plenary = live.plenary
    rounds: list[int] = []

    def refresh() -> None:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("the first round fails")

    monkeypatch.setattr(px.presence, "refresh", refresh)
    beats = asyncio.create_task(_heartbeats(px))
    try:
        await eventually(lambda: len(rounds) >= 3, what="rounds after the failing one")
    finally:
        beats.cancel()
    assert "a heartbeat round failed" in caplog.text and "the first round fails" in caplog.text


async def test_one_address_may_hold_only_so_many_connections(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("server.web.ws.MAX_CONNECTIONS_PER_ADDRESS", 2)
    first = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    second = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    with pytest.raises(Exception) as refused:
        await Client.connect(live.base_ws, live.meeting.id, "plenary")
    assert getattr(refused.value, "rcvd", None) is not None and refused.value.rcvd.code == 4429
    await first.close()
    await eventually(
        lambda: live.plenary.connections.get("127.0.0.1", 0) < 2, what="the first one counted out"
    )
    third = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    await second.close()
    await third.close()


def test_the_app_builds_without_a_running_loop() -> None:
    assert create_app(Settings(backend_url="memory://")).state.plenary.rooms.followed() == 0
