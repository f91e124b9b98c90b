"""Participation figures, recomputed here independently from the raw events of a generated
record (three rooms, three days, requests granted, withdrawn, removed and left waiting, pauses),
for the whole meeting, each day and each room; and the charts' text alternatives."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from hypothesis import given
from hypothesis import strategies as st

from server.backends.base import Backend
from server.domain.meetings import Meeting, Room
from server.record import charts, figures
from server.record.facts import gather
from tests.record.builders import ZURICH, LogBuilder, at, who

GROUPS = ["Governments", "Private sector", "Civil society", "Technical and academic community", ""]
PEOPLE = [
    who(
        f"Person {n}",
        f"Delegation {n % 7}" if n % 5 else "",
        GROUPS[n % 5],
        "remote" if n % 3 == 0 else "in_room",
    )
    for n in range(18)
]
ROOMS = ["plenary", "break-out-a", "break-out-b"]


def generated(seed: int = 7) -> tuple[Meeting, LogBuilder]:
    rnd = random.Random(seed)
    meeting = Meeting(
        "figs000001",
        "Generated meeting",
        timezone="Europe/Zurich",
        rooms=[
            Room("plenary", "Plenary"),
            Room("break-out-a", "Break-out A", "breakout"),
            Room("break-out-b", "Break-out B", "breakout"),
        ],
    )
    b = LogBuilder()
    for room in ROOMS:
        for day in range(3):
            t = at(day, 9, 0) + rnd.randint(0, 600_000)
            waiting: list[tuple[int, dict[str, Any], int]] = []
            for _ in range(rnd.randint(8, 16)):
                # Some new requests, then the chair deals with the list.
                for _ in range(rnd.randint(1, 3)):
                    person = rnd.choice(PEOPLE)
                    kind = rnd.choice(["speak", "speak", "reply", "point_of_order"])
                    t += rnd.randint(1000, 30_000)
                    waiting.append((b.request(room, t, person, kind), person, t))
                action = rnd.random()
                if action < 0.1 and waiting:
                    entry, person, _ = waiting.pop(rnd.randrange(len(waiting)))
                    t += 2000
                    b.add(room, t, "floor.withdrawn", entry=entry, by=person["name"])
                elif action < 0.18 and waiting:
                    entry, _, _ = waiting.pop(rnd.randrange(len(waiting)))
                    t += 2000
                    b.add(room, t, "floor.removed", entry=entry, by="Chair")
                elif waiting:
                    entry, person, asked = waiting.pop(0)
                    t += rnd.randint(5000, 120_000)
                    began = t
                    granted = b.grant(room, t, entry, person, asked)
                    paused = 0
                    if rnd.random() < 0.3:
                        t += rnd.randint(1000, 60_000)
                        b.add(room, t, "floor.paused", intervention=granted, by="Chair")
                        gap = rnd.randint(1000, 30_000)
                        t += gap
                        paused = gap
                        b.add(
                            room,
                            t,
                            "floor.resumed",
                            intervention=granted,
                            paused_ms=gap,
                            by="Chair",
                        )
                    t += rnd.randint(10_000, 300_000)
                    b.end(room, t, granted, entry, person, began, paused_ms=paused)
            # Whatever is still waiting at the end of the day stays waiting: never granted.
    return meeting, b


def began_or_ts(e: dict[str, Any]) -> int:
    return int(e["data"]["began"] if e["type"] == "floor.ended" else e["ts"])


def local_day(ts: int) -> str:
    return datetime.fromtimestamp(ts / 1000, ZURICH).strftime("%Y-%m-%d")


def expected(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The figures of a set of events, computed straight from docs/events.md."""
    ended = {
        (room, e["data"]["intervention"]): e for room, e in events if e["type"] == "floor.ended"
    }
    granted = [(room, e) for room, e in events if e["type"] == "floor.granted"]
    granted_entries = {(room, e["data"]["entry"]) for room, e in granted}
    by: dict[str, dict[str, list[int]]] = {
        "group": defaultdict(lambda: [0, 0]),
        "party": defaultdict(lambda: [0, 0]),
        "presence": defaultdict(lambda: [0, 0]),
    }
    waits = []
    for room, g in granted:
        w = g["data"]["who"]
        spoken = ended[(room, g["seq"])]["data"]["spoken_ms"]
        keys = {
            "group": w["group"] or "(not stated)",
            "party": w["delegation"] or w["name"],
            "presence": w["presence"],
        }
        for name, k in keys.items():
            by[name][k][0] += 1
            by[name][k][1] += spoken
        waits.append(g["ts"] - g["data"]["requested"])
    requests = [(room, e) for room, e in events if e["type"] == "floor.requested"]
    missed = {(room, e["seq"]) for room, e in requests if (room, e["seq"]) not in granted_entries}
    return {
        "interventions": len(granted),
        "by_group": {k: tuple(v) for k, v in by["group"].items()},
        "by_delegation": {k: tuple(v) for k, v in by["party"].items()},
        "by_presence": {k: tuple(v) for k, v in by["presence"].items()},
        "made": len(requests),
        "missed": missed,
        "withdrawn": sum(e["type"] == "floor.withdrawn" for _, e in events),
        "removed": sum(e["type"] == "floor.removed" for _, e in events),
        "median": round(statistics.median(waits)) if waits else None,
        "max": max(waits) if waits else None,
    }


