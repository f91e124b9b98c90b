"""Break-out and ad-hoc groups: opened by the chair during the meeting, closed when they report.

A group is a room of its own (transcript, speakers' list, captioner link) that runs in parallel
with the plenary. Opening one adds it to the meeting document and records its first event
(``room.opened`` describing it) in its own log and ``group.opened`` in the plenary's; reporting
back records ``room.closed`` with the report in the group's log (ending an intervention still in
progress, and with the group's version of its share of a rolling document, in the same append)
and ``group.reported`` in the plenary's (after ``doc.returned``, the version's copy there).

Who leads a group is its convener or its chair (``led_as``): the record says a break-out group
was "convened by" and an ad-hoc group "chaired by" unless it is opened saying otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain import auth, caption_rules, document_rules, floor_rules, share_rules
from server.domain.agenda import Item, agenda_room
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import JSON, Draft, now_ms
from server.domain.meetings import Meeting, Room
from server.domain.state import RoomState
from server.domain.text import text_field
from server.limits import MAX_AGENDA_TITLE_CHARS, MAX_LABEL_CHARS, MAX_OUTCOME_CHARS, MAX_ROOMS
from server.services import documents, room_list
from server.services.admin import update_meeting
from server.services.room import Rooms

KINDS = ("breakout", "adhoc")
LED_AS = ("convener", "chair")


@dataclass(frozen=True, slots=True)
class OpenedGroup:
    room: Room
    captioner_key: str


async def open_group(rooms: Rooms, meeting: Meeting, args: JSON, by: str) -> OpenedGroup:
    """Open a group from ``args`` (name, kind, convener, led_as, topic, item, and optionally
    ``task``: ``{doc, categories, task}``, its share of a rolling document)."""
    name = text_field(args.get("name"), "the group's name", MAX_LABEL_CHARS, required=True)
    kind = args.get("kind", "breakout")
    if kind not in KINDS:
        raise Invalid("bad_field", "kind must be 'breakout' or 'adhoc'")
    convener = text_field(args.get("convener"), "the convener", MAX_LABEL_CHARS)
    led_as = args.get("led_as") or ("chair" if kind == "adhoc" else "convener")
    if led_as not in LED_AS:
        raise Invalid("bad_field", "led_as must be 'convener' or 'chair'")
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
    tasked = _task_args(args.get("task"))
    if tasked is not None:
        # Decided now on the plenary as it is, so that a share that cannot be given (a category
        # another group holds) refuses the whole request before the room opens.
        doc, letters, what = tasked
        chosen = document_rules.which_doc(plenary.state, doc)
        share_rules.task(plenary.state, chosen, "", name, letters, what, by=by, now=0)

    def add(m: Meeting) -> OpenedGroup:
        # Two open rooms of one name would confuse every switcher; and a request sent twice
        # (a double click, a retry after a lost answer) must not open the group twice.
        if any(r.status == "open" and r.name.casefold() == name.casefold() for r in m.rooms):
            raise CommandRejected("exists", f"a room named {name!r} is already open")
        if len(m.rooms) >= MAX_ROOMS:
            raise CommandRejected("too_many", f"a meeting can have at most {MAX_ROOMS} rooms")
        room = m.add_room(name, kind, convener, topic, str(led_as))
        key = auth.issue(m, "captioner", room.id, label=f"Captioner, {room.name}")
        return OpenedGroup(room, key)

    updated, opened = await update_meeting(rooms.backend, meeting.id, add)
    room = opened.room
    described: JSON = {
        "by": by,
        "name": room.name,
        "kind": room.kind,
        "convener": room.convener,
        "led_as": room.led_as,
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
    if tasked is not None:
        doc, letters, what = tasked
        await documents.task_group(rooms, updated, doc, room.id, letters, what, by=by)
    return opened


def _task_args(value: object) -> tuple[int | None, list[str], str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid("bad_field", "task must be {doc, categories, task}")
    doc = value.get("doc")
    if doc is not None and (isinstance(doc, bool) or not isinstance(doc, int)):
        raise Invalid("bad_field", "task.doc must be a document's id")
    letters = value.get("categories")
    if (
        not isinstance(letters, list)
        or not letters
        or not all(isinstance(c, str) and c.isalpha() and c.isascii() for c in letters)
    ):
        raise Invalid("bad_field", "task.categories must list the letters of the share")
    what = text_field(value.get("task"), "the task", MAX_AGENDA_TITLE_CHARS)
    return doc, [c.upper()[:3] for c in letters], what


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
    if not runtime.state.open:
        # A report retried after it closed the room: its version still reaches the plenary.
        await documents.return_version(rooms, meeting, runtime, by)

    def close(state: RoomState) -> list[Draft]:
        state.require_open()
        now = now_ms()
        drafts = caption_rules.close_all(state, now)  # what caption stations were still sending
        if state.floor.current is not None:
            drafts += floor_rules.end(state, None, by=by, now=now, reason="room_closed")
        drafts += share_rules.report(state, by=by, now=now)
        drafts.append(Draft("room.closed", state.room, {"by": by, "report": text}, now))
        return drafts

    await rooms.close_channel_lines(meeting.id, room.id, room.channels)
    await runtime.execute(close)
    await documents.return_version(rooms, meeting, runtime, by)

    def mark(m: Meeting) -> None:
        saved = m.room(room.id)
        if saved is not None:
            saved.status = "closed"

    updated, _ = await update_meeting(rooms.backend, meeting.id, mark)
    plenary = await rooms.get(meeting.id, agenda_room(meeting))
    reported = {"room": room.id, "name": room.name, "report": text, "by": by}
    await plenary.execute(lambda s: [Draft("group.reported", s.room, reported, now_ms())])
    await room_list.announce(rooms.backend, updated)
