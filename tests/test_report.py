"""The per-item digest and the draft chair's summary, from a record built event by event as
docs/events.md describes it, appended to a real backend."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from server import admin
from server.backends.base import Backend
from server.events import Draft, Event
from server.meetings import Meeting, Room
from server.report import digest, summary
from server.report.record import facts_from_logs, gather
from server.room import room_key
from tests.conftest import LiveServer
from tests.support import Client

ZURICH = ZoneInfo("Europe/Zurich")


def at(day: int, hh: int, mm: int, ss: int = 0) -> int:
    """ms of a local time on 24 + day February 2014 in Geneva."""
    return int(datetime(2014, 2, 24 + day, hh, mm, ss, tzinfo=ZURICH).timestamp() * 1000)


def who(name: str, delegation: str, group: str, presence: str = "in_room") -> dict[str, Any]:
    return {
        "participant": None,
        "name": name,
        "delegation": delegation,
        "group": group,
        "presence": presence,
    }


@dataclass
class LogBuilder:
    """Room logs made of drafts with chosen times; ``seq`` is counted as a backend would."""

    logs: dict[str, list[Draft]] = field(default_factory=dict)

    def add(self, room: str, ts: int, type_: str, /, **data: Any) -> int:
        self.logs.setdefault(room, []).append(Draft(type_, room, data, ts))
        return len(self.logs[room])

    def events(self) -> dict[str, list[Event]]:
        return {
            room: [Event.create(n, d) for n, d in enumerate(drafts, 1)]
            for room, drafts in self.logs.items()
        }

    async def store(self, backend: Backend, meeting: Meeting) -> None:
        for room, drafts in self.logs.items():
            for start in range(0, len(drafts), 500):
                await backend.append(room_key(meeting.id, room), drafts[start : start + 500])

    def item(self, room: str, ts: int, number: str, title: str, at: int) -> int:
        """An agenda item added by the chair, at position ``at``."""
        data = {"number": number, "title": title, "parent": None, "at": at, "by": "Chair"}
        return self.add(room, ts, "agenda.item_added", **data)

    def line(
        self,
        room: str,
        ts: int,
        text: str,
        speaker: str,
        captioner: str = "Ann",
        source: str = "websocket",
        **extra: Any,
    ) -> int:
        """A committed transcript line, in English."""
        return self.add(
            room, ts, "line", text=text, speaker=speaker, lang="en", captioner=captioner,
            source=source, **extra,
        )  # fmt: skip

    def status(self, room: str, ts: int, item: int, status: str, was: str) -> int:
        """The chair changing an agenda item's status."""
        return self.add(room, ts, "agenda.status", item=item, status=status, was=was, by="Chair")

    # -- floor helpers, keeping the invariants the server keeps --------------------------------
    def request(
        self,
        room: str,
        ts: int,
        person: dict[str, Any],
        kind: str = "speak",
        note: str = "",
        via: str = "participant",
    ) -> int:
        return self.add(
            room,
            ts,
            "floor.requested",
            kind=kind,
            who=person,
            note=note,
            at=0,
            by=person["name"],
            via=via,
        )

    def grant(
        self,
        room: str,
        ts: int,
        entry: int,
        person: dict[str, Any],
        requested: int,
        kind: str = "speak",
        note: str = "",
    ) -> int:
        return self.add(
            room,
            ts,
            "floor.granted",
            entry=entry,
            kind=kind,
            who=person,
            note=note,
            requested=requested,
            limit_ms=180000,
            by="Chair",
        )

    def end(
        self,
        room: str,
        ts: int,
        intervention: int,
        entry: int,
        person: dict[str, Any],
        began: int,
        paused_ms: int = 0,
        kind: str = "speak",
        reason: str = "ended",
    ) -> int:
        return self.add(
            room,
            ts,
            "floor.ended",
            intervention=intervention,
            entry=entry,
            kind=kind,
            who=person,
            began=began,
            spoken_ms=max(0, ts - began - paused_ms),
            paused_ms=paused_ms,
            limit_ms=180000,
            reason=reason,
            by="Chair",
        )

    def turn(
        self,
        room: str,
        asked: int,
        start: int,
        stop: int,
        person: dict[str, Any],
        lines: list[str],
        kind: str = "speak",
        note: str = "",
        item: int | None = None,
        via: str = "participant",
    ) -> int:
        """A whole intervention: requested, granted, lines attributed, ended."""
        entry = self.request(room, asked, person, kind, note, via)
        granted = self.grant(room, start, entry, person, asked, kind, note)
        for n, text in enumerate(lines):
            extra = {"item": item} if item is not None else {}
            self.line(
                room,
                start + 1000 * (n + 1),
                text,
                person["name"],
                delegation=person["delegation"],
                participant=None,
                intervention=granted,
                **extra,
            )
        self.end(room, stop, granted, entry, person, start, kind=kind)
        return granted