def actual(scope: dict[str, Any]) -> dict[str, Any]:
    def rows(name: str) -> dict[str, tuple[int, int]]:
        return {r["key"]: (r["interventions"], r["speaking_ms"]) for r in scope[name]}

    return {
        "interventions": scope["interventions"],
        "by_group": rows("by_group"),
        "by_delegation": rows("by_delegation"),
        "by_presence": rows("by_presence"),
        "made": scope["requests"]["made"],
        "missed": {(r["room"], r["entry"]) for r in scope["not_granted"]},
        "withdrawn": scope["requests"]["withdrawn"],
        "removed": scope["requests"]["removed"],
        "median": scope["waiting"]["median_ms"],
        "max": scope["waiting"]["max_ms"],
    }


async def test_figures_match_an_independent_count(backend: Backend) -> None:
    meeting, b = generated()
    await backend.save_meeting(meeting)
    await b.store(backend, meeting)
    stored = await backend.load_meeting(meeting.id)
    assert stored is not None
    facts = await gather(backend, stored)
    f = figures.figures(facts)
    raw = [(room, ev.to_dict()) for room, evs in b.events().items() for ev in evs]
    scopes = {(s["scope"], s.get("day") or s.get("room")): s for s in f["scopes"]}
    whole = scopes[("meeting", None)]
    assert actual(whole) == expected(raw)
    assert whole["interventions"] > 50 and whole["requests"]["waiting"] > 0
    days = sorted({local_day(e["ts"]) for _, e in raw if e["type"] == "floor.granted"})
    assert len(days) == 3
    for day in days:
        # An intervention counts on the day it began, a request on the day it was made.
        on_day = [(r, e) for r, e in raw if local_day(began_or_ts(e)) == day]
        assert actual(scopes[("day", day)]) == expected(on_day), day
    for room in ROOMS:
        assert actual(scopes[("room", room)]) == expected([(r, e) for r, e in raw if r == room])


def test_charts_are_svg_with_a_text_alternative() -> None:
    meeting, b = generated(3)
    from server.record.facts import facts_from_logs

    facts = facts_from_logs(meeting, b.events())
    f = figures.figures(facts)
    svgs = figures.chart_svgs(f, 0)
    assert set(svgs) == {"group-time", "group-count", "presence-time", "delegation-time"}
    ns = {"s": "http://www.w3.org/2000/svg"}
    for svg in svgs.values():
        root = ElementTree.fromstring(svg)  # well-formed XML, no script
        assert root.get("role") == "img"
        title = root.find("s:title", ns)
        desc = root.find("s:desc", ns)
        assert title is not None and desc is not None
        assert set(root.get("aria-labelledby", "").split()) == {title.get("id"), desc.get("id")}
        assert root.find(".//s:script", ns) is None
    # The description states every value the chart shows.
    desc = ElementTree.fromstring(svgs["group-count"]).find("s:desc", ns)
    assert desc is not None and desc.text
    for row in f["scopes"][0]["by_group"]:
        assert f"{row['key']}: {row['interventions']}" in desc.text
    page = figures.to_html(facts, f)
    assert page.count('role="img"') == 4 * len(f["scopes"])
    assert "<table>" in page and "@media print" in page


@given(st.text(max_size=300))
def test_chart_labels_wrap_whole_and_within_their_width(label: str) -> None:
    lines = charts.label_lines(label)
    assert "".join("".join(lines).split()) == "".join(label.split())
    assert all(charts.label_width(line) <= charts.LABEL_TEXT_WIDTH for line in lines)
