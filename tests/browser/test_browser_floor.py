"""The floor in real headless Chromium against a real server process: a remote participant asks
for the floor on their page, the chair grants it on the console, the participant's page says they
have the floor, a viewer sees the speaker and the countdown, and the next committed line is
attributed to them. Also: the console's keyboard reordering and the agenda, and a refused
command shown to the chair."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import browser_support
from tests.browser_support import (
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


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks
    people: list[dict[str, Any]]  # as `participant import --json` printed them


PEOPLE_CSV = """name,delegation,group,presence
Ana Silva,Brazil,Governments,remote
Ben Okafor,Nigeria,Governments,remote
Cat Ruiz,ISOC,Technical and academic community,remote
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("floor")
    data = root / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "WGEC floor test", ["Plenary", "Break-out A"])
    people = import_participants(data, links, PEOPLE_CSV)
    server.start()
    try:
        yield Site(server, links, people)
    finally:
        server.stop()


def chair_url(site: Site, room: str = "plenary") -> str:
    return f"{site.server.base}/m/{site.links.id}/chair?room={room}#key={site.links.chair_key}"


def post_caption(site: Site, text: str, seq: int) -> None:
    url = site.links.room("plenary")["caption_api"] + f"&seq={seq}"
    request = urllib.request.Request(url, data=text.encode(), method="POST")
    request.add_header("content-type", "text/plain")
    urllib.request.urlopen(request, timeout=5).read()


def test_remote_participant_asks_chair_grants_everyone_sees_it(site: Site, pages: Pages) -> None:
    ana = site.people[0]
    me = pages.new(ana["link"])
    expect(me.locator("#conn-state")).to_have_text("Connected")
    expect(me.locator("#me")).to_contain_text("Ana Silva")

    chair = pages.new(chair_url(site))
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    viewer = pages.new(site.links.viewer_url("plenary"))

    me.get_by_role("button", name="Ask to speak").click()
    expect(me.locator("#mine")).to_contain_text("No. 1")
    expect(me.locator("#status")).to_contain_text("on the list")

    # The chair sees the request, with the participant connected; the viewer sees the queue.
    entry = chair.locator("#speakers li").first
    expect(entry).to_contain_text("Ana Silva")
    expect(entry).to_contain_text("remote, connected")
    expect(viewer.locator("#floor-status .fs-queue")).to_contain_text("Brazil")

    chair.locator("#limit").fill("2")
    chair.get_by_role("button", name="Give the floor to Ana Silva (Brazil)").click()

    turn = me.locator("#turn")
    expect(turn).to_be_visible()
    expect(me.locator("#turn-text")).to_have_text("You have the floor. Please speak now.")
    # The countdown is inside the notice.
    expect(turn.locator("#turn-timer")).to_have_text(re.compile(r"^1:5\d left$"))
    expect(me).to_have_title(re.compile(r"^▶ You have the floor"))

    status = viewer.locator("#floor-status")
    expect(status.locator(".fs-speaker")).to_contain_text("Ana Silva")
    expect(status.locator(".fs-speaker")).to_contain_text("Brazil")
    timer = status.locator(".fs-timer")
    expect(timer).to_have_text(re.compile(r"^1:5\d left$"))
    first = timer.text_content()
    wait_until(lambda: timer.text_content() != first, 5, "the countdown to tick")
    # Every page computes the same time left from the server's timestamps.
    chair_timer = chair.locator("#floor-status .fs-timer").text_content() or ""
    assert abs(_seconds(chair_timer) - _seconds(timer.text_content() or "")) <= 1

    post_caption(site, "Thank you, Chair. Brazil supports the proposal.\n", 1)
    line = viewer.locator("#lines li").last
    expect(line).to_contain_text("Brazil supports the proposal")
    expect(line.locator(".speaker")).to_contain_text("Ana Silva")
    record = site.links.export("plenary", "json")
    assert '"delegation": "Brazil"' in record or '"delegation":"Brazil"' in record

    chair.get_by_role("button", name="End the intervention").click()
    expect(turn).to_be_hidden()
    expect(status.locator(".fs-speaker")).to_contain_text("nobody")
    expect(chair.locator("#totals-delegation")).to_contain_text("Brazil")


def _seconds(text: str) -> int:
    minutes, seconds = text.split()[0].split(":")
    return int(minutes) * 60 + int(seconds)


