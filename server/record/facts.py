"""The facts of a meeting's record: agenda items, interventions, floor requests, groups.

``load`` reads every room's log; ``project`` applies the events of docs/events.md in order and
keeps what the documents need. Durations are differences of ``ts``; anything still running (an
intervention, the current item) is counted up to the last event of the record (``as_of``), so the
same log always gives the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from server.backends.base import Log, read_all
from server.domain.agenda import agenda_room
from server.domain.events import JSON, Event
from server.domain.floor import About, Who
from server.domain.keys import room_key
from server.domain.meetings import Meeting, time_zone
from server.record import document_facts
from server.record.document_facts import DocumentFacts

# The chair marks an intervention as a presentation with a note that begins with this word
# (the speakers' list has no kind for it; see docs/record.md).
PRESENTATION_NOTE = "presentation"

# Separators people put after "Presentation": colon, hyphen, en and em dash.
DASHES = " :-\u2013\u2014"


def presentation_subject(note: str) -> str:
    """What a presentation was about: the note after ``Presentation:``."""
    return note.strip()[len(PRESENTATION_NOTE) :].lstrip(DASHES).strip()


@dataclass(slots=True)
class Intervention:
    id: int  # seq of its floor.granted in its room
    room: str
    entry: int
    kind: str
    who: Who
    note: str
    requested: int | None
    began: int
    limit_ms: int | None
    item: int | None  # the room's current agenda item when the floor was granted
    ended: int | None = None
    spoken_ms: int = 0
    paused_ms: int = 0
    reason: str = ""
    lines: int = 0  # transcript lines attributed to it
    paused_at: int | None = None
    about: About | None = None  # the proposal it was about

    @property
    def waited_ms(self) -> int | None:
        return None if self.requested is None else max(0, self.began - self.requested)

    @property
    def presentation(self) -> bool:
        return self.note.strip().lower().startswith(PRESENTATION_NOTE)

    @property
    def subject(self) -> str:
        return presentation_subject(self.note)

    def to_dict(self) -> JSON:
        return {
            "intervention": self.id,
            "room": self.room,
            "entry": self.entry,
            "kind": self.kind,
            "who": self.who.to_dict(),
            "note": self.note,
            "presentation": self.presentation,
            "item": self.item,
            "requested": self.requested,
            "began": self.began,
            "ended": self.ended,
            "running": self.ended is None,
            "waited_ms": self.waited_ms,
            "spoken_ms": self.spoken_ms,
            "paused_ms": self.paused_ms,
            "limit_ms": self.limit_ms,
            "reason": self.reason,
            "lines": self.lines,
            "doc": self.about.doc if self.about else None,
            "proposal": self.about.proposal if self.about else None,
        }


@dataclass(slots=True)
class Request:
    id: int  # seq of its floor.requested in its room
    room: str
    kind: str
    who: Who
    note: str
    ts: int
    via: str
    item: int | None
    status: str = "waiting"  # waiting, granted, withdrawn, removed
    settled: int | None = None  # when it was granted, withdrawn or removed
    intervention: int | None = None

    def to_dict(self) -> JSON:
        return {
            "entry": self.id,
            "room": self.room,
            "kind": self.kind,
            "who": self.who.to_dict(),
            "note": self.note,
            "ts": self.ts,
            "via": self.via,
            "item": self.item,
            "status": self.status,
            "settled": self.settled,
            "intervention": self.intervention,
        }


@dataclass(slots=True)
class Span:
    """A stretch of time a room spent on an item."""

    room: str
    start: int
    end: int | None = None


@dataclass(slots=True)
class Item:
    id: int
    number: str
    title: str
    parent: int | None
    added: int
    status: str = "pending"
    outcome: str = ""
    outcome_ts: int | None = None
    removed: bool = False
    spans: list[Span] = field(default_factory=list)
    statuses: list[tuple[int, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title

    @property
    def discussed(self) -> bool:
        return bool(self.spans) and self.status not in ("not_discussed", "deferred")


@dataclass(slots=True)
class Group:
    """A break-out or ad-hoc group: a room opened during the meeting."""

    room: str
    name: str
    kind: str
    convener: str = ""
    topic: str = ""
    item: int | None = None
    parent: str | None = None
    led_as: str = "convener"  # "chair": the record says "chaired by"
    opened: int | None = None
    closed: int | None = None
    report: str = ""
    reported: int | None = None

    def duration_ms(self, as_of: int) -> int:
        if self.opened is None:
            return 0
        return max(0, (self.closed if self.closed is not None else as_of) - self.opened)


@dataclass(frozen=True, slots=True)
class Adoption:
    seq: int
    ts: int
    items: list[JSON]


@dataclass(slots=True)
class RoomFacts:
    id: str
    name: str
    kind: str
    events: int = 0
    lines: int = 0
    # Transcript lines by the agenda item they are attributed to (None: no item), as corrected.
    item_lines: dict[int | None, int] = field(default_factory=dict)
    first: int | None = None
    last: int | None = None


@dataclass(slots=True)
class Facts:
    meeting: Meeting
    agenda_room: str | None
    items: dict[int, Item] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)  # the agenda's order of item ids
    interventions: list[Intervention] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    adoptions: list[Adoption] = field(default_factory=list)
    rooms: list[RoomFacts] = field(default_factory=list)
    documents: list[DocumentFacts] = field(default_factory=list)
    first: int | None = None
    as_of: int = 0

    @property
    def tz(self) -> tzinfo:
        return time_zone(self.meeting.timezone)

    def day(self, ts: int) -> str:
        return datetime.fromtimestamp(ts / 1000, self.tz).strftime("%Y-%m-%d")

    def clock(self, ts: int, seconds: bool = False) -> str:
        fmt = "%H:%M:%S" if seconds else "%H:%M"
        return datetime.fromtimestamp(ts / 1000, self.tz).strftime(fmt)

    def stamp(self, ts: int) -> str:
        return datetime.fromtimestamp(ts / 1000, self.tz).strftime("%Y-%m-%d %H:%M")

    def agenda(self) -> list[Item]:
        """Items in agenda order, removed ones left out."""
        return [self.items[i] for i in self.order if not self.items[i].removed]

    def item_time_ms(self, item: Item, room: str | None = None) -> int:
        return sum(
            (s.end if s.end is not None else self.as_of) - s.start
            for s in item.spans
            if room is None or s.room == room
        )

    def room_name(self, room_id: str) -> str:
        found = self.meeting.room(room_id)
        return found.name if found is not None else room_id

    def group(self, room_id: str) -> Group | None:
        return next((g for g in self.groups if g.room == room_id), None)

    def document(self, doc_id: int) -> DocumentFacts | None:
        return next((d for d in self.documents if d.doc.id == doc_id), None)

    def on_proposal(self, doc_id: int, proposal: str) -> list[Intervention]:
        """The interventions about a proposal, in the order they began."""
        return [
            i
            for i in self.interventions
            if i.about is not None and (i.about.doc, i.about.proposal) == (doc_id, proposal)
        ]


# -- loading ---------------------------------------------------------------------------------------
async def read_room(log: Log, meeting_id: str, room_id: str) -> list[Event]:
    return await read_all(log, room_key(meeting_id, room_id))


async def load(log: Log, meeting: Meeting) -> dict[str, list[Event]]:
    """Every room's log, in the meeting's room order."""
    return {room.id: await read_room(log, meeting.id, room.id) for room in meeting.rooms}


# -- projecting ------------------------------------------------------------------------------------
def project(meeting: Meeting, logs: dict[str, list[Event]]) -> Facts:
    facts = Facts(meeting, agenda_room(meeting) if meeting.rooms else None)
    every_ts = [ev.ts for events in logs.values() for ev in events]
    facts.as_of = max(every_ts, default=0)
    facts.first = min(every_ts, default=None)
    # The agenda room first: the other rooms refer to its item ids.
    ordered = sorted(logs, key=lambda r: r != facts.agenda_room)
    for room_id in ordered:
        _Room(facts, room_id).apply_all(logs[room_id])
    facts.documents = document_facts.project(facts.agenda_room, logs)
    for room in meeting.rooms:
        if room.kind in ("breakout", "adhoc") and facts.group(room.id) is None:
            facts.groups.append(
                Group(room.id, room.name, room.kind, room.convener, room.topic, led_as=room.led_as)
            )
    facts.groups.sort(key=lambda g: (g.opened if g.opened is not None else facts.as_of, g.room))
    facts.interventions.sort(key=lambda i: (i.began, ordered.index(i.room), i.id))
    facts.requests.sort(key=lambda r: (r.ts, ordered.index(r.room), r.id))
    facts.rooms.sort(key=lambda r: [x.id for x in meeting.rooms].index(r.id))
    return facts


class _Room:
    """Applies one room's events to the meeting's facts."""

    def __init__(self, facts: Facts, room_id: str) -> None:
        self.facts = facts
        self.room = room_id
        self.is_agenda = room_id == facts.agenda_room
        meta = facts.meeting.room(room_id)
        self.meta = RoomFacts(room_id, meta.name if meta else room_id, meta.kind if meta else "")
        facts.rooms.append(self.meta)
        self.current_item: int | None = None
        self.span: Span | None = None
        self.speaking: Intervention | None = None
        self.entries: dict[int, Request] = {}
        self.interventions: dict[int, Intervention] = {}
        # Each line's intervention and item, as attributed (and re-attributed) so far.
        self.line_refs: dict[int, tuple[int | None, int | None]] = {}

    def apply_all(self, events: Iterable[Event]) -> None:
        for ev in events:
            self.meta.events += 1
            self.meta.first = ev.ts if self.meta.first is None else self.meta.first
            self.meta.last = ev.ts
            handler = getattr(self, "on_" + ev.type.replace(".", "_"), None)
            if handler is not None:
                handler(ev.seq, ev.ts, ev.data if isinstance(ev.data, dict) else {})

    # -- transcript ------------------------------------------------------------------------
    def on_line(self, seq: int, ts: int, d: JSON) -> None:
        self.meta.lines += 1
        ref, item = d.get("intervention"), d.get("item")
        self._count_line(seq, ref if isinstance(ref, int) else None, item, 1)

    def _count_line(self, seq: int, ref: int | None, item: object, step: int) -> None:
        item_id = item if isinstance(item, int) else None
        if ref is not None and ref in self.interventions:
            self.interventions[ref].lines += step
        counts = self.meta.item_lines
        counts[item_id] = counts.get(item_id, 0) + step
        if step > 0:
            self.line_refs[seq] = (ref, item_id)

    def on_line_reattributed(self, seq: int, ts: int, d: JSON) -> None:
        """Lines moved to another intervention or item: the counts follow."""
        changes: JSON = d["set"] if isinstance(d.get("set"), dict) else {}
        for line in d.get("lines") or ():
            old = self.line_refs.get(line)
            if old is None:
                continue
            ref = changes.get("intervention", old[0]) if "intervention" in changes else old[0]
            item = changes.get("item", old[1]) if "item" in changes else old[1]
            self._count_line(line, *old, -1)
            self._count_line(line, ref if isinstance(ref, int) else None, item, 1)

    # -- speakers' list --------------------------------------------------------------------
    def on_floor_requested(self, seq: int, ts: int, d: JSON) -> None:
        request = Request(
            seq,
            self.room,
            str(d.get("kind", "speak")),
            Who.from_dict(d.get("who")),
            str(d.get("note") or ""),
            ts,
            str(d.get("via", "")),
            self.current_item,
        )
        self.entries[seq] = request
        self.facts.requests.append(request)

    def _settle(self, d: JSON, ts: int, status: str) -> None:
        request = self.entries.get(d.get("entry", -1))
        if request is not None and request.status == "waiting":
            request.status, request.settled = status, ts

    def on_floor_withdrawn(self, seq: int, ts: int, d: JSON) -> None:
        self._settle(d, ts, "withdrawn")

    def on_floor_removed(self, seq: int, ts: int, d: JSON) -> None:
        self._settle(d, ts, "removed")

    def on_floor_granted(self, seq: int, ts: int, d: JSON) -> None:
        if self.speaking is not None:  # a floor.ended always comes first; be safe if it did not
            self._end(self.speaking, ts, "next")
        entry = d.get("entry")
        requested = d.get("requested")
        intervention = Intervention(
            seq,
            self.room,
            entry if isinstance(entry, int) else 0,
            str(d.get("kind", "speak")),
            Who.from_dict(d.get("who")),
            str(d.get("note") or ""),
            requested if isinstance(requested, int) else None,
            ts,
            d.get("limit_ms"),
            self.current_item,
            about=About.from_data(d),
        )
        request = self.entries.get(intervention.entry)
        if request is not None:
            request.status, request.settled, request.intervention = "granted", ts, seq
        self.speaking = intervention
        self.interventions[seq] = intervention
        self.facts.interventions.append(intervention)

    def on_floor_paused(self, seq: int, ts: int, d: JSON) -> None:
        if self.speaking is not None and self.speaking.paused_at is None:
            self.speaking.paused_at = ts

    def on_floor_resumed(self, seq: int, ts: int, d: JSON) -> None:
        if self.speaking is not None and self.speaking.paused_at is not None:
            self.speaking.paused_ms += max(0, ts - self.speaking.paused_at)
            self.speaking.paused_at = None

    def on_floor_limit(self, seq: int, ts: int, d: JSON) -> None:
        if self.speaking is not None:
            self.speaking.limit_ms = d.get("limit_ms")

    def on_floor_ended(self, seq: int, ts: int, d: JSON) -> None:
        intervention = self.interventions.get(d.get("intervention", -1))
        if intervention is None or intervention.ended is not None:
            return
        self._end(intervention, ts, str(d.get("reason", "ended")))
        # The event states the figures; trust them over our own arithmetic.
        if isinstance(d.get("spoken_ms"), int):
            intervention.spoken_ms = d["spoken_ms"]
        if isinstance(d.get("paused_ms"), int):
            intervention.paused_ms = d["paused_ms"]

    def on_floor_corrected(self, seq: int, ts: int, d: JSON) -> None:
        """When an intervention began and ended, put right: its speaking time follows."""
        intervention = self.interventions.get(d.get("intervention", -1))
        if intervention is None:
            return
        if isinstance(d.get("began"), int):
            intervention.began = d["began"]
        if intervention.ended is not None and isinstance(d.get("ended"), int):
            intervention.ended = d["ended"]
        if intervention.ended is not None:
            spoken = d.get("spoken_ms")
            intervention.spoken_ms = (
                spoken
                if isinstance(spoken, int)
                else max(0, intervention.ended - intervention.began - intervention.paused_ms)
            )

    def _end(self, intervention: Intervention, ts: int, reason: str) -> None:
        if intervention.paused_at is not None:
            intervention.paused_ms += max(0, ts - intervention.paused_at)
            intervention.paused_at = None
        intervention.ended = ts
        intervention.reason = reason
        intervention.spoken_ms = max(0, ts - intervention.began - intervention.paused_ms)
        if self.speaking is intervention:
            self.speaking = None

    # -- agenda ----------------------------------------------------------------------------
    def on_agenda_item_added(self, seq: int, ts: int, d: JSON) -> None:
        if not self.is_agenda:
            return
        item = Item(seq, str(d.get("number", "")), str(d.get("title", "")), d.get("parent"), ts)
        self.facts.items[seq] = item
        at = d.get("at")
        order = self.facts.order
        order.insert(at if isinstance(at, int) and 0 <= at <= len(order) else len(order), seq)

    def on_agenda_item_changed(self, seq: int, ts: int, d: JSON) -> None:
        item = self.facts.items.get(d.get("item", -1)) if self.is_agenda else None
        if item is not None:
            item.number = str(d.get("number", item.number))
            item.title = str(d.get("title", item.title))
            item.parent = d.get("parent")

    def on_agenda_item_removed(self, seq: int, ts: int, d: JSON) -> None:
        item = self.facts.items.get(d.get("item", -1)) if self.is_agenda else None
        if item is None:
            return
        item.removed = True
        for other in self.facts.items.values():
            if other.parent == item.id:
                other.parent = None

    def on_agenda_reordered(self, seq: int, ts: int, d: JSON) -> None:
        order = d.get("order")
        if self.is_agenda and isinstance(order, list):
            known = [i for i in order if i in self.facts.items]
            rest = [i for i in self.facts.order if i not in known]
            self.facts.order = known + rest

    def on_agenda_adopted(self, seq: int, ts: int, d: JSON) -> None:
        items = d.get("items")
        if self.is_agenda and isinstance(items, list):
            self.facts.adoptions.append(
                Adoption(seq, ts, [i for i in items if isinstance(i, dict)])
            )

    def on_agenda_status(self, seq: int, ts: int, d: JSON) -> None:
        item = self.facts.items.get(d.get("item", -1)) if self.is_agenda else None
        if item is not None:
            item.status = str(d.get("status", item.status))
            item.statuses.append((ts, item.status))

    def on_agenda_outcome(self, seq: int, ts: int, d: JSON) -> None:
        item = self.facts.items.get(d.get("item", -1)) if self.is_agenda else None
        if item is not None:
            item.outcome, item.outcome_ts = str(d.get("text", "")), ts

    def on_agenda_current(self, seq: int, ts: int, d: JSON) -> None:
        self._close_span(ts)
        ref = d.get("item")
        self.current_item = ref if isinstance(ref, int) else None
        self._open_span(ts)

    def _open_span(self, ts: int) -> None:
        item = self.facts.items.get(self.current_item) if self.current_item is not None else None
        if item is not None:
            self.span = Span(self.room, ts)
            item.spans.append(self.span)

    def _close_span(self, ts: int) -> None:
        if self.span is not None:
            self.span.end = ts
            self.span = None

    # -- rooms and groups ------------------------------------------------------------------
    def _group(self, room_id: str) -> Group:
        group = self.facts.group(room_id)
        if group is None:
            meta = self.facts.meeting.room(room_id)
            group = Group(
                room_id,
                meta.name if meta else room_id,
                meta.kind if meta else "breakout",
                meta.convener if meta else "",
                meta.topic if meta else "",
                led_as=meta.led_as if meta else "convener",
            )
            self.facts.groups.append(group)
        return group

    def _describe(self, group: Group, d: JSON) -> None:
        for name in ("name", "kind", "convener", "topic", "led_as"):
            if isinstance(d.get(name), str) and d[name]:
                setattr(group, name, d[name])
        if isinstance(d.get("item"), int):
            group.item = d["item"]
        if isinstance(d.get("parent"), str):
            group.parent = d["parent"]

    def on_room_opened(self, seq: int, ts: int, d: JSON) -> None:
        if "kind" in d and d.get("kind") in ("breakout", "adhoc"):
            group = self._group(self.room)
            self._describe(group, d)
            if group.opened is None:
                group.opened = ts
        self._open_span(ts)

    def on_room_closed(self, seq: int, ts: int, d: JSON) -> None:
        if self.speaking is not None:
            self._end(self.speaking, ts, "room_closed")
        self._close_span(ts)
        group = self.facts.group(self.room)
        if group is not None:
            group.closed = ts
            if isinstance(d.get("report"), str) and d["report"]:
                group.report = d["report"]

    def on_group_opened(self, seq: int, ts: int, d: JSON) -> None:
        room_id = d.get("room")
        if isinstance(room_id, str):
            group = self._group(room_id)
            self._describe(group, d)
            group.parent = group.parent or self.room
            group.opened = ts if group.opened is None else min(group.opened, ts)

    def on_group_reported(self, seq: int, ts: int, d: JSON) -> None:
        room_id = d.get("room")
        if isinstance(room_id, str):
            group = self._group(room_id)
            group.reported = ts
            if isinstance(d.get("report"), str) and d["report"]:
                group.report = d["report"]


def finish_running(facts: Facts) -> None:
    """Speaking time of interventions still running, counted up to ``as_of``."""
    for intervention in facts.interventions:
        if intervention.ended is None:
            paused = intervention.paused_ms
            if intervention.paused_at is not None:
                paused += max(0, facts.as_of - intervention.paused_at)
            intervention.spoken_ms = max(0, facts.as_of - intervention.began - paused)


def facts_from_logs(meeting: Meeting, logs: dict[str, list[Event]]) -> Facts:
    facts = project(meeting, logs)
    finish_running(facts)
    return facts


async def gather(log: Log, meeting: Meeting) -> Facts:
    return facts_from_logs(meeting, await load(log, meeting))
