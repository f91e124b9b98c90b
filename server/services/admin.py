"""Operator actions on meetings: create, list, revoke and re-issue links."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from server.backends.base import Conflict, MeetingStore
from server.domain import auth
from server.domain.errors import AdminError
from server.domain.events import now_ms
from server.domain.meetings import Meeting, new_id
from server.limits import MAX_LABEL_CHARS, MAX_MEETING_SAVE_RETRIES

T = TypeVar("T")


async def update_meeting(
    backend: MeetingStore, meeting_id: str, change: Callable[[Meeting], T]
) -> tuple[Meeting, T]:
    """Load the meeting, apply ``change`` and save it; when someone else saved first (another
    chair, another process, the command line), do it again on their version. ``change`` may
    raise to refuse: nothing is saved."""
    for _ in range(MAX_MEETING_SAVE_RETRIES):
        meeting = await backend.load_meeting(meeting_id)
        if meeting is None:
            raise AdminError(f"no meeting {meeting_id!r}; see `plenary meeting list`")
        result = change(meeting)
        try:
            await backend.save_meeting(meeting)
        except Conflict:
            continue
        return meeting, result
    raise AdminError("the meeting is being changed by someone else right now; try again")


async def create_meeting(
    backend: MeetingStore,
    title: str,
    rooms: list[str],
    *,
    passcode: str | None = None,
    timezone: str = "UTC",
    starts: str = "",
    ends: str = "",
    venue: str = "",
    chaired_by: str = "",
) -> tuple[Meeting, dict[str, str]]:
    """Create a meeting with its rooms and issue the chair's and each room's captioner key."""
    title = title.strip()
    if not title:
        raise AdminError("a meeting needs a title")
    for what, text in (("venue", venue), ("chair's name", chaired_by)):
        if len(text) > MAX_LABEL_CHARS:
            raise AdminError(f"the {what} is longer than {MAX_LABEL_CHARS} characters")
    meeting = Meeting(
        new_id(),
        title,
        timezone=timezone,
        starts=starts,
        ends=ends,
        venue=venue.strip(),
        chaired_by=chaired_by.strip(),
        created_ms=now_ms(),
    )
    for name in rooms or ["Plenary"]:
        if not name.strip():
            raise AdminError("a room needs a name")
        meeting.add_room(name.strip())
    if passcode:
        meeting.viewer_passcode_hash = auth.hash_passcode(passcode)
    keys = {"chair": auth.issue(meeting, "chair", label="Chair")}
    for room in meeting.rooms:
        keys[f"captioner:{room.id}"] = auth.issue(
            meeting, "captioner", room.id, label=f"Captioner, {room.name}"
        )
    await backend.save_meeting(meeting)
    return meeting, keys


async def reissue(
    backend: MeetingStore, meeting_id: str, role: str, room: str | None
) -> dict[str, str]:
    """Revoke every key of a role (in a room, for captioners) and issue a new one."""
    if role not in ("chair", "captioner"):
        raise AdminError("links can be re-issued for 'chair' or 'captioner'")

    def change(meeting: Meeting) -> dict[str, str]:
        if role == "captioner" and (room is None or meeting.room(room) is None):
            names = ", ".join(r.id for r in meeting.rooms)
            raise AdminError(f"give the captioner's room with --room (one of: {names})")
        for cred in meeting.credentials:
            if cred.role == role and (role == "chair" or cred.room == room):
                cred.revoked = True
        if role == "chair":
            return {"chair": auth.issue(meeting, "chair", label="Chair")}
        return {f"captioner:{room}": auth.issue(meeting, "captioner", room, f"Captioner, {room}")}

    _, keys = await update_meeting(backend, meeting_id, change)
    return keys
