"""A client of the plain-HTTP fallback written with nothing but an HTTP library, as a third party
would (docs/protocol.md, "Plain HTTP"): a Server-Sent Events stream to follow a room, POSTs to
send it messages."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


def headers_for(
    key: str | None = None,
    passcode: str | None = None,
    origin: str | None = None,
    last_event_id: int | None = None,
    conn: str | None = None,
) -> dict[str, str]:
    headers: dict[str, str] = {}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if passcode is not None:
        headers["X-Plenary-Passcode"] = passcode
    if origin is not None:
        headers["Origin"] = origin
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    if conn is not None:
        headers["X-Plenary-Conn"] = conn
    return headers


class Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


@dataclass
class SseClient:
    """One stream of a room; keeps every frame and the last event id it saw."""

    http: httpx.AsyncClient
    response: httpx.Response
    url: str
    query: dict[str, str]
    key: str | None
    welcome: dict[str, Any] = field(default_factory=dict)
    frames: list[dict[str, Any]] = field(default_factory=list)
    last_id: int | None = None
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _lines: Any = None
    n: int = 0

    @classmethod
    async def connect(
        cls,
        base: str,
        meeting: str,
        room: str,
        *,
        after: int | None = None,
        last_event_id: int | None = None,
        key: str | None = None,
        passcode: str | None = None,
        origin: str | None = None,
        **query: str,
    ) -> SseClient:
        http = httpx.AsyncClient(timeout=httpx.Timeout(30, read=None))
        url = f"{base}/sse/{meeting}/{room}"
        params = dict(query)
        if after is not None:
            params["after"] = str(after)
        headers = headers_for(key, passcode, origin, last_event_id)
        request = http.build_request("GET", url, params=params, headers=headers)
        response = await http.send(request, stream=True)
        if response.status_code != 200:
            body = json.loads(await response.aread())
            await response.aclose()
            await http.aclose()
            raise Refused(response.status_code, body)
        assert response.headers["content-type"].startswith("text/event-stream")
        client = cls(http, response, url, dict(query), key)
        client._lines = response.aiter_lines()
        welcome = await client.recv()
        assert welcome["type"] == "welcome", welcome
        client.welcome = welcome
        return client

    async def _read_event(self) -> None:
        """Read one event: its data lines are frames, like a websocket message's lines."""
        frames: list[dict[str, Any]] = []
        while True:
            line = await self._lines.__anext__()
            if line == "":
                if frames:
                    self._pending.extend(frames)
                    return
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                self.last_id = int(value)
            elif name == "data":
                frames.append(json.loads(value))

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        if not self._pending:
            await asyncio.wait_for(self._read_event(), timeout)
        frame = self._pending.pop(0)
        self.frames.append(frame)
        return frame

    async def recv_type(self, *types: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if frame["type"] in types:
                return frame

    async def events_until(self, seq: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while not got or got[-1]["seq"] < seq:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if is_recorded(frame):
                got.append(frame)
        return got

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if is_recorded(f)]

    async def post(self, base: str | None = None, **message: Any) -> tuple[int, Any]:
        """Send one message as a POST (to ``base``'s server when given: another process)."""
        url = self.url if base is None else base + self.url[self.url.index("/sse/") :]
        return await post(
            self.http, url, message, key=self.key, conn=self.welcome["conn"], **self.query
        )

    async def command(self, op: str, base: str | None = None, **args: Any) -> tuple[int, Any]:
        self.n += 1
        return await self.post(base, type="cmd", n=self.n, op=op, args=args)

    async def close(self) -> None:
        await self.response.aclose()
        await self.http.aclose()


async def post(
    http: httpx.AsyncClient,
    url: str,
    message: Any,
    *,
    key: str | None = None,
    passcode: str | None = None,
    origin: str | None = None,
    conn: str | None = None,
    **query: str,
) -> tuple[int, Any]:
    """POST one message; the status and the answer (None for 204)."""
    body = message if isinstance(message, str | bytes) else json.dumps(message)
    r = await http.post(
        url, content=body, params=query, headers=headers_for(key, passcode, origin, conn=conn)
    )
    return r.status_code, (r.json() if r.content else None)


def is_recorded(frame: dict[str, Any]) -> bool:
    return "seq" in frame and "room" in frame and frame["type"] not in ("hb", "ack")
