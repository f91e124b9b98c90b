"""A token bucket: a sustained rate with room for bursts."""

from __future__ import annotations

import time


class TokenBucket:
    __slots__ = ("_at", "_burst", "_rate", "_tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._at = time.monotonic()

    def take(self, n: float = 1.0) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < n:
            return False
        self._tokens -= n
        return True

    def wait_s(self, n: float = 1.0) -> float:
        """Seconds until ``n`` tokens are there (0 if they are now)."""
        now = time.monotonic()
        tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        return max(0.0, (n - tokens) / self._rate)

    def full(self) -> bool:
        return self.wait_s(self._burst) == 0.0
