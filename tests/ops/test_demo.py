"""The scripted demo meeting, replayed through the real paths (websocket captioner, chair and
participants; caption HTTP for the groups), and the draft chair's summary made from its record:
every agenda item, group and outcome of the script is there, and nothing the record does not
hold."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from server.ops import demo
from server.record import digest, figures, summary
from server.record.facts import gather, load
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

    assert paragraphs[0].text.startswith(f"The {demo.TITLE} met at {demo.VENUE} ")
    assert f"It was chaired by {demo.CHAIRED_BY}." in paragraphs[0].text
    for item in demo.AGENDA:  # every item of the agenda, as adopted
        assert f"{item.number}. {item.title}" in paragraphs[1].text, item.title
    for key, outcome in demo.OUTCOMES.items():
        assert outcome.rstrip(".") in body, key
    for key, group in demo.GROUPS.items():
        assert f"{group['name']}, convened by {group['convener']}, on {group['topic']}" in body
        assert demo.REPORTS[key].rstrip(".") in body
    assert "2 break-out groups met in parallel" in body
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
    assert paragraphs.index(way) == len(paragraphs) - 2  # the way forward comes last

    # Nothing the record does not hold: every quotation is an outcome or a report of the
    # script, every person named is one of its participants or its chair, every item one of its
    # items.
    recorded = set(demo.OUTCOMES.values()) | set(demo.REPORTS.values())
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
    assert numbered == [p.text for p in paragraphs]
    # One replay per backend is enough for both checks: it is the slow part.
    await check_paths(live, meeting_id)


async def check_paths(live: LiveServer, meeting_id: str) -> None:
    backend = live.plenary.backend
    meeting = await backend.load_meeting(meeting_id)
    assert meeting is not None
    assert [r.kind for r in meeting.rooms] == ["plenary", "adhoc", "breakout", "breakout"]
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
    assert kinds["presentation"] == 5 and kinds["point_of_order"] == 1


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
