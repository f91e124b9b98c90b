"""What the backend tests share: a room key, drafts of lines, a collector of delivered messages."""

from __future__ import annotations

import asyncio

from server.domain.events import Draft

ROOM = "{m1/plenary}"


def lines(*texts: str) -> list[Draft]:
    return [
        Draft("line", "plenary", {"text": t}, ts=1_700_000_000_000 + i) for i, t in enumerate(texts)
    ]


class Collector:
    def __init__(self) -> None:
        self.got: list[tuple[int | None, bytes]] = []
        self.changed = asyncio.Event()

    def __call__(self, seq: int | None, frame: bytes) -> None:
        self.got.append((seq, frame))
        self.changed.set()

    def seqs(self) -> list[int]:
        return [s for s, _ in self.got if s is not None]

    async def until(self, predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
        async def wait() -> None:
            while not predicate(self):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), timeout)
