"""Caption channels in real headless Chromium: an English floor captioner and a French
interpretation captioner type at once, and a viewer shows both side by side, each line in its
language; the reader's choice of channel is kept, and switching back resumes exactly."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import browser_support
from tests.browser_support import MeetingLinks, Pages, new_server, wait_until
from tests.support import ROOT, ServerProcess

browser = browser_support.browser
pages = browser_support.pages

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, MeetingLinks]]:
    data = tmp_path_factory.mktemp("channels") / "data"
    server = new_server(data)
    data.mkdir(parents=True)
    out = subprocess.run(
        [
            sys.executable, "-m", "server", "meeting", "create", "WGEC", "--room", "Plenary",
            "--channel", "fr", "--channel", "ar", "--json", "--data-dir", str(data),
            "--public-url", server.base,
        ],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    links = MeetingLinks(json.loads(out.stdout), server.base)
    server.start()
    try:
        yield server, links
    finally:
        server.stop()


def channel(links: MeetingLinks, tag: str) -> dict[str, Any]:
    return next(c for c in links.room("plenary")["channels"] if c["channel"] == tag)


def open_captioner(pages: Pages, url: str, name: str) -> Any:
    page = pages.new(url)
    page.fill("#name", name)
    page.keyboard.press("Enter")
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "live")
    return page


def test_two_captioners_at_once_and_a_viewer_with_both_side_by_side(
    site: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    _server, links = site
    floor_cap = open_captioner(pages, links.captioner_url("plenary"), "Ann")
    fr_cap = open_captioner(pages, channel(links, "fr")["captioner"], "Brigitte")
    expect(fr_cap.locator("#room-name")).to_contain_text("Plenary — fr")
    # The chair gives the floor: the French captioner's page shows it, from the floor's log.
    chair = pages.new(f"{links.base}/m/{links.id}/chair#key={links.chair_key}")
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    chair.locator("#add-name").fill("Ms. Ana Silva")
    chair.get_by_role("button", name="Add to the list").click()
    chair.get_by_role("button", name="Give the floor to Ms. Ana Silva").click()
    expect(fr_cap.locator("#floor-status")).to_contain_text("Ms. Ana Silva")
    expect(fr_cap.locator("#speaker")).to_have_value("Ms. Ana Silva")

    viewer = pages.new(channel(links, "fr")["viewer"])  # the French channel's link
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(viewer.locator("#channel")).to_have_value("fr")
    expect(viewer.locator("#stage")).to_have_attribute("data-view", "channel")
    viewer.check("#side-by-side")
    expect(viewer.locator("#stage")).to_have_attribute("data-view", "both")
    expect(viewer.locator("#transcript")).to_be_visible()
    expect(viewer.locator("#channel-pane")).to_be_visible()
    floor_box = viewer.locator("#transcript").bounding_box()
    fr_box = viewer.locator("#channel-pane").bounding_box()
    assert floor_box and fr_box and floor_box["x"] + floor_box["width"] <= fr_box["x"] + 1

    # Both type at once: each live line is in its own pane.
    floor_cap.locator("#draft").press_sequentially("We support the")
    fr_cap.locator("#draft").press_sequentially("Nous appuyons la")
    expect(viewer.locator("#live .live-text")).to_have_text("We support the")
    expect(viewer.locator("#channel-live .live-text")).to_have_text("Nous appuyons la")
    floor_cap.locator("#draft").press_sequentially(" proposal.")
    fr_cap.locator("#draft").press_sequentially(" proposition.")
    floor_cap.locator("#draft").press("Enter")
    fr_cap.locator("#draft").press("Enter")
    expect(viewer.locator("#lines .line .text")).to_have_text(["We support the proposal."])
    expect(viewer.locator("#channel-lines .line .text")).to_have_text(
        ["Nous appuyons la proposition."]
    )
    expect(viewer.locator("#live .live-line")).to_have_count(0)
    expect(viewer.locator("#channel-live .live-line")).to_have_count(0)
    fr_line = viewer.locator("#channel-lines .line").first
    assert fr_line.get_attribute("lang") == "fr" and fr_line.get_attribute("dir") == "auto"
    assert viewer.locator("#lines .line").first.get_attribute("dir") == "auto"
    # The pane's title names the language; search marks words whatever their accents.
    expect(viewer.locator("#channel-title")).to_contain_text("fr")
    viewer.fill("#search", "PROPOSITION")
    expect(viewer.locator("#channel-lines mark")).to_have_text(["proposition"])
    # A screen reader hears the chosen channel, not both languages at once: the French line
    # from the channel's own polite region (in French, within the announcement budget), and the
    # list of lines itself is not a live region.
    assert viewer.locator("#announce").get_attribute("aria-live") == "off"
    announce = viewer.locator("#channel-announce")
    assert (
        announce.get_attribute("aria-live") == "polite" and announce.get_attribute("lang") == "fr"
    )
    expect(announce).to_contain_text("Nous appuyons la proposition.")
    assert viewer.locator("#channel-lines").get_attribute("aria-live") is None
    # The French alone: its matches counted, its lines downloaded.
    viewer.uncheck("#side-by-side")
    expect(viewer.locator("#stage")).to_have_attribute("data-view", "channel")
    expect(viewer.locator("#transcript")).to_be_hidden()
    expect(viewer.locator("#search-status")).to_have_text("1 line matches")
    viewer.locator("#downloads summary").click()
    with viewer.expect_download() as info:
        viewer.click("#download-txt")
    assert info.value.suggested_filename == f"{links.id}-plenary-fr.txt"
    saved = Path(info.value.path()).read_text(encoding="utf-8")
    assert "Nous appuyons la proposition." in saved and "We support" not in saved

    # An Arabic line in the Arabic channel reads right to left inside the page.
    ar = pages.new(channel(links, "ar")["viewer"])
    expect(ar.locator("#conn-state")).to_have_attribute("data-state", "live")
    ar_cap = open_captioner(pages, channel(links, "ar")["captioner"], "Karim")
    ar_cap.locator("#draft").fill("نؤيد الاقتراح")
    ar_cap.locator("#draft").press("Enter")
    ar_line = ar.locator("#channel-lines .line .text")
    expect(ar_line).to_have_text("نؤيد الاقتراح")
    assert ar_line.evaluate("n => getComputedStyle(n).direction") == "rtl"
    # The whole line is right to left, whoever speaks: the speaker's Latin name does not set it.
    ar_item = ar.locator("#channel-lines .line").first
    expect(ar_item.locator(".speaker")).to_have_text("Ms. Ana Silva")
    assert ar_item.evaluate("n => getComputedStyle(n).direction") == "rtl"
    assert ar.locator("#channel-lines .line").first.get_attribute("lang") == "ar"


def test_the_choice_is_kept_and_switching_back_resumes_exactly(
    site: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    _server, links = site
    fr_cap = open_captioner(pages, channel(links, "fr")["captioner"], "Claire")
    viewer = pages.new(links.viewer_url("plenary"), locale="en-GB")
    expect(viewer.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(viewer.locator("#channel")).to_have_value("floor")  # the meeting's language
    viewer.select_option("#channel", "fr")
    expect(viewer.locator("#stage")).to_have_attribute("data-view", "channel")
    fr_cap.locator("#draft").fill("Premier.")
    fr_cap.locator("#draft").press("Enter")
    expect(viewer.locator("#channel-lines .line .text").last).to_have_text("Premier.")
    held = viewer.locator("#channel-lines .line").count()
    viewer.select_option("#channel", "ar")
    expect(viewer.locator("#channel-title")).to_contain_text("(ar)")
    expect(viewer.locator("#channel-lines")).not_to_contain_text("Premier.")
    # Said in French while the reader was elsewhere.
    fr_cap.locator("#draft").fill("Deuxième.")
    fr_cap.locator("#draft").press("Enter")
    fr_cap.locator("#draft").fill("Troisième.")
    fr_cap.locator("#draft").press("Enter")
    viewer.select_option("#channel", "fr")
    expect(viewer.locator("#channel-lines .line")).to_have_count(held + 2)
    texts = viewer.locator("#channel-lines .line .text").all_text_contents()
    assert texts[-3:] == ["Premier.", "Deuxième.", "Troisième."] and len(set(texts)) == len(texts)
    # What came while the reader was elsewhere is a backlog: shown, not read out.
    announce = viewer.locator("#channel-announce")
    expect(announce).to_contain_text("Premier.")
    assert (
        "Deuxième." not in announce.text_content() and "Troisième." not in announce.text_content()
    )
    seqs = [int(s) for s in viewer.locator("#channel-lines .line").evaluate_all(
        "items => items.map(li => li.dataset.seq)")]  # fmt: skip
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap, no repeat

    # A reload remembers the reader's choice; a French browser on a fresh visit gets French.
    viewer.reload()
    expect(viewer.locator("#channel")).to_have_value("fr")
    french = pages.new(links.viewer_url("plenary"), locale="fr-FR")
    expect(french.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(french.locator("#channel")).to_have_value("fr")
    expect(french.locator("#channel-lines .line .text").last).to_have_text("Troisième.")


def test_the_record_console_searches_and_exports_a_channel(
    site: tuple[ServerProcess, MeetingLinks], pages: Pages, tmp_path: Any
) -> None:
    _server, links = site
    fr_cap = open_captioner(pages, channel(links, "fr")["captioner"], "Denise")
    fr_cap.locator("#draft").fill("La délégation du Sénégal appuie le texte.")
    fr_cap.locator("#draft").press("Enter")
    url = f"{links.base}/api/m/{links.id}/plenary/transcript.txt?lang=fr"

    def recorded() -> bool:
        with urllib.request.urlopen(url, timeout=5) as response:
            return "Sénégal" in response.read().decode()

    wait_until(recorded, what="the French line in the record")
    page = pages.new(f"{links.base}/static/record.html#meeting={links.id}&key={links.chair_key}")
    expect(page.locator("#status")).to_contain_text("transcript lines")
    page.fill('input[name="q"]', "SENEGAL")  # no accent, other case
    page.select_option('select[name="channel"]', "fr")
    page.click('#search-form button[type="submit"]')
    expect(page.locator("#search-results mark")).to_have_text(["Sénégal"])
    expect(page.locator("#search-results .meta")).to_contain_text(["interpretation (fr)"])

    page.click("#tab-exports")
    with page.expect_download() as download:
        page.locator("#exports li", has_text="Plain text").get_by_role(
            "button", name="interpretation (fr)"
        ).click()
    assert download.value.suggested_filename == f"{links.id}-transcript-fr.txt"
    saved = tmp_path / "fr.txt"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert "Plenary — interpretation (fr)" in text and "Sénégal appuie" in text
    assert "We support" not in text
    with page.expect_download() as download:
        page.get_by_role("button", name="Plenary — interpretation (fr), WebVTT subtitles").click()
    saved = tmp_path / "fr.vtt"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8").startswith("WEBVTT")
    assert "Sénégal" in saved.read_text(encoding="utf-8")


def test_the_chair_adds_a_channel_and_a_station_for_it(
    site: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    _server, links = site
    chair = pages.new(f"{links.base}/m/{links.id}/chair#key={links.chair_key}")
    expect(chair.locator("#conn-state")).to_have_attribute("data-state", "live")
    expect(chair.locator("#channel-list")).to_have_text("Besides the floor: fr, ar.")
    chair.fill("#channel-tag", "ES")
    chair.get_by_role("button", name="Add a caption channel").click()
    expect(chair.locator("#channel-list")).to_have_text("Besides the floor: fr, ar, es.")
    codes = chair.locator("#station-links code")
    expect(codes).to_have_count(4)
    assert (codes.first.text_content() or "").endswith(f"/m/{links.id}/plenary?channel=es")
    pages.allow_errors(r"status of 400 .*/plenary/channels")  # the refusal below, as intended
    chair.fill("#channel-tag", "not a language")
    chair.get_by_role("button", name="Add a caption channel").click()
    expect(chair.locator("#message")).to_contain_text("BCP 47")

    chair.fill("#station-name", "Cabina española 2")
    chair.select_option("#station-channel", "es")
    chair.get_by_role("button", name="New caption station").click()
    expect(chair.locator("#station-links h3")).to_contain_text("Cabina española 2")
    captioner = (chair.locator("#station-links code").first.text_content() or "").strip()
    assert "/plenary/caption?channel=es#key=" in captioner
    page = open_captioner(pages, captioner, "Lucía")
    expect(page.locator("#room-name")).to_contain_text("Plenary — es")
