"""Hellos that arrive together share one read of their meeting, and none gets a stale one."""

from __future__ import annotations

import asyncio

import pytest

from server.web.shared_reads import SharedReads


class Store:
    """A value that changes, read slowly (as a backend read through a thread pool would be)."""

    def __init__(self) -> None:
        self.value = "v1"
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail: Exception | None = None

    async def read(self, key: str) -> str:
        self.reads += 1
        seen = f"{key}:{self.value}"  # what the read sees is the value when it starts
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return seen


async def test_callers_of_the_same_moment_share_one_read() -> None:
    store = Store()
    reads = SharedReads(store.read)
    got = await asyncio.gather(*(reads.get("m") for _ in range(500)))
    assert got == ["m:v1"] * 500
    assert store.reads == 1
    assert await reads.get("m") == "m:v1" and store.reads == 2  # later: a read of its own


async def test_different_keys_are_read_separately() -> None:
    store = Store()
    reads = SharedReads(store.read)
    assert await asyncio.gather(reads.get("a"), reads.get("b"), reads.get("a")) == [
        "a:v1",
        "b:v1",
        "a:v1",
    ]
    assert store.reads == 2


async def test_a_read_under_way_is_never_joined_so_a_change_before_asking_is_seen() -> None:
    store = Store()
    reads = SharedReads(store.read)
    store.gate.clear()
    first = asyncio.ensure_future(reads.get("m"))
    while store.reads == 0:  # the first read has started and sees v1
        await asyncio.sleep(0)
    store.value = "v2"  # e.g. a link revoked: every caller from now on must see it
    second = asyncio.ensure_future(reads.get("m"))
    while store.reads < 2:
        await asyncio.sleep(0)
    store.gate.set()
    assert await first == "m:v1"
    assert await second == "m:v2"


async def test_a_failed_read_fails_every_caller_that_joined_it_and_the_next_reads_again() -> None:
    store = Store()
    reads = SharedReads(store.read)
    store.fail = RuntimeError("backend down")
    results = await asyncio.gather(*(reads.get("m") for _ in range(3)), return_exceptions=True)
    assert [str(r) for r in results] == ["backend down"] * 3 and store.reads == 1
    store.fail = None
    assert await reads.get("m") == "m:v1" and store.reads == 2


async def test_a_caller_that_goes_away_does_not_cancel_the_others() -> None:
    store = Store()
    reads = SharedReads(store.read)
    store.gate.clear()
    leaving = asyncio.ensure_future(reads.get("m"))
    staying = asyncio.ensure_future(reads.get("m"))
    while store.reads == 0:
        await asyncio.sleep(0)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    store.gate.set()
    assert await staying == "m:v1" and store.reads == 1
