"""Captioning software over HTTP, seen in real headless Chromium: text posted in parts is the live
line on the viewer page (and on a captioner's page), then one committed line; a line left open
is committed after the pause; the chair console issues and revokes caption stations."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import webvtt
from playwright.sync_api import expect

from server.limits import CAPTION_PAUSE_S
from tests import browser_support
from tests.browser_support import MeetingLinks, Pages, create_meeting, new_server
from tests.support import ServerProcess

browser = browser_support.browser
pages = browser_support.pages

pytestmark = pytest.mark.browser


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks  # one room per test


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("captions") / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "WGEC", ["Plenary", "Group A", "Group B", "Group C"])
    server.start()
    try:
        yield Site(server, links)
    finally:
        server.stop()


def send(url: str, seq: int, text: str) -> int:
    """POST as captioning software does."""
    request = urllib.request.Request(
        f"{url}&seq={seq}&lang=en-US",
        data=text.encode(),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def open_viewer(pages: Pages, site: Site, room: str) -> Any:
    page = pages.new(site.links.viewer_url(room))
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    return page


def test_parts_are_the_live_line_then_one_line(site: Site, pages: Pages) -> None:
    room = "plenary"
    url = site.links.room(room)["caption_api"]
    viewer = open_viewer(pages, site, room)
    captioner = pages.new(site.links.captioner_url(room))
    captioner.fill("#name", "Ann")
    captioner.keyboard.press("Enter")
    expect(captioner.locator("#conn-state")).to_have_attribute("data-state", "live")

    live = viewer.locator("#live .live-line .live-text")
    assert send(url, 1, "The Working ") == 200
    expect(live).to_have_text("The Working")
    expect(captioner.locator("#others")).to_contain_text("is typing: The Working")
    assert send(url, 2, "Group adopted ") == 200
    expect(live).to_have_text("The Working Group adopted")
    assert viewer.locator("#lines .line").count() == 0  # nothing read out yet
    # A viewer who arrives now sees the line being sent, from the record.
    late = open_viewer(pages, site, room)
    expect(late.locator("#live .live-line .live-text")).to_have_text("The Working Group adopted")

    assert send(url, 3, "its agenda.\n") == 200
    for page in (viewer, late):
        expect(page.locator("#lines .line")).to_have_count(1)
        expect(page.locator("#lines .line .text")).to_have_text(
            "The Working Group adopted its agenda."
        )
        expect(page.locator("#live .live-line")).to_have_count(0)
    expect(captioner.locator("#others")).to_be_empty()
    # The open line is not in a live region: a screen reader hears the committed line only.
    assert viewer.locator("#live").get_attribute("aria-live") == "off"

    # The page's download is the server's export, timed from when the line began.
    viewer.locator("#downloads summary").click()
    with viewer.expect_download() as info:
        viewer.click("#download-vtt")
    vtt = Path(info.value.path()).read_text(encoding="utf-8")
    assert vtt == site.links.export(room, "vtt")
    assert [c.text for c in webvtt.from_buffer(io.StringIO(vtt))] == [
        "The Working Group adopted its agenda."
    ]
    pages.assert_no_errors()


def test_a_line_left_open_is_committed_after_the_pause(site: Site, pages: Pages) -> None:
    room = "group-a"
    viewer = open_viewer(pages, site, room)
    assert send(site.links.room(room)["caption_api"], 0, "Words with no line end") == 200
    expect(viewer.locator("#live .live-line .live-text")).to_have_text("Words with no line end")
    expect(viewer.locator("#lines .line .text")).to_have_text(
        "Words with no line end", timeout=(CAPTION_PAUSE_S + 10) * 1000
    )
    expect(viewer.locator("#live .live-line")).to_have_count(0)


def test_the_chair_issues_and_revokes_a_caption_station(site: Site, pages: Pages) -> None:
    room = "group-b"
    chair = pages.new(
        f"{site.server.base}/m/{site.links.id}/chair?room={room}#key={site.links.chair_key}"
    )
    expect(chair.locator("#conn-state")).to_have_attribute("data-state", "live")
    stations = chair.locator("#station-list li")
    expect(stations).to_have_count(1)
    expect(stations.first).to_contain_text("Captioner, Group B")
    chair.fill("#station-name", "CAT station 2")
    chair.get_by_role("button", name="New caption station").click()
    links = chair.locator("#station-links code")
    expect(links).to_have_count(3)
    zoom = links.nth(1).text_content() or ""
    assert f"/api/caption/{site.links.id}/{room}?key=" in zoom
    expect(stations).to_have_count(2)

    viewer = open_viewer(pages, site, room)
    assert send(zoom, 1, "From the second station.\n") == 200
    expect(viewer.locator("#lines .line .text")).to_have_text("From the second station.")

    chair.get_by_role("button", name="Revoke the caption station CAT station 2").click()
    expect(stations.nth(1)).to_contain_text("(revoked)")
    assert send(zoom, 2, "After the revocation.\n") == 403
    assert send(site.links.room(room)["caption_api"], 1, "The first still works.\n") == 200
    expect(viewer.locator("#lines .line")).to_have_count(2)
    pages.assert_no_errors()
