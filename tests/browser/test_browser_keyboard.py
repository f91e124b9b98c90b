"""The keyboard alone, in real headless Chromium against a real server: where focus is after
each action and after a presence frame (what the server sends every heartbeat and when someone
connects), on the participant page, the chair's console, the captioner page and the viewer's
menus. Focus must never fall to <body>."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests import browser_support
from tests.browser_support import (
    ChairSocket,
    MeetingLinks,
    Pages,
    create_meeting,
    import_participants,
    new_server,
    wait_until,
)
from tests.support import ServerProcess

browser = browser_support.browser
pages = browser_support.pages
pytestmark = pytest.mark.browser

PEOPLE_CSV = """name,delegation,group,presence
Ana Silva,Brazil,Governments,remote
Ben Okafor,Nigeria,Governments,remote
Cat Ruiz,ISOC,Technical and academic community,remote
"""

# Counts the presence frames a page has handled (its scripts dispatch every frame as an event).
COUNT_PRESENCE = """
window.__presence = 0;
window.addEventListener("plenary:frame", (e) => {
  if (e.detail && e.detail.type === "presence") window.__presence += 1;
});
"""


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks
    people: list[dict[str, Any]]

    def chair(self, room: str) -> str:
        return f"{self.server.base}/m/{self.links.id}/chair?room={room}#key={self.links.chair_key}"

    def socket(self, room: str) -> Any:
        return connect(f"{self.server.base_ws}/ws/{self.links.id}/{room}", max_size=None)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("keyboard")
    data = root / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "WGEC", ["Plenary", "Captions"])
    people = import_participants(data, links, PEOPLE_CSV)
    server.start()
    try:
        yield Site(server, links, people)
    finally:
        server.stop()


def counting(pages: Pages, url: str) -> Any:
    page = pages.new()
    page.add_init_script(COUNT_PRESENCE)
    page.goto(url)
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    return page


def presence_frame(page: Any, cause: Any) -> None:
    """Wait until the page has handled a presence frame after ``cause()``."""
    before = page.evaluate("window.__presence")
    cause()
    wait_until(lambda: page.evaluate("window.__presence") > before, what="a presence frame")


def test_participant_asks_and_withdraws_with_the_keyboard(site: Site, pages: Pages) -> None:
    me = counting(pages, site.people[0]["link"])
    me.keyboard.press("Tab")
    expect(me.locator(".skip-link")).to_be_focused()
    me.keyboard.press("Enter")
    expect(me.locator("#ask")).to_be_focused()
    me.keyboard.press("Tab")
    expect(me.locator("#ask-speak")).to_be_focused()
    me.keyboard.press("Enter")
    # The pressed button is disabled while the request waits: focus is on its Withdraw button.
    withdraw = me.get_by_role("button", name="Withdraw your request to speak")
    expect(withdraw).to_be_focused()
    expect(me.locator("#status")).to_contain_text("is on the list")
    expect(me.locator("#mine")).not_to_contain_text("no request waiting")
    # Someone connects: the presence frame redraws the page, focus stays.
    presence_frame(me, lambda: counting(pages, site.people[1]["link"]))
    expect(withdraw).to_be_focused()
    me.keyboard.press("Enter")
    expect(me.locator("#mine")).to_contain_text("no request waiting")
    expect(me.locator("#ask-speak")).to_be_focused()
    expect(me.locator("#status")).to_have_text("Your request was withdrawn.")


def test_chair_console_by_keyboard_keeps_focus(site: Site, pages: Pages) -> None:
    with site.socket("plenary") as ws:
        chair = ChairSocket(ws, site.links.chair_key)
        chair.cmd("floor.add", name="Mr. Rushton", delegation="Canada")
        chair.cmd("floor.add", name="Ms. Haddad", delegation="Egypt")
        chair.cmd("floor.add", name="Mr. Lee", delegation="Korea")
    console = counting(pages, site.chair("plenary"))
    entries = console.locator("#speakers li[data-entry]")
    expect(entries).to_have_count(3)
    # Who is next is on the button.
    next_one = "Give the floor — next: Mr. Rushton (Canada)"
    expect(console.locator("#grant-next")).to_have_text(next_one)

    console.keyboard.press("Alt+Shift+L")
    expect(entries.nth(0)).to_be_focused()
    console.keyboard.press("Alt+ArrowDown")
    expect(entries.nth(1)).to_contain_text("Mr. Rushton")
    expect(entries.nth(1)).to_be_focused()
    console.keyboard.press("Tab")
    grant = console.get_by_role("button", name="Give the floor to Mr. Rushton (Canada)")
    expect(grant).to_be_focused()
    # A participant connects to the room: the list is redrawn, focus stays on that button.
    presence_frame(console, lambda: counting(pages, site.people[0]["link"]))
    expect(grant).to_be_focused()

    # Granting takes the entry off the list: focus goes to the entry that took its place.
    console.keyboard.press("Enter")
    expect(console.locator("#floor-status .fs-speaker")).to_contain_text("Mr. Rushton")
    expect(entries).to_have_count(2)
    expect(entries.nth(1)).to_be_focused()
    expect(entries.nth(1)).to_contain_text("Mr. Lee")

    # Alt+Shift+F: the floor's first usable button; ending the intervention disables it, and
    # focus moves on to giving the floor to the next one.
    console.keyboard.press("Alt+Shift+F")
    expect(console.locator("#grant-next")).to_be_focused()
    console.locator("#end").focus()
    console.keyboard.press("Enter")
    expect(console.locator("#floor-status .fs-speaker")).to_contain_text("nobody")
    expect(console.locator("#grant-next")).to_be_focused()

    # The agenda in one keystroke; "Make current" passes focus on when it is disabled.
    console.keyboard.press("Alt+Shift+A")
    expect(console.locator("#agenda")).to_be_focused()
    console.locator("#new-item-number").fill("3")
    console.locator("#new-item-title").fill("Capacity building")
    console.locator("#new-item-title").press("Enter")
    make = console.get_by_role("button", name="Make 3. Capacity building the current item")
    make.focus()
    console.keyboard.press("Enter")
    expect(make).to_be_disabled()
    # The item's next control (its status) has the focus.
    expect(console.get_by_role("combobox", name="Status of 3. Capacity building")).to_be_focused()


def test_chair_hears_who_asked_and_withdrew_once(site: Site, pages: Pages) -> None:
    console = counting(pages, site.chair("plenary"))
    cat = counting(pages, site.people[2]["link"])
    news = console.locator("#list-news")
    cat.get_by_role("button", name="Raise a point of order").click()
    expect(news).to_have_text("ISOC asks for the floor (point of order).")
    cat.get_by_role("button", name=re.compile("^Withdraw your request")).click()
    expect(news).to_have_text("Cat Ruiz withdrew.")
    # The presence summary is not a live region: it is read on demand, not every heartbeat.
    assert console.locator("#presence-summary").get_attribute("aria-live") is None


def test_captioner_corrects_the_newest_line_in_one_keystroke(site: Site, pages: Pages) -> None:
    page = pages.new(site.links.captioner_url("captions"))
    page.locator("#name").fill("Cora Reyes")
    page.keyboard.press("Enter")
    expect(page.locator("#draft")).to_be_focused()
    for text in ["First line.", "Second line.", "Thrid line."]:
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        expect(page.locator("#recent")).to_contain_text(text)
    page.keyboard.press("ArrowUp")
    box = page.get_by_role("textbox", name="Correct line")
    expect(box).to_be_focused()
    expect(box).to_have_value("Thrid line.")
    page.keyboard.press("Control+A")
    page.keyboard.type("Third line.")
    page.keyboard.press("Enter")
    expect(page.locator("#draft")).to_be_focused()
    expect(page.locator("#recent li").last).to_contain_text("(corrected)")
    expect(page.locator("#draft")).to_be_focused()
    # Escape leaves a correction the same way.
    page.keyboard.press("ArrowUp")
    expect(page.get_by_role("textbox", name="Correct line")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#draft")).to_be_focused()


def test_viewer_menus_close_on_escape_and_when_focus_leaves(site: Site, pages: Pages) -> None:
    viewer = pages.new(site.links.viewer_url("plenary"))
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "live")
    menu = viewer.locator("#settings")
    menu.locator("summary").focus()
    viewer.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    # Open, the menu is above the transcript, not over it.
    body = menu.locator(".menu-body").bounding_box()
    transcript = viewer.locator("#transcript").bounding_box()
    assert body is not None and transcript is not None
    assert body["y"] + body["height"] <= transcript["y"] + 1
    viewer.keyboard.press("Tab")
    expect(viewer.locator("#set-size")).to_be_focused()
    viewer.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.locator("summary")).to_be_focused()

    downloads = viewer.locator("#downloads")
    downloads.locator("summary").focus()
    viewer.keyboard.press("Enter")
    expect(downloads).to_have_attribute("open", "")
    for _ in range(3):  # past its two buttons: focus leaves the menu
        viewer.keyboard.press("Tab")
    expect(downloads).not_to_have_attribute("open", "")
    assert viewer.evaluate("document.activeElement !== document.body")


def test_closing_a_group_on_its_report_keeps_focus_in_the_group(site: Site, pages: Pages) -> None:
    console = pages.new(site.chair("plenary"))
    expect(console.locator("#conn-state")).to_have_attribute("data-state", "live")
    console.keyboard.press("Alt+Shift+G")
    expect(console.locator("#groups")).to_be_focused()
    console.locator("#group-name").fill("Drafting group")
    console.locator("#group-name").press("Enter")
    report = console.get_by_role("textbox", name="Report of Drafting group")
    report.fill("Agreed text for paragraph 4.")
    close = console.get_by_role("button", name="Close Drafting group on its report")
    close.focus()
    console.keyboard.press("Enter")
    expect(console.locator("#message")).to_contain_text("reported back and is closed")
    expect(close).to_have_count(0)
    run = console.get_by_role("button", name="Run the speakers' list of Drafting group")
    expect(run).to_be_focused()
