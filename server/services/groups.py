"""Break-out and ad-hoc groups: opened by the chair during the meeting, closed when they report.

A group is a room of its own (transcript, speakers' list, captioner link) that runs in parallel
with the plenary. Opening one adds it to the meeting document and records its first event
(``room.opened`` describing it) in its own log and ``group.opened`` in the plenary's; reporting
back records ``room.closed`` with the report in the group's log (ending an intervention still in
progress, in the same append) and ``group.reported`` in the plenary's.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain import auth, caption_rules, floor_rules
from server.domain.agenda import Item, agenda_room
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import JSON, Draft, now_ms
from server.domain.meetings import Meeting, Room
from server.domain.state import RoomState
from server.domain.text import text_field
from server.limits import MAX_AGENDA_TITLE_CHARS, MAX_LABEL_CHARS, MAX_OUTCOME_CHARS, MAX_ROOMS
from server.services import room_list
from server.services.admin import update_meeting
from server.services.room import Rooms

KINDS = ("breakout", "adhoc")


@dataclass(frozen=True, slots=True)
class OpenedGroup:
    room: Room
    captioner_key: str


async def open_group(rooms: Rooms, meeting: Meeting, args: JSON, by: str) -> OpenedGroup:
    """Open a group from ``args`` (name, kind, convener, topic, item)."""
    name = text_field(args.get("name"), "the group's name", MAX_LABEL_CHARS, required=True)
    kind = args.get("kind", "breakout")
    if kind not in KINDS:
        raise Invalid("bad_field", "kind must be 'breakout' or 'adhoc'")
    convener = text_field(args.get("convener"), "the convener", MAX_LABEL_CHARS)
    topic = text_field(args.get("topic"), "the topic", MAX_AGENDA_TITLE_CHARS)
    item_id = args.get("item")
    if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, int)):
        raise Invalid("bad_field", "item must be an agenda item's id (an integer)")
    plenary_id = agenda_room(meeting)
    plenary = await rooms.get(meeting.id, plenary_id)
    plenary.state.require_open()
    item: Item | None = None
    if item_id is not None:
        item = plenary.state.agenda.item(item_id)
        if item is None:
            raise CommandRejected("no_such_item", f"there is no agenda item {item_id}")

    def add(m: Meeting) -> OpenedGroup:
        # Two open rooms of one name would confuse every switcher; and a request sent twice
        # (a double click, a retry after a lost answer) must not open the group twice.
        if any(r.status == "open" and r.name.casefold() == name.casefold() for r in m.rooms):
            raise CommandRejected("exists", f"a room named {name!r} is already open")
        if len(m.rooms) >= MAX_ROOMS:
            raise CommandRejected("too_many", f"a meeting can have at most {MAX_ROOMS} rooms")
        room = m.add_room(name, kind, convener, topic)
        key = auth.issue(m, "captioner", room.id, label=f"Captioner, {room.name}")
        return OpenedGroup(room, key)

    updated, opened = await update_meeting(rooms.backend, meeting.id, add)
    room = opened.room
    described: JSON = {
        "by": by,
        "name": room.name,
        "kind": room.kind,
        "convener": room.convener,
        "topic": room.topic,
        "item": item.id if item else None,
        "parent": plenary_id,
    }
    runtime = await rooms.get(meeting.id, room.id)

    def first(state: RoomState) -> list[Draft]:
        if state.seq > 0:
            return []  # already described (a retried request)
        now = now_ms()
        drafts = [Draft("room.opened", room.id, described, now)]
        if item is not None:
            current = {"item": item.id, "number": item.number, "title": item.title, "by": by}
            drafts.append(Draft("agenda.current", room.id, current, now))
        return drafts

    await runtime.execute(first)
    announced = {k: v for k, v in described.items() if k != "parent"} | {"room": room.id}
    await plenary.execute(lambda s: [Draft("group.opened", s.room, announced, now_ms())])
    await room_list.announce(rooms.backend, updated)
    return opened


async def report_group(
    rooms: Rooms, meeting: Meeting, room_id: str, report: object, by: str
) -> None:
    """Close a group on its report back, recording the report in both logs."""
    text = text_field(report, "the group's report", MAX_OUTCOME_CHARS, required=True)
    room = meeting.room(room_id)
    if room is None:
        raise CommandRejected("no_such_room", "no such room in this meeting")
    if room.kind not in KINDS:
        raise Invalid("bad_field", "only a break-out or ad-hoc group reports back")
    runtime = await rooms.get(meeting.id, room.id)

    def close(state: RoomState) -> list[Draft]:
        state.require_open()
        now = now_ms()
        drafts = caption_rules.close_all(state, now)  # what caption stations were still sending
        if state.floor.current is not None:
            drafts += floor_rules.end(state, None, by=by, now=now, reason="room_closed")
        drafts.append(Draft("room.closed", state.room, {"by": by, "report": text}, now))
        return drafts

    await runtime.execute(close)

    def mark(m: Meeting) -> None:
        saved = m.room(room.id)
        if saved is not None:
            saved.status = "closed"

    updated, _ = await update_meeting(rooms.backend, meeting.id, mark)
    plenary = await rooms.get(meeting.id, agenda_room(meeting))
    reported = {"room": room.id, "name": room.name, "report": text, "by": by}
    await plenary.execute(lambda s: [Draft("group.reported", s.room, reported, now_ms())])
    await room_list.announce(rooms.backend, updated)
