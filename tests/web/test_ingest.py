"""Caption ingest over HTTP in Zoom's third-party closed-caption format, on both backends: every
POST answered 200 is in the record exactly once and in order, or was a retry of one that is.
(YouTube's format: test_ingest_youtube.py; the request patterns of real senders:
test_ingest_clients.py; caption stations: test_stations.py.)"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from server.limits import MAX_LINE_CHARS
from tests.conftest import LiveServer
from tests.support import Client
from tests.web.caption_support import (
    caption_url,
    events,
    last_seq,
    line_events,
    lines,
    post,
    wait_for_lines,
)

SERVER_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$")


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_zooms_documentation_example_is_one_line(live: LiveServer, http) -> None:
    """Zoom's page: '1st HTTP post data: I'M SENDING ' and '2nd HTTP post data: SEVERAL
    CAPTIONS.\\n'."""
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    r = await post(http, live, "I'M SENDING ", 1, lang="en-US")
    assert r.status_code == 200 and SERVER_TIME.match(r.text), r.text
    # Answered 200, so it is in the record already: as the room's open line.
    partial = await viewer.recv_type("line.partial")
    assert partial["data"]["text"] == "I'M SENDING " and await lines(live) == []
    r = await post(http, live, "SEVERAL CAPTIONS.\n", 2, lang="en-US")
    assert r.status_code == 200 and SERVER_TIME.match(r.text)
    line = await viewer.recv_type("line")
    assert line["data"]["text"] == "I'M SENDING SEVERAL CAPTIONS."
    assert line["data"]["by"] == partial["data"]["by"]  # it ends that open line
    assert line["data"]["lang"] == "en-US" and line["data"]["source"] == "zoom"
    assert line["data"]["captioner"] == "Captioner, Plenary"
    assert await lines(live) == ["I'M SENDING SEVERAL CAPTIONS."]
    r = await last_seq(http, live)
    assert r.status_code == 200 and r.text == "2"


async def test_seq_before_any_post_and_as_json(live: LiveServer, http) -> None:
    r = await last_seq(http, live)
    assert r.status_code == 200 and r.text == "0"
    # A bare integer with a JSON content type: a client that parses JSON and one that reads
    # text both get the number.
    assert r.headers["content-type"].startswith("application/json")
    assert json.loads(r.text) == 0 and int(r.text) == 0
    await post(http, live, "One.\n", 1)
    await post(http, live, "Two.\n", 2)
    r = await last_seq(http, live)
    assert r.json() == 2


@pytest.mark.parametrize("first", [0, 1])
async def test_seq_may_start_at_zero_or_one(live: LiveServer, http, first: int) -> None:
    for i, text in enumerate(["First caption.\n", "Second caption.\n", "Third caption.\n"]):
        r = await post(http, live, text, first + i)
        assert r.status_code == 200
    assert await lines(live) == ["First caption.", "Second caption.", "Third caption."]
    assert (await last_seq(http, live)).json() == first + 2


async def test_a_retry_is_acknowledged_and_recorded_once(live: LiveServer, http) -> None:
    for _ in range(3):  # the response was lost; the sender retries with the same seq
        r = await post(http, live, "Once.\n", 1)
        assert r.status_code == 200 and SERVER_TIME.match(r.text)
    await post(http, live, "Twice.\n", 2)
    r = await post(http, live, "Once.\n", 1)  # a late retry of the one before
    assert r.status_code == 200
    assert await lines(live) == ["Once.", "Twice."]
    # A retry of a fragment does not grow the open line.
    await post(http, live, "Open ", 3)
    await post(http, live, "Open ", 3)
    await post(http, live, "line.\n", 4)
    assert (await lines(live))[-1] == "Open line."


async def test_a_used_seq_with_other_text_is_recorded_not_dropped(live: LiveServer, http) -> None:
    await post(http, live, "Five.\n", 5)
    # Text at a seq already used, and at a seq below the last: not a retry (the text differs),
    # so kept, where it arrived. (Two senders on one URL, a sender whose count restarted.)
    assert (await post(http, live, "Another five.\n", 5)).status_code == 200
    assert (await post(http, live, "Three.\n", 3)).status_code == 200
    assert (await post(http, live, "Nine.\n", 9)).status_code == 200  # a gap is fine
    assert await lines(live) == ["Five.", "Another five.", "Three.", "Nine."]
    assert (await last_seq(http, live)).json() == 9


