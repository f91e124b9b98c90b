"""The pages in six languages, in real headless Chromium against a real server process: the
language follows the browser's languages, the switch and the `lang` link parameter; an Arabic
page is laid out right to left and passes axe-core; a French page shows French words and times."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
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
)
from tests.support import ServerProcess

browser = browser_support.browser
pages = browser_support.pages

pytestmark = pytest.mark.browser

PEOPLE_CSV = """name,delegation,group,presence
Amal Haddad,Egypt,Governments,remote
"""


@dataclass
class Site:
    server: ServerProcess
    links: MeetingLinks
    people: list[dict[str, Any]]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("languages")
    data = root / "data"
    server = new_server(data)
    links = create_meeting(data, server.base, "WGEC languages test", ["Plenary"])
    people = import_participants(data, links, PEOPLE_CSV)
    server.start()
    try:
        yield Site(server, links, people)
    finally:
        server.stop()


def post_caption(site: Site, text: str, seq: int) -> None:
    url = site.links.room("plenary")["caption_api"] + f"&seq={seq}"
    request = urllib.request.Request(url, data=text.encode(), method="POST")
    request.add_header("content-type", "text/plain")
    urllib.request.urlopen(request, timeout=5).read()


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not laid out"
    return dict(found)


def test_participant_page_in_arabic_is_right_to_left_and_accessible(
    site: Site, pages: Pages
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    viewport = {"width": 1200, "height": 900}
    page = pages.new(site.people[0]["link"], locale="ar-EG", viewport=viewport)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("#conn-state")).to_have_text("متصل")
    expect(page.locator("#ask-speak")).to_have_text("طلب الكلمة")
    expect(page.locator("#ask-title")).to_have_text("طلب الكلمة")
    expect(page.locator("#mine")).to_contain_text("ليس لديك أي طلب في الانتظار.")
    expect(page.locator("#lang-switch")).to_have_value("ar")

    # Mirrored: the row's first button sits to the right of the second, a checkbox to the right
    # of its words, the connection state at the left end of the header.
    speak, reply = box(page, "#ask-speak"), box(page, "#ask-reply")
    assert speak["x"] > reply["x"] + reply["width"] - 1, (speak, reply)
    label, sound = box(page, "label.check:has(#sound)"), box(page, "#sound")
    assert sound["x"] > label["x"] + label["width"] / 2, (label, sound)
    header, conn = box(page, "header.bar"), box(page, "#conn-state")
    assert conn["x"] + conn["width"] < header["x"] + header["width"] / 2, (header, conn)

    # Asking for the floor works and says so in Arabic (the request's kind too).
    page.locator("#ask-speak").click()
    expect(page.locator("#status")).to_have_text("طلبك (للتكلم) مدرج في القائمة.")
    expect(page.locator("#mine li")).to_have_count(1)
    expect(page.locator("#mine li button")).to_have_text("سحب")

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_language_switch_persists_across_reloads(site: Site, pages: Pages) -> None:
    viewer = pages.new(site.links.viewer_url("plenary"), locale="en-US")
    expect(viewer.locator("html")).to_have_attribute("lang", "en")
    expect(viewer.locator("html")).to_have_attribute("dir", "ltr")
    expect(viewer.locator("label[for=search]")).to_have_text("Search")
    expect(viewer.locator("#conn-state")).to_have_text("Live")

    viewer.locator("#lang-switch").select_option("fr")
    expect(viewer.locator("html")).to_have_attribute("lang", "fr")
    expect(viewer.locator("label[for=search]")).to_have_text("Rechercher")
    expect(viewer.locator("#conn-state")).to_have_text("En direct")
    assert viewer.evaluate("localStorage.getItem('plenary:lang')") == "fr"

    viewer.reload()
    expect(viewer.locator("html")).to_have_attribute("lang", "fr")
    expect(viewer.locator("#settings summary")).to_have_text("Affichage")
    expect(viewer.locator("#lang-switch")).to_have_value("fr")

    # The choice is the reader's for every page of the site, right to left included.
    viewer.goto(f"{site.server.base}/")
    expect(viewer.locator("html")).to_have_attribute("lang", "fr")
    viewer.locator("#lang-switch").select_option("ar")
    expect(viewer.locator("html")).to_have_attribute("dir", "rtl")
    viewer.goto(site.links.viewer_url("plenary"))
    expect(viewer.locator("html")).to_have_attribute("dir", "rtl")
    expect(viewer.locator("label[for=search]")).to_have_text("بحث")

    # A link's `lang` wins for that visit and does not replace the reader's choice.
    viewer.goto(site.links.viewer_url("plenary") + "?lang=es")
    expect(viewer.locator("html")).to_have_attribute("lang", "es")
    expect(viewer.locator("label[for=search]")).to_have_text("Buscar")
    assert viewer.evaluate("localStorage.getItem('plenary:lang')") == "ar"
    # Switching on such a page changes the link too, or the link would win again on reload.
    viewer.locator("#lang-switch").select_option("ru")
    expect(viewer.locator("html")).to_have_attribute("lang", "ru")
    assert "lang=ru" in viewer.url
    viewer.reload()
    expect(viewer.locator("label[for=search]")).to_have_text("Поиск")


def test_browser_languages_choose_the_page_language(site: Site, pages: Pages) -> None:
    # fr-CA is French; an unsupported first choice falls through to the next one.
    page = pages.new(site.links.viewer_url("plenary"), locale="fr-CA")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    zh = pages.new()
    zh.add_init_script(
        "Object.defineProperty(navigator, 'languages', { get: () => ['de-DE', 'zh-CN', 'en'] });"
    )
    zh.goto(site.links.viewer_url("plenary"))
    expect(zh.locator("html")).to_have_attribute("lang", "zh")
    expect(zh.locator("label[for=search]")).to_have_text("搜索")


def test_french_viewer_shows_french_words_and_times(site: Site, pages: Pages) -> None:
    post_caption(site, "Bonjour à toutes et à tous.\n", 1)
    french = pages.new(site.links.viewer_url("plenary"), locale="fr-FR")
    english = pages.new(site.links.viewer_url("plenary"), locale="en-US")
    line = french.locator("#lines .line").filter(has_text="Bonjour à toutes")
    expect(line).to_have_count(1)
    expect(french.locator("#room-closed")).to_have_text(
        "Cette salle est fermée : rien ne sera plus ajouté.", use_inner_text=False
    )
    expect(french.locator("#download-txt")).to_have_text("Texte (.txt)")

    # The line's time as French writes it (24 hours), in the meeting's time zone (UTC here).
    stamp = line.locator("time").get_attribute("datetime")
    assert stamp is not None
    at = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)
    expect(line.locator("time")).to_have_text(at.strftime("%H:%M:%S"), use_inner_text=False)
    # And the hour after midnight, whenever this runs: French writes "00", not "0".
    after_midnight = french.evaluate(
        "import('/static/i18n.js')"
        ".then((m) => m.formatTime(Date.UTC(2026, 11, 2, 0, 14, 33), 'UTC'))"
    )
    assert after_midnight == "00:14:33"
    # English writes the same moment with AM/PM.
    en_time = english.locator("#lines .line").filter(has_text="Bonjour à toutes").locator("time")
    expect(en_time).to_have_text(re.compile(r"^\d{1,2}:\d{2}:\d{2}\s[AP]M$"), use_inner_text=False)

    # Searching says how many lines match, in French, with the plural rules of French.
    french.locator("#search").fill("bonjour")
    expect(french.locator("#search-status")).to_have_text("1 ligne trouvée")


def test_refusals_are_said_in_the_page_language(site: Site, pages: Pages) -> None:
    """What the server refuses reaches the reader in their language: a room that does not exist
    (websocket close 4404) and a link that is not valid (4401)."""
    pages.allow_errors(r"WebSocket connection to .* failed|status of 40[14]")
    missing = pages.new(f"{site.server.base}/m/{site.links.id}/nowhere?lang=es")
    expect(missing.locator("#fatal")).to_have_text(
        "No existe esa reunión o sala. Compruebe el enlace."
    )
    bad_key = site.people[0]["link"].split("#key=")[0] + "#key=not-a-key"
    participant = pages.new(bad_key, locale="ru-RU")
    expect(participant.locator("html")).to_have_attribute("lang", "ru")
    expect(participant.locator("#fatal")).to_have_text(
        "Эта ссылка недействительна (возможно, её заменили). Попросите новую ссылку."
    )


def test_a_request_the_server_refuses_is_explained_in_the_page_language(
    site: Site, pages: Pages
) -> None:
    """The server refuses in English with a code (`exists`: a group named like an open room);
    the French console says it in French, by that code, with the server's particulars after."""
    pages.allow_errors(r"status of 409")
    chair = pages.new(
        f"{site.server.base}/m/{site.links.id}/chair?room=plenary#key={site.links.chair_key}",
        locale="fr-FR",
    )
    expect(chair.locator("#conn-state")).to_have_text("Connecté")
    chair.locator("#group-name").fill("Plenary")
    chair.get_by_role("button", name="Ouvrir le groupe").click()
    message = chair.locator("#message")
    expect(message).to_have_text(re.compile(r"^Ce nom est déjà pris\. \(.*Plenary.*\)$"))
    expect(message).to_have_class(re.compile(r"\berror\b"))
