"""The pages behind a locked-down network's proxy: Chromium sends everything through Debian's
squid with its stock rules, which refuse the websocket (Chromium tunnels a websocket through a
proxy with CONNECT, and squid allows CONNECT only to port 443). The pages fall back to plain
HTTP by themselves: the viewer follows lines and the live line and survives a server restart
with every line once, the captioner's lines are recorded once, and the participant asks for the
floor and is told when it is granted."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONNECTION_REFUSED,
    MeetingLinks,
    Pages,
    create_meeting,
    new_server,
    wait_until,
)
from tests.squid_support import Squid
from tests.support import ROOT, ServerProcess, require_binary

pytestmark = pytest.mark.browser

# What Chromium logs when the proxy refuses a websocket's tunnel.
WEBSOCKET_REFUSED = r"WebSocket connection to .* failed|ERR_TUNNEL_CONNECTION_FAILED"


@pytest.fixture(scope="module")
def squid() -> Iterator[Squid]:
    proxy = Squid().start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def browser(squid: Squid) -> Iterator[Any]:
    """Chromium with every request, loopback included, sent through the proxy."""
    require_binary(CHROMIUM, "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_ARGS, f"--proxy-server={squid.url}", "--proxy-bypass-list=<-loopback>"]
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    opened = Pages(browser)
    opened.allow_errors(WEBSOCKET_REFUSED)
    try:
        yield opened
    finally:
        opened.close()
    opened.assert_no_errors()


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks
    people: list[dict[str, Any]]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    data = tmp_path / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "Behind a proxy", ["Plenary"])
    csv = tmp_path / "people.csv"
    csv.write_text("name,delegation,group,presence\nAna Silva,Brazil,Governments,remote\n")
    out = subprocess.run(
        [sys.executable, "-m", "server", "participant", "import", links.id, str(csv), "--json",
         "--data-dir", str(data), "--public-url", server.base],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    server.start()
    try:
        yield Site(server, links, json.loads(out.stdout))
    finally:
        server.stop()


def on_http(page: Any) -> None:
    """The page is connected, over the fallback, and says so."""
    state = page.locator("#conn-state")
    expect(state).to_have_attribute("data-state", "live", timeout=20_000)
    expect(state).to_have_attribute("data-transport", "http")
    expect(state).to_contain_text("over plain HTTP")


def assert_websocket_refused_by_the_proxy(squid: Squid, server: ServerProcess) -> None:
    """The websocket really failed, at the proxy: squid refused its CONNECT tunnel, while the
    page itself came through it. (Squid logs a request when it ends, so the event stream, which
    does not end, is not in the log yet.)"""
    port = server.port
    denied = rf"TCP_DENIED/403 .* CONNECT 127\.0\.0\.1:{port} "
    log = wait_until(
        lambda: squid.access_log() if re.search(denied, squid.access_log()) else None,
        20,
        "squid to refuse the websocket's tunnel",
    )
    assert re.search(rf"TCP_MISS/200 .* GET http://127\.0\.0\.1:{port}/m/", log), log


def assert_posted_through_the_proxy(squid: Squid, server: ServerProcess) -> None:
    log = squid.access_log()
    assert re.search(rf"/20[04] .* POST http://127\.0\.0\.1:{server.port}/sse/", log), log


def viewer_lines(viewer: Any) -> list[tuple[int, str]]:
    return [
        (int(seq), text)
        for seq, text in viewer.eval_on_selector_all(
            "#lines .line",
            "els => els.map(li => [li.dataset.seq, li.querySelector('.text').textContent])",
        )
    ]


def exported_texts(links: MeetingLinks) -> list[str]:
    doc = json.loads(links.export("plenary", "json"))
    return [line["text"] for line in doc["lines"]]


def open_captioner(pages: Pages, links: MeetingLinks) -> Any:
    page = pages.new(links.captioner_url("plenary"))
    page.fill("#name", "Ann")
    page.keyboard.press("Enter")
    on_http(page)
    expect(page.locator("#draft")).to_be_focused()
    return page


def commit(captioner: Any, text: str) -> None:
    captioner.locator("#draft").focus()
    captioner.keyboard.type(text)
    captioner.keyboard.press("Enter")


def test_viewer_and_captioner_work_behind_the_proxy_and_through_a_restart(
    squid: Squid, site: Site, pages: Pages
) -> None:
    viewer = pages.new(site.links.viewer_url("plenary"))
    on_http(viewer)
    captioner = open_captioner(pages, site.links)
    assert_websocket_refused_by_the_proxy(squid, site.server)

    # The live line, then committed lines.
    live = viewer.locator("#live .live-line .live-text")
    captioner.locator("#draft").focus()
    captioner.keyboard.type("Good morning, delegates")
    expect(live).to_have_text("Good morning, delegates")
    for _ in range(len(" delegates")):
        captioner.keyboard.press("Backspace")
    captioner.keyboard.type(" all")
    expect(live).to_have_text("Good morning, all")
    captioner.keyboard.press("Enter")
    expect(viewer.locator("#lines .line")).to_have_count(1)
    expect(viewer.locator("#live .live-line")).to_have_count(0)
    for i in range(2, 4):
        commit(captioner, f"line {i}")
    expect(viewer.locator("#lines .line")).to_have_count(3)
    expect(captioner.locator("#pending-count")).to_have_text("0")
    assert_posted_through_the_proxy(squid, site.server)

    # The server restarts: both pages come back on the fallback, and nothing is lost or doubled.
    pages.allow_errors(CONNECTION_REFUSED + r"|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED|502|503")
    site.server.kill()
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "reconnecting")
    commit(captioner, "line 4")
    site.server.start()
    expect(captioner.locator("#pending-count")).to_have_text("0", timeout=20_000)
    commit(captioner, "line 5")
    on_http(viewer)
    expect(viewer.locator("#lines .line")).to_have_count(5, timeout=20_000)
    expected = ["Good morning, all", "line 2", "line 3", "line 4", "line 5"]
    assert viewer_lines(viewer) == list(enumerate(expected, start=1))
    assert exported_texts(site.links) == expected
    on_http(captioner)


def grant_over_http(site: Site) -> None:
    """The chair grants the first request with the fallback's POST (its key in a header)."""
    base = f"{site.server.base}/api/m/{site.links.id}/plenary/floor"
    chair = {"Authorization": f"Bearer {site.links.chair_key}"}
    with urllib.request.urlopen(urllib.request.Request(base, headers=chair), timeout=5) as r:
        floor = json.loads(r.read())
    entry = floor["floor"]["waiting"][0]["entry"]
    message = {"type": "cmd", "n": 1, "op": "floor.grant", "args": {"entry": entry}}
    request = urllib.request.Request(
        f"{site.server.base}/sse/{site.links.id}/plenary?client=c-chair",
        data=json.dumps(message).encode(),
        headers={**chair, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as r:
        ack = json.loads(r.read())
    assert ack["type"] == "ack" and ack["n"] == 1 and ack["duplicate"] is False, ack


def test_participant_asks_for_the_floor_behind_the_proxy_and_is_told_it_is_granted(
    squid: Squid, site: Site, pages: Pages
) -> None:
    me = pages.new(site.people[0]["link"])
    on_http(me)
    expect(me.locator("#me")).to_contain_text("Ana Silva")
    me.get_by_role("button", name="Ask to speak").click()
    expect(me.locator("#mine")).to_contain_text("No. 1")
    expect(me.locator("#status")).to_contain_text("on the list")
    assert_websocket_refused_by_the_proxy(squid, site.server)
    assert_posted_through_the_proxy(squid, site.server)
    grant_over_http(site)
    expect(me.locator("#turn-text")).to_have_text("You have the floor. Please speak now.")


@pytest.fixture
def channel_site(tmp_path: Path) -> Iterator[tuple[ServerProcess, MeetingLinks]]:
    """A meeting whose plenary has a French interpretation channel."""
    data = tmp_path / "data"
    server = new_server(data)
    data.mkdir(parents=True)
    out = subprocess.run(
        [sys.executable, "-m", "server", "meeting", "create", "Behind a proxy", "--room",
         "Plenary", "--channel", "fr", "--json", "--data-dir", str(data),
         "--public-url", server.base],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    links = MeetingLinks(json.loads(out.stdout), server.base)
    server.start()
    try:
        yield server, links
    finally:
        server.stop()


def french_export(links: MeetingLinks) -> list[str]:
    url = f"{links.base}/api/m/{links.id}/plenary/transcript.json?lang=fr"
    with urllib.request.urlopen(url, timeout=5) as response:
        return [line["text"] for line in json.loads(response.read())["lines"]]


def test_an_interpretation_channel_is_captioned_and_followed_behind_the_proxy(
    squid: Squid, channel_site: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    server, links = channel_site
    fr = next(c for c in links.room("plenary")["channels"] if c["channel"] == "fr")
    captioner = pages.new(fr["captioner"])
    captioner.fill("#name", "Brigitte")
    captioner.keyboard.press("Enter")
    on_http(captioner)
    viewer = pages.new(fr["viewer"])  # the French channel's link
    on_http(viewer)
    expect(viewer.locator("#channel")).to_have_value("fr")
    assert_websocket_refused_by_the_proxy(squid, server)

    # The French live line and lines reach the French pane, over plain HTTP.
    captioner.locator("#draft").focus()
    captioner.keyboard.type("Nous appuyons")
    expect(viewer.locator("#channel-live .live-text")).to_have_text("Nous appuyons")
    captioner.keyboard.type(" la proposition.")
    captioner.keyboard.press("Enter")
    commit(captioner, "Deuxième.")
    french = viewer.locator("#channel-lines .line .text")
    expect(french).to_have_text(["Nous appuyons la proposition.", "Deuxième."])
    assert_posted_through_the_proxy(squid, server)

    # Through a restart, the French pane resumes in its channel: every line once.
    pages.allow_errors(CONNECTION_REFUSED + r"|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED|502|503")
    server.kill()
    commit(captioner, "Troisième.")
    server.start()
    expect(captioner.locator("#pending-count")).to_have_text("0", timeout=20_000)
    expected = ["Nous appuyons la proposition.", "Deuxième.", "Troisième."]
    expect(french).to_have_text(expected, timeout=20_000)
    seqs = [int(s) for s in viewer.locator("#channel-lines .line").evaluate_all(
        "items => items.map(li => li.dataset.seq)")]  # fmt: skip
    assert seqs == [1, 2, 3]
    assert french_export(links) == expected
    on_http(viewer)