@pytest.mark.parametrize(
    "body",
    [
        "Line one.\nLine two.\nLine three.\n",
        "Line one.\r\nLine two.\r\nLine three.\r\n",
        "Line one.\rLine two.\rLine three.\r",  # Zoom's page writes the break as "\n (0x0D)"
        "Line one.\r\nLine two.\rLine three.\n",
    ],
    ids=["LF", "CRLF", "CR", "mixed"],
)
async def test_line_ends(live: LiveServer, http, body: str) -> None:
    assert (await post(http, live, body, 1)).status_code == 200
    assert await lines(live) == ["Line one.", "Line two.", "Line three."]


async def test_a_byte_order_mark_is_not_text(live: LiveServer, http) -> None:
    await post(http, live, "\ufeffGood morning.\n".encode(), 1)
    utf8 = "text/plain; charset=utf-8"
    await post(http, live, b"\xef\xbb\xbfThank you.\r\n", 2, content_type=utf8)
    assert await lines(live) == ["Good morning.", "Thank you."]


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        ("Délégation du Sénégal\n".encode(), "text/plain", "Délégation du Sénégal"),
        ("Délégation du Sénégal\n".encode(), None, "Délégation du Sénégal"),
        (
            "Délégation du Sénégal\n".encode("iso-8859-1"),
            "text/plain; charset=ISO-8859-1",
            "Délégation du Sénégal",
        ),
        (
            "\u201cQuoted\u201d \u2013 5 \u20ac\n".encode("cp1252"),
            "text/plain; charset=windows-1252",
            "\u201cQuoted\u201d \u2013 5 \u20ac",
        ),
    ],
    ids=["utf-8", "no-content-type", "iso-8859-1", "windows-1252"],
)
async def test_declared_charsets_are_honoured(
    live: LiveServer, http, body: bytes, content_type: str | None, text: str
) -> None:
    r = await post(http, live, body, 1, content_type=content_type)
    assert r.status_code == 200
    assert await lines(live) == [text]


async def test_text_that_is_not_in_its_charset_is_refused_and_its_seq_stays_free(
    live: LiveServer, http
) -> None:
    r = await post(http, live, b"caf\xe9 au lait\n", 1)  # Latin-1 sent as UTF-8
    assert r.status_code == 400 and "UTF-8" in r.text and "charset" in r.text
    r = await post(http, live, b"x\n", 1, content_type="text/plain; charset=klingon")
    assert r.status_code == 400 and "charset" in r.text
    assert await lines(live) == []
    r = await post(http, live, b"caf\xe9 au lait\n", 1, content_type="text/plain; charset=latin1")
    assert r.status_code == 200
    assert await lines(live) == ["café au lait"]


async def test_an_over_long_line_is_split_at_spaces(live: LiveServer, http) -> None:
    words = " ".join(f"point{i}" for i in range(1200))  # about 9,000 characters
    r = await post(http, live, words + "\n", 1)
    assert r.status_code == 200  # never refused: senders retry a refusal forever
    got = await lines(live)
    assert len(got) == 3 and all(len(line) <= MAX_LINE_CHARS for line in got)
    assert " ".join(got) == words


async def test_an_empty_post_is_a_heartbeat_that_keeps_its_seq_free(live: LiveServer, http) -> None:
    r = await post(http, live, "", 1)
    assert r.status_code == 200 and SERVER_TIME.match(r.text)
    assert await events(live) == []
    assert (await last_seq(http, live)).json() == 0
    await post(http, live, "After the heartbeat.\n", 1)
    assert await lines(live) == ["After the heartbeat."]


