"""The rolling document's operations that reach beyond one room's command: creating a document
from a file, sending a group its share (recorded in the agenda room, then copied into the
group's own log), and the group's version going back with its report.

Two rooms' logs are two appends; the first one decides (it is checked against its room's
projection with ``expect_seq``) and the second is derived from it, so a retry after a failure
in between completes the second and records nothing twice (the rules return nothing when the
copy is already there).
"""

from __future__ import annotations

from collections.abc import Sequence

from server.domain import document_import, document_rules, share_rules
from server.domain.agenda import agenda_room
from server.domain.errors import CommandRejected
from server.domain.events import Draft, Event, now_ms
from server.domain.meetings import Meeting, Room
from server.domain.state import RoomState
from server.services.room import RoomRuntime, Rooms

GROUP_KINDS = ("breakout", "adhoc")


async def plenary(rooms: Rooms, meeting: Meeting) -> RoomRuntime:
    """The agenda room's runtime: where documents live."""
    return await rooms.get(meeting.id, agenda_room(meeting))


async def import_document(
    rooms: Rooms,
    meeting: Meeting,
    fmt: str,
    text: str,
    *,
    title: str,
    description: str,
    posted: str,
    by: str,
) -> tuple[int, int]:
    """Create a document from a CSV or Markdown file: every line is checked first, then the
    document and all its proposals are recorded in one append. Returns (doc id, proposals)."""
    found = document_import.parse(fmt, text, meeting.participants)
    runtime = await plenary(rooms, meeting)
    events = await runtime.execute(
        lambda s: document_rules.create(
            s,
            title or found.title or "Rolling document",
            description or found.description,
            posted,
            found.categories,
            found.proposals,
            by=by,
            now=now_ms(),
        )
    )
    return events[0].seq, len(events) - 1


def group_room(meeting: Meeting, room_id: str) -> Room:
    room = meeting.room(room_id)
    if room is None:
        raise CommandRejected("no_such_room", f"no room {room_id!r} in this meeting")
    if room.kind not in GROUP_KINDS:
        raise CommandRejected("not_a_group", "only a break-out or ad-hoc group takes a share")
    if room.status != "open":
        raise CommandRejected("room_closed", f"{room.name} is closed")
    return room


async def task_group(
    rooms: Rooms,
    meeting: Meeting,
    doc_id: int | None,
    room_id: str,
    categories: Sequence[str],
    what: str,
    *,
    by: str,
    cursor: tuple[str, int] | None = None,
) -> list[Event]:
    """Send a group its share: ``doc.tasked`` in the agenda room, then ``doc.share`` (the copy)
    as an event of the group's own log."""
    room = group_room(meeting, room_id)
    home = await plenary(rooms, meeting)
    chosen: list[int] = []

    def decide(state: RoomState) -> list[Draft]:
        doc = document_rules.which_doc(state, doc_id)
        chosen[:] = [doc]
        return share_rules.task(
            state, doc, room.id, room.name, categories, what, by=by, now=now_ms()
        )

    events = await home.execute(decide, cursor)
    doc = home.state.docs.doc(chosen[0]) if chosen else None
    task = next((t for t in reversed(doc.tasks) if t.room == room.id), None) if doc else None
    if task is None:
        return events
    group = await rooms.get(meeting.id, room.id)
    await group.execute(lambda s: share_rules.share(s, home.state, task.seq, by=by, now=now_ms()))
    return events


async def return_version(rooms: Rooms, meeting: Meeting, group: RoomRuntime, by: str) -> None:
    """After a group's report: its version, copied into the agenda room (``doc.returned``)."""
    home = await plenary(rooms, meeting)
    room = meeting.room(group.room_id)
    name = room.name if room is not None else group.room_id
    await home.execute(lambda s: share_rules.returned(s, group.state, name, by=by, now=now_ms()))
