"""The refusals the domain raises, in one module so that every layer can import them.

Each carries a machine-readable ``code`` and a message that tells a person what to do. The edges
turn them into answers: a websocket ``error`` frame, or an HTTP status through the one handler in
server/web/problems.py (``Invalid`` is 400, ``CommandRejected`` 409, or 403/404 by its code).
"""

from __future__ import annotations


class Refusal(Exception):
    """Something plenary will not do; the message says why and, where it can, how to fix it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # What a person needs to fix more than one thing at once (each bad line of a file);
        # the edges pass it on as it is.
        self.details: list[dict[str, object]] | None = None


class Invalid(Refusal):
    """Input that is not valid whatever the state: a missing field, a wrong type, too long."""


class CommandRejected(Refusal):
    """A command that the room's current state does not allow."""


class ParticipantError(Invalid):
    """Participant details that cannot be registered; the message says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_participant", message)


class AdminError(Exception):
    """An operator request that cannot be done (no such meeting, a busy meeting document)."""