def test_chair_reorders_with_the_keyboard_and_refusals_are_shown(site: Site, pages: Pages) -> None:
    ben, cat = site.people[1], site.people[2]
    pb, pc = pages.new(ben["link"]), pages.new(cat["link"])
    chair = pages.new(chair_url(site))
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    pb.get_by_role("button", name="Ask to speak").click()
    expect(pb.locator("#mine")).to_contain_text("No. ")
    pc.get_by_role("button", name="Ask to speak").click()
    expect(pc.locator("#mine")).to_contain_text("No. ")
    entries = chair.locator("#speakers li")
    expect(entries).to_have_count(2)
    expect(entries.nth(1)).to_contain_text("Cat Ruiz")

    entries.nth(1).focus()
    chair.keyboard.press("Alt+ArrowUp")
    expect(entries.nth(0)).to_contain_text("Cat Ruiz")
    expect(chair.locator("#speakers li:focus")).to_contain_text("Cat Ruiz")
    expect(pc.locator("#turn-text")).to_have_text("You are next: please get ready to speak.")
    expect(pc).to_have_title(re.compile(r"^You are next"))
    expect(pb.locator("#mine")).to_contain_text("No. 2")
    # And with the pointer: drag Ben back above Cat.
    entries.nth(1).drag_to(entries.nth(0))
    expect(entries.nth(0)).to_contain_text("Ben Okafor")
    expect(pb.locator("#mine")).to_contain_text("No. 1")
    entries.nth(0).focus()
    chair.keyboard.press("Alt+ArrowDown")
    expect(entries.nth(0)).to_contain_text("Cat Ruiz")

    # Ben withdraws; the console's list follows.
    pb.get_by_role("button", name="Withdraw your request to speak").click()
    expect(pb.locator("#mine")).to_contain_text("no request waiting")
    expect(entries).to_have_count(1)
    chair.get_by_role("button", name="Give the floor to Cat Ruiz (ISOC)").click()
    expect(chair.locator("#floor-status .fs-speaker")).to_contain_text("Cat Ruiz")
    chair.get_by_role("button", name="End the intervention").click()
    chair.get_by_role("button", name="Re-add the last speaker").click()
    expect(entries.first).to_contain_text("Cat Ruiz")
    chair.get_by_role("button", name="Remove Cat Ruiz (ISOC) from the list").click()
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Nobody is waiting")
    chair.get_by_role("button", name="Re-add the last speaker").click()
    chair.get_by_role("button", name="Re-add the last speaker").click()
    expect(chair.locator("#message")).to_contain_text("already on the list")


def test_the_chair_adds_a_presentation_that_the_record_lists(site: Site, pages: Pages) -> None:
    chair = pages.new(chair_url(site))
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    chair.locator("#add-name").fill("Mr. Rushton")
    chair.locator("#add-delegation").fill("Correspondence group")
    chair.locator("#add-kind").select_option("presentation")
    chair.locator("#add-note").fill("the correspondence group's spreadsheet")
    chair.get_by_role("button", name="Add to the list").click()
    entry = chair.locator("#speakers li", has_text="Mr. Rushton")
    expect(entry).to_contain_text("Presentation: the correspondence group's spreadsheet")
    expect(chair.locator("#add-note")).to_have_value("")
    chair.get_by_role("button", name="Give the floor to Mr. Rushton (Correspondence group)").click()
    expect(chair.locator("#floor-status .fs-speaker")).to_contain_text("Mr. Rushton")
    chair.get_by_role("button", name="End the intervention").click()
    expect(chair.locator("#floor-status .fs-speaker")).to_contain_text("nobody")

    request = urllib.request.Request(
        f"{site.server.base}/api/m/{site.links.id}/record/digest.json",
        headers={"authorization": f"Bearer {site.links.chair_key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        digest = json.loads(response.read())
    parts = [part for item in digest["items"] for part in item["rooms"]]
    parts += digest["outside_items"]
    presentations = [p for part in parts for p in part["presentations"]]
    assert [(p["who"]["name"], p["note"]) for p in presentations] == [
        ("Mr. Rushton", "Presentation: the correspondence group's spreadsheet")
    ]


def test_agenda_current_item_reaches_the_viewer(site: Site, pages: Pages) -> None:
    chair = pages.new(chair_url(site))
    viewer = pages.new(site.links.viewer_url("plenary"))
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    chair.locator("#new-item-number").fill("4")
    chair.locator("#new-item-title").fill("Draft structure of the report")
    chair.get_by_role("button", name="Add the item").click()
    row = chair.locator(".agenda-list li", has_text="Draft structure of the report")
    expect(row).to_be_visible()
    chair.get_by_role(
        "button", name="Make 4. Draft structure of the report the current item"
    ).click()
    expect(viewer.locator("#floor-status .fs-item")).to_contain_text(
        "4. Draft structure of the report"
    )
    expect(row).to_contain_text("Under discussion")
    chair.get_by_role("button", name="Adopt the agenda").click()
    expect(chair.locator("#agenda-body")).to_contain_text("Adopted.")


def test_pages_without_a_key_say_what_to_do(site: Site, pages: Pages) -> None:
    page = pages.new(f"{site.server.base}/m/{site.links.id}/plenary/me")
    expect(page.locator("#fatal")).to_contain_text("personal link")
    page = pages.new(f"{site.server.base}/m/{site.links.id}/chair")
    expect(page.locator("#fatal")).to_contain_text("chair's link")


def test_closed_list_disables_asking_to_speak(site: Site, pages: Pages) -> None:
    chair = pages.new(chair_url(site, "break-out-a"))
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    ana = site.people[0]
    me = pages.new(ana["link"].replace("/plenary/me", "/break-out-a/me"))
    expect(me.locator("#conn-state")).to_have_text("Connected")
    chair.get_by_role("button", name="Close the list").click()
    expect(me.locator("#closed-note")).to_contain_text("still raise a point of order")
    expect(me.get_by_role("button", name="Ask to speak")).to_be_disabled()
    me.locator("#poo-note").fill("interpretation")
    me.get_by_role("button", name="Raise a point of order").click()
    expect(chair.locator("#speakers li").first).to_contain_text("interpretation")
    chair.get_by_role("button", name="Reopen the list").click()
    expect(me.get_by_role("button", name="Ask to speak")).to_be_enabled()
