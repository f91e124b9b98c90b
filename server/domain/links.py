"""The links people are handed. Keys travel in the URL fragment (after #), which browsers never
send to the server, so they stay out of access logs and proxies. Caption-ingest URLs are for
software that cannot read a fragment, so they carry the key in the query, as Zoom's do."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from server.domain.meetings import Credential, Meeting


@dataclass(slots=True)
class RoomLinks:
    room: str
    name: str
    viewer: str
    captioner: str = ""
    caption_api: str = ""  # Zoom-compatible caption URL
    youtube_api: str = ""  # YouTube-compatible caption URL
    screen: str = ""  # the projection page for the room's screen
    convener: str = ""  # a group's convener console
    channels: list[ChannelLinks] = field(default_factory=list)  # its interpretation channels


@dataclass(slots=True)
class ChannelLinks:
    """An interpretation channel's links: its viewer page and its first caption station's."""

    channel: str  # the language tag
    viewer: str
    captioner: str = ""
    caption_api: str = ""
    youtube_api: str = ""


@dataclass(slots=True)
class MeetingLinks:
    meeting: str
    title: str
    chair: str = ""
    secretariat: str = ""
    viewer_passcode: bool = False
    rooms: list[RoomLinks] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "meeting": self.meeting,
            "title": self.title,
            "chair": self.chair,
            "viewer_passcode": self.viewer_passcode,
            "rooms": [asdict(r) for r in self.rooms],
        }
        if self.secretariat:
            out["secretariat"] = self.secretariat
        return out

    def as_text(self) -> str:
        out = [f"Meeting: {self.title}  (id {self.meeting})"]
        if self.chair:
            out.append(f"  chair console      {self.chair}")
        if self.secretariat:
            out.append(f"  secretariat        {self.secretariat}")
        for r in self.rooms:
            out.append(f"  room {r.name!r}")
            out.append(
                f"    viewers          {r.viewer}"
                + ("   (passcode required)" if self.viewer_passcode else "")
            )
            if r.captioner:
                out.append(f"    captioner        {r.captioner}")
            if r.caption_api:
                out.append(f"    caption API      {r.caption_api}")
            if r.youtube_api:
                out.append(f"    YouTube format   {r.youtube_api}")
            if r.convener:
                out.append(f"    convener         {r.convener}")
            if r.screen:
                out.append(f"    screen           {r.screen}")
            for c in r.channels:
                out.append(f"    channel {c.channel}")
                out.append(f"      viewers        {c.viewer}")
                if c.captioner:
                    out.append(f"      captioner      {c.captioner}")
                    out.append(f"      caption API    {c.caption_api}")
                    out.append(f"      YouTube format {c.youtube_api}")
        return "\n".join(out)


def viewer_url(base: str, meeting_id: str, room_id: str, channel: str | None = None) -> str:
    query = f"?channel={channel}" if channel else ""
    return f"{base}/m/{meeting_id}/{room_id}{query}"


def captioner_url(
    base: str, meeting_id: str, room_id: str, key: str, channel: str | None = None
) -> str:
    # A channel's captioner key writes in that channel whatever the page says; the query is for
    # the page to show which channel it is.
    query = f"?channel={channel}" if channel else ""
    return f"{base}/m/{meeting_id}/{room_id}/caption{query}#key={key}"


def chair_url(base: str, meeting_id: str, key: str) -> str:
    return f"{base}/m/{meeting_id}/chair#key={key}"


def console_url(base: str, meeting_id: str, key: str, room: str | None = None) -> str:
    """The console for a secretariat link (every room, no floor) or a convener's (one room)."""
    query = f"?room={room}" if room else ""
    return f"{base}/m/{meeting_id}/chair{query}#key={key}"


def screen_url(base: str, meeting_id: str, room_id: str) -> str:
    """The projection page for the room's screen: what is under discussion, who has the floor."""
    return f"{base}/m/{meeting_id}/{room_id}/screen"


def caption_api_url(base: str, meeting_id: str, room_id: str, key: str) -> str:
    return f"{base}/api/caption/{meeting_id}/{room_id}?key={key}"


def personal_url(base: str, meeting_id: str, room_id: str, key: str) -> str:
    """A participant's own link: ask for the floor, see your place."""
    return f"{base}/m/{meeting_id}/{room_id}/me#key={key}"


def youtube_api_url(base: str, meeting_id: str, room_id: str, key: str) -> str:
    return f"{base}/api/youtube/{meeting_id}/{room_id}?key={key}"


@dataclass(slots=True)
class StationLinks:
    """A caption station: one captioner's or CAT station's own links. The key is only known when
    the station is issued; a listing shows the rest."""

    station: str  # the credential's id
    room: str
    name: str  # the captioner's name in the record
    revoked: bool = False
    channel: str | None = None  # its one caption channel; None: any, by each POST's lang
    captioner: str = ""
    caption_api: str = ""
    youtube_api: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_text(self) -> str:
        where = f" ({self.channel} channel)" if self.channel else ""
        out = [f"Caption station {self.name!r} (id {self.station}) of room {self.room!r}{where}"]
        if self.revoked:
            out.append("  revoked")
        if self.captioner:
            out.append(f"  captioner page   {self.captioner}")
            out.append(f"  caption API      {self.caption_api}")
            out.append(f"  YouTube format   {self.youtube_api}")
        return "\n".join(out)


def station(base: str, meeting: Meeting, cred: Credential, key: str | None = None) -> StationLinks:
    room = cred.room or ""
    out = StationLinks(cred.id, room, cred.label, cred.revoked, cred.channel)
    if key is not None:
        out.captioner = captioner_url(base, meeting.id, room, key, cred.channel)
        out.caption_api = caption_api_url(base, meeting.id, room, key)
        out.youtube_api = youtube_api_url(base, meeting.id, room, key)
    return out


def build(base: str, meeting: Meeting, keys: dict[str, str]) -> MeetingLinks:
    """Links for the keys just issued: ``keys`` maps 'chair', 'secretariat', 'captioner:<room>',
    'captioner:<room>~<channel>' and 'convener:<room>' to keys."""
    links = MeetingLinks(
        meeting.id, meeting.title, viewer_passcode=bool(meeting.viewer_passcode_hash)
    )
    if "chair" in keys:
        links.chair = chair_url(base, meeting.id, keys["chair"])
    if "secretariat" in keys:
        links.secretariat = console_url(base, meeting.id, keys["secretariat"])
    for room in meeting.rooms:
        rl = RoomLinks(room.id, room.name, viewer_url(base, meeting.id, room.id))
        rl.screen = screen_url(base, meeting.id, room.id)
        if f"convener:{room.id}" in keys:
            rl.convener = console_url(base, meeting.id, keys[f"convener:{room.id}"], room.id)
        key = keys.get(f"captioner:{room.id}")
        if key:
            rl.captioner = captioner_url(base, meeting.id, room.id, key)
            rl.caption_api = caption_api_url(base, meeting.id, room.id, key)
            rl.youtube_api = youtube_api_url(base, meeting.id, room.id, key)
        for tag in room.channels:
            cl = ChannelLinks(tag, viewer_url(base, meeting.id, room.id, tag))
            key = keys.get(f"captioner:{room.id}~{tag}")
            if key:
                cl.captioner = captioner_url(base, meeting.id, room.id, key, tag)
                cl.caption_api = caption_api_url(base, meeting.id, room.id, key)
                cl.youtube_api = youtube_api_url(base, meeting.id, room.id, key)
            rl.channels.append(cl)
        links.rooms.append(rl)
    return links
