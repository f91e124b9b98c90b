"""Who an HTTP request is: the meeting it names and the grant its key or passcode gives.

Credentials: ``Authorization: Bearer <key>`` for a link's key, ``X-Plenary-Passcode`` for a viewer
passcode; public meetings need neither to read. Errors are JSON ``{"error": "…"}``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from server import auth
from server.context import Plenary
from server.meetings import Meeting


def problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def grant_for(request: Request) -> tuple[Plenary, Meeting, auth.Grant] | JSONResponse:
    """The meeting of ``/…/{meeting}/…`` and the caller's grant, or the error to answer."""
    px: Plenary = request.app.state.plenary
    meeting = await px.meeting(request.path_params["meeting"])
    if meeting is None:
        return problem(404, "no such meeting; check the link")
    grant = auth.authenticate(
        meeting, bearer_key(request), request.headers.get("x-plenary-passcode")
    )
    if grant is None:
        return problem(401, "a valid key (Authorization: Bearer …) or passcode is required")
    return px, meeting, grant
