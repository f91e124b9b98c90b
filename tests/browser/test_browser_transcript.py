"""The viewer and captioner pages in real headless Chromium against real server processes:
live line and commits, corrections, reconnect and resume after a server is killed, unsent lines
kept across a reload, display settings, search, downloads, accessibility hooks, passcodes."""

from __future__ import annotations

import html
import io
import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import webvtt
from playwright.sync_api import expect

from tests import browser_support
from tests.browser_support import (
    CONNECTION_REFUSED,
    MeetingLinks,
    Pages,
    create_meeting,
    new_server,
    wait_until,
)
from tests.support import ServerProcess

# The shared fixtures: one Chromium per module, fresh pages whose console errors fail the test.
browser = browser_support.browser
pages = browser_support.pages

pytestmark = pytest.mark.browser

PASSCODE = "rosebud-42"


@dataclass
class Site:
    server: ServerProcess
    public: MeetingLinks  # rooms plenary, break-out-a, break-out-b, break-out-c
    protected: MeetingLinks  # viewers need PASSCODE


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server for the tests that do not stop it; each test uses a room of its own."""
    data = tmp_path_factory.mktemp("site") / "data"
    server = new_server(data)
    public = create_meeting(
        data,
        server.base,
        "WGEC test meeting",
        ["Plenary", "Break-out A", "Break-out B", "Break-out C"],
    )
    protected = create_meeting(
        data, server.base, "Closed consultations", ["Plenary"], passcode=PASSCODE
    )
    server.start()
    try:
        yield Site(server, public, protected)
    finally:
        server.stop()


# -- helpers ---------------------------------------------------------------------------------------
def open_viewer(pages: Pages, links: MeetingLinks, room: str, **options: Any) -> Any:
    page = pages.new(links.viewer_url(room), **options)
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    return page


def open_captioner(pages: Pages, links: MeetingLinks, room: str, name: str = "Ann") -> Any:
    page = pages.new(links.captioner_url(room))
    page.fill("#name", name)
    page.keyboard.press("Enter")
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#draft")).to_be_focused()
    return page


def set_speaker(captioner: Any, speaker: str) -> None:
    captioner.keyboard.press("Control+K")
    expect(captioner.locator("#speaker")).to_be_focused()
    captioner.keyboard.type(speaker)
    captioner.keyboard.press("Enter")
    expect(captioner.locator("#draft")).to_be_focused()


def commit(captioner: Any, text: str) -> None:
    captioner.locator("#draft").focus()
    captioner.keyboard.type(text)
    captioner.keyboard.press("Enter")


def viewer_lines(viewer: Any) -> list[dict[str, Any]]:
    return list(
        viewer.eval_on_selector_all(
            "#lines .line",
            """els => els.map(li => ({
            seq: Number(li.dataset.seq),
            speaker: li.querySelector('.speaker')?.textContent ?? '',
            text: li.querySelector('.text').textContent,
            corrected: li.classList.contains('corrected'),
        }))""",
        )
    )


def record_hellos(page: Any) -> list[dict[str, Any]]:
    """The hello messages the page sends on its websockets, as they are sent."""
    hellos: list[dict[str, Any]] = []

    def sent(payload: str | bytes) -> None:
        message = json.loads(payload)
        if message.get("type") == "hello":
            hellos.append(message)

    page.on("websocket", lambda ws: ws.on("framesent", sent))
    return hellos


def post_caption(links: MeetingLinks, room: str, seq: int, text: str) -> None:
    """Lines from captioning software, through the Zoom-compatible endpoint."""
    request = urllib.request.Request(
        f"{links.base}/api/caption/{links.id}/{room}?key={links.key(room)}&seq={seq}",
        data=text.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def exported_texts(links: MeetingLinks, room: str) -> list[str]:
    doc = json.loads(links.export(room, "json"))
    return [line["text"] for line in doc["lines"]]


# -- 1. live line and commit -----------------------------------------------------------------------
def test_typing_shows_as_live_line_and_enter_commits_with_speaker(site: Site, pages: Pages) -> None:
    viewer = open_viewer(pages, site.public, "plenary")
    captioner = open_captioner(pages, site.public, "plenary", name="Ann")
    set_speaker(captioner, "Chair")

    live = viewer.locator("#live .live-line .live-text")
    captioner.keyboard.type("Distinguished delegates, good mornnig")
    expect(live).to_have_text("Distinguished delegates, good mornnig")
    # Backspaces, a change in the middle and characters outside the BMP reach the viewer as the
    # captioner's text: the edit diff counts characters as the server does.
    for _ in range(3):
        captioner.keyboard.press("Backspace")
    captioner.keyboard.type("ing ☕🙂")
    captioner.keyboard.press("Backspace")
    captioner.keyboard.press("Home")
    captioner.keyboard.type("Dear and ")
    expect(live).to_have_text("Dear and Distinguished delegates, good morning ☕")
    assert captioner.input_value("#draft") == "Dear and Distinguished delegates, good morning ☕"
    captioner.keyboard.press("End")
    for _ in range(2):
        captioner.keyboard.press("Backspace")
    captioner.keyboard.type(".")
    expect(live).to_have_text("Dear and Distinguished delegates, good morning.")
    assert viewer.locator("#lines .line").count() == 0

    captioner.keyboard.press("Enter")
    expect(viewer.locator("#lines .line")).to_have_count(1)
    expect(viewer.locator("#live .live-line")).to_have_count(0)
    assert viewer_lines(viewer) == [
        {
            "seq": 1,
            "speaker": "Chair",
            "corrected": False,
            "text": "Dear and Distinguished delegates, good morning.",
        }
    ]
    expect(captioner.locator("#pending-count")).to_have_text("0")
    expect(captioner.locator("#recent .line-button")).to_have_count(1)
    assert captioner.input_value("#draft") == ""

    # The next speaker's line carries the new label; the record names the captioner.
    set_speaker(captioner, "Brazil")
    commit(captioner, "Thank you, Chair.")
    expect(viewer.locator("#lines .line")).to_have_count(2)
    assert viewer_lines(viewer)[1]["speaker"] == "Brazil"
    doc = json.loads(site.public.export("plenary", "json"))
    assert [(x["speaker"], x["captioner"]) for x in doc["lines"]] == [
        ("Chair", "Ann"),
        ("Brazil", "Ann"),
    ]


# -- 2. corrections --------------------------------------------------------------------------------
def test_correction_on_captioner_page_shows_on_viewer(site: Site, pages: Pages) -> None:
    viewer = open_viewer(pages, site.public, "break-out-a")
    captioner = open_captioner(pages, site.public, "break-out-a")
    commit(captioner, "The meeting is ajourned until three.")
    commit(captioner, "Thank you all.")
    expect(viewer.locator("#lines .line")).to_have_count(2)

    captioner.locator("#recent .line-button").first.click()
    field = captioner.get_by_label("Correct line 1")
    expect(field).to_be_focused()
    field.fill("The meeting is adjourned until three.")
    field.press("Enter")

    first = viewer.locator("#lines .line").first
    expect(first.locator(".text")).to_have_text("The meeting is adjourned until three.")
    expect(first).to_have_class(re.compile(r"\bcorrected\b"))
    expect(first.locator(".corrected-mark")).to_have_text("(corrected)")
    expect(captioner.locator("#recent .line-button").first).to_contain_text("adjourned")
    assert exported_texts(site.public, "break-out-a") == [
        "The meeting is adjourned until three.",
        "Thank you all.",
    ]


# -- 3. a killed server ----------------------------------------------------------------------------
def test_viewer_resumes_after_server_is_killed_with_every_line_once(
    tmp_path: Path, pages: Pages
) -> None:
    server = new_server(tmp_path / "data")
    links = create_meeting(server.data_dir, server.base, "Restart meeting", ["Plenary"])
    server.start()
    try:
        viewer = pages.new()
        hellos = record_hellos(viewer)
        viewer.goto(links.viewer_url("plenary"))
        captioner = open_captioner(pages, links, "plenary")
        for i in range(1, 4):
            commit(captioner, f"line {i}")
        expect(viewer.locator("#lines .line")).to_have_count(3)

        pages.allow_errors(CONNECTION_REFUSED)
        server.kill()
        expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "reconnecting")
        expect(captioner.locator("#conn-state")).to_have_attribute("data-state", "reconnecting")
        commit(captioner, "line 4")
        # Nowhere to record it: the page holds it as not yet recorded.
        expect(captioner.locator("#pending li")).to_have_text(["line 4"])
        expect(captioner.locator("#pending-note")).to_contain_text("sent when the connection")

        server.start()
        expect(captioner.locator("#pending-count")).to_have_text("0", timeout=15_000)
        commit(captioner, "line 5")
        commit(captioner, "line 6")
        expect(viewer.locator("#conn-state")).to_have_attribute(
            "data-state", "live", timeout=15_000
        )
        expect(viewer.locator("#lines .line")).to_have_count(6)
        lines = viewer_lines(viewer)
        assert [x["seq"] for x in lines] == [1, 2, 3, 4, 5, 6]
        assert [x["text"] for x in lines] == [f"line {i}" for i in range(1, 7)]
        assert exported_texts(links, "plenary") == [f"line {i}" for i in range(1, 7)]
        # It asked for what it had missed, not for everything again.
        assert [h["after"] for h in hellos] == [0, 3]
    finally:
        server.stop()


# -- 4. unsent lines survive a reload --------------------------------------------------------------
def test_unacknowledged_lines_survive_reload_and_are_recorded_once(
    tmp_path: Path, pages: Pages
) -> None:
    server = new_server(tmp_path / "data")
    links = create_meeting(server.data_dir, server.base, "Outage meeting", ["Plenary"])
    url = links.captioner_url("plenary")
    server.start()
    try:
        captioner = open_captioner(pages, links, "plenary", name="Ben")
        commit(captioner, "before the outage")
        expect(captioner.locator("#recent .line-button")).to_have_count(1)

        pages.allow_errors(CONNECTION_REFUSED)
        server.kill()
        expect(captioner.locator("#conn-state")).not_to_have_attribute("data-state", "live")
        commit(captioner, "kept line one")
        commit(captioner, "kept line two")
        expect(captioner.locator("#pending li")).to_have_text(["kept line one", "kept line two"])

        # The page goes away while the server is down; only what it stored remains.
        captioner.goto("about:blank")
        server.start()
        captioner.goto(url)
        # The name is remembered; the kept lines are sent and acknowledged.
        expect(captioner.locator("#my-name")).to_have_text("Ben")
        expect(captioner.locator("#pending-count")).to_have_text("0", timeout=15_000)
        expected = ["before the outage", "kept line one", "kept line two"]
        wait_until(lambda: exported_texts(links, "plenary") == expected, what="three lines")

        # An acknowledgement lost on the way: the page still holds a command the server has
        # carried out, and sends it again after a reload. It is not recorded twice.
        captioner.evaluate(
            """() => {
                const k = Object.keys(localStorage).find(k => k.startsWith('plenary:captioner:'));
                const saved = JSON.parse(localStorage.getItem(k));
                saved.pending.push({type: 'commit', n: saved.n, text: 'kept line two',
                                    speaker: ''});
                localStorage.setItem(k, JSON.stringify(saved));
            }"""
        )
        captioner.reload()
        expect(captioner.locator("#conn-state")).to_have_attribute("data-state", "live")
        expect(captioner.locator("#pending-count")).to_have_text("0")
        held = captioner.evaluate(
            """() => Object.keys(localStorage).filter(k => k.startsWith('plenary:captioner:'))
                .map(k => JSON.parse(localStorage.getItem(k)).pending.length)"""
        )
        assert held == [0], "the reloaded page took over the stored commands and sent them"
        commit(captioner, "after the reload")
        expect(captioner.locator("#recent .line-button")).to_have_count(4)
        assert exported_texts(links, "plenary") == [*expected, "after the reload"]
    finally:
        server.stop()


# -- 5. reading: settings, search, download, accessibility -----------------------------------------
def test_viewer_settings_search_download_and_live_regions(site: Site, pages: Pages) -> None:
    room = "break-out-b"
    texts = [
        "Item 3 of the agenda is the correspondence group.",
        "The group gathered information over twenty-four areas.",
        "The agenda was adopted <b>as amended</b> & approved.",
    ]
    for i, text in enumerate(texts, 1):
        post_caption(site.public, room, i, text + "\n")
    viewer = open_viewer(pages, site.public, room)
    expect(viewer.locator("#lines .line")).to_have_count(3)
    # Text is shown as text, never as markup.
    assert viewer.locator("#lines b").count() == 0
    expect(viewer.locator("#lines .line").nth(2).locator(".text")).to_have_text(texts[2])

    # Keyboard: the first Tab reaches the skip link, which leads to the transcript.
    viewer.keyboard.press("Tab")
    expect(viewer.locator(".skip-link")).to_be_focused()
    viewer.keyboard.press("Enter")
    expect(viewer.locator("#transcript")).to_be_focused()

    # Display settings are kept across visits.
    viewer.locator("#settings summary").click()
    viewer.select_option("#set-size", "150")
    viewer.select_option("#set-font", "serif")
    viewer.select_option("#set-theme", "contrast-dark")
    viewer.select_option("#set-spacing", "wide")
    viewer.check("#set-times")
    expect(viewer.locator("#lines .line .ts").first).to_be_visible()
    viewer.reload()
    expect(viewer.locator("#lines .line")).to_have_count(3)
    root = viewer.locator("html")
    expect(root).to_have_attribute("data-size", "150")
    expect(root).to_have_attribute("data-font", "serif")
    expect(root).to_have_attribute("data-theme", "contrast-dark")
    expect(root).to_have_attribute("data-spacing", "wide")
    expect(viewer.locator("#set-theme")).to_have_value("contrast-dark")
    expect(viewer.locator("#set-times")).to_be_checked()
    expect(viewer.locator("#lines .line .ts").first).to_be_visible()
    assert viewer.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"

    # Search from the keyboard: "/" jumps to the box, Enter goes to the next match.
    viewer.locator("#transcript").focus()
    viewer.keyboard.press("/")
    expect(viewer.locator("#search")).to_be_focused()
    viewer.keyboard.type("agenda")
    expect(viewer.locator("#search-status")).to_have_text("2 lines match")
    expect(viewer.locator("#lines mark")).to_have_text(["agenda", "agenda"])
    viewer.keyboard.press("Enter")
    expect(viewer.locator("#search-status")).to_have_text("Match 1 of 2")
    expect(viewer.locator("#lines .line").first).to_have_class(re.compile("current-match"))
    viewer.check("#search-filter")
    expect(viewer.locator("#lines .line:visible")).to_have_count(2)
    viewer.locator("#search").press("Escape")
    expect(viewer.locator("#lines mark")).to_have_count(0)
    expect(viewer.locator("#lines .line:visible")).to_have_count(3)

    # Downloads are made in the page, from what it holds: the same files the server exports.
    viewer.locator("#downloads summary").click()
    with viewer.expect_download() as info:
        viewer.click("#download-txt")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert info.value.suggested_filename == f"{site.public.id}-{room}.txt"
    for line in texts:
        assert line in text
    assert text == site.public.export(room, "txt")
    with viewer.expect_download() as info:
        viewer.click("#download-vtt")
    vtt = Path(info.value.path()).read_text(encoding="utf-8")
    cues = webvtt.from_buffer(io.StringIO(vtt))
    assert [html.unescape(c.text) for c in cues] == texts
    assert vtt == site.public.export(room, "vtt")

    # Screen readers: committed lines are read from a polite live region of their own; the line
    # being typed is not in any live region, so keystrokes are never read out
    # (test_browser_a11y.py counts what is announced).
    captioner = open_captioner(pages, site.public, room)
    captioner.keyboard.type("being typed")
    live_line = viewer.locator("#live .live-line")
    expect(live_line).to_have_count(1)
    assert viewer.get_attribute("#announce", "aria-live") == "polite"
    assert live_line.evaluate("el => el.closest('[aria-live]:not([aria-live=\"off\"])') === null")
    assert (
        viewer.locator("#lines").evaluate("el => el.contains(document.querySelector('#live'))")
        is False
    )
    pages.assert_no_errors()


def test_viewer_fits_a_phone_screen(site: Site, pages: Pages) -> None:
    post_caption(site.public, "break-out-c", 1, "A line on a small screen.\n")
    viewer = open_viewer(
        pages, site.public, "break-out-c", viewport={"width": 360, "height": 640}, is_mobile=True
    )
    expect(viewer.locator("#lines .line").first).to_be_visible()
    overflow = viewer.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    expect(viewer.locator("#search")).to_be_visible()


# -- 6. passcodes ----------------------------------------------------------------------------------
def test_passcode_protected_meeting_asks_then_shows_transcript(site: Site, pages: Pages) -> None:
    post_caption(site.protected, "plenary", 1, "Only for those with the passcode.\n")
    viewer = pages.new(site.protected.viewer_url("plenary"))
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "passcode")
    expect(viewer.locator("#passcode-form")).to_be_visible()
    expect(viewer.locator("#passcode")).to_be_focused()
    assert viewer.locator("#lines .line").count() == 0

    viewer.keyboard.type("not-the-passcode")
    viewer.keyboard.press("Enter")
    expect(viewer.locator("#passcode-wrong")).to_be_visible()
    viewer.keyboard.type(PASSCODE)
    viewer.keyboard.press("Enter")
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(viewer.locator("#passcode-form")).to_be_hidden()
    expect(viewer.locator("#lines .line .text")).to_have_text(["Only for those with the passcode."])
    expect(viewer.locator("#meeting-title")).to_have_text("Closed consultations")

    # Within the tab, a reload does not ask again.
    viewer.reload()
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(viewer.locator("#lines .line")).to_have_count(1)


def test_front_page_says_how_to_get_links(site: Site, pages: Pages) -> None:
    page = pages.new(f"{site.server.base}/")
    expect(page.locator("h1")).to_have_text("plenary")
    expect(page.locator("main")).to_contain_text("plenary meeting create")
