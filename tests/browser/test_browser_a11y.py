"""axe-core over every page in its main states, in real headless Chromium against a real server.

Each case is a (page, state) pair in ``CASES``: how to open the page and what to do to it before
axe runs. A new page or state is one more line there. The suite expects **zero violations** of
axe's rules (WCAG 2.0 to 2.2 A and AA, and axe's best practices), so any new one fails it.

The meeting is shared by the module: one room with recorded lines, a participant waiting, and
an intervention under way with its countdown (the "busy" room), and one room nobody has used
(the "empty" room).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
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
)
from tests.support import ServerProcess

browser = browser_support.browser
pages = browser_support.pages
pytestmark = pytest.mark.browser

PEOPLE_CSV = """name,delegation,group,presence
Ana Silva,Brazil,Governments,remote
Ben Okafor,Nigeria,Governments,remote
"""

THEMES = ["light", "dark", "contrast", "contrast-dark", "yellow"]


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks
    people: list[dict[str, Any]]
    exports: Path  # the HTML files the server exports, saved as a user saves them

    @property
    def base(self) -> str:
        return self.server.base

    def chair(self, room: str = "plenary") -> str:
        return f"{self.base}/m/{self.links.id}/chair?room={room}#key={self.links.chair_key}"

    def record(self) -> str:
        fragment = f"meeting={self.links.id}&key={self.links.chair_key}"
        return f"{self.base}/m/{self.links.id}/record#{fragment}"


def _post_caption(links: MeetingLinks, room: str, seq: int, text: str) -> None:
    url = links.room(room)["caption_api"] + f"&seq={seq}"
    request = urllib.request.Request(url, data=text.encode(), method="POST")
    request.add_header("content-type", "text/plain; charset=utf-8")
    urllib.request.urlopen(request, timeout=5).read()


def _fetch(links: MeetingLinks, path: str) -> bytes:
    request = urllib.request.Request(
        f"{links.base}/api/m/{links.id}{path}",
        headers={"authorization": f"Bearer {links.chair_key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("a11y")
    data = root / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "WGEC accessibility", ["Plenary", "Empty room"])
    people = import_participants(data, links, PEOPLE_CSV)
    server.start()
    try:
        _post_caption(links, "plenary", 1, "Good morning, and welcome to the session.\n")
        _post_caption(links, "plenary", 2, "We turn to item 2 of the agenda.\n")
        with connect(f"{server.base_ws}/ws/{links.id}/plenary", max_size=None) as ws:
            chair = ChairSocket(ws, links.chair_key)
            chair.cmd("floor.add", participant=people[0]["id"], kind="speak")
            chair.cmd("floor.add", participant=people[1]["id"], kind="point_of_order")
            chair.cmd("floor.grant", limit_s=600)
        exports = root / "exports"
        exports.mkdir()
        for name, path in [
            ("digest.html", "/record/digest.html"),
            ("figures.html", "/record/figures.html"),
            ("transcript.html", "/plenary/transcript.html"),
        ]:
            (exports / name).write_bytes(_fetch(links, path))
        yield Site(server, links, people, exports)
    finally:
        server.stop()


# -- the states -----------------------------------------------------------------------------------
def connected(page: Any) -> None:
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")


def with_lines(page: Any) -> None:
    connected(page)
    expect(page.locator("#lines .line").first).to_contain_text("Good morning")


def with_live_line(site: Site) -> Callable[[Any], None]:
    def run(page: Any) -> None:
        with_lines(page)
        _post_caption(site.links, "plenary", 3, "The delegate of Brazil ")
        expect(page.locator("#live .live-line")).to_contain_text("The delegate of Brazil")

    return run


def floor_granted(page: Any) -> None:
    connected(page)
    expect(page.locator("#floor-status .fs-timer")).to_be_visible()


def open_menu(selector: str) -> Callable[[Any], None]:
    def run(page: Any) -> None:
        connected(page)
        page.locator(f"{selector} summary").click()
        expect(page.locator(f"{selector} .menu-body")).to_be_visible()

    return run


def name_asked(page: Any) -> None:
    expect(page.locator("#name")).to_be_focused()


def bad_key(page: Any) -> None:
    expect(page.locator("#fatal")).to_contain_text("key is not valid")


def captioner_named(page: Any) -> None:
    page.locator("#name").fill("Cora Reyes")
    page.locator("#name").press("Enter")
    connected(page)
    expect(page.locator("#recent li").first).to_be_visible()


def transcript_shown(page: Any) -> None:
    floor_granted(page)
    page.get_by_label("Show the live transcript on this page").check()
    expect(page.locator("#p-lines .line").first).to_contain_text("Good morning")


def chair_ready(page: Any) -> None:
    connected(page)
    expect(page.locator("#floor-status .fs-timer")).to_be_visible()
    expect(page.locator("#speakers li").first).to_contain_text("Ana Silva")


def screen_ready(page: Any) -> None:
    expect(page.locator("#timer")).to_contain_text("left")


def record_tab(tab: str, ready: str) -> Callable[[Any], None]:
    def run(page: Any) -> None:
        expect(page.locator("#status")).to_contain_text("transcript lines")
        page.click(f"#tab-{tab}")
        page.wait_for_selector(ready)

    return run


def nothing(page: Any) -> None:
    page.wait_for_load_state("load")


@dataclass(frozen=True)
class Case:
    id: str
    url: Callable[[Site], str]
    ready: Callable[[Site], Callable[[Any], None]]
    theme: str | None = None  # a display theme stored before the page opens
    width: int | None = None  # a narrow window (CSS pixels)
    allow: str | None = None  # console errors this state causes on purpose


def viewer(room: str = "plenary") -> Callable[[Site], str]:
    return lambda s: s.links.viewer_url(room)


def captioner(tail: str = "") -> Callable[[Site], str]:
    return lambda s: s.links.captioner_url("plenary") + tail


def participant(n: int) -> Callable[[Site], str]:
    """The personal link of people[n]: 0 is waiting, 1 has the floor."""
    return lambda s: str(s.people[n]["link"])


def chair(room: str = "plenary") -> Callable[[Site], str]:
    return lambda s: s.chair(room)


def record(s: Site) -> str:
    return s.record()


def export(name: str) -> Callable[[Site], str]:
    return lambda s: (s.exports / name).as_uri()


def static(fn: Callable[[Any], None]) -> Callable[[Site], Callable[[Any], None]]:
    return lambda _s: fn


SEARCH_TAB = static(record_tab("search", "#panel-search"))
INTERVENTIONS_TAB = static(record_tab("interventions", "#panel-interventions"))

CASES: list[Case] = [
    Case("front", lambda s: f"{s.base}/", static(nothing)),
    Case("viewer-empty", viewer("empty-room"), static(connected)),
    Case("viewer-lines-live", viewer(), with_live_line),
    Case("viewer-floor", viewer(), static(floor_granted)),
    Case("viewer-display-menu", viewer(), static(open_menu("#settings"))),
    Case("viewer-download-menu", viewer(), static(open_menu("#downloads"))),
    *[Case(f"viewer-{t}", viewer(), static(with_lines), theme=t) for t in THEMES],
    Case("viewer-320px", viewer(), static(floor_granted), width=320),
    Case("captioner-name", captioner(), static(name_asked)),
    Case("captioner-bad-key", captioner("x"), static(bad_key), allow=r"status of 401"),
    Case("captioner", captioner(), static(captioner_named)),
    Case("captioner-320px", captioner(), static(captioner_named), width=320),
    Case("participant-waiting", participant(0), static(floor_granted)),
    Case("participant-floor", participant(1), static(floor_granted)),
    *[Case(f"participant-{t}", participant(1), static(floor_granted), theme=t) for t in THEMES],
    Case("participant-320px", participant(1), static(floor_granted), width=320),
    Case("participant-transcript", participant(0), static(transcript_shown)),
    Case("viewer-embed", lambda s: s.links.viewer_url("plenary") + "?embed=on", static(with_lines)),
    Case("chair", chair(), static(chair_ready)),
    Case("chair-empty-room", chair("empty-room"), static(connected)),
    *[Case(f"chair-{t}", chair(), static(chair_ready), theme=t) for t in THEMES],
    Case("chair-320px", chair(), static(chair_ready), width=320),
    Case("screen", lambda s: f"{s.links.viewer_url('plenary')}/screen", static(screen_ready)),
    Case("record-search", record, SEARCH_TAB),
    Case("record-digest", record, static(record_tab("digest", "#digest h3"))),
    Case("record-figures", record, static(record_tab("figures", "#figures figure"))),
    Case("record-summary", record, static(record_tab("summary", "#panel-summary"))),
    Case("record-interventions", record, INTERVENTIONS_TAB),
    Case("record-exports", record, static(record_tab("exports", "#panel-exports"))),
    *[Case(f"record-{t}", record, SEARCH_TAB, theme=t) for t in THEMES],
    Case("export-digest", export("digest.html"), static(nothing)),
    Case("export-figures", export("figures.html"), static(nothing)),
    Case("export-transcript", export("transcript.html"), static(nothing)),
]  # fmt: skip


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (the copy the axe-playwright-python package ships) on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return list(results.response["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    out = []
    for v in violations:
        out.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:6]:
            out.append(f"    {node['target']}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(out)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_axe_finds_nothing(site: Site, pages: Pages, case: Case) -> None:
    options: dict[str, Any] = {}
    if case.width is not None:
        options["viewport"] = {"width": case.width, "height": 640}
    if case.allow is not None:
        pages.allow_errors(case.allow)
    page = pages.new(**options)
    if case.theme is not None:
        display = json.dumps({"theme": case.theme})
        page.add_init_script(f"localStorage.setItem('plenary:display', {json.dumps(display)})")
    page.goto(case.url(site))
    case.ready(site)(page)
    violations = axe_violations(page)
    assert not violations, f"axe found in {case.id}:\n{describe(violations)}"
