"""Caption ingest in YouTube's HTTP caption format, on both backends: cues of a timestamp line
and text, the cue time kept for subtitle exports, heartbeats that do not use up a seq."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer
from tests.web.caption_support import events, last_seq, line_events, lines, post

# YouTube's "Closed Captions over HTTP for YouTube Live Streams", its example body verbatim.
DOCUMENTATION_EXAMPLE = """2012-12-24T00:00:06.873
I'M
2012-12-24T00:00:06.974
SENDING
2012-12-24T00:00:07.030
SEVERAL
2012-12-24T00:00:07.104
CAPTIONS
"""


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_youtubes_documentation_example(live: LiveServer, http) -> None:
    r = await post(http, live, DOCUMENTATION_EXAMPLE, 1, kind="youtube")
    assert r.status_code == 200
    got = await line_events(live)
    assert [e.data["text"] for e in got] == ["I'M", "SENDING", "SEVERAL", "CAPTIONS"]
    assert [e.data["at"] for e in got] == [
        "2012-12-24T00:00:06.873",
        "2012-12-24T00:00:06.974",
        "2012-12-24T00:00:07.030",
        "2012-12-24T00:00:07.104",
    ]
    assert {e.data["source"] for e in got} == {"youtube"}
    assert (await last_seq(http, live, kind="youtube")).json() == 1
    # Its own counter: the Zoom-format URL of the same key has accepted nothing.
    assert (await last_seq(http, live)).json() == 0


@pytest.mark.parametrize(
    "stamp",
    [
        "2014-02-24T09:00:01.250",
        "2014-02-24T09:00:01.250Z",
        "2014-02-24T09:00:01.250+00:00",
        "2014-02-24T09:00:01.250123",
        "2014-02-24T09:00:01.250123Z",
        "2014-02-24T09:00:01.250123+00:00",
        "2014-02-24T10:00:01.250+01:00",
        "2014-02-24T09:00:01.250 region:reg1#cue1",
    ],
)
async def test_timestamp_formats(live: LiveServer, http, stamp: str) -> None:
    r = await post(http, live, f"{stamp}\nThe Chair opened the meeting.\n", 0, kind="youtube")
    assert r.status_code == 200
    (line,) = await line_events(live)
    assert line.data["at"] == "2014-02-24T09:00:01.250"
    assert line.data["text"] == "The Chair opened the meeting."


async def test_br_is_a_line_break_and_each_cue_keeps_its_time(live: LiveServer, http) -> None:
    body = (
        "2014-02-24T09:00:01.000 region:reg1#cue1\nThe Chair opened the meeting.\n"
        "2014-02-24T09:00:04.500\nThe agenda<br>was adopted.<BR/>Thank you.\n"
    )
    assert (await post(http, live, body, 1, kind="youtube")).status_code == 200
    got = await line_events(live)
    assert [e.data["text"] for e in got] == [
        "The Chair opened the meeting.",
        "The agenda",
        "was adopted.",
        "Thank you.",
    ]
    assert [e.data["at"] for e in got] == ["2014-02-24T09:00:01.000"] + [
        "2014-02-24T09:00:04.500"
    ] * 3


async def test_an_empty_post_is_a_heartbeat_that_does_not_use_up_the_seq(
    live: LiveServer, http
) -> None:
    r = await post(http, live, "", 0, kind="youtube")
    assert r.status_code == 200 and r.text[:2] == "20" and "T" in r.text
    assert await events(live) == []
    body = "2014-02-24T09:00:01.000\nAfter the heartbeat.\n"
    assert (await post(http, live, body, 0, kind="youtube")).status_code == 200
    r = await post(http, live, "", 1, kind="youtube")  # heartbeats between captions
    assert r.status_code == 200
    body = "2014-02-24T09:00:02.000\nAnd after another one.\n"
    assert (await post(http, live, body, 1, kind="youtube")).status_code == 200
    assert await lines(live) == ["After the heartbeat.", "And after another one."]
    # A body of blank lines says nothing either.
    assert (await post(http, live, "\n\n", 2, kind="youtube")).status_code == 200
    assert len(await lines(live)) == 2


@pytest.mark.parametrize(
    "body",
    ["Text with no timestamp\n", "Text first\n2014-02-24T09:00:01.000\nthen a cue\n"],
)
async def test_a_body_without_a_timestamp_line_is_refused_with_the_format(
    live: LiveServer, http, body: str
) -> None:
    r = await post(http, live, body, 1, kind="youtube")
    assert r.status_code == 400
    assert "YYYY-MM-DDTHH:MM:SS.mmm" in r.text and "2024-02-24T09:00:01.000" in r.text
    assert await events(live) == []
    assert (await last_seq(http, live, kind="youtube")).json() == 0


async def test_a_retry_with_its_times_written_again_is_still_a_retry(
    live: LiveServer, http
) -> None:
    """Some senders stamp a cue when they send it, so a retry carries a later time."""
    first = "2014-02-24T09:00:01.000\nOne caption.\n"
    again = "2014-02-24T09:00:02.345\nOne caption.\n"
    assert (await post(http, live, first, 3, kind="youtube")).status_code == 200
    assert (await post(http, live, again, 3, kind="youtube")).status_code == 200
    assert await lines(live) == ["One caption."]
