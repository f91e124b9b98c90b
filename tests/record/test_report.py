"""The per-item digest and the draft chair's summary, from a record built event by event as
docs/events.md describes it, appended to a real backend."""

from __future__ import annotations

import json
import re

import httpx

from server.backends.base import Backend
from server.domain.meetings import Meeting
from server.record import digest, summary
from server.record.facts import facts_from_logs, gather
from server.services import admin
from tests.conftest import LiveServer
from tests.record.builders import (
    OUTCOME_1,
    OUTCOME_2,
    REPORT_A,
    LogBuilder,
    at,
    sample_meeting,
)
from tests.support import Client


def test_digest_holds_every_item_intervention_request_and_group() -> None:
    meeting, b, _ = sample_meeting()
    facts = facts_from_logs(meeting, b.events())
    d = digest.digest(facts)
    labels = [i["label"] for i in d["items"]]
    assert labels == ["1. Opening", "2. Category A", "3. Category E"]
    opening, cat_a, cat_e = d["items"]
    assert opening["outcome"] == OUTCOME_1 and opening["status"] == "concluded"
    assert opening["time_ms"] == at(0, 10, 10) - at(0, 10, 1)
    (plenary,) = opening["rooms"]
    (brazil,) = plenary["interventions"]
    assert brazil["who"]["name"] == "Ms. A. Silva" and brazil["who"]["presence"] == "remote"
    assert brazil["spoken_ms"] == 120_000 and brazil["waited_ms"] == 30_000
    assert brazil["lines"] == 1
    # Category A: the plenary and the break-out group, each with its own time and speakers.
    rooms = {r["room"]: r for r in cat_a["rooms"]}
    assert set(rooms) == {"plenary", "break-out-a"}
    assert rooms["break-out-a"]["time_ms"] == at(0, 11, 30) - at(0, 10, 30)
    assert [i["who"]["name"] for i in rooms["break-out-a"]["interventions"]] == ["Mr. Peru"]
    plen = rooms["plenary"]
    assert [i["who"]["name"] for i in plen["interventions"]] == ["Mr. Rushton", "Ms. L. Haddad"]
    assert [p["who"]["name"] for p in plen["presentations"]] == ["Mr. Rushton"]
    haddad = plen["interventions"][1]
    assert haddad["spoken_ms"] == 40_000 and haddad["paused_ms"] == 20_000
    counts = {
        k: plen["requests"][k] for k in ("made", "granted", "withdrawn", "removed", "waiting")
    }
    assert counts == {"made": 5, "granted": 2, "withdrawn": 1, "removed": 1, "waiting": 1}
    assert plen["requests"]["granted_here"] == 2 and plen["requests"]["given_floor"] == 2
    (group,) = cat_a["groups"]
    assert group["convener"] == "Peru" and group["report"] == REPORT_A
    assert group["duration_ms"] == 3_600_000
    assert cat_e["discussed"] is False and cat_e["status"] == "not_discussed"
    assert [i["label"] for i in d["not_discussed"]] == ["3. Category E"]
    assert d["outside_items"] == []  # nobody spoke outside an item
    md = digest.to_markdown(facts, d)
    for text in (
        "## 1. Opening",
        "Ms. A. Silva",
        "2 min 00 s",
        REPORT_A,
        "Break-out A",
        "1 withdrawn",
        "3. Category E (not discussed)",
    ):
        assert text in md, text
    page = digest.to_html(facts, d)
    assert "&lt;" not in md and "Ms. A. Silva" in page and "<table>" in page


def test_summary_states_only_what_the_record_holds() -> None:
    meeting, b, _ = sample_meeting()
    facts = facts_from_logs(meeting, b.events())
    paragraphs = summary.summary(facts)
    text = summary.to_markdown(facts, paragraphs)
    topics = [p.topic for p in paragraphs]
    assert topics == ["opening", "agenda", "item", "item", "not_discussed", "close"]
    assert paragraphs[0].text.startswith(
        "The WGEC third meeting was held at the Palais des Nations in Geneva from 24 to 25 "
        "February 2014."
    )
    assert "It was chaired by Mr. Major (Hungary)." in paragraphs[0].text
    assert "The agenda was adopted on 24 February 2014 at 10:06" in paragraphs[1].text
    assert "1. Opening; 2. Category A; 3. Category E" in paragraphs[1].text
    assert OUTCOME_1.rstrip(".") in paragraphs[2].text
    cat_a = paragraphs[3].text
    assert "Mr. Rushton on the correspondence group's spreadsheet" in cat_a
    assert "Break-out A, convened by Peru, on Category A" in cat_a
    assert REPORT_A.rstrip(".") in cat_a and OUTCOME_2.rstrip(".") in cat_a
    assert "met for 1 hour from" in cat_a
    assert paragraphs[4].text == "Item 3, Category E was not discussed."
    # Every quotation is an outcome or a report the chair recorded.
    for quoted in re.findall("“([^”]*)”", text):
        assert quoted in {OUTCOME_1, OUTCOME_2, REPORT_A}, quoted
    # Every name and delegation named is one the record holds.
    people = {"Ms. A. Silva", "Mr. Rushton", "Mr. Peru", "Ms. L. Haddad", "Mr. Egypt", "Mr. Major"}
    for name in re.findall(r"(?:Mr|Ms|Dr)\. [A-Z][\w.]*(?: [A-Z]\w+)?", text):
        assert name in people, name
    assert all(p.sources for p in paragraphs if p.topic in ("agenda", "item", "not_discussed"))
    doc = summary.to_json(facts, paragraphs)
    assert [p["number"] for p in doc["paragraphs"]] == list(range(1, len(paragraphs) + 1))


