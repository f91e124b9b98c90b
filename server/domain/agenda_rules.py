"""The rules of the agenda: what each command records, decided against the projection
(server/domain/agenda.py). As for the speakers' list, a rule returns drafts or raises
``CommandRejected``; ``RoomRuntime.execute`` appends them with ``expect_seq``."""

from __future__ import annotations

from server.domain.agenda import STATUSES, Agenda, Item
from server.domain.errors import CommandRejected
from server.domain.events import JSON, Draft
from server.domain.state import RoomState, reordering
from server.limits import MAX_AGENDA_ITEMS, MAX_ATTACHMENTS


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
    return [state.draft("agenda.item_added", data, now)]


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
    return [state.draft("agenda.item_changed", data, now)]


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
    return [state.draft("agenda.item_removed", {"item": item_id, "by": by}, now)]


def reorder(state: RoomState, order: list[int], *, by: str, now: int) -> list[Draft]:
    state.require_open()
    current = [i.id for i in state.agenda.items]
    if not reordering(current, order, "the agenda has changed since you looked: reorder it again"):
        return []
    return [state.draft("agenda.reordered", {"order": order, "by": by}, now)]


def adopt(state: RoomState, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    a = state.agenda
    if not a.items:
        raise CommandRejected("empty_agenda", "add the agenda's items before adopting it")
    if a.adopted is not None and not a.amended:
        return []
    data: JSON = {"items": [i.snapshot() for i in a.items], "by": by}
    return [state.draft("agenda.adopted", data, now)]


def set_status(state: RoomState, item_id: int, status: str, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    if status not in STATUSES:
        raise CommandRejected("bad_field", f"status must be one of: {', '.join(STATUSES)}")
    item = _require_item(state.agenda, item_id)
    if item.status == status:
        return []
    data: JSON = {"item": item_id, "status": status, "was": item.status, "by": by}
    return [state.draft("agenda.status", data, now)]


def set_outcome(state: RoomState, item_id: int, text: str, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    item = _require_item(state.agenda, item_id)
    if item.outcome == text:
        return []
    return [state.draft("agenda.outcome", {"item": item_id, "text": text, "by": by}, now)]


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
    drafts = [state.draft("agenda.current", data, now)]
    if in_agenda_room and item is not None and item.status == "pending":
        status: JSON = {"item": item.id, "status": "under_discussion", "was": "pending", "by": by}
        drafts.append(state.draft("agenda.status", status, now))
    return drafts


def attach(state: RoomState, item_id: int, file: JSON, *, by: str, now: int) -> list[Draft]:
    """Attach a stored file (``file``: its id, title, filename, content type, size, sha256)
    to an item."""
    state.require_open()
    _require_item(state.agenda, item_id)
    if state.agenda.attachment_count() >= MAX_ATTACHMENTS:
        raise CommandRejected(
            "too_many", f"a meeting has at most {MAX_ATTACHMENTS} attachments; remove one first"
        )
    return [state.draft("agenda.attached", {"item": item_id, **file, "by": by}, now)]


def detach(state: RoomState, file_id: str, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    found = state.agenda.attachment(file_id)
    if found is None:
        raise CommandRejected("no_such_file", "no such attachment (it may have been removed)")
    item, _ = found
    return [state.draft("agenda.detached", {"item": item.id, "file": file_id, "by": by}, now)]
