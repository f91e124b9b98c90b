"""Who may follow a room: the checks every transport makes before a client is let in.

The websocket (server/web/ws.py) and the plain-HTTP fallback (server/web/sse.py) admit a client
the same way: its Origin, then the meeting and room it names, then the grant its key or passcode
gives (throttled, server/web/guard.py), then the caption channel it follows and where it stands
in that channel's record (its epoch). A refusal is a ``Refused`` with the websocket close code
that says what the client should do; the HTTP fallback answers with the matching status and the
same code in its body.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain import auth, channels
from server.domain.keys import room_key
from server.fanout.outbox import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_HELLO_TIMEOUT,
    CLOSE_NOT_FOUND,
    CLOSE_RATE_LIMITED,
    CLOSE_RESUME,
    CLOSE_UNAUTHORIZED,
    CLOSE_UNAVAILABLE,
)
from server.services.room import RoomRuntime
from server.web.context import Plenary
from server.web.guard import Throttled
from server.web.protocol import Hello

# The HTTP status that stands for each close code on the HTTP fallback.
HTTP_STATUS = {
    CLOSE_BAD_REQUEST: 400,
    CLOSE_UNAUTHORIZED: 401,
    CLOSE_FORBIDDEN: 403,
    CLOSE_NOT_FOUND: 404,
    CLOSE_HELLO_TIMEOUT: 408,
    CLOSE_RESUME: 409,
    CLOSE_RATE_LIMITED: 429,
    CLOSE_UNAVAILABLE: 503,
}


class Refused(Exception):
    """Close the connection (or answer the request) with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Admitted:
    # The runtime of the caption channel the client follows (``runtime.floor`` is the room's).
    runtime: RoomRuntime
    grant: auth.Grant
    # What the welcome says about the meeting, encoded (a JSON object): the same bytes for
    # every session of one version of the meeting. A session keeps only this, not the meeting
    # document: a viewer may stay connected for hours, and commands read the document afresh.
    welcome: bytes
    # The channel's epoch, and whether the client's position is of another one (Hub.position):
    # it then discards what it holds and takes the record from the start.
    epoch: str = ""
    reset: bool = False


def check_origin(px: Plenary, origin: str | None) -> None:
    """Browsers send an Origin; it must be the server's own or a configured one. Clients that are
    not browsers send none and are not affected."""
    if origin is not None and origin.rstrip("/").lower() not in px.settings.origins():
        raise Refused(
            CLOSE_FORBIDDEN,
            f"origin {origin[:80]} is not allowed "
            "(set PLENARY_PUBLIC_URL or PLENARY_ALLOWED_ORIGINS)",
        )


async def admit(
    px: Plenary,
    meeting_id: str,
    room_id: str,
    hello: Hello,
    address: str,
    *,
    resuming: bool = True,
) -> Admitted:
    """The channel and the grant of a client that said ``hello``, or ``Refused``. ``resuming``
    is False for a single command (an HTTP POST), which holds no position in the record."""
    meeting = await px.meeting_for_hello(meeting_id)  # shared: only read here
    if meeting is None:
        raise Refused(CLOSE_NOT_FOUND, "no such meeting; check the link")
    room = meeting.room(room_id)
    if room is None:
        raise Refused(CLOSE_NOT_FOUND, "no such room in this meeting; check the link")
    try:
        # Throttled as on the websocket: wrong keys and passcodes from one address slow down.
        found = await px.guard.authenticate(meeting, hello.key, hello.passcode, address)
    except Throttled as exc:
        raise Refused(CLOSE_RATE_LIMITED, exc.message) from None
    grant = _granted(found, hello)
    if grant.role == "captioner" and grant.room != room_id:
        raise Refused(CLOSE_FORBIDDEN, "this captioner link is for another room")
    channel = channels.pick(room.channels, hello.channel or grant.channel or channels.FLOOR)
    if channel is None:
        raise Refused(
            CLOSE_NOT_FOUND,
            f"no caption channel {hello.channel!r} in this room; its channels: "
            + channels.named(room.channels, meeting.language),
        )
    epoch, reset = "", False
    if resuming:
        # Before the channel's projection is used: a sign that its record went back restarts it.
        epoch, reset = await px.hub.position(
            room_key(meeting_id, room_id, channel), hello.after, hello.epoch
        )
    # A captioner link of one channel may follow the others (its page follows the floor for
    # who has it); it captions in its own only (``Grant.may_caption``).
    runtime = await px.rooms.get(meeting_id, room_id, channel)
    return Admitted(runtime, grant, px.welcomes.encoded(meeting), epoch, reset)


def _granted(grant: auth.Grant | None, hello: Hello) -> auth.Grant:
    if grant is None:
        raise Refused(
            CLOSE_UNAUTHORIZED,
            "passcode required"
            if hello.key is None and hello.passcode is None
            else "this link or passcode is not valid (it may have been revoked)",
        )
    return grant
