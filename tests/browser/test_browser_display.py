"""What the eye finds, in real headless Chromium against a real server: the chair's console on
one 1280 by 800 screen, nothing scrolling sideways at 320 px, disabled buttons that look disabled
in every theme, the record console following the display settings, viewer settings and the
embed mode given in the link, and a captioner link with a bad key refused before the name."""

from __future__ import annotations

import json
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

THEMES = ["light", "dark", "contrast", "contrast-dark", "yellow"]


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks

    @property
    def chair(self) -> str:
        return f"{self.server.base}/m/{self.links.id}/chair?room=plenary#key={self.links.chair_key}"

    @property
    def record(self) -> str:
        return (
            f"{self.server.base}/m/{self.links.id}/record"
            f"#meeting={self.links.id}&key={self.links.chair_key}"
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("display") / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "WGEC display", ["Plenary", "Group"])
    server.start()
    try:
        with connect(f"{server.base_ws}/ws/{links.id}/plenary", max_size=None) as ws:
            chair = ChairSocket(ws, links.chair_key)
            for name, delegation in [
                ("Ana Silva", "Brazil"),
                ("Ben Okafor", "Nigeria"),
                ("Cat Ruiz", "ISOC"),
                ("Dan Wu", "China"),
            ]:
                chair.cmd("floor.add", name=name, delegation=delegation)
            chair.cmd("floor.grant", limit_s=600)
        yield Site(server, links)
    finally:
        server.stop()


def themed(pages: Pages, theme: str, **options: Any) -> Any:
    page = pages.new(**options)
    setting = json.dumps(json.dumps({"theme": theme}))
    page.add_init_script(f"localStorage.setItem('plenary:display', {setting})")
    return page


