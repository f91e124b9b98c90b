"""Putting the record right and handing it out from the record console, in real headless
Chromium against a real server process: a line re-attributed from the search results (by
keyboard), an intervention's start corrected, the digest and figures recomputed, the viewer
marking the line; and every export of the console read back with real parsers."""

from __future__ import annotations

import asyncio
import io
import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
import srt
import webvtt
from playwright.sync_api import expect

from tests import browser_support
from tests.browser_support import MeetingLinks, Pages, create_meeting, new_server
from tests.support import Client, ServerProcess

browser = browser_support.browser
pages = browser_support.pages
pytestmark = pytest.mark.browser

WRONG = "Ben begins before the grant."


def _post(links: MeetingLinks, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{links.base}/api/m/{links.id}{path}",
        data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {links.chair_key}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def fetch(links: MeetingLinks, path: str) -> bytes:
    request = urllib.request.Request(
        f"{links.base}/api/m/{links.id}{path}",
        headers={"authorization": f"Bearer {links.chair_key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


async def _numbered(client: Client, n: int, **msg: Any) -> dict[str, Any]:
    await client.send(n=n, **msg)
    while True:
        frame = await client.recv_type("ack", "error", timeout=10)
        if frame.get("n") == n:
            assert frame["type"] == "ack", frame
            return frame


async def _session(links: MeetingLinks) -> None:
    """Ana has the floor, then Ben, who was given it late: the second line is his."""
    base_ws = links.base.replace("http://", "ws://")
    keys = []
    for name, delegation in [("Ana Silva", "Brazil"), ("Ben Okafor", "Nigeria")]:
        made = _post(links, "/participants", {"name": name, "delegation": delegation})
        keys.append(made["participants"][0]["link"].split("#key=")[1])
    chair = await Client.connect(base_ws, links.id, "plenary", key=links.chair_key, client="ch")
    cap = await Client.connect(
        base_ws, links.id, "plenary", key=links.key("plenary"), client="cap", name="Ann"
    )
    ana = await Client.connect(base_ws, links.id, "plenary", key=keys[0], client="a")
    ben = await Client.connect(base_ws, links.id, "plenary", key=keys[1], client="b")
    item = await _numbered(
        chair, 1, type="cmd", op="agenda.add", args={"number": "1", "title": "Opening"}
    )
    await _numbered(chair, 2, type="cmd", op="agenda.current", args={"item": item["seq"]})
    await _numbered(ana, 1, type="cmd", op="floor.request", args={})
    await _numbered(ben, 1, type="cmd", op="floor.request", args={})
    await _numbered(chair, 3, type="cmd", op="floor.grant", args={})
    await _numbered(cap, 1, type="commit", text="Ana opens the discussion.")
    await _numbered(cap, 2, type="commit", text=WRONG)
    await _numbered(chair, 4, type="cmd", op="floor.grant", args={})
    await _numbered(cap, 3, type="commit", text="Ben goes on.")
    await _numbered(chair, 5, type="cmd", op="floor.end", args={})
    for client in (chair, cap, ana, ben):
        await client.close()


@pytest.fixture(scope="module")
def meeting(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, MeetingLinks]]:
    data = tmp_path_factory.mktemp("corrections") / "data"
    server = new_server(data).start()
    try:
        links = create_meeting(data, server.base, "WGEC", ["Plenary", "Break-out A"])
        asyncio.run(_session(links))
        yield server, links
    finally:
        server.stop()


def _console(pages: Pages, links: MeetingLinks) -> Any:
    page = pages.new(f"{links.base}/static/record.html#meeting={links.id}&key={links.chair_key}")
    expect(page.locator("#status")).to_contain_text("transcript lines")
    return page


def test_reattribution_and_time_correction_from_the_console(
    meeting: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    _, links = meeting
    page = _console(pages, links)
    page.fill('input[name="q"]', "before the grant")
    page.press('input[name="q"]', "Enter")
    hit = page.locator("#search-results li", has_text=WRONG)
    expect(hit.locator(".speaker")).to_have_text("Ana Silva (Brazil): ")
    # By keyboard: Tab to the line's Correct button, Enter opens the form, the intervention is
    # chosen with the arrow keys, Enter in a field records it.
    hit.get_by_role("button", name="Correct").focus()
    page.keyboard.press("Enter")
    form = hit.locator("form.reattribute")
    expect(form).to_be_visible()
    select = form.locator('select[name="intervention"]')
    expect(select).to_be_focused()
    ben_option = select.locator("option", has_text="Ben Okafor")
    select.select_option(value=ben_option.get_attribute("value"))
    expect(form.locator('input[name="speaker"]')).to_have_value("Ben Okafor")
    form.locator('input[name="speaker"]').press("Enter")
    expect(page.locator("#status")).to_contain_text("Re-attributed 1 line")
    hit = page.locator("#search-results li", has_text=WRONG)
    expect(hit.locator(".speaker")).to_have_text("Ben Okafor (Nigeria): ")
    expect(hit.locator(".meta")).to_contain_text("re-attributed")
    # The same again changes nothing: the form says why, nothing is recorded (the browser logs
    # the refusal it was answered, a 409).
    pages.allow_errors(r"status of 409 \(Conflict\).*/attribution")
    hit.get_by_role("button", name="Correct").click()
    hit.locator("form.reattribute").get_by_role("button", name="Re-attribute").click()
    expect(hit.locator(".form-status")).to_contain_text("changes nothing")
    hit.locator("form.reattribute").press("Escape")
    expect(hit.locator("form.reattribute")).to_have_count(0)

    # The figures follow: Nigeria's intervention has 2 transcript lines now, Brazil's 1.
    page.click("#tab-figures")
    table = page.locator("#figures table", has=page.locator("caption", has_text="By delegation"))
    expect(table.locator("tr", has_text="Nigeria").locator("td").last).to_have_text("2")
    expect(table.locator("tr", has_text="Brazil").locator("td").last).to_have_text("1")

    # Ana's intervention began 30 s earlier than the chair pressed the button. The chair's
    # console, open meanwhile, shows the totals moving.
    chair = pages.new(f"{links.base}/m/{links.id}/chair?room=plenary#key={links.chair_key}")
    brazil = chair.locator("#totals-delegation tr", has_text="Brazil")
    expect(brazil).to_be_visible()
    total_before = brazil.locator("td").last.text_content()
    page.bring_to_front()
    page.click("#tab-interventions")
    row = page.locator("#interventions tbody tr", has_text="Ana Silva")
    before = json.loads(fetch(links, "/record/digest.json"))
    spoken = before["items"][0]["rooms"][0]["interventions"][0]["spoken_ms"]
    began = row.locator('input[type="datetime-local"]').first
    # The control shows the meeting's local time; a time of whole minutes may omit its seconds.
    shown = datetime.fromisoformat(began.input_value())
    began.fill((shown - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S"))
    row.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("corrected; the totals follow")
    after = json.loads(fetch(links, "/record/digest.json"))
    ana = after["items"][0]["rooms"][0]["interventions"][0]
    assert ana["who"]["name"] == "Ana Silva"
    # The input holds whole seconds: the correction moves the start by 30 s give or take the
    # milliseconds the recorded start had.
    assert 29_000 < ana["spoken_ms"] - spoken <= 31_000
    expect(brazil.locator("td").last).not_to_have_text(total_before or "")
    expect(brazil.locator("td").last).to_have_text(re.compile(r"^0:3\d$"))  # 30 s and the rest
    page.click("#tab-digest")
    expect(page.locator("#digest")).to_contain_text("Floor requests made under this item: 2")
    expect(page.locator("#digest")).to_contain_text("Requests given the floor under this item: 2")

    # A viewer sees the line marked as re-attributed, with who it was before.
    viewer = pages.new(links.viewer_url("plenary"))
    line = viewer.locator("li.line", has_text=WRONG)
    expect(line.locator(".reattributed-mark")).to_have_text("(re-attributed)")
    assert (
        line.locator(".reattributed-mark").get_attribute("title") == "Was attributed to Ana Silva"
    )
    expect(line.locator(".speaker")).to_have_text("Ben Okafor")
    pages.assert_no_errors()


def test_every_console_export_reads_back(
    meeting: tuple[ServerProcess, MeetingLinks], pages: Pages, tmp_path: Path
) -> None:
    _, links = meeting
    page = _console(pages, links)
    page.click("#tab-exports")

    def download(locator: Any, name: str) -> bytes:
        with page.expect_download() as got:
            locator.click()
        saved = tmp_path / name
        got.value.save_as(saved)
        return saved.read_bytes()

    rooms = page.locator("#room-exports li")
    expect(rooms).to_have_count(2)
    plenary = rooms.filter(has_text="Plenary")
    vtt = download(plenary.get_by_role("button", name="Plenary, WebVTT subtitles"), "p.vtt")
    captions = webvtt.from_string(vtt.decode())
    assert [c.text for c in captions][:1] == ["Ana opens the discussion."]
    assert any(WRONG in c.text for c in captions)
    subs = list(
        srt.parse(
            download(plenary.get_by_role("button", name="Plenary, SRT subtitles"), "p.srt").decode()
        )
    )
    assert any(s.content.endswith(WRONG) for s in subs)
    record = json.loads(download(plenary.get_by_role("button", name="Plenary, JSON"), "p.json"))
    line = next(x for x in record["lines"] if x["text"] == WRONG)
    assert line["speaker"] == "Ben Okafor"
    assert line["attributions"][0]["was"]["speaker"] == "Ana Silva"
    word = download(plenary.get_by_role("button", name="Plenary, Word (.docx)"), "p.docx")
    assert any(WRONG in p.text for p in docx.Document(io.BytesIO(word)).paragraphs)
    breakout = rooms.filter(has_text="Break-out A")
    empty = download(breakout.get_by_role("button", name="Break-out A, WebVTT subtitles"), "b.vtt")
    assert empty.decode().startswith("WEBVTT")
    # The reports in every format, the digest and the figures in Word too.
    reports = page.locator("#report-exports li")
    digest = download(
        reports.filter(has_text="Per-item digest").get_by_role("button", name="Word (.docx)"),
        "d.docx",
    )
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(digest)).paragraphs)
    assert "Floor requests made under this item: 2" in text and "1. Opening" in text
    figures = download(
        reports.filter(has_text="Participation figures").get_by_role("button", name="Word (.docx)"),
        "f.docx",
    )
    cells = [
        c.text for t in docx.Document(io.BytesIO(figures)).tables for r in t.rows for c in r.cells
    ]
    assert "Nigeria" in cells and "Transcript lines" in cells
    summary = download(
        reports.filter(has_text="Draft chair's summary").get_by_role("button", name="HTML"),
        "s.html",
    )
    assert summary.decode().startswith("<!doctype html>") and "WGEC" in summary.decode()
    whole = json.loads(
        download(page.locator("#exports li", has_text="JSON").get_by_role("button"), "m.json")
    )
    assert [s["room"] for s in whole["sections"]] == ["plenary", "break-out-a"]
    pages.assert_no_errors()


def test_a_captioner_reattributes_their_line_by_keyboard(
    meeting: tuple[ServerProcess, MeetingLinks], pages: Pages
) -> None:
    _, links = meeting
    viewer = pages.new(links.viewer_url("plenary"))
    captioner = pages.new(links.captioner_url("plenary"))
    captioner.fill("#name", "Ann")
    captioner.keyboard.press("Enter")
    expect(captioner.locator("#conn-state")).to_have_attribute("data-state", "live")
    button = captioner.locator("#recent .line-button", has_text="Ben goes on.")
    button.focus()
    captioner.keyboard.press("Enter")
    select = captioner.get_by_label(re.compile(r"^Intervention line \d+ belongs to$"))
    expect(select.locator("option:checked")).to_contain_text("Ben Okafor")
    # The chair interjected: no intervention, the label "Chair".
    select.select_option(value="")
    speaker = captioner.get_by_label(re.compile(r"^Speaker of line \d+$"))
    speaker.fill("Chair")
    speaker.press("Enter")
    line = viewer.locator("li.line", has_text="Ben goes on.")
    expect(line.locator(".reattributed-mark")).to_have_text("(re-attributed)")
    expect(line.locator(".speaker")).to_have_text("Chair")
    expect(captioner.locator("#recent .line-button", has_text="Ben goes on.")).to_contain_text(
        "(re-attributed)"
    )
    record = json.loads(fetch(links, "/plenary/transcript.json"))
    moved = next(x for x in record["lines"] if x["text"] == "Ben goes on.")
    assert moved["speaker"] == "Chair" and "intervention" not in moved
    (change,) = moved["attributions"]
    assert change["by"] == "Ann" and change["role"] == "captioner"
    assert change["was"]["speaker"] == "Ben Okafor"
    pages.assert_no_errors()
