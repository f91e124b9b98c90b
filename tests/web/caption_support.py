"""What the caption endpoint tests share: a room's caption URL, a POST as captioning software
sends it, and the room's record read back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from server.backends.base import read_all
from server.domain.events import Event
from server.domain.keys import room_key
from tests.conftest import LiveServer


def caption_url(live: LiveServer, room: str = "plenary", kind: str = "caption") -> str:
    return f"{live.base}/api/{kind}/{live.meeting.id}/{room}"


async def post(
    http: httpx.AsyncClient,
    live: LiveServer,
    body: str | bytes,
    seq: int | str | None,
    *,
    key: str | None = None,
    kind: str = "caption",
    room: str = "plenary",
    content_type: str | None = "text/plain",
    **params: Any,
) -> httpx.Response:
    query: dict[str, Any] = {"key": key or live.captioner_key(room), **params}
    if seq is not None:
        query["seq"] = seq
    headers = {"content-type": content_type} if content_type else {}
    return await http.post(
        caption_url(live, room, kind), params=query, content=body, headers=headers
    )


async def last_seq(
    http: httpx.AsyncClient, live: LiveServer, *, key: str | None = None, kind: str = "caption"
) -> httpx.Response:
    return await http.get(
        caption_url(live, kind=kind) + "/seq", params={"key": key or live.captioner_key()}
    )


async def events(live: LiveServer, room: str = "plenary") -> list[Event]:
    return await read_all(live.plenary.backend, room_key(live.meeting.id, room))


async def lines(live: LiveServer, room: str = "plenary") -> list[str]:
    return [e.data["text"] for e in await events(live, room) if e.type == "line"]


async def line_events(live: LiveServer, room: str = "plenary") -> list[Event]:
    return [e for e in await events(live, room) if e.type == "line"]


async def wait_for_lines(
    live: LiveServer, count: int, room: str = "plenary", timeout: float = 15.0
) -> list[str]:
    """The room's lines once it has ``count`` of them (on a busy machine, a pause is not exact)."""
    deadline = time.monotonic() + timeout
    while True:
        got = await lines(live, room)
        if len(got) >= count:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s with lines {got}")
        await asyncio.sleep(0.05)
