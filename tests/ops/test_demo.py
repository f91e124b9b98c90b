"""The scripted demo meeting, replayed through the real paths (websocket captioner, chair,
conveners and participants; caption HTTP for the groups), and the draft chair's summary made
from its record: every agenda item, group and outcome of the script is there, the rolling
document's work is told as the seed's paragraphs 5 to 7 tell it (each statement traced to the
events it came from), and nothing the record does not hold."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from server.domain.events import Event
from server.ops import demo
from server.record import digest, figures, summary
from server.record.facts import Facts, gather, load
from server.record.prose import Paragraph
from tests.conftest import LiveServer
from tests.support import ROOT, free_port

# Fast enough for the suite, slow enough that every step goes through the server in order.
SPEED = 25.0


@pytest.fixture
async def replayed(live: LiveServer) -> tuple[LiveServer, str]:
    backend = live.plenary.backend
    meeting_id, keys = await demo.create(backend)
    await demo.replay(live.base, meeting_id, keys, speed=SPEED, log=lambda _: None)
    return live, meeting_id


async def test_the_summary_holds_the_script_and_nothing_else(
    replayed: tuple[LiveServer, str],
) -> None:
    live, meeting_id = replayed
    backend = live.plenary.backend
    meeting = await backend.load_meeting(meeting_id)
    assert meeting is not None
    facts = await gather(backend, meeting)
    paragraphs = summary.summary(facts)
    text = summary.to_markdown(facts, paragraphs)
    body = " ".join(p.text for p in paragraphs)

    # The meeting's configured days, not the days the replay ran on.
    assert paragraphs[0].text.startswith(
        f"The {demo.TITLE} was held at {demo.VENUE} from 24 to 28 February 2014."
    )
    for day in re.findall(r"\b\d{1,2} [A-Z][a-z]+ \d{4}\b", body):
        assert day in {"28 February 2014", "17 February 2014", "14 November 2013"}, day
    assert f"It was chaired by {demo.CHAIRED_BY}." in paragraphs[0].text
    # The Chair's own presentation is the Chair's, and counted for no delegation.
    assert (
        "The Chair opened the meeting with a presentation on the first and second meetings of "
        "the WGEC and the agenda for the third meeting."
    ) in body
    # Durations in words, and never a parenthesis inside another.
    assert "met for less than a minute" in body or "met for 1 minute" in body
    assert not re.search(r"\b\d+ (s|min|h)\b", body)
    for p in paragraphs:
        depth = 0
        for ch in p.text:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            assert depth in (0, 1), p.text
    for item in demo.AGENDA:  # every item of the agenda, as adopted
        assert f"{item.number}. {item.title}" in paragraphs[1].text, item.title
    for key, outcome in demo.OUTCOMES.items():
        assert outcome.rstrip(".") in body, key
    for key, group in demo.GROUPS.items():
        led = "chaired" if group["kind"] == "adhoc" else "convened"
        assert f"{group['name']}, {led} by {group['convener']}, on {group['topic']}" in body
        assert demo.REPORTS[key].rstrip(".") in body
    assert "Under item 5.1, Categories A and B, two break-out groups met in parallel" in body
    for who, subject in [
        ("Representative of the ITU", "preparations for the WSIS+10 High Level Event"),
        ("Representative of the IGF Secretariat", "the Ninth Annual Internet Governance Forum"),
        ("Representative of Brazil", "the Global Multi-stakeholder Meeting"),
        ("Mr. Rushton (Correspondence group)", "the correspondence group's spreadsheet"),
        ("Dr. Yokozawa (Japan)", "the multi-stakeholder structure of IGF discussions"),
    ]:
        assert f"{who} on {subject}" in body, who
    not_discussed = next(p for p in paragraphs if p.topic == "not_discussed")
    assert not_discussed.text == (
        "Item 5.4, Category E: Barriers for participation in enhanced cooperation was not "
        "discussed."
    )
    way = next(p for p in paragraphs if "Way forward" in p.text and p.topic == "item")
    assert paragraphs.index(way) == len(paragraphs) - 1  # the way forward comes last

    # Nothing the record does not hold: every quotation is an outcome or a report of the
    # script, every person named is one of its participants or its chair, every item one of its
    # items.
    recorded = set(demo.OUTCOMES.values()) | set(demo.REPORTS.values()) | {demo.DOCUMENT_TITLE}
    for quoted in re.findall("“([^”]*)”", text):
        assert quoted in recorded, quoted
    people = {p.name for p in demo.PEOPLE} | {"Mr. Reddy (India)", demo.CHAIRED_BY}
    for name in re.findall(r"(?:Mr|Ms|Dr)\. [A-Z][\w.]*(?: [A-Z]\w+)?", text):
        assert any(name in p for p in people), name
    numbers = {i.number for i in demo.AGENDA}
    for number in re.findall(r"\bitem (\d+(?:\.\d+)?)", body, re.IGNORECASE):
        assert number in numbers, number
    # The counts it states are the record's.
    remote = sum(i.who.presence == "remote" for i in facts.interventions)
    assert f"Remote participants took the floor {remote} times" in paragraphs[0].text

    document = docx.Document(io.BytesIO(summary.to_docx(facts, paragraphs)))
    numbered = [p.text for p in document.paragraphs if p.style.name == "List Number"]
    assert [n.rstrip("0123456789") for n in numbered] == [p.text for p in paragraphs]
    # One replay per backend is enough for all the checks: it is the slow part.
    logs = await load(backend, meeting)
    check_rolling_document(facts, paragraphs, logs, text)
    await check_paths(live, meeting_id)


def _event(logs: dict[str, list[Event]], room: str, seq: int) -> Event:
    return next(e for e in logs[room] if e.seq == seq)


def _sources(p: Paragraph, logs: dict[str, list[Event]]) -> list[Event]:
    return [_event(logs, room, seq) for room, seq in p.sources]


def check_rolling_document(
    facts: Facts, paragraphs: list[Paragraph], logs: dict[str, list[Event]], markdown: str
) -> None:
    """What the seed's paragraphs 5 to 7 say, drafted from the events, and traced to them."""
    origin = next(p for p in paragraphs if p.topic == "document")
    groups = next(p for p in paragraphs if p.topic == "document_groups")
    plenary = next(p for p in paragraphs if p.topic == "document_plenary")
    assert paragraphs.index(origin) + 1 == paragraphs.index(groups)
    assert paragraphs.index(groups) + 1 == paragraphs.index(plenary)

    # 5: the document's origin, and its categories as a footnote, as the seed's.
    footnote = ", ".join(f"{k}. {v}" for k, v in demo.CATEGORIES.items())
    assert origin.footnotes == [footnote]
    assert f"[^1]: {footnote}" in markdown
    assert origin.text.startswith(
        f"The WGEC worked on a rolling document, “{demo.DOCUMENT_TITLE}”, which was posted on "
        "17 February 2014, before the meeting."
    )
    assert f"It consolidated the {demo.DOCUMENT_DESCRIPTION}." in origin.text
    posted = sum(len(v) for v in demo.PROPOSALS.values())
    assert f"It grouped {posted} proposals in five categories." in origin.text
    (created,) = _sources(origin, logs)
    assert created.type == "doc.created"
    assert [(c["letter"], c["title"]) for c in created.data["categories"]] == list(
        demo.CATEGORIES.items()
    )
    imported = [e for e in logs["plenary"] if e.type == "doc.proposed" and e.ts == created.ts]
    assert len(imported) == posted

    # 6: the groups' task, and its endorsement.
    assert groups.text.startswith(
        "There were two break-out groups, convened by Peru and Mexico, which were tasked to "
        "separate the draft recommendations from the statements under categories A and B of "
        "the rolling document."
    )
    assert "The plenary endorsed the work carried out in those break-out groups." in groups.text
    events = _sources(groups, logs)
    tasked = [e for e in events if e.type == "doc.tasked"]
    assert sorted(e.data["categories"] for e in tasked) == [["A"], ["B"]]
    assert {e.data["task"] for e in tasked} == {demo.TASK}
    assert sorted(e.data["room"] for e in events if e.type == "doc.endorsed") == sorted(
        e.data["room"] for e in tasked
    )

    # 7: which categories were taken up, the counts by status, what was not discussed.
    assert (
        "The WGEC continued to work on the rolling document in plenary, tackling the proposals "
        "under categories A and B, as submitted by the two break-out groups, as well as "
        "categories C and D."
    ) in plenary.text
    events = _sources(plenary, logs)
    discussed = {e.data["proposal"][0] for e in events if e.type == "doc.current"}
    assert discussed == {"A", "B", "C", "D"}
    final: dict[str, str] = {}
    for e in logs["plenary"]:
        if e.type == "doc.status":
            final[e.data["proposal"]] = e.data["status"]
    cited = {(e.data["proposal"], e.data["status"]) for e in events if e.type == "doc.status"}
    for status, phrase in (("agreed", "Agreement was reached on"),
                           ("divergent", "divergent views persisted on")):  # fmt: skip
        ids = sorted(p for p, s in final.items() if s == status)
        found = re.search(rf"{phrase} (\d+) proposals \(([^)]*)\)", plenary.text, re.I)
        assert found, (phrase, plenary.text)
        assert int(found.group(1)) == len(ids)
        assert sorted(found.group(2).split(", ")) == ids
        assert {(p, status) for p in ids} <= cited  # each count traced to its status events
    assert "1 proposal (D.2) was partly discussed" in plenary.text
    assert plenary.text.endswith(
        "Part of the proposals under category D (D.3, D.4) and all the proposals under "
        "category E were not discussed."
    )
    left = {p for p, s in final.items() if s == "not_discussed"}
    assert left == {"D.3", "D.4", "E.1", "E.2"}
    assert {(p, "not_discussed") for p in left} <= cited

    # The break-out groups' own logs hold their work: each convener sorted and split its share.
    for room in (e.data["room"] for e in tasked):
        own = [e for e in logs[room] if e.type.startswith("doc.")]
        assert own[0].type == "doc.share" and own[-1].type == "doc.reported"
        assert {e.data["by"] for e in own if e.type in ("doc.kind", "doc.split")} <= {
            "Peru",
            "Mexico",
        }
        assert any(e.type == "doc.split" for e in own)
    d = digest.digest(facts)
    (doc,) = d["documents"]
    a5 = next(p for c in doc["categories"] for p in c["proposals"] if p["proposal"] == "A.5")
    assert a5["split_from"] == "A.2" and a5["groups"] == ["Break-out group A"]
    assert a5["status"] == "agreed"
    c2 = next(p for c in doc["categories"] for p in c["proposals"] if p["proposal"] == "C.2")
    # Who spoke on it, in order, for how long, from the floor or remotely.
    assert [(i["name"], i["where"]) for i in c2["interventions"]] == [
        ("Ms. L. Haddad", "remotely"),
        ("Representative of Egypt", "from the floor"),
    ]
    assert all(i["spoken_ms"] > 0 for i in c2["interventions"])
    assert c2["text_before"] == c2["text_after"] == demo.PROPOSALS["C"][1][0]