def test_the_console_fits_a_1280_by_800_screen(site: Site, pages: Pages) -> None:
    page = pages.new(site.chair, viewport={"width": 1280, "height": 800})
    expect(page.locator("#speakers li[data-entry]")).to_have_count(3)
    expect(page.locator("#floor-status .fs-timer")).to_be_visible()
    # Who has the floor, the floor's buttons and the first entries, without scrolling.
    for selector in ["#floor-status .fs-speaker", "#grant-next", "#end", "#pause", "#limit"]:
        box = page.locator(selector).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, selector
    for n in range(3):
        box = page.locator("#speakers li[data-entry]").nth(n).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, f"entry {n + 1}"
    # Who is next is on the button; the waiting list is shown once.
    expect(page.locator("#grant-next")).to_contain_text("Ben Okafor (Nigeria)")
    expect(page.locator("#floor-status .fs-waiting")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


PAGES_320 = {
    "front": lambda s: f"{s.server.base}/",
    "viewer": lambda s: s.links.viewer_url("plenary"),
    "captioner": lambda s: s.links.captioner_url("plenary"),
    "chair": lambda s: s.chair,
    "record": lambda s: s.record,
    "screen": lambda s: f"{s.links.viewer_url('plenary')}/screen",
}


@pytest.mark.parametrize("name", list(PAGES_320))
def test_nothing_scrolls_sideways_at_320_px(site: Site, pages: Pages, name: str) -> None:
    page = pages.new(viewport={"width": 320, "height": 640})
    page.goto(PAGES_320[name](site))
    page.wait_for_load_state("networkidle")
    if name == "chair":
        expect(page.locator("#speakers li[data-entry]")).to_have_count(3)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{name} is {width} px wide at 320 px"


@pytest.mark.parametrize("theme", THEMES)
def test_disabled_buttons_look_disabled(site: Site, pages: Pages, theme: str) -> None:
    page = themed(pages, theme)
    page.goto(site.chair)
    expect(page.locator("#speakers li[data-entry]")).to_have_count(3)
    disabled = page.get_by_role("button", name="Move Ben Okafor (Nigeria) up")
    enabled = page.get_by_role("button", name="Move Ben Okafor (Nigeria) down")
    expect(disabled).to_be_disabled()

    def look(locator: Any) -> dict[str, str]:
        return dict(
            locator.evaluate(
                "el => { const s = getComputedStyle(el); return {border: s.borderTopStyle, "
                "cursor: s.cursor, color: s.color}; }"
            )
        )

    off, on = look(disabled), look(enabled)
    # By shape, not by colour alone.
    assert off["border"] == "dashed" and on["border"] == "solid"
    assert off["cursor"] == "not-allowed"


@pytest.mark.parametrize(
    ("theme", "background"),
    [
        ("light", "rgb(255, 255, 255)"),
        ("contrast-dark", "rgb(0, 0, 0)"),
        ("yellow", "rgb(0, 0, 0)"),
    ],
)
def test_the_record_console_follows_the_display_settings(
    site: Site, pages: Pages, theme: str, background: str
) -> None:
    page = themed(pages, theme)
    page.goto(site.record)
    expect(page.locator("#status")).to_contain_text("transcript lines")
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background


def test_viewer_settings_and_embed_mode_in_the_link(site: Site, pages: Pages) -> None:
    url = site.links.viewer_url("plenary")
    page = pages.new(f"{url}?size=200&theme=yellow&spacing=wide&times=on&font=serif")
    root = page.evaluate("({...document.documentElement.dataset})")
    assert root == {
        "size": "200",
        "theme": "yellow",
        "spacing": "wide",
        "times": "on",
        "font": "serif",
    }
    # The Display menu shows them; they are not stored until the reader changes something.
    expect(page.locator("#set-size")).to_have_value("200")
    expect(page.locator("#set-theme")).to_have_value("yellow")
    expect(page.locator("#set-times")).to_be_checked()
    assert page.evaluate("localStorage.getItem('plenary:display')") is None
    page.locator("#settings summary").click()
    page.locator("#set-spacing").select_option("wider")
    stored = json.loads(page.evaluate("localStorage.getItem('plenary:display')"))
    assert stored["size"] == "200" and stored["spacing"] == "wider"
    # A bad value is ignored, not applied.
    other = pages.new(f"{url}?size=999&theme=purple")
    assert other.evaluate("document.documentElement.dataset.size") == "100"
    assert other.evaluate("document.documentElement.dataset.theme") == "auto"

    embed = pages.new(f"{url}?embed=on&size=150")
    expect(embed.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(embed.locator("#transcript")).to_be_visible()
    for hidden in ["header.bar", ".tools", "#floor-status", ".skip-link"]:
        expect(embed.locator(hidden)).to_be_hidden()
    assert embed.evaluate("document.documentElement.dataset.size") == "150"


def test_a_captioner_link_with_a_bad_key_says_so_before_asking_a_name(
    site: Site, pages: Pages
) -> None:
    pages.allow_errors(r"status of 401")
    page = pages.new(site.links.captioner_url("plenary") + "x")
    expect(page.locator("#fatal")).to_contain_text("key is not valid")
    expect(page.locator("#name")).to_be_hidden()
    # Another room's captioner key is refused the same way; the chair's is accepted.
    group_key = site.links.key(site.links.room_ids()[1])
    wrong = pages.new(f"{site.links.viewer_url('plenary')}/caption#key={group_key}")
    expect(wrong.locator("#fatal")).to_contain_text("not a captioner link for this room")
    expect(wrong.locator("#name")).to_be_hidden()
    chair = pages.new(f"{site.links.viewer_url('plenary')}/caption#key={site.links.chair_key}")
    expect(chair.locator("#name")).to_be_visible()
    expect(chair.locator("#fatal")).to_be_hidden()


@pytest.mark.parametrize(
    ("width", "height", "zoom"), [(390, 700, 1), (640, 400, 2)], ids=["phone", "200%"]
)
def test_the_floor_stays_in_view_while_following_the_live_end(
    site: Site, pages: Pages, width: int, height: int, zoom: int
) -> None:
    # 200 % zoom of a 1280 by 800 window is a 640 by 400 CSS-pixel viewport, twice as dense.
    page = pages.new(
        site.links.viewer_url("plenary"),
        viewport={"width": width, "height": height},
        device_scale_factor=zoom,
    )
    expect(page.locator("#floor-status .fs-timer")).to_be_visible()
    # A long transcript, followed at its end.
    page.evaluate(
        "() => { const ol = document.getElementById('lines');"
        " for (let n = 0; n < 80; n++) { const li = document.createElement('li');"
        " li.className = 'line'; li.textContent = 'Line ' + n; ol.append(li); }"
        " window.scrollTo(0, document.scrollingElement.scrollHeight); }"
    )
    scrolled = page.evaluate("() => window.scrollY")
    assert scrolled > height
    for selector in ["#floor-status .fs-speaker", "#floor-status .fs-timer"]:
        box = page.locator(selector).bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height, selector