async def test_an_open_line_is_committed_after_a_pause(
    live: LiveServer, http, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("server.services.room.CAPTION_PAUSE_S", 0.3)
    await post(http, live, "A sentence left without its line end", 1)
    assert await lines(live) == []
    assert await wait_for_lines(live, 1) == ["A sentence left without its line end"]
    (line,) = await line_events(live)
    partial = (await events(live))[0]
    assert line.data["at"] and line.data["by"] == partial.data["by"]
    # The next POST starts a new line.
    await post(http, live, "A new one.\n", 2)
    assert await lines(live) == ["A sentence left without its line end", "A new one."]


async def test_closing_the_room_records_the_open_line_first(live: LiveServer, http) -> None:
    await post(http, live, "Thank you all, the meeting is", 1)
    r = await http.post(
        f"{live.base}/api/m/{live.meeting.id}/plenary/close",
        headers={"authorization": f"Bearer {live.keys['chair']}"},
    )
    assert r.status_code == 200
    types = [(e.type, e.data.get("text")) for e in await events(live)]
    assert types[-2:] == [("line", "Thank you all, the meeting is"), ("room.closed", None)]
    r = await post(http, live, "adjourned.\n", 2)
    assert r.status_code == 400 and "closed" in r.text


async def test_a_viewer_sees_the_open_line_grow_then_the_line(live: LiveServer, http) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    for n, part in enumerate(["The Working ", "Group adopted ", "its agenda.\n"], 1):
        await post(http, live, part, n)
    got = [await viewer.recv_type("line.partial", "line") for _ in range(3)]
    assert [f["type"] for f in got] == ["line.partial", "line.partial", "line"]
    assert [f["data"]["text"] for f in got] == [
        "The Working ",
        "Group adopted ",
        "The Working Group adopted its agenda.",
    ]
    assert [f["seq"] for f in got] == [1, 2, 3]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"seq": 1}, 403, "key"),
        ({"key": "nope.nope", "seq": 1}, 403, "key"),
        ({"key": "KEY"}, 403, "seq"),
        ({"key": "KEY", "seq": "x"}, 403, "seq"),
        ({"key": "KEY", "seq": "-1"}, 403, "seq"),
        ({"key": "KEY", "seq": "1.5"}, 403, "seq"),
        ({"key": "KEY", "seq": str(2**53)}, 403, "seq"),
        ({"key": "KEY", "seq": "٣"}, 403, "seq"),  # a digit, but not an ASCII one
    ],
)
async def test_errors_say_what_to_fix(live: LiveServer, http, params, status, words) -> None:
    params = {k: (live.captioner_key() if v == "KEY" else v) for k, v in params.items()}
    r = await http.post(caption_url(live), params=params, content="text\n")
    assert r.status_code == status
    assert words in r.text and r.headers["content-type"].startswith("text/plain")
    assert await lines(live) == []


async def test_the_chairs_key_is_not_a_caption_url(live: LiveServer, http) -> None:
    r = await post(http, live, "From the chair.\n", 1, key=live.keys["chair"])
    assert r.status_code == 403 and "caption station" in r.text
    r = await last_seq(http, live, key=live.keys["chair"])
    assert r.status_code == 403
    assert await lines(live) == []


async def test_a_captioner_key_of_another_room_is_refused(live: LiveServer, http) -> None:
    r = await post(http, live, "wrong room\n", 1, key=live.captioner_key("break-out-a"))
    assert r.status_code == 403
    assert await lines(live) == []


async def test_wrong_method_is_405(live: LiveServer, http) -> None:
    r = await http.put(
        caption_url(live), params={"key": live.captioner_key(), "seq": 1}, content="x"
    )
    assert r.status_code == 405 and "POST" in r.text


async def test_a_closed_room_is_400(live: LiveServer, http) -> None:
    r = await http.post(
        f"{live.base}/api/m/{live.meeting.id}/plenary/close",
        headers={"authorization": f"Bearer {live.keys['chair']}"},
    )
    assert r.status_code == 200
    for body in ("too late\n", ""):
        r = await post(http, live, body, 1)
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


async def test_an_oversized_body_is_413_and_nothing_is_recorded(live: LiveServer, http) -> None:
    r = await post(http, live, "x" * (70 * 1024), 1)
    assert r.status_code == 413 and "bytes" in r.text
    assert await events(live) == []


async def test_record_unavailable_is_503_and_retryable(live: LiveServer, http, monkeypatch) -> None:
    from server.backends.base import BackendUnavailable

    async def unavailable(meeting_id: str) -> None:
        raise BackendUnavailable("connection refused")

    monkeypatch.setattr(live.plenary.backend, "load_meeting", unavailable)
    r = await post(http, live, "held back\n", 1)
    assert r.status_code == 503 and r.headers["retry-after"] == "1" and "retry" in r.text
    monkeypatch.undo()
    r = await post(http, live, "held back\n", 1)
    assert r.status_code == 200
    assert await lines(live) == ["held back"]


async def test_a_speaker_and_a_name_given_in_the_url(live: LiveServer, http) -> None:
    await post(http, live, "Thank you, Chair.\n", 1, speaker="Brazil", name="Ann (CAT)")
    (line,) = await line_events(live)
    assert line.data["speaker"] == "Brazil" and line.data["captioner"] == "Ann (CAT)"
