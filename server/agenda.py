"""The agenda: ordered items with a status and an outcome, and the item each room is on.

The meeting's items live in the log of its agenda room (the plenary; see ``agenda_room``), as
``agenda.*`` events; every room records the item it is on with ``agenda.current``, which carries
the item's number and title so that each room's log reads on its own. As with the speakers' list,
the projection carries out what events say and the ``decide`` functions below make the choices.
Event schemas: docs/events.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from server.errors import CommandRejected
from server.events import JSON, Draft
from server.limits import MAX_AGENDA_ITEMS
from server.meetings import Meeting

if TYPE_CHECKING:
    from server.state import RoomState

STATUSES = ("pending", "under_discussion", "concluded", "deferred", "not_discussed")


def agenda_room(meeting: Meeting) -> str:
    """The room whose log holds the meeting's agenda: the first plenary room."""
    room = next((r for r in meeting.rooms if r.kind == "plenary"), None) or meeting.rooms[0]
    return room.id


@dataclass(slots=True)
class Item:
    """An agenda item. Its id is the seq of its ``agenda.item_added`` in the agenda room."""

    id: int
    number: str
    title: str
    parent: int | None = None
    status: str = "pending"
    outcome: str = ""

    def snapshot(self) -> JSON:
        return {"item": self.id, "number": self.number, "title": self.title, "parent": self.parent}

    def to_dict(self) -> JSON:
        return {**self.snapshot(), "status": self.status, "outcome": self.outcome}


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
    "agenda.current": _current,
}


# -- the rules -------------------------------------------------------------------------------
def _draft(state: RoomState, type_: str, data: JSON, now: int) -> Draft:
    return Draft(type_, state.room, data, now)


def _require_item(a: Agenda, item_id: int) -> Item:
    item = a.item(item_id)
    if item is None:
        raise CommandRejected(
            "no_such_item", f"there is no agenda item {item_id} (it may have been removed)"
        )
    return item


def _check_parent(a: Agenda, parent: int | None, item_id: int | None = None) -> None:
    if parent is None:
        return
    _require_item(a, parent)
    if item_id is not None and (parent == item_id or parent in a.descendants(item_id)):
        raise CommandRejected("bad_field", "an item cannot be placed under itself")


def add_item(
    state: RoomState, number: str, title: str, parent: int | None, *, by: str, now: int
) -> list[Draft]:
    state.require_open()
    a = state.agenda
    if len(a.items) >= MAX_AGENDA_ITEMS:
        raise CommandRejected("too_many", f"an agenda has at most {MAX_AGENDA_ITEMS} items")
    _check_parent(a, parent)
    at = len(a.items)
    if parent is not None:
        # A sub-item goes after its parent's last sub-item.
        family = {parent} | a.descendants(parent)
        at = max(n for n, i in enumerate(a.items) if i.id in family) + 1
    data: JSON = {"number": number, "title": title, "parent": parent, "at": at, "by": by}
    return [_draft(state, "agenda.item_added", data, now)]


def change_item(
    state: RoomState,
    item_id: int,
    number: str,
    title: str,
    parent: int | None,
    *,
    by: str,
    now: int,
) -> list[Draft]:
    state.require_open()
    a = state.agenda
    item = _require_item(a, item_id)
    _check_parent(a, parent, item_id)
    if (item.number, item.title, item.parent) == (number, title, parent):
        return []
    data: JSON = {"item": item_id, "number": number, "title": title, "parent": parent, "by": by}
    return [_draft(state, "agenda.item_changed", data, now)]


def remove_item(state: RoomState, item_id: int, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    a = state.agenda
    item = _require_item(a, item_id)
    if item.status != "pending" or (a.current is not None and a.current.item == item_id):
        raise CommandRejected(
            "item_in_use",
            "only an item that has not been discussed can be removed; "
            "mark it deferred or not discussed instead",
        )
    return [_draft(state, "agenda.item_removed", {"item": item_id, "by": by}, now)]


def reorder(state: RoomState, order: list[int], *, by: str, now: int) -> list[Draft]:
    state.require_open()
    current = [i.id for i in state.agenda.items]
    if len(order) != len(current) or set(order) != set(current):
        raise CommandRejected(
            "stale_list", "the agenda has changed since you looked: reorder it again"
        )
    if order == current:
        return []
    return [_draft(state, "agenda.reordered", {"order": order, "by": by}, now)]


def adopt(state: RoomState, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    a = state.agenda
    if not a.items:
        raise CommandRejected("empty_agenda", "add the agenda's items before adopting it")
    if a.adopted is not None and not a.amended:
        return []
    data: JSON = {"items": [i.snapshot() for i in a.items], "by": by}
    return [_draft(state, "agenda.adopted", data, now)]


def set_status(state: RoomState, item_id: int, status: str, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    if status not in STATUSES:
        raise CommandRejected("bad_field", f"status must be one of: {', '.join(STATUSES)}")
    item = _require_item(state.agenda, item_id)
    if item.status == status:
        return []
    data: JSON = {"item": item_id, "status": status, "was": item.status, "by": by}
    return [_draft(state, "agenda.status", data, now)]


def set_outcome(state: RoomState, item_id: int, text: str, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    item = _require_item(state.agenda, item_id)
    if item.outcome == text:
        return []
    return [_draft(state, "agenda.outcome", {"item": item_id, "text": text, "by": by}, now)]


def set_current(
    state: RoomState, item: Item | None, *, in_agenda_room: bool, by: str, now: int
) -> list[Draft]:
    """Put the room on an item (``None``: on no item). ``item`` comes from the agenda room's
    projection, which is this state itself when ``in_agenda_room``."""
    state.require_open()
    current = state.agenda.current
    if (current.item if current else None) == (item.id if item else None):
        return []
    data: JSON = {
        "item": item.id if item else None,
        "number": item.number if item else "",
        "title": item.title if item else "",
        "by": by,
    }
    drafts = [_draft(state, "agenda.current", data, now)]
    if in_agenda_room and item is not None and item.status == "pending":
        status: JSON = {"item": item.id, "status": "under_discussion", "was": "pending", "by": by}
        drafts.append(_draft(state, "agenda.status", status, now))
    return drafts
