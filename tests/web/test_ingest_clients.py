"""The request patterns of open-source caption senders that people use with Zoom and YouTube,
as read from their sources (the senders are described here, not copied), against both backends.
Each kept all its captions in Zoom or YouTube, so each must here too:

- zoom_cc, GotIt, zoom-narrator (Python, speech recognition or a subtitle file to Zoom): count
  from 0, one POST per phrase with no line end, ``text/plain; charset=utf-8``, the count goes up
  whatever the answer, nothing retried.
- Stream Closed Captioner (Elixir and JavaScript, speech to Zoom): counts from 1 and goes up only
  after a 200, so after a failed POST (or a lost answer) the next phrase reuses the number;
  ``text/plain`` without a charset.
- Shabad OS (Node.js, to Zoom): reads ``…/seq`` first, as JSON when the answer says it is JSON
  and as text otherwise, and adds 1 with JavaScript's ``+`` (so a text answer "5" becomes "51");
  each POST is three lines (Gurmukhi, translation, transliteration) with no final line end.
- lcyt (JavaScript and Python, to YouTube): counts from 0, sends an empty POST as a heartbeat
  with the current number and does not count it, batches cues 100 ms apart, writes times
  without Z and with 3 digits (the Python one strips ``+00:00`` and cuts microseconds), and
  reads the answer as the server's UTC time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.backends.base import BackendUnavailable
from tests.conftest import LiveServer
from tests.web.caption_support import caption_url, line_events, lines, wait_for_lines


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
def short_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("server.services.room.CAPTION_PAUSE_S", 0.3)


def with_query(url: str, **params: Any) -> str:
    """The URL with parameters added to the ones it has (as requests and HTTPoison do)."""
    return url + "".join(f"&{k}={v}" for k, v in params.items())


def js_plus(a: Any, b: Any) -> Any:
    """JavaScript's +: a string on either side makes it a concatenation."""
    return str(a) + str(b) if isinstance(a, str) or isinstance(b, str) else a + b


class PhraseSender:
    """zoom_cc, GotIt, zoom-narrator."""

    def __init__(self, http: httpx.AsyncClient, url: str, start: int = 0) -> None:
        self.http, self.url, self.seq = http, url, start

    async def send(self, phrase: str) -> int:
        r = await self.http.post(
            with_query(self.url, seq=self.seq, lang="en-US"),
            content=phrase.encode("utf-8"),
            headers={"Content-type": "text/plain; charset=utf-8"},
        )
        self.seq += 1
        return r.status_code


async def test_phrase_senders_counting_from_zero(live: LiveServer, http, short_pause) -> None:
    url = caption_url(live) + f"?key={live.captioner_key()}"
    sender = PhraseSender(http, url)
    phrases = [
        "good morning distinguished delegates",
        "the meeting is called to order",
        "we turn to item two of the agenda",
    ]
    for phrase in phrases:
        assert await sender.send(phrase) == 200
    # Each phrase is a line (no space joins them), the first at seq 0 too; the last is committed
    # by the pause that follows it.
    assert await wait_for_lines(live, 3) == phrases
    # A restarted sender that saved its count continues from it (zoom_cc, zoom-narrator).
    again = PhraseSender(http, url, start=sender.seq)
    assert await again.send("thank you") == 200
    assert await wait_for_lines(live, 4) == [*phrases, "thank you"]


