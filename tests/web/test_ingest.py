"""Caption ingest over HTTP: Zoom's closed-caption API and YouTube's caption format."""

from __future__ import annotations

import httpx
import pytest

from server.domain.keys import room_key
from tests.conftest import LiveServer


def caption_url(live: LiveServer, room: str = "plenary", kind: str = "caption") -> str:
    return f"{live.base}/api/{kind}/{live.meeting.id}/{room}"


async def lines(live: LiveServer, room: str = "plenary") -> list[str]:
    events = await live.plenary.backend.read(room_key(live.meeting.id, room), 0, 1000)
    return [e.data["text"] for e in events if e.type == "line"]


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_zoom_post_records_lines_and_returns_timestamp(live: LiveServer, http) -> None:
    key = live.captioner_key()
    r = await http.post(
        caption_url(live),
        params={"key": key, "seq": 1, "lang": "en-US"},
        content="Good morning, distinguished delegates.\n",
        headers={"content-type": "text/plain"},
    )
    assert r.status_code == 200
    assert r.text[:4].isdigit() and "T" in r.text  # the server's timestamp
    r = await http.post(
        caption_url(live),
        params={"key": key, "seq": 2, "lang": "en-US"},
        content="First line\nSecond line\nA fragment without newline",
    )
    assert r.status_code == 200
    assert await lines(live) == [
        "Good morning, distinguished delegates.",
        "First line",
        "Second line",
        "A fragment without newline",
    ]
    events = await live.plenary.backend.read(room_key(live.meeting.id, "plenary"), 0, 10)
    assert events[0].data["lang"] == "en-US" and events[0].data["source"] == "zoom"
    r = await http.get(caption_url(live) + "/seq", params={"key": key, "lang": "en-US"})
    assert r.status_code == 200 and r.text == "2"


async def test_zoom_repeated_seq_is_acknowledged_not_recorded_twice(live: LiveServer, http) -> None:
    key = live.captioner_key()
    for _ in range(3):  # a retry after a lost response
        r = await http.post(caption_url(live), params={"key": key, "seq": 1}, content="Once.")
        assert r.status_code == 200
    # Out of order: an older seq after a newer one is acknowledged and not recorded.
    r = await http.post(caption_url(live), params={"key": key, "seq": 5}, content="Five.")
    assert r.status_code == 200
    r = await http.post(caption_url(live), params={"key": key, "seq": 3}, content="Three.")
    assert r.status_code == 200
    # A gap is accepted: the sender's counter may skip.
    r = await http.post(caption_url(live), params={"key": key, "seq": 9}, content="Nine.")
    assert await lines(live) == ["Once.", "Five.", "Nine."]
    r = await http.get(caption_url(live) + "/seq", params={"key": key})
    assert r.text == "9"


async def test_seq_before_any_post_is_zero(live: LiveServer, http) -> None:
    r = await http.get(caption_url(live) + "/seq", params={"key": live.captioner_key()})
    assert r.status_code == 200 and r.text == "0"


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"seq": 1}, 403, "key"),
        ({"key": "nope.nope", "seq": 1}, 403, "key"),
        ({"key": "KEY"}, 403, "seq"),
        ({"key": "KEY", "seq": "x"}, 403, "seq"),
        ({"key": "KEY", "seq": 0}, 403, "seq"),
    ],
)
async def test_zoom_errors_say_what_to_fix(live: LiveServer, http, params, status, words) -> None:
    params = {k: (live.captioner_key() if v == "KEY" else v) for k, v in params.items()}
    r = await http.post(caption_url(live), params=params, content="text")
    assert r.status_code == status
    assert words in r.text
    assert await lines(live) == []


async def test_captioner_key_of_another_room_is_refused(live: LiveServer, http) -> None:
    r = await http.post(
        caption_url(live),
        params={"key": live.captioner_key("break-out-a"), "seq": 1},
        content="wrong room",
    )
    assert r.status_code == 403
    assert await lines(live) == []


async def test_wrong_method_is_405(live: LiveServer, http) -> None:
    r = await http.put(
        caption_url(live), params={"key": live.captioner_key(), "seq": 1}, content="x"
    )
    assert r.status_code == 405
    assert "POST" in r.text


