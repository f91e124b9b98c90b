"""Browser pages in real headless Chromium against a real server process: the captioner page shows
who has the floor and its speaker label follows the floor (so committed lines are attributed to
the intervention); the viewer's and participant's room switchers follow groups opening and
reporting back without a reload; the chair's console links to the record console.

The chair acts through its own websocket (``cmd`` frames, as the console sends them) and the
HTTP endpoints the console calls, so each test drives only the page it is about."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests import browser_support
from tests.browser_support import ChairSocket, MeetingLinks, Pages, create_meeting, new_server
from tests.support import ServerProcess

browser = browser_support.browser
pages = browser_support.pages

pytestmark = pytest.mark.browser

TITLE = "WGEC follow-up test"


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the HTTP API with the chair's key, as the console does."""
        request = urllib.request.Request(
            f"{self.server.base}/api/m/{self.links.id}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "authorization": f"Bearer {self.links.chair_key}",
                "content-type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def register(self, name: str, delegation: str) -> dict[str, Any]:
        body = {"name": name, "delegation": delegation, "group": "Governments"}
        return dict(self.api("POST", "/participants", body)["participants"][0])

    def record_lines(self, room: str = "plenary") -> list[dict[str, Any]]:
        return list(json.loads(self.links.export(room, "json"))["lines"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("followups") / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, TITLE, ["Plenary"])
    server.start()
    try:
        yield Site(server, links)
    finally:
        server.stop()


@pytest.fixture
def chair(site: Site) -> Iterator[ChairSocket]:
    url = f"{site.server.base_ws}/ws/{site.links.id}/plenary"
    with connect(url, max_size=None) as ws:
        yield ChairSocket(ws, site.links.chair_key)


# -- 1. the captioner page and the floor ----------------------------------------------------------
def captioner(site: Site, pages: Pages) -> Any:
    page = pages.new(site.links.captioner_url("plenary"))
    page.locator("#name").fill("Cora Reyes")
    page.locator("#name").press("Enter")
    expect(page.locator("#conn-state")).to_have_text("Connected")
    return page


def commit(page: Any, text: str) -> None:
    page.locator("#draft").focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.locator("#recent")).to_contain_text(text)
    expect(page.locator("#pending-count")).to_have_text("0")


def set_label_with_keyboard(page: Any, label: str) -> None:
    page.keyboard.press("Alt+S")
    expect(page.locator("#speaker")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(label)
    page.keyboard.press("Enter")
    expect(page.locator("#draft")).to_be_focused()


def line_in_record(site: Site, text: str) -> dict[str, Any]:
    return next(line for line in site.record_lines() if line["text"] == text)


def test_captioner_shows_the_floor_and_the_label_follows_it(
    site: Site, pages: Pages, chair: ChairSocket
) -> None:
    ana = site.register("Ana Silva", "Brazil")
    page = captioner(site, pages)
    speaker = page.locator("#speaker")
    status = page.locator("#floor-status")
    hint = page.locator("#floor-hint")
    use_floor = page.locator("#use-floor")

    item = chair.cmd("agenda.add", number="3", title="Way forward")["seq"]
    chair.cmd("agenda.current", item=item)
    chair.cmd("floor.add", participant=ana["id"], kind="speak")
    intervention = chair.cmd("floor.grant", limit_s=120)["seq"]

    # The floor as the viewer shows it: item, speaker with delegation, countdown.
    expect(status).to_be_visible()
    expect(status.locator(".fs-item")).to_contain_text("3. Way forward")
    expect(status.locator(".fs-speaker")).to_have_text("Has the floor: Ana Silva (Brazil)")
    expect(status.locator(".fs-timer")).to_have_text(re.compile(r"^(2:00|1:5\d) left$"))
    # The label is filled in with the floor holder's name, and the page says so.
    expect(speaker).to_have_value("Ana Silva")
    expect(hint).to_have_text("Lines are attributed to Ana Silva (Brazil), who has the floor.")
    expect(use_floor).to_be_hidden()

    commit(page, "Brazil supports the proposal.")
    line = line_in_record(site, "Brazil supports the proposal.")
    assert line["speaker"] == "Ana Silva"
    assert line["participant"] == ana["id"]
    assert line["delegation"] == "Brazil"
    assert line["intervention"] == intervention
    assert line["item"] == item

    # The chair interjects: the captioner relabels with the keyboard. Nothing that happens
    # within this intervention (a new limit) puts the floor holder's name back.
    set_label_with_keyboard(page, "Chair")
    expect(hint).to_contain_text("lines labelled “Chair” are not attributed to them")
    expect(use_floor).to_have_text("Use “Ana Silva”")
    chair.cmd("floor.limit", limit_s=300)
    expect(status.locator(".fs-timer")).to_have_text(re.compile(r"^4:[45]\d left$"))
    commit(page, "The Chair reminds delegations of the time.")
    expect(speaker).to_have_value("Chair")
    line = line_in_record(site, "The Chair reminds delegations of the time.")
    assert line["speaker"] == "Chair"
    assert "participant" not in line and "intervention" not in line

    # After a reload the label typed during this intervention is still the captioner's.
    page.reload()
    expect(page.locator("#recent")).to_contain_text("The Chair reminds delegations")
    expect(status.locator(".fs-speaker")).to_contain_text("Ana Silva")
    expect(speaker).to_have_value("Chair")

    # Back to the floor holder from the keyboard: Alt+S, Tab to the button, Enter.
    page.keyboard.press("Alt+S")
    page.keyboard.press("Tab")
    expect(use_floor).to_be_focused()
    page.keyboard.press("Enter")
    expect(speaker).to_have_value("Ana Silva")
    expect(page.locator("#draft")).to_be_focused()

    # The intervention ends: the label that was her name is cleared.
    chair.cmd("floor.end")
    expect(status.locator(".fs-speaker")).to_contain_text("nobody")
    expect(speaker).to_have_value("")
    expect(hint).to_be_hidden()

    # Someone in the room without a link, added by name; a label typed for someone else
    # during that intervention stays when it ends, and gives way to the next grant.
    chair.cmd("floor.add", name="Ben Okafor", delegation="Nigeria")
    chair.cmd("floor.grant")
    expect(speaker).to_have_value("Ben Okafor")
    commit(page, "Nigeria asks for the floor to be given to the regional group.")
    line = line_in_record(site, "Nigeria asks for the floor to be given to the regional group.")
    assert line["delegation"] == "Nigeria" and line["participant"] is None
    set_label_with_keyboard(page, "Secretariat")
    chair.cmd("floor.end")
    expect(status.locator(".fs-speaker")).to_contain_text("nobody")
    expect(speaker).to_have_value("Secretariat")
    chair.cmd("floor.add", participant=ana["id"], kind="reply")
    chair.cmd("floor.grant")
    expect(speaker).to_have_value("Ana Silva")
    expect(status.locator(".fs-speaker")).to_contain_text("right of reply")
    chair.cmd("floor.end")


# -- 2. room switchers follow groups --------------------------------------------------------------
def switcher_links(page: Any) -> list[tuple[str, str]]:
    links = page.locator("#room-list a")
    return [
        (links.nth(i).inner_text(), links.nth(i).get_attribute("href") or "")
        for i in range(links.count())
    ]


def test_room_switchers_follow_groups_without_a_reload(site: Site, pages: Pages) -> None:
    mid = site.links.id
    person = site.register("Cat Ruiz", "ISOC")
    key = person["link"].split("#key=", 1)[1]
    viewer = pages.new(site.links.viewer_url("plenary"))
    me = pages.new(person["link"])
    for page in (viewer, me):
        expect(page.locator("#conn-state")).to_have_text(re.compile("Live|Connected"))
        expect(page.locator("#rooms")).to_be_hidden()  # nowhere else to go yet
        page.evaluate("window.notReloaded = true")

    breakout = site.api("POST", "/rooms", {"name": "Break-out C", "kind": "breakout"})
    adhoc = site.api("POST", "/rooms", {"name": "Friends of the Chair", "kind": "adhoc"})
    c, f = breakout["room"], adhoc["room"]
    expect(viewer.locator("#room-list a")).to_have_count(3)
    assert switcher_links(viewer) == [
        ("Plenary", f"/m/{mid}/plenary"),
        ("Break-out C", f"/m/{mid}/{c}"),
        ("Friends of the Chair", f"/m/{mid}/{f}"),
    ]
    expect(me.locator("#room-list a")).to_have_count(3)
    assert switcher_links(me) == [
        ("Plenary", f"/m/{mid}/plenary/me#key={key}"),
        ("Break-out C", f"/m/{mid}/{c}/me#key={key}"),
        ("Friends of the Chair", f"/m/{mid}/{f}/me#key={key}"),
    ]
    expect(viewer.locator(".rooms-news")).to_have_text("Friends of the Chair has opened.")

    # A reader follows the link into the group; its page is in the group's own log.
    viewer.get_by_role("link", name="Break-out C").click()
    expect(viewer).to_have_url(f"{site.server.base}/m/{mid}/{c}")
    expect(viewer.locator("#conn-state")).to_have_text("Live")
    expect(viewer.locator("#room-list a[aria-current=page]")).to_have_text("Break-out C")
    plenary_viewer = pages.new(site.links.viewer_url("plenary"))
    expect(plenary_viewer.locator("#room-list a")).to_have_count(3)
    plenary_viewer.evaluate("window.notReloaded = true")

    site.api("POST", f"/{c}/report", {"report": "Category A: agreed text."})
    # The group's page says it is closed and keeps its way back to the plenary.
    expect(viewer.locator("#room-closed")).to_be_visible()
    expect(viewer.locator("#room-list a[aria-current=page]")).to_have_text("Break-out C (closed)")
    expect(viewer.get_by_role("link", name="Plenary")).to_be_visible()
    # In the plenary the reported group leaves the list.
    for page in (plenary_viewer, me):
        expect(page.locator("#room-list a")).to_have_count(2)
        expect(page.locator("#room-list")).not_to_contain_text("Break-out C")
    expect(plenary_viewer.locator(".rooms-news")).to_have_text(
        "Break-out C has reported back and is closed."
    )

    site.api("POST", f"/{f}/report", {"report": "No consensus."})
    for page in (plenary_viewer, me):
        expect(page.locator("#rooms")).to_be_hidden()
        assert page.evaluate("window.notReloaded") is True


def test_a_page_in_a_group_sees_other_groups_open_and_rooms_closed_by_the_api(
    site: Site, pages: Pages
) -> None:
    mid = site.links.id
    g = site.api("POST", "/rooms", {"name": "Break-out G", "kind": "breakout"})["room"]
    in_group = pages.new(site.links.viewer_url(g))
    expect(in_group.locator("#conn-state")).to_have_text("Live")
    in_group.evaluate("window.notReloaded = true")
    before = in_group.locator("#room-list a").count()

    # Another group opens: the page in G hears of it though G's own log says nothing.
    h = site.api("POST", "/rooms", {"name": "Break-out H", "kind": "breakout"})["room"]
    expect(in_group.locator("#room-list a")).to_have_count(before + 1)
    expect(in_group.get_by_role("link", name="Break-out H")).to_have_attribute(
        "href", f"/m/{mid}/{h}"
    )
    expect(in_group.locator(".rooms-news")).to_have_text("Break-out H has opened.")

    # The chair closes H through the HTTP API: the pages in G and in the plenary drop it, and
    # show it again when it reopens.
    plenary = pages.new(site.links.viewer_url("plenary"))
    expect(plenary.get_by_role("link", name="Break-out H")).to_be_visible()
    site.api("POST", f"/{h}/close")
    for page in (in_group, plenary):
        expect(page.locator("#room-list")).not_to_contain_text("Break-out H")
    expect(in_group.locator(".rooms-news")).to_have_text("Break-out H is closed.")
    site.api("POST", f"/{h}/open")
    for page in (in_group, plenary):
        expect(page.get_by_role("link", name="Break-out H")).to_be_visible()
    assert in_group.evaluate("window.notReloaded") is True


# -- 3. the console links to the record -----------------------------------------------------------
def test_the_console_links_to_the_record_console(site: Site, pages: Pages) -> None:
    base, mid, key = site.server.base, site.links.id, site.links.chair_key
    console = pages.new(f"{base}/m/{mid}/chair#key={key}")
    expect(console.locator("#conn-state")).to_have_text("Connected")
    link = console.get_by_role("link", name="Meeting record")
    expect(link).to_have_attribute("href", f"/m/{mid}/record#key={key}")

    # The record opens in a tab of its own (the console keeps running); whatever it logs counts.
    context = console.context

    def logged(msg: Any) -> None:
        if msg.page is not console:  # the console's own lines are already watched
            pages.on_console(msg)

    context.on("console", logged)
    context.on("weberror", lambda err: pages.errors.append(f"uncaught: {err.error}"))
    with console.expect_popup() as opened:
        link.click()
    record = opened.value
    expect(record).to_have_url(f"{base}/m/{mid}/record#key={key}")
    expect(record.locator("#status")).to_contain_text("transcript lines")
    expect(record.locator("#title")).to_have_text(f"Meeting record: {TITLE}")
    record.get_by_role("tab", name="Digest").click()
    expect(record.locator("#panel-digest")).to_be_visible()
    expect(record.locator("#status")).not_to_contain_text("Could not load")
    expect(console.locator("#conn-state")).to_have_text("Connected")