async def test_reports_read_the_same_from_the_backend(backend: Backend) -> None:
    meeting, b, _ = sample_meeting()
    await backend.save_meeting(meeting)
    await b.store(backend, meeting)
    stored = await backend.load_meeting(meeting.id)
    assert stored is not None
    from_backend = await gather(backend, stored)
    in_memory = facts_from_logs(meeting, b.events())
    assert digest.digest(from_backend) == digest.digest(in_memory)
    one = summary.to_docx(from_backend, summary.summary(from_backend))
    two = summary.to_docx(in_memory, summary.summary(in_memory))
    assert one == two  # byte for byte: the same record gives the same file


async def test_reports_over_http_are_for_the_chair(live: LiveServer) -> None:
    meeting = live.meeting
    b = LogBuilder()
    b.item("plenary", at(0, 10, 0), "1", "Opening", at=0)
    b.line("plenary", at(0, 10, 1), "Welcome.", "Chair")
    await b.store(live.plenary.backend, meeting)
    chair = {"authorization": f"Bearer {live.keys['chair']}"}
    captioner = {"authorization": f"Bearer {live.captioner_key()}"}
    async with httpx.AsyncClient(base_url=live.base) as http:
        for path in (
            "digest.json",
            "figures.json",
            "summary.json",
            "summary.docx",
            "digest.html",
            "figures.md",
            "digest.docx",
            "figures.docx",
            "summary.html",
        ):
            url = f"/api/m/{meeting.id}/record/{path}"
            assert (await http.get(url)).status_code == 403  # a viewer of a public meeting
            assert (await http.get(url, headers=captioner)).status_code == 403
            ok = await http.get(url, headers=chair)
            assert ok.status_code == 200, ok.text
        doc = (await http.get(f"/api/m/{meeting.id}/record/digest.json", headers=chair)).json()
        assert [i["label"] for i in doc["items"]] == ["1. Opening"]
        bad = await http.get(f"/api/m/{meeting.id}/record/summary.vtt", headers=chair)
        assert bad.status_code == 404 and "summary comes as" in bad.json()["error"]
        unknown = await http.get(f"/api/m/{meeting.id}/record/minutes.json", headers=chair)
        assert unknown.status_code == 404
        wrong = await http.get(
            f"/api/m/{meeting.id}/record/digest.json", headers={"authorization": "Bearer x.y"}
        )
        assert wrong.status_code == 401
        charts = await http.get(f"/api/m/{meeting.id}/record/charts?scope=9", headers=chair)
        assert charts.status_code == 400 and "scope" in charts.json()["error"]
    assert json.loads(json.dumps(doc))  # plain JSON all the way down


async def test_reports_reuse_facts_until_the_record_or_the_meeting_changes(
    live: LiveServer,
) -> None:
    meeting, px = live.meeting, live.plenary
    chair = {"authorization": f"Bearer {live.keys['chair']}"}
    cap = await Client.connect(
        live.base_ws, meeting.id, "plenary", key=live.captioner_key(), client="cap"
    )
    await cap.send(type="commit", n=1, text="Welcome.")
    await cap.recv_type("ack")
    digest_url = f"/api/m/{meeting.id}/record/digest.json"
    async with httpx.AsyncClient(base_url=live.base) as http:
        first = (await http.get(digest_url, headers=chair)).json()
        hits = px.report_facts.hits
        again = (await http.get(digest_url, headers=chair)).json()
        assert again == first and px.report_facts.hits == hits + 1

        # A new line: read afresh, and the digest counts it.
        await cap.send(type="commit", n=2, text="Second line.")
        await cap.recv_type("ack")
        grown = (await http.get(digest_url, headers=chair)).json()
        assert px.report_facts.hits == hits + 1
        assert grown != first

        # A change to the meeting alone (nothing appended to any log): read afresh too.
        def retitle(m: Meeting) -> None:
            m.title = "WGEC, third meeting (resumed)"

        await admin.update_meeting(px.backend, meeting.id, retitle)
        retitled = (await http.get(digest_url, headers=chair)).json()
        assert px.report_facts.hits == hits + 1
        assert retitled["title"] == "WGEC, third meeting (resumed)" != grown["title"]
