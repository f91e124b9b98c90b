"""Operator actions on meetings: create, list, revoke and re-issue links."""

from __future__ import annotations

from server import auth
from server.backends.base import Backend
from server.events import now_ms
from server.meetings import Meeting, new_id


class AdminError(Exception):
    """An operator request that cannot be done; the message says why."""


async def create_meeting(
    backend: Backend,
    title: str,
    rooms: list[str],
    *,
    passcode: str | None = None,
    timezone: str = "UTC",
    starts: str = "",
    ends: str = "",
) -> tuple[Meeting, dict[str, str]]:
    """Create a meeting with its rooms and issue the chair's and each room's captioner key."""
    title = title.strip()
    if not title:
        raise AdminError("a meeting needs a title")
    meeting = Meeting(
        new_id(), title, timezone=timezone, starts=starts, ends=ends, created_ms=now_ms()
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


async def reissue(backend: Backend, meeting_id: str, role: str, room: str | None) -> dict[str, str]:
    """Revoke every key of a role (in a room, for captioners) and issue a new one."""
    meeting = await backend.load_meeting(meeting_id)
    if meeting is None:
        raise AdminError(f"no meeting {meeting_id!r}; see `plenary meeting list`")
    if role not in ("chair", "captioner"):
        raise AdminError("links can be re-issued for 'chair' or 'captioner'")
    if role == "captioner":
        if room is None or meeting.room(room) is None:
            names = ", ".join(r.id for r in meeting.rooms)
            raise AdminError(f"give the captioner's room with --room (one of: {names})")
    for cred in meeting.credentials:
        if cred.role == role and (role == "chair" or cred.room == room):
            cred.revoked = True
    label = "Chair" if role == "chair" else f"Captioner, {room}"
    key = auth.issue(
        meeting,
        "chair" if role == "chair" else "captioner",
        room if role == "captioner" else None,
        label,
    )
    await backend.save_meeting(meeting)
    return {"chair" if role == "chair" else f"captioner:{room}": key}
