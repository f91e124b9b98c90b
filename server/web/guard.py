"""Checking keys and passcodes without letting guessing hurt anyone: throttled, off the loop.

Every credential from outside (a websocket hello, an HTTP request, a caption URL) is checked
here. Wrong ones are counted per client address and per meeting (limits.GUESS_*); an address
past its budget is refused before anything is checked (429 with ``Retry-After``, or close 4429),
and a meeting past its budget refuses passcodes not yet known to be right, from anyone. A
passcode's slow hash (scrypt, server/domain/auth.py) runs in a worker thread (hashlib releases
the GIL while it hashes), so parallel guessers do not stall the event loop every viewer shares.
Counts are per server process: behind a balancer of N processes a guesser gets N budgets, still
a few guesses a minute.
"""

from __future__ import annotations

import asyncio
import math

from server.domain import auth
from server.domain.meetings import Meeting
from server.limits import (
    GUESS_ADDRESS_BURST,
    GUESS_ADDRESS_PER_S,
    GUESS_MEETING_BURST,
    GUESS_MEETING_PER_S,
    GUESS_TRACKED_MAX,
)
from server.web.ratelimit import TokenBucket


class Throttled(Exception):
    """Too many wrong keys or passcodes: try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, math.ceil(retry_after))


class _Buckets:
    """One token bucket of failures per name, forgetting those that have refilled."""

    def __init__(self, burst: float, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self.buckets: dict[str, TokenBucket] = {}

    def wait_s(self, name: str) -> float:
        bucket = self.buckets.get(name)
        return 0.0 if bucket is None else bucket.wait_s()

    def failed(self, name: str) -> None:
        if name not in self.buckets and len(self.buckets) >= GUESS_TRACKED_MAX:
            self.buckets = {k: b for k, b in self.buckets.items() if not b.full()}
        self.buckets.setdefault(name, TokenBucket(self.rate, self.burst)).take()


class Guard:
    def __init__(self) -> None:
        self.addresses = _Buckets(GUESS_ADDRESS_BURST, GUESS_ADDRESS_PER_S)
        self.meetings = _Buckets(GUESS_MEETING_BURST, GUESS_MEETING_PER_S)

    async def authenticate(
        self, meeting: Meeting, key: str | None, passcode: str | None, address: str
    ) -> auth.Grant | None:
        """``auth.authenticate``, throttled; raises ``Throttled`` instead of checking."""
        tried = bool(key or passcode)
        if tried:
            wait = self.addresses.wait_s(address)
            if wait > 0:
                raise Throttled(
                    f"too many wrong keys or passcodes from your address; retry in "
                    f"{math.ceil(wait)} s",
                    wait,
                )
        slow = auth.needs_slow_check(meeting, key, passcode)
        if slow:
            wait = self.meetings.wait_s(meeting.id)
            if wait > 0:
                raise Throttled(
                    f"too many wrong passcodes for this meeting; retry in {math.ceil(wait)} s",
                    wait,
                )
            grant = await asyncio.to_thread(auth.authenticate, meeting, key, passcode)
        else:
            grant = auth.authenticate(meeting, key, passcode)
        if grant is None and tried:
            self.addresses.failed(address)
            if passcode and not key:
                self.meetings.failed(meeting.id)
        return grant
