"""A page whose websocket opens but never delivers (something on the way holds its frames) falls
back to plain HTTP by itself, keeps following the room, and goes back to the websocket once it
gets through again, with every line once across both switches."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import browser_support
from tests.browser_support import MeetingLinks, Pages, create_meeting, new_server
from tests.support import ServerProcess

browser = browser_support.browser
pages = browser_support.pages

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[ServerProcess, MeetingLinks]]:
    server = new_server(tmp_path / "data")
    links = create_meeting(server.data_dir, server.base, "Switching", ["Plenary"])
    server.start()
    try:
        yield server, links
    finally:
        server.stop()


def post_caption(links: MeetingLinks, seq: int, text: str) -> None:
    request = urllib.request.Request(
        f"{links.base}/api/caption/{links.id}/plenary?key={links.key('plenary')}&seq={seq}",
        data=(text + "\n").encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def test_a_page_falls_back_when_the_websocket_never_delivers_and_comes_back(
    site: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    _server, links = site
    through = {"websocket": False}
    opened: list[bool] = []

    def route(ws: Any) -> None:
        opened.append(through["websocket"])
        if through["websocket"]:
            ws.connect_to_server()
        # Otherwise the page's websocket is open and nothing ever arrives on it.

    viewer = pages.new()
    viewer.route_web_socket("**/ws/**", route)
    viewer.goto(links.viewer_url("plenary"))
    state = viewer.locator("#conn-state")
    expect(state).to_have_attribute("data-transport", "http", timeout=30_000)
    expect(state).to_have_attribute("data-state", "live")
    expect(state).to_have_text("Live (over plain HTTP)")
    assert len(opened) >= 2  # two websockets opened and gave no welcome before it fell back
    post_caption(links, 1, "over plain HTTP")
    expect(viewer.locator("#lines .line")).to_have_count(1)

    # The websocket gets through again: the page tries it on its own, and goes back to it.
    through["websocket"] = True
    expect(state).to_have_attribute("data-transport", "websocket", timeout=40_000)
    expect(state).to_have_attribute("data-state", "live")
    expect(state).to_have_text("Live")
    post_caption(links, 2, "over the websocket")
    expect(viewer.locator("#lines .line")).to_have_count(2)
    texts = viewer.eval_on_selector_all(
        "#lines .line",
        "els => els.map(li => [li.dataset.seq, li.querySelector('.text').textContent])",
    )
    assert texts == [["1", "over plain HTTP"], ["2", "over the websocket"]]
