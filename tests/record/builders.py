"""Room logs built event by event, as docs/events.md describes them, with chosen times: the
sample meeting the record's tests read back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.backends.base import Backend
from server.domain.events import Draft, Event
from server.domain.keys import room_key
from server.domain.meetings import Meeting, Room

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
            extra: dict[str, Any] = {"item": item} if item is not None else {}
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
