"""The exception a room command raises when the room's current state does not allow it.

It lives in its own module so that the projections (server/state.py and the modules it builds on:
the speakers' list, the agenda) and the rules that raise it can import it without a cycle.
"""

from __future__ import annotations


class CommandRejected(Exception):
    """A command that the room's current state does not allow. The message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
