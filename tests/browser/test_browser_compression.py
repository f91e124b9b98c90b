"""A real browser negotiates per-message compression with plenary (Chromium always offers it), and
its pages work over it: the viewer follows the transcript and resumes after a reload, the
captioner's page commits lines (its frames compressed by the browser), and the server compresses
the room's messages for it."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import browser_support
from tests.browser_support import MeetingLinks, Pages, create_meeting, new_server, wait_until
from tests.support import ServerProcess

browser = browser_support.browser
pages = browser_support.pages

pytestmark = pytest.mark.browser

AGREED = {"permessage-deflate", "server_no_context_takeover", "client_no_context_takeover"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, MeetingLinks]]:
    data: Path = tmp_path_factory.mktemp("compression") / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "Compressed meeting", ["Plenary"])
    server.start()
    try:
        yield server, links
    finally:
        server.stop()


class Handshakes:
    """The websocket handshakes a page makes, as Chromium's network layer saw them."""

    def __init__(self, page: Any) -> None:
        self.offers: list[str] = []
        self.agreed: list[str] = []
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketWillSendHandshakeRequest", self._request)
        cdp.on("Network.webSocketHandshakeResponseReceived", self._response)

    @staticmethod
    def _extensions(headers: dict[str, str]) -> str:
        return next((v for k, v in headers.items() if k.lower() == "sec-websocket-extensions"), "")

    def _request(self, event: dict[str, Any]) -> None:
        self.offers.append(self._extensions(event["request"]["headers"]))

    def _response(self, event: dict[str, Any]) -> None:
        self.agreed.append(self._extensions(event["response"]["headers"]))


def compressed_total(base: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        text = response.read().decode()
    found = re.search(r"^plenary_frames_compressed_total (\S+)$", text, re.MULTILINE)
    assert found, "the compression counter is exported"
    return float(found.group(1))


def params(header: str) -> set[str]:
    return {part.strip() for part in header.split(";")}


def test_chromium_negotiates_compression_and_follows_the_transcript(
    site: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    server, links = site
    viewer = pages.new()
    seen = Handshakes(viewer)
    viewer.goto(links.viewer_url("plenary"))
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "live")
    wait_until(lambda: seen.agreed, what="the viewer's handshake")
    assert "permessage-deflate" in seen.offers[0]  # the browser offers it by itself
    assert AGREED <= params(seen.agreed[0]), seen.agreed

    captioner = pages.new()
    cap_seen = Handshakes(captioner)
    captioner.goto(links.captioner_url("plenary"))
    captioner.fill("#name", "Ann")
    captioner.keyboard.press("Enter")
    expect(captioner.locator("#conn-state")).to_have_attribute("data-state", "live")
    wait_until(lambda: cap_seen.agreed, what="the captioner's handshake")
    assert AGREED <= params(cap_seen.agreed[0])

    before = compressed_total(server.base)
    texts = [
        "Thank you, Madam Chair, for giving me the floor.",
        "The delegation supports the proposal as amended by the secretariat.",
        "We would ask that paragraph four be read again before the vote.",
    ]
    for text in texts:
        captioner.locator("#draft").focus()
        captioner.keyboard.type(text)
        captioner.keyboard.press("Enter")
    lines = viewer.locator("#lines .line .text")
    expect(lines).to_have_text(texts)
    assert compressed_total(server.base) >= before + len(texts)

    # A reload resumes: the backlog arrives compressed, every line once.
    viewer.reload()
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(lines).to_have_text(texts)
    assert len(seen.agreed) == 2 and AGREED <= params(seen.agreed[1])
