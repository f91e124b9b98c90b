"""Who an HTTP request is: the meeting it names and the grant its key or passcode gives.

Credentials: ``Authorization: Bearer <key>`` for a link's key, ``X-Plenary-Passcode`` for a viewer
passcode; public meetings need neither to read. Refusals are raised as ``Problem``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from server.domain import auth
from server.domain.meetings import Meeting, Room
from server.web.context import Plenary
from server.web.guard import Throttled
from server.web.problems import Problem


@dataclass(frozen=True, slots=True)
class Access:
    px: Plenary
    meeting: Meeting
    grant: auth.Grant

    def room(self, room_id: str) -> Room:
        room = self.meeting.room(room_id)
        if room is None:
            raise Problem(404, "no_such_room", "no such room in this meeting")
        self.require_room(room.id)
        return room

    def require_room(self, room_id: str | None) -> None:
        """A captioner's link is for one room, over HTTP as on the websocket: it reads nothing
        of another room (``None``: of every room, as a whole-meeting export)."""
        if self.grant.role == "captioner" and self.grant.room not in (None, room_id):
            raise Problem(403, "forbidden", "this captioner link is for another room")


def plenary(request: Request) -> Plenary:
    px: Plenary = request.app.state.plenary
    return px


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def meeting_of(request: Request) -> Meeting:
    meeting = await plenary(request).meeting(request.path_params["meeting"])
    if meeting is None:
        raise Problem(404, "no_such_meeting", "no such meeting; check the link")
    return meeting


def address_of(request: Request) -> str:
    return request.client.host if request.client is not None else ""


async def guarded(
    request: Request, meeting: Meeting, key: str | None, passcode: str | None = None
) -> auth.Grant | None:
    """The grant of a key or passcode, checked by the process's guard (server/web/guard.py):
    429 with Retry-After for an address or meeting that has guessed wrong too often."""
    try:
        return await plenary(request).guard.authenticate(
            meeting, key, passcode, address_of(request)
        )
    except Throttled as exc:
        raise Problem(429, "throttled", exc.message, retry_after=exc.retry_after) from None


async def access(request: Request, *roles: str) -> Access:
    """The meeting of ``/…/{meeting}/…`` and the caller's grant; with ``roles``, only those."""
    px = plenary(request)
    meeting = await meeting_of(request)
    grant = await guarded(
        request, meeting, bearer_key(request), request.headers.get("x-plenary-passcode")
    )
    if grant is None:
        raise Problem(
            401, "unauthorized", "a valid key (Authorization: Bearer …) or passcode is required"
        )
    if roles and grant.role not in roles:
        raise Problem(403, "forbidden", f"only the {' or the '.join(roles)} can do this")
    return Access(px, meeting, grant)
