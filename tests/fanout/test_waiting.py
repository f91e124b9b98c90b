"""The connection's queue and flow-control flag (server/fanout/waiting.py) behave as the asyncio
primitives they stand in for, in what uvicorn's protocol uses of them."""

from __future__ import annotations

import asyncio

from server.fanout.waiting import Flag, MessageQueue


async def test_the_queue_gives_items_in_order_and_a_reader_waits_for_the_next() -> None:
    queue: MessageQueue[int] = MessageQueue()
    assert queue.empty() and queue.qsize() == 0
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert queue.qsize() == 2
    assert [await queue.get(), await queue.get()] == [1, 2]
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not reader.done()
    queue.put_nowait(3)
    assert await asyncio.wait_for(reader, 5) == 3
    assert queue.empty()


async def test_a_reader_cancelled_after_being_woken_leaves_the_item_to_the_next() -> None:
    queue: MessageQueue[str] = MessageQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("only")
    first.cancel()  # woken, but cancelled before it ran
    assert await asyncio.wait_for(second, 5) == "only"
    assert first.cancelled()


async def test_a_cancelled_reader_loses_nothing() -> None:
    queue: MessageQueue[str] = MessageQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.sleep(0)
    queue.put_nowait("kept")
    assert await queue.get() == "kept"


async def test_the_flag_wakes_every_waiter_when_set_and_waits_again_once_cleared() -> None:
    flag = Flag()
    assert not flag.is_set()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 5) == [True, True, True]
    assert await flag.wait() is True  # set: returns at once
    flag.clear()
    late = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    assert not late.done()
    late.cancel()
    await asyncio.sleep(0)
    flag.set()  # a cancelled waiter is not woken twice
    assert late.cancelled()
