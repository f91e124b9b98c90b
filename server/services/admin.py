"""Operator actions on meetings: create, list, revoke and re-issue links."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from server.backends.base import Conflict, MeetingStore
from server.domain import auth
from server.domain import channels as channel_rules
from server.domain.errors import AdminError, Invalid
from server.domain.events import now_ms
from server.domain.meetings import Credential, Meeting, Room, new_id
from server.domain.text import text_field
from server.limits import MAX_LABEL_CHARS, MAX_MEETING_SAVE_RETRIES, MAX_STATIONS_PER_ROOM

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
    channels: Sequence[str] = (),
    language: str = "en",
) -> tuple[Meeting, dict[str, str]]:
    """Create a meeting with its rooms and issue the chair's and each room's captioner key; with
    ``channels`` (language tags), every room has those interpretation channels, each with a
    captioner key of its own (``captioner:<room>~<tag>``)."""
    interpreted = channel_tags(channels)
    language = channel_tags([language])[0]
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
        language=language,
    )
    for name in rooms or ["Plenary"]:
        if not name.strip():
            raise AdminError("a room needs a name")
        meeting.add_room(name.strip()).channels = list(interpreted)
    if passcode:
        meeting.viewer_passcode_hash = auth.hash_passcode(passcode)
    keys = {"chair": auth.issue(meeting, "chair", label="Chair")}
    for room in meeting.rooms:
        keys[f"captioner:{room.id}"] = auth.issue(
            meeting, "captioner", room.id, label=f"Captioner, {room.name}"
        )
        for tag in room.channels:
            keys[f"captioner:{room.id}~{tag}"] = _channel_captioner(meeting, room, tag)
    await backend.save_meeting(meeting)
    return meeting, keys


def channel_tags(raw: Sequence[object]) -> list[str]:
    """Interpretation channels' tags, checked (server/domain/channels.py), as AdminError."""
    try:
        return channel_rules.tags(raw)
    except Invalid as exc:
        raise AdminError(exc.message) from None


def _channel_captioner(meeting: Meeting, room: Room, tag: str) -> str:
    return auth.issue(
        meeting, "captioner", room.id, label=f"Captioner, {room.name} ({tag})", channel=tag
    )


async def add_channel(
    backend: MeetingStore, meeting_id: str, room_id: str, raw: object
) -> tuple[Meeting, str, str]:
    """Add an interpretation channel to a room: its tag and its first captioner key. Adding a
    channel the room has is refused, so a request sent twice makes one channel."""
    tag = channel_tags([raw])[0]

    def change(meeting: Meeting) -> str:
        room = meeting.room(room_id)
        if room is None:
            names = ", ".join(r.id for r in meeting.rooms)
            raise AdminError(f"no room {room_id!r} in this meeting (one of: {names})")
        if tag in room.channels:
            raise AdminError(f"room {room.name!r} has a {tag} channel already")
        room.channels = channel_tags([*room.channels, tag])
        return _channel_captioner(meeting, room, tag)

    meeting, key = await update_meeting(backend, meeting_id, change)
    return meeting, tag, key


# Roles whose links are per room, and the kinds of room each may be for.
ROOM_ROLES = {"captioner": ("plenary", "breakout", "adhoc"), "convener": ("breakout", "adhoc")}
REISSUED = ("chair", "captioner", "secretariat", "convener")


def _room_for(meeting: Meeting, role: str, room: str | None) -> str | None:
    if role not in ROOM_ROLES:
        return None
    found = meeting.room(room) if room is not None else None
    allowed = ROOM_ROLES[role]
    if found is None or found.kind not in allowed:
        names = ", ".join(r.id for r in meeting.rooms if r.kind in allowed) or "none yet"
        what = "captioner's" if role == "captioner" else "group's"
        raise AdminError(f"give the {what} room with --room (one of: {names})")
    return found.id


def _label(role: str, meeting: Meeting, room: str | None) -> str:
    found = meeting.room(room) if room is not None else None
    name = found.name if found is not None else room
    return {
        "chair": "Chair",
        "captioner": f"Captioner, {name}",
        "convener": f"Convener, {name}",
        "secretariat": "Secretariat",
    }[role]


def issue_link(meeting: Meeting, role: str, room: str | None, label: str = "") -> dict[str, str]:
    """Issue one more link of a role (unsaved): a secretariat member's, a group's convener's."""
    if role not in ("secretariat", "convener"):
        raise AdminError("new links are made for 'secretariat' or 'convener'")
    room_id = _room_for(meeting, role, room)
    label = label.strip()[:MAX_LABEL_CHARS] or _label(role, meeting, room_id)
    key = auth.issue(meeting, role, room_id, label=label)  # type: ignore[arg-type]
    return {f"{role}:{room_id}" if room_id else role: key}