async def check_paths(live: LiveServer, meeting_id: str) -> None:
    backend = live.plenary.backend
    meeting = await backend.load_meeting(meeting_id)
    assert meeting is not None
    assert [r.kind for r in meeting.rooms] == ["plenary", "adhoc", "breakout", "breakout"]
    assert [r.led_as for r in meeting.rooms[1:]] == ["chair", "convener", "convener"]
    assert all(r.status == "closed" for r in meeting.rooms[1:])
    logs = await load(backend, meeting)
    plenary_lines = [e for e in logs["plenary"] if e.type == "line"]
    assert {e.data["source"] for e in plenary_lines} == {"websocket"}
    for room in meeting.rooms[1:]:
        assert {e.data["source"] for e in logs[room.id] if e.type == "line"} == {"zoom"}
    asked = [e for e in logs["plenary"] if e.type == "floor.requested"]
    assert {e.data["via"] for e in asked} == {"participant", "chair"}
    attributed = [e for e in plenary_lines if "intervention" in e.data]
    assert attributed and all(e.data["speaker"] for e in attributed)

    facts = await gather(backend, meeting)
    d = digest.digest(facts)
    by_number = {i["number"]: i for i in d["items"]}
    assert by_number["5.4"]["discussed"] is False
    assert by_number["5.1"]["status"] == "concluded"
    rooms = {r["name"] for r in by_number["5.1"]["rooms"]}
    assert rooms == {"Plenary", "Break-out group A", "Break-out group B"}
    assert all(g["duration_ms"] > 0 and g["report"] for g in d["groups"])
    f = figures.figures(facts)
    whole = f["scopes"][0]
    never = [(r["who"]["name"], r["status"]) for r in whole["not_granted"]]
    assert ("Ms. L. Haddad", "waiting") in never
    assert ("Representative of Sweden", "removed") in never
    assert ("Mr. T. Nakamura", "withdrawn") in never
    kinds = {r["key"]: r["count"] for r in whole["by_kind"]}
    assert kinds["presentation"] == 6 and kinds["point_of_order"] == 1
    # The Chair's presentation is the Chair's: no delegation's or government's time.
    groups = {r["key"]: r["interventions"] for r in whole["by_group"]}
    assert groups["Chair"] == 1
    (document,) = f["documents"]
    by_status = {r["key"]: r["count"] for r in document["by_status"]}
    assert by_status["agreed"] == 9 and by_status["not_discussed"] == 4
    # Requests that named a proposal count for it.
    on = {r["proposal"]: r["interventions"] for r in document["interventions"]}
    assert on["D.1"] == 1 and on["C.2"] == 2
    # The correspondence group's spreadsheet is attached to its item and served.
    plenary = live.plenary.rooms
    runtime = await plenary.get(meeting_id, "plenary")
    (files,) = [i.attachments for i in runtime.state.agenda.items if i.attachments]
    assert files[0].filename == "cg-mapping.csv" and files[0].content_type == "text/csv"