async def test_closed_room_is_400(live: LiveServer, http) -> None:
    r = await http.post(
        f"{live.base}/api/m/{live.meeting.id}/plenary/close",
        headers={"authorization": f"Bearer {live.keys['chair']}"},
    )
    assert r.status_code == 200
    r = await http.post(
        caption_url(live), params={"key": live.captioner_key(), "seq": 1}, content="too late"
    )
    assert r.status_code == 400 and "closed" in r.text
    assert await lines(live) == []


async def test_unknown_meeting_or_room_is_404(live: LiveServer, http) -> None:
    r = await http.post(
        f"{live.base}/api/caption/nosuchmeeting/plenary",
        params={"key": live.captioner_key(), "seq": 1},
        content="x",
    )
    assert r.status_code == 404
    r = await http.post(
        caption_url(live, "nosuchroom"), params={"key": live.captioner_key(), "seq": 1}, content="x"
    )
    assert r.status_code == 404


async def test_oversized_and_invalid_bodies(live: LiveServer, http) -> None:
    key = live.captioner_key()
    r = await http.post(caption_url(live), params={"key": key, "seq": 1}, content="x" * (70 * 1024))
    assert r.status_code == 413
    r = await http.post(
        caption_url(live), params={"key": key, "seq": 2}, content=b"caf\xe9 au lait"
    )
    assert r.status_code == 400 and "UTF-8" in r.text
    assert await lines(live) == []
    # Nothing was accepted, so seq 1 is still free.
    r = await http.post(caption_url(live), params={"key": key, "seq": 1}, content="fine")
    assert r.status_code == 200
    assert await lines(live) == ["fine"]


async def test_youtube_cues(live: LiveServer, http) -> None:
    body = (
        "2014-02-24T09:00:01.000 region:reg1#cue1\nThe Chair opened the meeting.\n"
        "2014-02-24T09:00:04.500\nThe agenda<br>was adopted.\n"
    )
    r = await http.post(
        caption_url(live, kind="youtube"),
        params={"key": live.captioner_key(), "seq": 1},
        content=body,
    )
    assert r.status_code == 200
    assert await lines(live) == ["The Chair opened the meeting.", "The agenda", "was adopted."]
    events = await live.plenary.backend.read(room_key(live.meeting.id, "plenary"), 0, 10)
    assert [e.data.get("at") for e in events] == [
        "2014-02-24T09:00:01.000",
        "2014-02-24T09:00:04.500",
        "2014-02-24T09:00:04.500",
    ]
    r = await http.post(
        caption_url(live, kind="youtube"),
        params={"key": live.captioner_key(), "seq": 1},
        content=body,
    )
    assert r.status_code == 200
    assert len(await lines(live)) == 3
    r = await http.get(
        caption_url(live, kind="youtube") + "/seq", params={"key": live.captioner_key()}
    )
    assert r.text == "1"


async def test_viewer_sees_ingested_lines(live: LiveServer, http) -> None:
    from tests.support import Client

    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    await http.post(
        caption_url(live), params={"key": live.captioner_key(), "seq": 1}, content="Via Zoom."
    )
    line = await viewer.recv_type("line")
    assert line["seq"] == 1 and line["data"]["text"] == "Via Zoom."


async def test_record_unavailable_is_503_and_retryable(live: LiveServer, http, monkeypatch) -> None:
    from server.backends.base import BackendUnavailable

    async def unavailable(meeting_id: str) -> None:
        raise BackendUnavailable("connection refused")

    monkeypatch.setattr(live.plenary.backend, "load_meeting", unavailable)
    r = await http.post(
        caption_url(live), params={"key": live.captioner_key(), "seq": 1}, content="held back"
    )
    assert r.status_code == 503 and r.headers["retry-after"] == "1" and "retry" in r.text
    r = await http.get(f"{live.base}/api/m/{live.meeting.id}")
    assert r.status_code == 503 and "retry" in r.json()["error"]
    monkeypatch.undo()
    r = await http.post(
        caption_url(live), params={"key": live.captioner_key(), "seq": 1}, content="held back"
    )
    assert r.status_code == 200
    assert await lines(live) == ["held back"]