class StreamCaptioner:
    """Stream Closed Captioner."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http, self.url, self.seq = http, url, 1

    async def send(self, final: str, answer_lost: bool = False) -> int:
        r = await self.http.post(
            with_query(self.url, seq=self.seq, lang="en-US"),
            content=final,
            headers={"Accept": "*/*", "Content-Type": "text/plain"},
        )
        if r.status_code == 200 and not answer_lost:
            self.seq += 1
        return r.status_code


async def test_a_sender_that_reuses_the_number_after_a_failure(
    live: LiveServer, http, short_pause, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = StreamCaptioner(http, caption_url(live) + f"?key={live.captioner_key()}")
    assert await sender.send("hello everyone") == 200
    # Recorded, but the answer never reached the sender: it sends the next phrase with the
    # same number. That is new text, and it is kept.
    assert await sender.send("welcome to the stream", answer_lost=True) == 200
    assert await sender.send("today we talk about captions") == 200
    # The record fails for one POST: nothing is recorded and the number is reused, again.
    runtime = await live.plenary.rooms.get(live.meeting.id, "plenary")
    real = runtime.backend.append
    calls = 0

    async def failing_once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise BackendUnavailable("disk full")
        return await real(*args, **kwargs)

    monkeypatch.setattr(runtime.backend, "append", failing_once)
    assert await sender.send("this one fails") == 503
    assert await sender.send("and this one follows") == 200
    assert await wait_for_lines(live, 4) == [
        "hello everyone",
        "welcome to the stream",
        "today we talk about captions",
        "and this one follows",
    ]


class ShabadSender:
    """Shabad OS."""

    def __init__(self, http: httpx.AsyncClient, api_token: str) -> None:
        self.http, self.api_token = http, api_token
        self.previous: Any = None

    async def fetch_json(self, url: str, **kwargs: Any) -> Any:
        response = await self.http.request(kwargs.pop("method", "GET"), url, **kwargs)
        is_json = response.headers["content-type"].startswith("application/json")
        body = response.json() if is_json else response.text
        assert response.status_code < 400, body
        return body

    async def send_line(self, caption: str) -> None:
        if self.previous is None:
            base, _, query = self.api_token.partition("?")
            self.previous = await self.fetch_json(f"{base}/seq?{query}")
        following = js_plus(self.previous, 1)
        await self.fetch_json(
            f"{self.api_token}&seq={following}",
            method="POST",
            content=caption.encode(),
            headers={"Content-Type": "text/plain"},
        )
        self.previous = following


async def test_a_sender_that_reads_seq_as_json(live: LiveServer, http, short_pause) -> None:
    token = caption_url(live) + f"?key={live.captioner_key()}"
    sender = ShabadSender(http, token)
    captions = [
        (f"ਸਤਿ ਨਾਮੁ {i}", f"The True Name {i}", f"sat naam {i}") for i in range(20)
    ]  # past the 17th POST, where a text answer would have made the seq too long
    for caption in captions[:10]:
        await sender.send_line("\n".join(caption))
    assert sender.previous == 10  # a number, not "011111…"
    # Interrupted and started again: it asks the server where it was.
    restarted = ShabadSender(http, token)
    for caption in captions[10:]:
        await restarted.send_line("\n".join(caption))
    assert restarted.previous == 20
    expected = [line for caption in captions for line in caption]
    assert await wait_for_lines(live, len(expected)) == expected


def lcyt_stamp(when: datetime) -> str:
    """lcyt (JavaScript): Date.toISOString() without its Z."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def lcyt_python_stamp(when: datetime) -> str:
    """lcyt (Python): datetime.isoformat(), Z and +00:00 stripped, fraction cut to 3 digits."""
    stamp = when.isoformat().removesuffix("Z").split("+")[0]
    base, _, fraction = stamp.partition(".")
    return f"{base}.{fraction[:3]}" if fraction else stamp


class Lcyt:
    """lcyt."""

    def __init__(self, http: httpx.AsyncClient, url: str, stamp: Any = lcyt_stamp) -> None:
        self.http, self.url, self.sequence, self.stamp = http, url, 0, stamp
        self.offset = timedelta(0)

    async def _post(self, body: str) -> httpx.Response:
        return await self.http.post(
            with_query(self.url, seq=self.sequence),
            content=body.encode("utf-8"),
            headers={"Content-Type": "text/plain"},
        )

    async def heartbeat(self) -> datetime:
        """An empty POST with the current number, which it does not count; the answer is the
        server's time, without Z, read as UTC."""
        r = await self._post("")
        assert r.status_code == 200
        server = datetime.fromisoformat(r.text.strip()).replace(tzinfo=UTC)
        self.offset = server - datetime.now(UTC)
        return server

    async def send_batch(self, texts: list[str]) -> int:
        now = datetime.now(UTC) + self.offset
        parts = [
            f"{self.stamp(now + timedelta(milliseconds=100 * i))}\n{text}"
            for i, text in enumerate(texts)
        ]
        r = await self._post("\n".join(parts) + "\n")
        if 200 <= r.status_code < 300:
            self.sequence += 1
        return r.status_code


@pytest.mark.parametrize("stamp", [lcyt_stamp, lcyt_python_stamp], ids=["js", "python"])
async def test_a_youtube_sender_with_heartbeats(live: LiveServer, http, stamp: Any) -> None:
    sender = Lcyt(http, caption_url(live, kind="youtube") + f"?key={live.captioner_key()}", stamp)
    server_time = await sender.heartbeat()
    assert abs(server_time - datetime.now(UTC)) < timedelta(seconds=30)
    assert await sender.send_batch(["Hello, world!"]) == 200  # seq 0, after a heartbeat at 0
    await sender.heartbeat()  # at seq 1: it must not use it up
    assert await sender.send_batch(["First caption", "Second caption", "Third<br>caption"]) == 200
    await sender.heartbeat()
    assert await sender.send_batch(["Goodbye."]) == 200
    got = await line_events(live)
    assert [e.data["text"] for e in got] == [
        "Hello, world!",
        "First caption",
        "Second caption",
        "Third",
        "caption",
        "Goodbye.",
    ]
    times = [e.data["at"] for e in got]
    assert times[1:5] == sorted(times[1:5]) and len(set(times[1:4])) == 3
    assert times[3] == times[4]  # one cue, two lines
    assert await lines(live) == [e.data["text"] for e in got]