def test_plenary_demo_serves_and_replays(tmp_path: Path) -> None:
    port = free_port()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "demo",
            "--exit",
            "--speed",
            "40",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "chair console" in out.stdout and "/record#key=" in out.stdout
    assert "The way forward" in out.stdout and "The meeting is over" in out.stdout
    meeting_id = out.stdout.split("(id ")[1].split(")")[0]
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "report",
            meeting_id,
            "summary",
            "-o",
            str(tmp_path / "summary.docx"),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    document = docx.Document(str(tmp_path / "summary.docx"))
    assert any("Way forward" in p.text for p in document.paragraphs)


async def test_the_demo_has_a_french_interpretation_channel_for_part_of_the_meeting(
    replayed: tuple[LiveServer, str],
) -> None:
    from server.backends.base import read_all
    from server.domain.keys import room_key

    live, meeting_id = replayed
    backend = live.plenary.backend
    meeting = await backend.load_meeting(meeting_id)
    assert meeting is not None and meeting.rooms[0].channels == ["fr"]
    french = [e for e in await read_all(backend, room_key(meeting_id, "plenary", "fr"))
              if e.type == "line"]  # fmt: skip
    assert [e.data["text"] for e in french] == list(demo.FRENCH.values())
    assert [e.seq for e in french] == list(range(1, len(french) + 1))
    assert {e.data["lang"] for e in french} == {"fr"}
    # Each French line is attributed as the floor's line it interprets.
    logged = await read_all(backend, room_key(meeting_id, "plenary"))
    floor = {e.data["text"]: e.data for e in logged if e.type == "line"}
    for english, line in zip(demo.FRENCH, french, strict=True):
        said = floor[english]
        assert line.data.get("intervention") == said.get("intervention"), english
        assert line.data.get("item") == said.get("item") and line.data["speaker"] == said["speaker"]
    # Only part of the meeting: the floor goes on in English after the booth stops.
    assert len(floor) > len(french) + 10