async def add_link(
    backend: MeetingStore, meeting_id: str, role: str, room: str | None, label: str = ""
) -> dict[str, str]:
    _, keys = await update_meeting(backend, meeting_id, lambda m: issue_link(m, role, room, label))
    return keys


async def reissue(
    backend: MeetingStore,
    meeting_id: str,
    role: str,
    room: str | None,
    channel: str | None = None,
) -> dict[str, str]:
    """Revoke every key of a role (in a room, for captioners and conveners) and issue one new
    one. For captioners, ``channel`` names an interpretation channel: only its captioner keys
    are revoked and the new one writes in it; without it, the room's other captioner keys."""
    if role not in REISSUED:
        raise AdminError(f"links can be re-issued for {', '.join(repr(r) for r in REISSUED)}")
    if channel is not None and role != "captioner":
        raise AdminError("--channel is for a captioner's link")

    def change(meeting: Meeting) -> dict[str, str]:
        room_id = _room_for(meeting, role, room)
        found = meeting.room(room_id) if room_id is not None else None
        bound = None
        if channel is not None and found is not None:
            bound = channel_rules.pick(found.channels, channel)
            if bound is None or bound == channel_rules.FLOOR:
                raise AdminError(
                    f"room {found.name!r} has no {channel!r} interpretation channel; its "
                    "channels: " + channel_rules.named(found.channels, meeting.language)
                )
        for cred in meeting.credentials:
            if cred.role == role and (room_id is None or cred.room == room_id):
                same = cred.channel == bound if bound else cred.channel in (None, "floor")
                if role != "captioner" or same:
                    cred.revoked = True
        if bound is not None and found is not None:
            return {f"captioner:{found.id}~{bound}": _channel_captioner(meeting, found, bound)}
        key = auth.issue(meeting, role, room_id, _label(role, meeting, room_id))  # type: ignore[arg-type]
        return {f"{role}:{room_id}" if room_id else role: key}

    _, keys = await update_meeting(backend, meeting_id, change)
    return keys


# -- caption stations ------------------------------------------------------------------------------
def stations(meeting: Meeting, room_id: str) -> list[Credential]:
    """A room's caption stations: its captioner links (each its own caption URLs, seq counters
    and name in the record), the first being the one ``meeting create`` printed."""
    return [c for c in meeting.credentials if c.role == "captioner" and c.room == room_id]


async def add_station(
    backend: MeetingStore,
    meeting_id: str,
    room_id: str,
    name: object,
    channel: str | None = None,
) -> tuple[Meeting, Credential, str]:
    """Issue a new caption station for a room (for one of its caption channels, or with None for
    any, by each POST's ``lang``): its credential and the key its links carry. A name already
    used by a station of the room that still works is refused, so that a request sent twice
    makes one station."""
    label = text_field(name, "the station's name", MAX_LABEL_CHARS, required=True)

    def change(meeting: Meeting) -> tuple[Credential, str]:
        room = meeting.room(room_id)
        if room is None:
            names = ", ".join(r.id for r in meeting.rooms)
            raise AdminError(f"no room {room_id!r} in this meeting (one of: {names})")
        bound = None if channel is None else channel_rules.pick(room.channels, channel)
        if channel is not None and bound is None:
            raise AdminError(
                f"room {room.name!r} has no {channel!r} channel; its channels: "
                + channel_rules.named(room.channels, meeting.language)
            )
        working = [c for c in stations(meeting, room_id) if not c.revoked]
        if any(c.label.casefold() == label.casefold() for c in working):
            raise AdminError(f"room {room.name!r} already has a caption station named {label!r}")
        if len(working) >= MAX_STATIONS_PER_ROOM:
            raise AdminError(
                f"a room can have at most {MAX_STATIONS_PER_ROOM} caption stations: "
                "revoke one that is no longer used"
            )
        key = auth.issue(meeting, "captioner", room_id, label=label, channel=bound)
        cred = meeting.credentials[-1]
        return cred, key

    meeting, (cred, key) = await update_meeting(backend, meeting_id, change)
    return meeting, cred, key


async def revoke_station(backend: MeetingStore, meeting_id: str, station: str) -> Credential:
    """Revoke one caption station (its caption URLs and captioner page stop working)."""

    def change(meeting: Meeting) -> Credential:
        cred = meeting.credential(station)
        if cred is None or cred.role != "captioner":
            raise AdminError(f"no caption station {station!r} in this meeting")
        cred.revoked = True
        return cred

    _, cred = await update_meeting(backend, meeting_id, change)
    return cred
