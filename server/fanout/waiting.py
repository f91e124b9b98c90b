"""What a websocket connection waits on, held for hours by every viewer, in a few bytes each.

uvicorn's websocket protocol gives each connection an ``asyncio.Queue`` for what the client
sends and an ``asyncio.Event`` for "the socket can take more". Each of those holds
``collections.deque`` objects (three in the queue, one in its own event, one in the other event),
and an empty deque is 760 bytes: 3.8 KB per connection of a viewer that sends nothing but its
hello (docs/performance.md, idle memory). These two classes do what the protocol needs of them,
with a list and at most one future per waiting task, created only while a task waits.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class MessageQueue(Generic[T]):
    """An unbounded FIFO with ``put_nowait``, ``await get()``, ``empty()`` and ``qsize()``: what
    uvicorn's protocol uses of ``asyncio.Queue``. One task reads it (the ASGI application's
    ``receive``); if several wait, each is woken in turn, as with asyncio.Queue."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._waiters: list[asyncio.Future[None]] | None = None

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        waiters = self._waiters
        if waiters:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
                    break

    async def get(self) -> T:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                # Cancelled after being woken: the item it was woken for is another reader's.
                if waiter.done() and not waiter.cancelled() and self._items:
                    self._wake_next()
                raise
            finally:
                self._waiters.remove(waiter)
                if not self._waiters:
                    self._waiters = None
        # A connection's queue holds a few messages at most: popping the first is cheap.
        return self._items.pop(0)

    def _wake_next(self) -> None:
        for waiter in self._waiters or ():
            if not waiter.done():
                waiter.set_result(None)
                return

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class Flag:
    """``set``, ``clear``, ``is_set`` and ``await wait()``: what uvicorn's protocol uses of
    ``asyncio.Event`` for flow control."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[bool]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(True)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
