"""What a screen reader would hear, counted in real headless Chromium against a real server.

A MutationObserver installed in each page before its scripts run records every change that a
screen reader announces: text added to or changed in a live region (``aria-live`` polite or
assertive, or the roles alert, status and log, which imply it), outside hidden elements. One
observer callback that touched a region counts as one announcement of that region, as screen
readers coalesce the changes of one task. The budget (docs/browser-pages.md): committed lines
are read at most once every ``WINDOW_S`` seconds, gathered, and nothing while the backlog
arrives; keystrokes are never read.
"""

from __future__ import annotations

import math
import re
import time
import urllib.request
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

# static/announcer.js WINDOW_MS
WINDOW_S = 2.0

HEARD = """
(() => {
  window.__heard = [];
  const POLITENESS = { alert: "assertive", status: "polite", log: "polite" };
  function regionOf(node) {
    let el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    for (; el; el = el.parentElement) {
      const live = el.getAttribute("aria-live");
      if (live) return live === "off" ? null : { el, politeness: live };
      const role = el.getAttribute("role");
      if (role && POLITENESS[role]) return { el, politeness: POLITENESS[role] };
    }
    return null;
  }
  function shown(el) {
    return !el.closest("[hidden]") && getComputedStyle(el).display !== "none";
  }
  new MutationObserver((records) => {
    const touched = new Map();
    for (const r of records) {
      const nodes = r.type === "characterData" ? [r.target] : [...r.addedNodes];
      for (const node of nodes) {
        const text = (node.textContent || "").trim();
        if (!text) continue;
        const region = regionOf(r.type === "characterData" ? node : r.target);
        if (!region || !shown(region.el)) continue;
        const seen = touched.get(region.el) || { politeness: region.politeness, text: [] };
        seen.text.push(text);
        touched.set(region.el, seen);
      }
    }
    for (const [el, seen] of touched) {
      window.__heard.push({ t: performance.now(), id: el.id || el.className,
        politeness: seen.politeness, text: seen.text.join(" ") });
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();
"""