BRAZIL = who("Ms. A. Silva", "Brazil", "Governments", "remote")
PERU = who("Mr. Peru", "Peru", "Governments")
RUSHTON = who("Mr. Rushton", "", "")
CIVIL = who("Ms. L. Haddad", "Digital Rights Coalition", "Civil society", "remote")
EGYPT = who("Mr. Egypt", "Egypt", "Governments")

OUTCOME_1 = "The agenda was adopted as proposed by the Chair."
OUTCOME_2 = "The plenary endorsed the work of the break-out group."
REPORT_A = "Recommendations under category A separated from the statements."


def sample_meeting() -> tuple[Meeting, LogBuilder, dict[str, int]]:
    """Two days, a plenary and one break-out group: opening, category A with a group and a
    presentation, category E not discussed."""
    meeting = Meeting(
        "wgec2014x1",
        "WGEC third meeting",
        rooms=[
            Room("plenary", "Plenary"),
            Room("break-out-a", "Break-out A", "breakout", "closed", "Peru", "Category A"),
        ],
        timezone="Europe/Zurich",
        venue="the Palais des Nations in Geneva",
        chaired_by="Mr. Major (Hungary)",
    )
    b = LogBuilder()
    p = "plenary"
    ids = {
        "opening": b.item(p, at(0, 10, 0), "1", "Opening", at=0),
        "a": b.item(p, at(0, 10, 0, 1), "2", "Category A", at=1),
        "e": b.item(p, at(0, 10, 0, 2), "3", "Category E", at=2),
    }
    adopted = [
        {"item": ids[k], "number": n, "title": t, "parent": None}
        for k, n, t in (
            ("opening", "1", "Opening"),
            ("a", "2", "Category A"),
            ("e", "3", "Category E"),
        )
    ]
    b.add(
        p,
        at(0, 10, 1),
        "agenda.current",
        item=ids["opening"],
        number="1",
        title="Opening",
        by="Chair",
    )
    b.status(p, at(0, 10, 1), ids["opening"], "under_discussion", "pending")
    welcome = "Good morning & welcome to <the> meeting."
    b.line(p, at(0, 10, 2), welcome, "Chair", item=ids["opening"])
    ids["brazil"] = b.turn(
        p,
        at(0, 10, 2, 30),
        at(0, 10, 3),
        at(0, 10, 5),
        BRAZIL,
        ["We support the agenda."],
        item=ids["opening"],
    )
    ids["adopted"] = b.add(p, at(0, 10, 6), "agenda.adopted", items=adopted, by="Chair")
    b.add(p, at(0, 10, 7), "agenda.outcome", item=ids["opening"], text=OUTCOME_1, by="Chair")
    b.status(p, at(0, 10, 7), ids["opening"], "concluded", "under_discussion")
    b.add(
        p,
        at(0, 10, 10),
        "agenda.current",
        item=ids["a"],
        number="2",
        title="Category A",
        by="Chair",
    )
    ids["rushton"] = b.turn(
        p,
        at(0, 10, 10),
        at(0, 10, 11),
        at(0, 10, 21),
        RUSHTON,
        ["The spreadsheet covers twenty-four areas."],
        note="Presentation: the correspondence group's spreadsheet",
        item=ids["a"],
        via="chair",
    )
    group = {
        "room": "break-out-a",
        "name": "Break-out A",
        "kind": "breakout",
        "convener": "Peru",
        "topic": "Category A",
        "item": ids["a"],
    }
    b.add(p, at(0, 10, 30), "group.opened", **group, by="Chair")
    g = "break-out-a"
    b.add(
        g,
        at(0, 10, 30),
        "room.opened",
        by="Chair",
        name="Break-out A",
        kind="breakout",
        convener="Peru",
        topic="Category A",
        item=ids["a"],
        parent="plenary",
    )
    b.add(
        g,
        at(0, 10, 30),
        "agenda.current",
        item=ids["a"],
        number="2",
        title="Category A",
        by="Chair",
    )
    b.turn(
        g,
        at(0, 10, 31),
        at(0, 10, 32),
        at(0, 10, 40),
        PERU,
        ["Let us separate the recommendations."],
        item=ids["a"],
        via="chair",
    )
    b.add(g, at(0, 11, 30), "room.closed", by="Chair", report=REPORT_A)
    b.add(
        p, at(0, 11, 30), "group.reported", room=g, name="Break-out A", report=REPORT_A, by="Chair"
    )
    # A request withdrawn, one removed, one never granted.
    withdrawn = b.request(p, at(0, 11, 31), EGYPT)
    b.add(p, at(0, 11, 32), "floor.withdrawn", entry=withdrawn, by=EGYPT["name"])
    removed = b.request(p, at(0, 11, 33), PERU, via="chair")
    b.add(p, at(0, 11, 34), "floor.removed", entry=removed, by="Chair")
    # A paused intervention: 60 s from grant to end, 20 s of it paused.
    entry = b.request(p, at(0, 11, 35), CIVIL)
    civil = b.grant(p, at(0, 11, 36), entry, CIVIL, at(0, 11, 35))
    b.add(p, at(0, 11, 36, 20), "floor.paused", intervention=civil, by="Chair")
    b.add(p, at(0, 11, 36, 40), "floor.resumed", intervention=civil, paused_ms=20000, by="Chair")
    b.end(p, at(0, 11, 37), civil, entry, CIVIL, at(0, 11, 36), paused_ms=20000)
    ids["waiting"] = b.request(p, at(0, 11, 38), CIVIL)
    b.add(p, at(0, 11, 40), "agenda.outcome", item=ids["a"], text=OUTCOME_2, by="Chair")
    b.status(p, at(0, 11, 40), ids["a"], "concluded", "under_discussion")
    b.status(p, at(0, 11, 41), ids["e"], "not_discussed", "pending")
    b.add(p, at(1, 9, 0), "agenda.current", item=None, number="", title="", by="Chair")
    line = b.line(p, at(1, 9, 1), "Day two begins.", "Chair", captioner="Bob", source="zoom")
    b.add(
        p,
        at(1, 9, 2),
        "correction",
        line=line,
        text="Day two begins now.",
        was="Day two begins.",
        captioner="Bob",
    )
    return meeting, b, ids


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
    assert plen["requests"] == {"made": 5, "granted": 2, "withdrawn": 1, "removed": 1, "waiting": 1}
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
        "The WGEC third meeting met at the Palais des Nations in Geneva from 24 February 2014 to "
    )
    assert "It was chaired by Mr. Major (Hungary)." in paragraphs[0].text
    assert "The agenda was adopted on 24 February 2014 at 10:06" in paragraphs[1].text
    assert "1. Opening; 2. Category A; 3. Category E" in paragraphs[1].text
    assert OUTCOME_1.rstrip(".") in paragraphs[2].text
    cat_a = paragraphs[3].text
    assert "Mr. Rushton on the correspondence group's spreadsheet" in cat_a
    assert "Break-out A, convened by Peru, on Category A" in cat_a
    assert REPORT_A.rstrip(".") in cat_a and OUTCOME_2.rstrip(".") in cat_a
    assert "met for 1 h 00 min" in cat_a
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
        ):
            url = f"/api/m/{meeting.id}/record/{path}"
            assert (await http.get(url)).status_code == 403  # a viewer of a public meeting
            assert (await http.get(url, headers=captioner)).status_code == 403
            ok = await http.get(url, headers=chair)
            assert ok.status_code == 200, ok.text
        doc = (await http.get(f"/api/m/{meeting.id}/record/digest.json", headers=chair)).json()
        assert [i["label"] for i in doc["items"]] == ["1. Opening"]
        bad = await http.get(f"/api/m/{meeting.id}/record/summary.html", headers=chair)
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
