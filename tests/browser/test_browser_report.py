"""The record in real headless Chromium: the console page (search, digest, figures with charts,
draft summary, downloads) against a real server process after the demo meeting was replayed
into it, and the HTML report and transcript files opened and printed as saved — all without a
console error."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from playwright.sync_api import expect

from server.ops import demo
from tests import browser_support
from tests.browser_support import MeetingLinks, Pages, create_meeting, new_server
from tests.support import ServerProcess

browser = browser_support.browser
pages = browser_support.pages
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def replayed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, MeetingLinks]]:
    data = tmp_path_factory.mktemp("record") / "data"
    server = new_server(data).start()
    try:
        links = create_meeting(data, server.base, demo.TITLE, ["Plenary"])
        keys = {"chair": links.chair_key, "captioner:plenary": links.key("plenary")}
        asyncio.run(demo.replay(server.base, links.id, keys, speed=40, log=lambda _: None))
        yield server, links
    finally:
        server.stop()


def fetch(links: MeetingLinks, path: str) -> bytes:
    request = urllib.request.Request(
        f"{links.base}/api/m/{links.id}{path}",
        headers={"authorization": f"Bearer {links.chair_key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def test_the_console_searches_and_shows_every_report(
    replayed: tuple[ServerProcess, MeetingLinks], pages: Pages, tmp_path: Path
) -> None:
    _, links = replayed
    page = pages.new(f"{links.base}/static/record.html#meeting={links.id}&key={links.chair_key}")
    expect(page.locator("#status")).to_contain_text("transcript lines")
    assert demo.TITLE in page.text_content("#title")

    page.fill('input[name="q"]', "recommendations")
    page.click('#search-form button[type="submit"]')
    page.wait_for_selector("#search-results li mark")
    marks = page.locator("#search-results mark").all_text_contents()
    assert marks and all(m.lower().startswith("recommendation") for m in marks)
    page.select_option('select[name="room"]', label="Break-out group A")
    page.fill('input[name="q"]', "")
    page.click('#search-form button[type="submit"]')
    expect(page.locator("#search-results .meta").first).to_contain_text("Break-out group A")
    rooms = page.locator("#search-results .meta").all_text_contents()
    assert rooms and all("Break-out group A" in r for r in rooms)

    page.click("#tab-digest")
    page.wait_for_selector("#digest h3")
    headings = page.locator("#digest h3").all_text_contents()
    for item in demo.AGENDA:
        assert f"{item.number}. {item.title}" in headings
    assert "Peru" in page.text_content("#digest")

    page.click("#tab-figures")
    page.wait_for_selector("#figures figure img")
    images = page.locator("#figures figure img")
    # Participation (4) and the rolling document: by status, by category, per proposal.
    assert images.count() == 7
    expect(page.locator("#figures table caption", has_text="Proposals by category and status")
           ).to_be_visible()  # fmt: skip
    for n in range(images.count()):
        alt = images.nth(n).get_attribute("alt") or ""
        assert ": " in alt and len(alt) > 20  # the chart's own description of every value
        assert images.nth(n).evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("#figures table").count() >= 4
    page.select_option("#scope", index=1)
    expect(page.locator("#figures > p").first).to_contain_text("interventions")
    expect(page.locator("#figures figure img").first).to_be_visible()

    page.click("#tab-summary")
    page.wait_for_selector("#summary li")
    paragraphs = page.locator("#summary li").all_text_contents()
    assert any("Way forward" in p for p in paragraphs)
    with page.expect_download() as download:
        page.locator("#panel-summary .report-links").get_by_role(
            "button", name="Word (.docx)"
        ).click()
    saved = tmp_path / "summary.docx"
    download.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"

    page.click("#tab-exports")
    with page.expect_download() as download:
        page.locator("#exports li", has_text="Markdown: whole meeting").get_by_role(
            "button", name="whole meeting"
        ).click()
    assert download.value.suggested_filename == f"{links.id}-transcript.md"
    # The rolling document, with each proposal's status and history, read back as Word.
    with page.expect_download() as download:
        page.get_by_role("button", name="Word, with status and history").click()
    saved = tmp_path / "document.docx"
    download.value.save_as(saved)
    texts = [p.text for p in docx.Document(str(saved)).paragraphs]
    assert demo.DOCUMENT_TITLE in texts and "A.5 (recommendation, agreed)" in texts

    # Tabs work from the keyboard.
    page.focus("#tab-exports")
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#tab-interventions", "aria-selected") == "true"


def test_without_a_key_the_console_says_what_to_do(
    replayed: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    _, links = replayed
    page = pages.new(f"{links.base}/static/record.html#meeting={links.id}")
    assert "chair's console" in page.text_content("#status")


def test_saved_html_reports_render_and_print(
    replayed: tuple[ServerProcess, MeetingLinks], pages: Pages, tmp_path: Path
) -> None:
    _, links = replayed
    for name, path in [
        ("digest.html", "/record/digest.html"),
        ("figures.html", "/record/figures.html"),
        ("transcript.html", "/transcript.html"),
    ]:
        saved = tmp_path / name
        saved.write_bytes(fetch(links, path))
        page: Any = pages.new(saved.as_uri())
        assert page.locator("h1").count() == 1
        charts = page.locator('svg[role="img"]')
        for n in range(charts.count()):
            chart = charts.nth(n)
            labelled = (chart.get_attribute("aria-labelledby") or "").split()
            assert len(labelled) == 2
            for ref in labelled:
                assert page.locator(f"[id='{ref}']").count() == 1
            box = chart.bounding_box()
            assert box is not None and box["width"] > 100
        if name != "transcript.html":
            assert charts.count() > 0 and page.locator("table").count() > 0
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4")
        assert pdf[:5] == b"%PDF-" and len(pdf) > 2000
