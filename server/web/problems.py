"""One error path for HTTP: raise anywhere, answer here.

Handlers raise ``Problem`` (or let a domain refusal or an unavailable record propagate); the one
handler installed on the app (``handle``) turns it into the response. Answers are JSON
``{"error": message, "code": code}``, except on the caption endpoints, whose clients are
captioning software that shows or logs a plain-text body. Every 503 carries ``Retry-After``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from server.backends.base import BackendUnavailable, Conflict
from server.domain.errors import AdminError, CommandRejected, Invalid
from server.limits import RETRY_AFTER_S

# Paths whose clients read plain text (Zoom- and YouTube-style caption software).
PLAIN_TEXT_PATHS = ("/api/caption/", "/api/youtube/")


class Problem(Exception):
    """An HTTP answer other than success: status, a machine-readable code, a message for a
    person, and for 503 and 429 when to try again."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        retry_after: float | None = None,
        details: list[dict[str, object]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        if retry_after is None and status == 503:
            retry_after = RETRY_AFTER_S
        self.retry_after = retry_after
        self.details = details  # e.g. every bad line of an uploaded file: {"line", "error"}


def problem_of(exc: Exception) -> Problem:
    """The answer for an exception that reached the edge."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, Invalid):
        return Problem(400, exc.code, exc.message, details=exc.details)
    if isinstance(exc, CommandRejected):
        status = 403 if exc.code == "forbidden" else 404 if exc.code.startswith("no_") else 409
        return Problem(status, exc.code, exc.message, details=exc.details)
    if isinstance(exc, BackendUnavailable):
        return Problem(503, "unavailable", f"the record is unavailable right now; retry ({exc})")
    if isinstance(exc, Conflict | AdminError):
        return Problem(409, "conflict", str(exc))
    raise TypeError(f"no HTTP answer for {type(exc).__name__}")  # a bug: let it be a 500


def respond(request: Request, problem: Problem) -> Response:
    headers = {}
    if problem.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(problem.retry_after)))
    if request.url.path.startswith(PLAIN_TEXT_PATHS):
        return PlainTextResponse(problem.message + "\n", problem.status, headers=headers)
    body: dict[str, object] = {"error": problem.message, "code": problem.code}
    if problem.details is not None:
        body["details"] = problem.details
    return JSONResponse(body, problem.status, headers=headers)


async def handle(request: Request, exc: Exception) -> Response:
    """The app's exception handler for ``Problem``, the domain's refusals and an unavailable
    record."""
    return respond(request, problem_of(exc))


HANDLED: tuple[type[Exception], ...] = (
    Problem,
    Invalid,
    CommandRejected,
    BackendUnavailable,
    Conflict,
    AdminError,
)
