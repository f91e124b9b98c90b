"""The rolling document in real headless Chromium against a real server process: the chair
imports it on the console and puts a proposal under discussion, and the viewer, participant and
screen pages show it with its text; a participant names the proposal they ask about; a convener
tasked with category A sorts and splits its share from their own link and reports; the plenary
endorses the group's version on the console; the record console shows each proposal's section."""

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

from tests import browser_support
from tests.browser_support import MeetingLinks, Pages, create_meeting, new_server
from tests.support import ROOT, ServerProcess

browser = browser_support.browser
pages = browser_support.pages

pytestmark = pytest.mark.browser

PEOPLE_CSV = """name,delegation,group,presence
Ana Silva,Brazil,Governments,remote
"""

DOCUMENT_CSV = """category,id,text,submitted by,kind
"A. Implementation of the Tunis Agenda",A.1,Strengthen the Tunis Agenda.,Brazil,
A,A.2,We note the work done so far. Review progress every two years.,Sweden,
"B. Public policy issues and possible mechanisms",B.1,Map the public policy issues.,Japan,
"C. Role of stakeholders",C.1,All stakeholders take part on an equal footing.,Brazil,
"""


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks
    people: list[dict[str, Any]]
    root: Path

    def url(self, path: str) -> str:
        return f"{self.server.base}/m/{self.links.id}{path}"

    @property
    def chair(self) -> str:
        return self.url(f"/chair#key={self.links.chair_key}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("document")
    data = root / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "WGEC document test", ["Plenary"])
    (root / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    (root / "rolling.csv").write_text(DOCUMENT_CSV, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "server", "participant", "import", links.id,
         str(root / "people.csv"), "--json", "--data-dir", str(data), "--public-url", server.base],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    server.start()
    try:
        yield Site(server, links, json.loads(out.stdout), root)
    finally:
        server.stop()


def import_on_the_console(site: Site, chair: Any) -> None:
    chair.locator("#import-file").set_input_files(str(site.root / "rolling.csv"))
    chair.locator("#import-title").fill("Rolling document of draft recommendations")
    chair.get_by_role("button", name="Import", exact=True).click()
    expect(chair.locator("#doc-message")).to_contain_text("Imported 4 proposals")
    expect(chair.locator("#doc-body")).to_contain_text("A.1")


def test_the_chair_puts_a_proposal_under_discussion_and_every_page_shows_it(
    site: Site, pages: Pages
) -> None:
    chair = pages.new(site.chair)
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    # A file with a bad line imports nothing and says which line (the browser logs the 400).
    pages.allow_errors(r"status of 400 .*/documents")
    bad = site.root / "bad.csv"
    bad.write_text("category,text\nA,One.\nA,\n", encoding="utf-8")
    chair.locator("#import-file").set_input_files(str(bad))
    chair.get_by_role("button", name="Import", exact=True).click()
    expect(chair.locator("#import-errors")).to_contain_text("Line 3: the proposal has no text")
    import_on_the_console(site, chair)

    viewer = pages.new(site.links.viewer_url("plenary"))
    me = pages.new(site.people[0]["link"])
    screen = pages.new(site.url("/plenary/screen"))
    captioner = pages.new(site.links.captioner_url("plenary"))
    captioner.locator("#name").fill("Ann")
    captioner.get_by_role("button", name="Start captioning").click()
    expect(me.locator("#conn-state")).to_have_text("Connected")
    expect(captioner.locator("#conn-state")).to_have_text(re.compile("Connected|Live"))
    chair.get_by_role("button", name="Put A.2 under discussion").click()
    text = "We note the work done so far. Review progress every two years."
    for page in (viewer, me, chair, captioner):
        box = page.locator("#floor-status .fs-proposal")
        expect(box).to_contain_text("Under discussion: A.2")
        expect(box).to_contain_text("under discussion")
        expect(box.locator(".fs-proposal-text")).to_have_text(text)
    expect(screen.locator("#proposal-id")).to_have_text("A.2")
    expect(screen.locator("#proposal-text")).to_have_text(text)
    expect(screen.locator("#proposal-status")).to_have_text("under discussion")
    # The screen page has no controls: nothing to click, nothing to tab to.
    assert screen.locator("button:visible, a:visible, input:visible, select:visible").count() == 0

    # A participant asks for the floor on a proposal; the chair sees which, and the screen
    # shows the speaker once they have the floor.
    about = me.locator("#about")
    expect(about.locator("option")).to_have_count(5)
    about.select_option(label="C.1: All stakeholders take part on an equal footing.")
    me.get_by_role("button", name="Ask to speak").click()
    entry = chair.locator("#speakers li", has_text="Ana Silva")
    expect(entry).to_contain_text("on C.1")
    chair.get_by_role("button", name="Give the floor to Ana Silva (Brazil)").click()
    expect(screen.locator("#speaker")).to_contain_text("Ana Silva")
    expect(screen.locator("#timer")).to_have_text(re.compile(r"left$"))
    chair.get_by_role("button", name="End the intervention").click()

    # The chair records what became of it; every page follows.
    chair.get_by_label("Status of A.2").select_option("agreed")
    expect(screen.locator("#proposal-status")).to_have_text("agreed")
    expect(viewer.locator("#floor-status .fs-proposal")).to_contain_text("agreed")
    chair.get_by_role("button", name="None under discussion").click()
    expect(screen.locator("#idle")).to_be_visible()
    expect(viewer.locator("#floor-status .fs-proposal")).to_be_hidden()


def test_a_convener_sorts_the_groups_share_reports_and_the_plenary_endorses(
    site: Site, pages: Pages
) -> None:
    chair = pages.new(site.chair)
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    with urllib.request.urlopen(site.url("/documents").replace("/m/", "/api/m/"), timeout=5) as r:
        imported = json.loads(r.read())["documents"]
    if not imported:  # this test run on its own
        import_on_the_console(site, chair)
    expect(chair.locator('li[data-proposal="A.1"]')).to_be_visible()
    chair.locator("#group-name").fill("Break-out group A")
    chair.locator("#group-convener").fill("Peru")
    chair.get_by_role("button", name="Open the group").click()
    expect(chair.locator("#group-list")).to_contain_text("Break-out group A")
    # The share: category A, with the seed's task.
    chair.locator("#task-room").select_option(label="Break-out group A")
    chair.locator('input[name="task-category"][value="A"]').check()
    chair.get_by_role("button", name="Send the share").click()
    expect(chair.locator("#doc-body .doc-tasks")).to_contain_text("Break-out group A")
    expect(chair.locator('li[data-proposal="A.1"]')).to_contain_text("with Break-out group A")
    chair.get_by_role("button", name="Make a convener link for Break-out group A").click()
    link = chair.locator("#new-convener-link")
    expect(link).to_contain_text("#key=")
    convener_link = link.text_content() or ""

    peru = pages.new(convener_link)
    expect(peru.locator("#conn-state")).to_have_text("Connected")
    expect(peru.locator("#my-role")).to_have_text("Convener of Break-out group A")
    # One room, and nothing of the plenary's: no group opening, no links, no record.
    expect(peru.locator("#room-select option")).to_have_count(1)
    expect(peru.locator("#group-form")).to_be_hidden()
    expect(peru.locator("#links")).to_be_hidden()
    expect(peru.locator("#record-link")).to_be_hidden()
    share = peru.locator("#doc-body")
    expect(share).to_contain_text("This group's share of the document")
    expect(share.locator("li.proposal")).to_have_count(2)
    peru.get_by_label("Kind of A.1").select_option("recommendation")
    expect(share.locator('li[data-proposal="A.1"]')).to_contain_text("recommendation")
    peru.get_by_role("button", name="Split A.2").click()
    peru.locator("#edit-A\\.2").fill(
        "We note the work done so far.\n\nReview progress every two years."
    )
    peru.get_by_role("button", name="Split it").click()
    expect(share.locator('li[data-proposal="A.3"]')).to_contain_text("Review progress")
    peru.get_by_label("Kind of A.2").select_option("statement")
    expect(share.locator('li[data-proposal="A.2"]')).to_contain_text("statement")
    peru.locator("textarea[id^='report-']").fill("Recommendations separated from statements.")
    peru.get_by_role("button", name="Close Break-out group A on its report").click()
    expect(peru.locator("#message")).to_contain_text("reported back")

    # Back in the plenary: the version is back; the chair endorses it in one step.
    tasks = chair.locator("#doc-body .doc-tasks")
    expect(tasks).to_contain_text("its version is back")
    chair.get_by_role("button", name="Endorse the version of Break-out group A").click()
    expect(tasks).to_contain_text("its version was endorsed")
    a3 = chair.locator('li[data-proposal="A.3"]')
    expect(a3).to_contain_text("Review progress every two years.")
    expect(a3).to_contain_text("not yet sorted")
    expect(chair.locator('li[data-proposal="A.2"]')).to_contain_text("statement")
    expect(chair.locator('li[data-proposal="A.1"]')).not_to_contain_text("with Break-out group A")

    # The record console's digest has a section per proposal, with the group that worked on it.
    record = pages.new(site.url(f"/record#key={site.links.chair_key}"))
    record.get_by_role("tab", name="Digest").click()
    section = record.locator("#digest section.document")
    expect(section).to_contain_text("Rolling document: Rolling document of draft recommendations")
    a3_digest = section.locator("#proposal-A\\.3")
    expect(a3_digest).to_contain_text("Worked on in: Break-out group A")
    expect(a3_digest).to_contain_text("split from A.2")
    a2_digest = section.locator("#proposal-A\\.2")
    expect(a2_digest).to_contain_text("Text before: We note the work done so far. Review")
    expect(a2_digest).to_contain_text("Text after: We note the work done so far.")
    expect(section.locator("#proposal-A\\.1 ol.history")).to_contain_text(
        "sorted as recommendation (was not yet sorted)"
    )


def test_the_secretariat_attaches_a_file_that_viewers_download(
    site: Site, pages: Pages, tmp_path: Path
) -> None:
    chair = pages.new(site.chair)
    expect(chair.locator("#conn-state")).to_have_text("Connected")
    chair.locator("#new-item-number").fill("3")
    chair.locator("#new-item-title").fill("Correspondence group")
    chair.get_by_role("button", name="Add the item").click()
    chair.get_by_role("button", name="Make 3. Correspondence group the current item").click()
    chair.locator("#secretariat-label").fill("Ms. Secretary")
    chair.get_by_role("button", name="Make a secretariat link").click()
    link = chair.locator("#new-secretariat-link")
    expect(link).to_contain_text("#key=")

    secretary = pages.new(link.text_content() or "")
    expect(secretary.locator("#conn-state")).to_have_text("Connected")
    expect(secretary.locator("#my-role")).to_have_text("Secretariat")
    # The register, the documents and the record; not the floor.
    expect(secretary.locator("#floor")).to_be_hidden()
    expect(secretary.locator("#add-form")).to_be_hidden()
    expect(secretary.locator("#register-form")).to_be_visible()
    expect(secretary.locator("#import-form")).to_be_visible()
    expect(secretary.locator("#record-link")).to_be_visible()
    expect(secretary.get_by_role("button", name=re.compile("under discussion"))).to_have_count(0)
    expect(secretary.get_by_role("button", name="Adopt the agenda")).to_have_count(0)
    sheet = tmp_path / "cg-mapping.csv"
    sheet.write_bytes(b"area,issue\n1,Internationalised domain names\n")
    secretary.get_by_label("Attach a file to 3. Correspondence group").set_input_files(str(sheet))
    secretary.get_by_label("Title of the file").first.fill("The correspondence group's mapping")
    # (The file input is a button too, named by its label: the submit button by its exact name.)
    secretary.get_by_role("button", name="Attach", exact=True).click()
    expect(secretary.locator("#message")).to_contain_text("is attached")

    viewer = pages.new(site.links.viewer_url("plenary"))
    files = viewer.locator("#floor-status .fs-files")
    expect(files).to_contain_text("Documents for this item:")
    expect(files).to_contain_text("The correspondence group's mapping (CSV")
    with viewer.expect_download() as download:
        files.get_by_role("link", name="The correspondence group's mapping").click()
    assert download.value.suggested_filename == "cg-mapping.csv"
    saved = tmp_path / "got.csv"
    download.value.save_as(saved)
    assert saved.read_bytes() == sheet.read_bytes()
