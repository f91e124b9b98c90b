"""Moving a record between backends (an embedded file into Redis when a meeting grows, Redis back
into a file, or a copy of the record into a Redis that lost its data) without losing anything.

Every meeting document and its attached files, every room's events with the same sequence
numbers and byte-identical frames, and every cursor (so caption software that retries an old
``seq`` is still recognised).
Events are re-encoded from the source and compared with the source frame before anything is
written; appends use ``expect_seq`` so a destination that moves meanwhile stops the copy. A copy
that was interrupted can be run again: what the destination already holds is checked, not copied
twice. The servers writing to the source must be stopped first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from server.backends.base import Backend
from server.domain.events import Draft, Event
from server.limits import BACKLOG_PAGE


class MigrationError(Exception):
    """The destination holds something else; the message says what."""


@dataclass(slots=True)
class MigrationReport:
    meetings: int = 0
    rooms: int = 0
    events: int = 0  # copied now
    verified: int = 0  # already in the destination, checked identical
    cursors: int = 0
    files: int = 0


async def migrate(src: Backend, dst: Backend, say: Callable[[str], None]) -> MigrationReport:
    report = MigrationReport()
    for meeting in await src.list_meetings():
        existing = await dst.load_meeting(meeting.id)
        meeting.version = existing.version if existing is not None else 0
        await dst.save_meeting(meeting)
        report.meetings += 1
        for file_id in await src.list_files(meeting.id):
            data = await src.get_file(meeting.id, file_id)
            there = await dst.get_file(meeting.id, file_id)
            if data is not None and there != data:
                await dst.put_file(meeting.id, file_id, data)
            report.files += 1
    for key in await src.rooms_with_events():
        copied, verified = await _copy_room(src, dst, key)
        cursors = await src.cursors(key)
        for source, n in sorted(cursors.items()):
            await dst.append(key, [], cursor=(source, n))
        report.rooms += 1
        report.events += copied
        report.verified += verified
        report.cursors += len(cursors)
        say(f"{key}: {verified + copied} events ({copied} copied), {len(cursors)} cursors")
    return report


async def _copy_room(src: Backend, dst: Backend, key: str) -> tuple[int, int]:
    present = await dst.last_seq(key)
    after = 0
    while after < present:
        ours = await src.read(key, after, BACKLOG_PAGE)
        theirs = await dst.read(key, after, len(ours) or 1)
        if not ours or [e.frame for e in ours] != [e.frame for e in theirs]:
            raise MigrationError(
                f"{key}: the destination already holds a different record (seq {present}); "
                "migrate into an empty backend"
            )
        after = ours[-1].seq
    verified, copied = after, 0
    while True:
        page = await src.read(key, after, BACKLOG_PAGE)
        if not page:
            return copied, verified
        drafts = [Draft(e.type, e.room, e.data, e.ts) for e in page]
        for event, draft in zip(page, drafts, strict=True):
            if Event.create(event.seq, draft).frame != event.frame:
                raise MigrationError(f"{key}: event {event.seq} would not be copied byte for byte")
        result = await dst.append(key, drafts, expect_seq=after)
        if [e.frame for e in result.events] != [e.frame for e in page]:
            raise MigrationError(f"{key}: the destination recorded events {after + 1}… differently")
        after = page[-1].seq
        copied += len(page)
