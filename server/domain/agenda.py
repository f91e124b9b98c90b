"""The agenda: ordered items with a status and an outcome, and the item each room is on.

The meeting's items live in the log of its agenda room (the plenary; see ``agenda_room``), as
``agenda.*`` events; every room records the item it is on with ``agenda.current``, which carries
the item's number and title so that each room's log reads on its own. As with the speakers' list,
the projection carries out what events say and the rules in server/domain/agenda_rules.py make
the choices. Event schemas: docs/events.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from server.domain.events import JSON
from server.domain.meetings import Meeting

# An item's statuses and how the record and the pages name them (served as
# /api/vocabulary.json, like the floor's kinds).
STATUSES: dict[str, str] = {
    "pending": "pending",
    "under_discussion": "under discussion",
    "concluded": "concluded",
    "deferred": "deferred",
    "not_discussed": "not discussed",
}


def agenda_room(meeting: Meeting) -> str:
    """The room whose log holds the meeting's agenda: the first plenary room, or the first room
    when none is a plenary. The live commands write there and the record reads it from there."""
    room = next((r for r in meeting.rooms if r.kind == "plenary"), None) or meeting.rooms[0]
    return room.id


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to an item (a correspondence group's spreadsheet, a presentation). The
    bytes are in the backend under ``file``; the event says what they are."""

    file: str
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    ts: int

    def to_dict(self) -> JSON:
        return {
            "file": self.file,
            "title": self.title,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "ts": self.ts,
        }


@dataclass(slots=True)
class Item:
    """An agenda item. Its id is the seq of its ``agenda.item_added`` in the agenda room."""

    id: int
    number: str
    title: str
    parent: int | None = None
    status: str = "pending"
    outcome: str = ""
    attachments: list[Attachment] = field(default_factory=list)

    def snapshot(self) -> JSON:
        return {"item": self.id, "number": self.number, "title": self.title, "parent": self.parent}

    def to_dict(self) -> JSON:
        return {
            **self.snapshot(),
            "status": self.status,
            "outcome": self.outcome,
            "attachments": [a.to_dict() for a in self.attachments],
        }


@dataclass(slots=True)
class Current:
    """The item a room is on, as its ``agenda.current`` event named it."""

    item: int | None
    number: str
    title: str
    since: int

    def to_dict(self) -> JSON:
        return {"item": self.item, "number": self.number, "title": self.title, "since": self.since}


@dataclass(slots=True)
class Agenda:
    items: list[Item] = field(default_factory=list)  # only in the agenda room
    adopted: int | None = None  # ts of the last adoption
    amended: bool = False  # changed since it was last adopted
    current: Current | None = None

    def item(self, item_id: int) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def attachment(self, file_id: str) -> tuple[Item, Attachment] | None:
        for i in self.items:
            for a in i.attachments:
                if a.file == file_id:
                    return i, a
        return None

    def attachment_count(self) -> int:
        return sum(len(i.attachments) for i in self.items)

    def descendants(self, item_id: int) -> set[int]:
        found: set[int] = set()
        frontier = {item_id}
        while frontier:
            frontier = {i.id for i in self.items if i.parent in frontier} - found
            found |= frontier
        return found

    def to_dict(self) -> JSON:
        return {
            "items": [i.to_dict() for i in self.items],
            "adopted": self.adopted,
            "amended": self.amended,
            "current": self.current.to_dict() if self.current else None,
        }


# -- the projection --------------------------------------------------------------------------
def _changed(a: Agenda) -> None:
    a.amended = a.adopted is not None


def _item_added(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    at = max(0, min(int(d.get("at", len(a.items))), len(a.items)))
    a.items.insert(at, Item(seq, d["number"], d["title"], d.get("parent")))
    _changed(a)


def _item_changed(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    item = a.item(d["item"])
    if item is None:
        return
    item.number, item.title, item.parent = d["number"], d["title"], d.get("parent")
    if a.current is not None and a.current.item == item.id:
        a.current.number, a.current.title = item.number, item.title
    _changed(a)


def _item_removed(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    a.items = [i for i in a.items if i.id != d["item"]]
    for i in a.items:
        if i.parent == d["item"]:
            i.parent = None
    _changed(a)


def _reordered(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    by_id = {i.id: i for i in a.items}
    ordered = [by_id.pop(i) for i in d["order"] if i in by_id]
    a.items = ordered + [i for i in a.items if i.id in by_id]
    _changed(a)


def _adopted(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    a.adopted = ts
    a.amended = False


def _status(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    item = a.item(d["item"])
    if item is not None:
        item.status = d["status"]


def _outcome(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    item = a.item(d["item"])
    if item is not None:
        item.outcome = d["text"]


def _attached(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    item = a.item(d["item"])
    if item is not None:
        item.attachments.append(
            Attachment(
                str(d["file"]),
                str(d.get("title", "")),
                str(d.get("filename", "")),
                str(d.get("content_type", "application/octet-stream")),
                int(d.get("size", 0)),
                str(d.get("sha256", "")),
                ts,
            )
        )


def _detached(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    item = a.item(d["item"])
    if item is not None:
        item.attachments = [x for x in item.attachments if x.file != d["file"]]


def _current(a: Agenda, seq: int, ts: int, d: JSON) -> None:
    a.current = Current(d.get("item"), d.get("number", ""), d.get("title", ""), ts)


HANDLERS: dict[str, Callable[[Agenda, int, int, JSON], None]] = {
    "agenda.item_added": _item_added,
    "agenda.item_changed": _item_changed,
    "agenda.item_removed": _item_removed,
    "agenda.reordered": _reordered,
    "agenda.adopted": _adopted,
    "agenda.status": _status,
    "agenda.outcome": _outcome,
    "agenda.attached": _attached,
    "agenda.detached": _detached,
    "agenda.current": _current,
}
