"""Meetings, rooms and the credentials that links carry. Plain data, no I/O."""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field
from datetime import UTC, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

# chair: runs every room and the meeting. convener: runs one group's room (its list, its share
# of the rolling document, its report), nothing else. secretariat: manages participants,
# documents and the record and reads everything, without running the floor.
Role = Literal["chair", "captioner", "viewer", "participant", "convener", "secretariat"]
RoomStatus = Literal["open", "closed"]

ROLES: tuple[Role, ...] = (
    "chair",
    "captioner",
    "viewer",
    "participant",
    "convener",
    "secretariat",
)

_ID_ALPHABET = string.ascii_lowercase + string.digits

# A meeting's stakeholder groups unless it defines its own (the multi-stakeholder groups of
# WSIS-family meetings, as in the seed meeting).
DEFAULT_GROUPS: tuple[str, ...] = (
    "Governments",
    "Private sector",
    "Civil society",
    "Technical and academic community",
    "Intergovernmental organisations",
)

Presence = Literal["remote", "in_room"]

# Path segments that name pages or API resources next to room ids (/m/{meeting}/chair,
# /api/m/{meeting}/agenda …): a room may not take one of them as its id.
RESERVED_ROOM_IDS = frozenset(
    {"chair", "record", "participants", "agenda", "rooms", "me", "documents", "files", "links"}
)


def time_zone(name: str) -> tzinfo:
    """A meeting's time zone by its IANA name; UTC for a name this machine does not know."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return UTC


def new_id(length: int = 10) -> str:
    """An identifier that is hard to guess; meeting ids appear in public links."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


# A room id is at most this long (it appears in every link of the room).
MAX_ROOM_ID_CHARS = 40


def slug(name: str, limit: int = MAX_ROOM_ID_CHARS) -> str:
    """A room's id from its name: lower case, words joined by hyphens, at most ``limit``
    characters and cut at a word boundary, never mid-word (only a first word longer than the
    limit on its own is cut)."""
    words = "".join(ch if ch.isalnum() else " " for ch in name.lower()).split()
    out = ""
    for word in words:
        joined = f"{out}-{word}" if out else word
        if len(joined) > limit:
            break
        out = joined
    if not out and words:
        out = words[0][:limit]
    return out or "room"


@dataclass(slots=True)
class Room:
    id: str
    name: str
    kind: str = "plenary"  # plenary, breakout, adhoc
    status: RoomStatus = "open"
    convener: str = ""
    topic: str = ""
    # How the record names who leads it: "convened by" a break-out group's convener, "chaired
    # by" an ad-hoc group's chair (the seed meeting's usage); see server/services/groups.py.
    led_as: str = "convener"
    # Its interpretation channels, BCP 47 tags in their standard form (server/domain/channels.py);
    # the floor channel is always there and is not listed.
    channels: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Credential:
    """A secret that a link carries. Only the hash of the secret is stored."""

    id: str
    role: Role
    secret_hash: str
    room: str | None = None  # captioners and conveners are per room; None: every room
    label: str = ""
    revoked: bool = False
    participant: str | None = None  # for role "participant": whose personal link this is
    # For captioners: the one caption channel of the room it writes in ("floor" or a tag); None:
    # any channel of its room, a caption POST going to the channel its ``lang`` names.
    channel: str | None = None


@dataclass(slots=True)
class Participant:
    """Someone who may ask for the floor: registered by the operator or the chair."""

    id: str
    name: str
    delegation: str = ""  # delegation or organisation
    group: str = ""  # one of the meeting's stakeholder groups, or "" if not given
    presence: Presence = "remote"


@dataclass(slots=True)
class Meeting:
    id: str
    title: str
    rooms: list[Room] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    groups: list[str] = field(default_factory=lambda: list(DEFAULT_GROUPS))
    viewer_passcode_hash: str | None = None  # None: the viewer link is public
    timezone: str = "UTC"
    starts: str = ""
    ends: str = ""
    venue: str = ""  # where it meets, as the summary should say it: "the Palais des Nations …"
    chaired_by: str = ""  # who chairs it, as the summary should name them: "Mr. … (Hungary)"
    # The meeting's language: its floor channels' usual language and the draft summary's.
    language: str = "en"
    created_ms: int = 0
    version: int = 0  # optimistic concurrency: saved only over the version it was loaded at

    def room(self, room_id: str) -> Room | None:
        return next((r for r in self.rooms if r.id == room_id), None)

    def credential(self, cred_id: str) -> Credential | None:
        return next((c for c in self.credentials if c.id == cred_id), None)

    def participant(self, participant_id: str) -> Participant | None:
        return next((p for p in self.participants if p.id == participant_id), None)

    def add_room(
        self,
        name: str,
        kind: str = "plenary",
        convener: str = "",
        topic: str = "",
        led_as: str = "convener",
    ) -> Room:
        room_id, n = slug(name), 2
        while self.room(room_id) is not None or room_id in RESERVED_ROOM_IDS:
            # The number is added after whole words too, within the same length.
            suffix = f"-{n}"
            room_id, n = slug(name, MAX_ROOM_ID_CHARS - len(suffix)) + suffix, n + 1
        room = Room(room_id, name, kind, "open", convener, topic, led_as)
        self.rooms.append(room)
        return room

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Meeting:
        d = dict(d)
        d["rooms"] = [Room(**r) for r in d.get("rooms", [])]
        d["credentials"] = [Credential(**c) for c in d.get("credentials", [])]
        d["participants"] = [Participant(**p) for p in d.get("participants", [])]
        return cls(**d)