def heard(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.__heard"))


def listening(pages: Pages, url: str) -> Any:
    page = pages.new()
    page.add_init_script(HEARD)
    page.goto(url)
    return page


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks
    people: list[dict[str, Any]]


PEOPLE_CSV = """name,delegation,group,presence
Ana Silva,Brazil,Governments,remote
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("announce")
    data = root / "data"
    server = new_server(data)
    rooms = ["Plenary", "Typing", "Burst", "Clock", "Console"]
    links = create_meeting(data, server.base, "WGEC", rooms)
    people = import_participants(data, links, PEOPLE_CSV)
    server.start()
    try:
        yield Site(server, links, people)
    finally:
        server.stop()


def post_caption(links: MeetingLinks, room: str, seq: int, text: str) -> None:
    url = links.room(room)["caption_api"] + f"&seq={seq}"
    request = urllib.request.Request(url, data=text.encode(), method="POST")
    request.add_header("content-type", "text/plain; charset=utf-8")
    urllib.request.urlopen(request, timeout=5).read()


def connected(page: Any) -> None:
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")


def lines_heard(page: Any) -> list[dict[str, Any]]:
    return [h for h in heard(page) if h["id"] == "announce"]


def test_a_captioner_typing_for_ten_seconds_is_never_announced(site: Site, pages: Pages) -> None:
    viewer = listening(pages, site.links.viewer_url("typing"))
    connected(viewer)
    captioner = listening(pages, site.links.captioner_url("typing"))
    captioner.locator("#name").fill("Cora Reyes")
    captioner.locator("#name").press("Enter")
    connected(captioner)
    expect(captioner.locator("#draft")).to_be_focused()
    before_viewer, before_captioner = len(heard(viewer)), len(heard(captioner))

    words = "the delegate of brazil supports the proposal on capacity building "
    text = (words * 2)[:100]
    started = time.monotonic()
    captioner.keyboard.type(text, delay=100)  # a captioner's pace: 100 characters in 10 s
    assert time.monotonic() - started >= 10
    expect(viewer.locator("#live .live-text")).to_have_text(text.strip())
    assert heard(viewer)[before_viewer:] == []
    assert heard(captioner)[before_captioner:] == []

    # Enter records the line: the viewer hears it once, politely.
    captioner.keyboard.press("Enter")
    wait_until(lambda: lines_heard(viewer), what="the line to be announced")
    news = heard(viewer)[before_viewer:]
    assert [(h["politeness"], h["text"]) for h in news] == [("polite", text.strip())]


def test_lines_at_five_a_second_are_announced_within_the_budget(site: Site, pages: Pages) -> None:
    for n in range(1, 6):
        post_caption(site.links, "burst", n, f"Backlog line {n}.\n")
    viewer = listening(pages, site.links.viewer_url("burst"))
    connected(viewer)
    expect(viewer.locator("#lines .line")).to_have_count(5)

    # The backlog is never read: the first thing heard is the first new line.
    texts = [f"Line {n} of the burst." for n in range(1, 51)]
    started = time.monotonic()
    for n, text in enumerate(texts, start=6):
        post_caption(site.links, "burst", n, text + "\n")
        time.sleep(max(0.0, started + (n - 5) * 0.2 - time.monotonic()))  # 5 lines a second
    expect(viewer.locator("#lines .line")).to_have_count(55)
    wait_until(
        lambda: texts[-1] in " ".join(h["text"] for h in lines_heard(viewer)),
        timeout=20,
        what="the last line to be announced",
    )
    said = lines_heard(viewer)
    assert all(h["politeness"] == "polite" for h in said)
    assert "Backlog" not in " ".join(h["text"] for h in heard(viewer))
    # Every line is said, in order, none twice.
    spoken = " ".join(h["text"] for h in said)
    assert re.findall(r"Line \d+ of the burst\.", spoken) == texts
    # Within the budget: at most one announcement per window, over the time they took.
    span = (said[-1]["t"] - said[0]["t"]) / 1000
    assert len(said) <= 1 + math.ceil(span / WINDOW_S), (len(said), span)
    assert len(said) <= 8, said  # 50 lines in 10 s: about 6, not 50


def test_one_second_left_and_the_clock_and_list_changes_are_said_once(
    site: Site, pages: Pages
) -> None:
    viewer = listening(pages, site.links.viewer_url("clock"))
    connected(viewer)
    with connect(f"{site.server.base_ws}/ws/{site.links.id}/clock", max_size=None) as ws:
        chair = ChairSocket(ws, site.links.chair_key)
        chair.cmd("floor.add", name="Ben Okafor", delegation="Nigeria")
        chair.cmd("floor.grant", limit_s=4)  # the warning comes in the last second
        wait_until(
            lambda: any("second left" in h["text"] for h in heard(viewer)),
            what="the warning",
        )
        chair.cmd("floor.pause")
        wait_until(lambda: any("paused" in h["text"] for h in heard(viewer)), what="pause")
        chair.cmd("floor.close")
        wait_until(lambda: any("closed" in h["text"] for h in heard(viewer)), what="closing")
        chair.cmd("floor.open")
        wait_until(lambda: any("open again" in h["text"] for h in heard(viewer)), what="reopen")
    said = [h["text"] for h in heard(viewer) if h["id"] != "conn-state"]
    assert said.count("Ben Okafor (Nigeria) has the floor.") == 1, said
    assert "1 second left." in said
    assert not any("1 seconds" in s for s in said)
    assert said.count("The clock is paused.") == 1
    assert said.count("The list of speakers is closed.") == 1
    assert said.count("The list of speakers is open again.") == 1


def test_the_participant_given_the_floor_hears_it_once(site: Site, pages: Pages) -> None:
    ana = site.people[0]
    me = listening(pages, ana["link"])
    connected(me)
    me.get_by_role("button", name="Ask to speak").click()
    expect(me.locator("#mine")).to_contain_text("No. 1")
    with connect(f"{site.server.base_ws}/ws/{site.links.id}/plenary", max_size=None) as ws:
        ChairSocket(ws, site.links.chair_key).cmd("floor.grant", limit_s=300)
    expect(me.locator("#turn-text")).to_have_text("You have the floor. Please speak now.")
    expect(me.locator("#turn-timer")).to_contain_text("left")
    wait_until(lambda: any("floor" in h["text"] for h in heard(me)), what="the announcement")
    about_floor = [h for h in heard(me) if "floor" in h["text"]]
    assert [(h["politeness"], h["text"]) for h in about_floor] == [
        ("assertive", "You have the floor. Please speak now.")
    ]
    # The countdown ticks inside the notice without being read out.
    first = me.locator("#turn-timer").text_content()
    wait_until(lambda: me.locator("#turn-timer").text_content() != first, what="a tick")
    assert not any("left" in h["text"] for h in heard(me))


def test_the_participant_page_shows_the_live_transcript_when_asked(
    site: Site, pages: Pages
) -> None:
    post_caption(site.links, "plenary", 1, "Said before the page opened.\n")
    me = listening(pages, site.people[0]["link"])
    connected(me)
    expect(me.locator("#transcript-body")).to_be_hidden()
    me.get_by_label("Show the live transcript on this page").check()
    lines = me.locator("#p-lines .line")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Said before the page opened.")
    post_caption(site.links, "plenary", 2, "The delegate of Brazil ")
    expect(me.locator("#p-live .live-text")).to_have_text("The delegate of Brazil")
    post_caption(site.links, "plenary", 3, "has the floor now.\n")
    expect(lines).to_have_count(2)
    expect(me.locator("#p-live .live-line")).to_have_count(0)
    wait_until(lambda: [h for h in heard(me) if h["id"] == "p-announce"], what="the new line")
    said = [h["text"] for h in heard(me) if h["id"] == "p-announce"]
    # Once, with the speaker's name if the line has one (whoever has the floor here).
    assert len(said) == 1 and said[0].endswith("The delegate of Brazil has the floor now."), said
    # The choice is kept.
    me.reload()
    expect(me.get_by_label("Show the live transcript on this page")).to_be_checked()
    expect(me.locator("#p-lines .line")).to_have_count(2)


def test_the_chair_hears_who_has_the_floor_once(site: Site, pages: Pages) -> None:
    with connect(f"{site.server.base_ws}/ws/{site.links.id}/console", max_size=None) as ws:
        chair_socket = ChairSocket(ws, site.links.chair_key)
        chair_socket.cmd("floor.add", name="Ms. Haddad", delegation="Egypt")
    url = f"{site.server.base}/m/{site.links.id}/chair?room=console#key={site.links.chair_key}"
    chair = listening(pages, url)
    connected(chair)
    chair.get_by_role("button", name="Give the floor to Ms. Haddad (Egypt)").click()
    expect(chair.locator("#floor-status .fs-speaker")).to_contain_text("Ms. Haddad")
    wait_until(lambda: any("has the floor" in h["text"] for h in heard(chair)), what="it")
    chair.get_by_role("button", name="End the intervention").click()
    expect(chair.locator("#floor-status .fs-speaker")).to_contain_text("nobody")
    said = [h["text"] for h in heard(chair) if "has the floor" in h["text"]]
    assert said == ["Ms. Haddad (Egypt) has the floor."]
