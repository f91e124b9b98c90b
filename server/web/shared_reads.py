"""One backend read of a meeting for every connection that asks for it in the same moment.

When a crowd (re)connects at once, each websocket's hello needs the meeting document to check its
link: thousands of identical reads of the same row. A connection that asks while a read is
*scheduled but not yet started* joins it; a read already under way is never joined. So every
caller gets a document read after it asked, exactly as fresh as a read of its own (a link revoked
before the caller arrived is revoked in what it gets), and a crowd costs one read per turn of the
event loop instead of one per connection.

The document is shared by everyone who joined: only for callers that do not change it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedReads(Generic[T]):
    def __init__(self, read: Callable[[str], Awaitable[T]]) -> None:
        self._read = read
        self._scheduled: dict[str, asyncio.Future[T]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def get(self, key: str) -> T:
        future = self._scheduled.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            self._scheduled[key] = future
            # Started at the next turn, so that the callers of this turn can still join it.
            loop.call_soon(self._start, key, future)
        # Shielded: one caller going away (its connection closed) does not cancel the others'.
        return await asyncio.shield(future)

    def _start(self, key: str, future: asyncio.Future[T]) -> None:
        # From here on new callers schedule a new read: this one may already miss their writes.
        del self._scheduled[key]
        task = asyncio.get_running_loop().create_task(self._run(future, key))
        self._running.add(task)  # the loop holds tasks weakly
        task.add_done_callback(self._running.discard)

    async def _run(self, future: asyncio.Future[T], key: str) -> None:
        try:
            result = await self._read(key)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:  # every caller that joined sees the read's failure
            future.set_exception(exc)
        else:
            future.set_result(result)
