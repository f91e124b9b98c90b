"""Fixtures and helpers for tests that drive real headless Chromium through Playwright.

One browser per test module (``browser``, module scope); every page a test opens gets its own
browser context, so its localStorage starts empty (``pages.new()``, or the ``page`` fixture for a
single page). Console errors and uncaught exceptions of every page fail the test at teardown,
except those a test declares expected with ``pages.allow_errors(pattern)`` (for instance the
browser's own "connection refused" lines while a test has taken the server down on purpose).

Servers are real ``python -m server serve`` processes (tests.support.ServerProcess) on a data
directory prepared with the ``meeting create`` command, as an operator would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from tests.support import ROOT, ServerProcess, free_port, require_binary

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# What Chromium logs when a websocket or page load meets a server that is down.
CONNECTION_REFUSED = r"ERR_CONNECTION_REFUSED|WebSocket connection to .* failed"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole test module (starting one takes a second or more)."""
    require_binary(CHROMIUM, "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class Pages:
    """Opens pages, each in a fresh context, and keeps what they logged as errors."""

    browser: Any
    contexts: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def new(self, url: str | None = None, **context_options: Any) -> Any:
        context = self.browser.new_context(accept_downloads=True, **context_options)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda msg: self.on_console(msg))
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        if url is not None:
            page.goto(url)
        return page

    def on_console(self, msg: Any) -> None:
        if msg.type == "error":
            location = msg.location.get("url", "") if msg.location else ""
            self.errors.append(f"{msg.text} ({location})")

    def allow_errors(self, pattern: str) -> None:
        """Console errors matching this pattern are expected from now on."""
        self.allowed.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]

    def assert_no_errors(self) -> None:
        unexpected = self.unexpected_errors()
        assert not unexpected, "console errors:\n" + "\n".join(unexpected)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    opened = Pages(browser)
    try:
        yield opened
    finally:
        opened.close()
    opened.assert_no_errors()


@pytest.fixture
def page(pages: Pages) -> Any:
    return pages.new()


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy (for state outside the page)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# -- meetings and servers -------------------------------------------------------------------------
@dataclass
class MeetingLinks:
    """What ``meeting create --json`` printed, with the URLs of pages on a given server."""

    data: dict[str, Any]
    base: str

    @property
    def id(self) -> str:
        return str(self.data["meeting"])

    def room_ids(self) -> list[str]:
        return [r["room"] for r in self.data["rooms"]]

    def room(self, room: str) -> dict[str, Any]:
        return next(r for r in self.data["rooms"] if r["room"] == room)

    def key(self, room: str) -> str:
        """The captioner key of a room."""
        return str(self.room(room)["captioner"].split("#key=", 1)[1])

    @property
    def chair_key(self) -> str:
        return str(self.data["chair"].split("#key=", 1)[1])

    def viewer_url(self, room: str) -> str:
        return f"{self.base}/m/{self.id}/{room}"

    def captioner_url(self, room: str) -> str:
        return f"{self.base}/m/{self.id}/{room}/caption#key={self.key(room)}"

    def export(self, room: str, fmt: str = "txt", passcode: str | None = None) -> str:
        request = urllib.request.Request(
            f"{self.base}/api/m/{self.id}/{room}/transcript.{fmt}",
            headers={"X-Plenary-Passcode": passcode} if passcode else {},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return str(response.read().decode())


def import_participants(data_dir: Path, links: MeetingLinks, csv_text: str) -> list[dict[str, Any]]:
    """Register participants from a CSV (name,delegation,group,presence) with the command line,
    as a secretariat does; their personal links, as `participant import --json` prints them."""
    people = data_dir.parent / "people.csv"
    people.write_text(csv_text, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "server", "participant", "import", links.id, str(people),
         "--json", "--data-dir", str(data_dir), "--public-url", links.base],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return list(json.loads(out.stdout))


def create_meeting(
    data_dir: Path, base: str, title: str, rooms: list[str], passcode: str | None = None
) -> MeetingLinks:
    """Create a meeting with the command line, as an operator does."""
    cmd = [
        sys.executable,
        "-m",
        "server",
        "meeting",
        "create",
        title,
        "--json",
        "--data-dir",
        str(data_dir),
        "--public-url",
        base,
    ]
    for room in rooms:
        cmd += ["--room", room]
    if passcode:
        cmd += ["--passcode", passcode]
    data_dir.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    return MeetingLinks(json.loads(out.stdout), base)


def new_server(data_dir: Path) -> ServerProcess:
    """A server process (not started) on a free port with this data directory."""
    return ServerProcess(free_port(), data_dir)


class ChairSocket:
    """The chair's websocket: numbered commands, each answered by an ack or an error."""

    def __init__(self, ws: ClientConnection, key: str) -> None:
        self.ws = ws
        hello = {"type": "hello", "after": 0, "key": key, "client": f"chair-{uuid.uuid4().hex}"}
        self.ws.send(json.dumps(hello))
        self.n = 0
        assert self.frames_until(lambda f: f["type"] == "welcome")["role"] == "chair"

    def frames_until(self, done: Any) -> dict[str, Any]:
        while True:
            for part in str(self.ws.recv(timeout=5)).split("\n"):
                frame = json.loads(part)
                if done(frame):
                    return dict(frame)

    def cmd(self, op: str, **args: Any) -> dict[str, Any]:
        self.n += 1
        n = self.n
        self.ws.send(json.dumps({"type": "cmd", "n": n, "op": op, "args": args}))
        answer = self.frames_until(lambda f: f["type"] in ("ack", "error") and f.get("n") == n)
        assert answer["type"] == "ack", answer
        return answer
