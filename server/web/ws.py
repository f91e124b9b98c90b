"""The websocket endpoint: hello, resume, then live events out and client messages in.

A connection's own task receives, parses and executes what the client sends; live frames reach the
client through its outbox (server/fanout/outbox.py), which needs no task while the client keeps up.
When the outbox overflows or is closed it interrupts the session, and the connection is closed with
a code that tells the client what to do. Who is let in (server/web/admission.py), the welcome and
backlog and what a client message does (server/web/session.py) are shared with the plain-HTTP
fallback (server/web/sse.py); this module is what is the websocket's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.backends.base import BackendUnavailable
from server.fanout.outbox import (
    CLOSE_BAD_REQUEST,
    CLOSE_HELLO_TIMEOUT,
    CLOSE_RATE_LIMITED,
    CLOSE_RESUME,
    CLOSE_UNAVAILABLE,
    Outbox,
)
from server.fanout.wire import EXTENSION
from server.limits import (
    CLIENT_BURST,
    CLIENT_RATE_PER_S,
    CLOSE_TIMEOUT_S,
    HELLO_TIMEOUT_S,
    MAX_CONNECTIONS_PER_ADDRESS,
)
from server.metrics import METRICS
from server.web.admission import Admitted, Refused, admit, check_origin
from server.web.context import Plenary
from server.web.protocol import BadMessage, Hello, parse_client_message
from server.web.ratelimit import TokenBucket
from server.web.session import Commands, error_frame, follow

log = logging.getLogger("plenary.ws")


async def websocket_endpoint(ws: WebSocket) -> None:
    px: Plenary = ws.app.state.plenary
    address = ws.client.host if ws.client is not None else ""
    await ws.accept()
    px.connections[address] = px.connections.get(address, 0) + 1
    try:
        if px.connections[address] > MAX_CONNECTIONS_PER_ADDRESS:
            raise Refused(
                CLOSE_RATE_LIMITED,
                f"more than {MAX_CONNECTIONS_PER_ADDRESS} connections from one address",
            )
        check_origin(px, _origin_of(ws))
        hello = await _receive_hello(ws)
        admitted = await admit(
            px, ws.path_params["meeting"], ws.path_params["room"], hello, address
        )
        session = _Session(ws, px, admitted, hello)
        grant = admitted.grant
        # Presence is the room's, whichever channel a participant follows.
        with px.presence.connected(
            admitted.runtime.floor.key, admitted.runtime.room_id, grant.participant, grant.role
        ):
            await session.run()
    except Refused as exc:
        await _close(ws, exc.code, exc.reason)
    except BackendUnavailable as exc:
        await _close(
            ws, CLOSE_UNAVAILABLE, f"the record is unavailable, retry shortly: {exc}"[:120]
        )
    except WebSocketDisconnect:
        pass
    finally:
        left = px.connections.get(address, 1) - 1
        if left > 0:
            px.connections[address] = left
        else:
            px.connections.pop(address, None)


def _origin_of(ws: WebSocket) -> str | None:
    """The handshake's Origin header. Nothing reads the handshake's headers after this, so they
    are released: a viewer holds its connection for hours, and they are about 1 KB of the 20 KB an
    idle viewer costs (docs/performance.md)."""
    headers = ws.scope["headers"]
    ws.scope["headers"] = []
    for name, value in headers:
        if name == b"origin":
            return bytes(value).decode("latin-1")
    return None


async def _receive_hello(ws: WebSocket) -> Hello:
    try:
        # asyncio.timeout, not wait_for: no task of its own for each connection's first message.
        async with asyncio.timeout(HELLO_TIMEOUT_S):
            raw = await ws.receive_text()
    except TimeoutError:
        raise Refused(CLOSE_HELLO_TIMEOUT, "send a hello message first") from None
    except KeyError:
        raise Refused(CLOSE_BAD_REQUEST, "send text frames, not binary") from None
    try:
        msg = parse_client_message(raw)
    except BadMessage as exc:
        raise Refused(CLOSE_BAD_REQUEST, exc.message[:120]) from None
    if not isinstance(msg, Hello):
        raise Refused(CLOSE_BAD_REQUEST, "the first message must be a hello")
    return msg


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    if ws.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            # A close frame's reason is limited to 123 bytes.
            await asyncio.wait_for(
                ws.close(code, reason.encode()[:120].decode(errors="ignore")), CLOSE_TIMEOUT_S
            )


_INTERRUPTED = "plenary: the outbox ended the session"


def _interrupted_by(outbox: Outbox) -> bool:
    """True when the outbox, not the server shutting down, cancelled the session."""
    return outbox.overflowed or outbox.closed_reason is not None


class _Session:
    def __init__(self, ws: WebSocket, px: Plenary, admitted: Admitted, hello: Hello) -> None:
        self.ws = ws
        self.px = px
        self.admitted = admitted
        self.runtime = admitted.runtime
        self.hello = hello
        self.conn_id = secrets.token_hex(6)
        self.name = hello.name or admitted.grant.label or admitted.grant.role
        self.bucket = TokenBucket(CLIENT_RATE_PER_S, CLIENT_BURST)
        self.commands = Commands(
            px, admitted.runtime, admitted.grant, hello, self.conn_id, self.name
        )

    async def send(self, text: str) -> None:
        await self.ws.send_text(text)

    async def send_frame(self, frame: bytes) -> None:
        await self.ws.send_text(frame.decode())

    async def run(self) -> None:
        # With uvicorn running server.wire's protocol, frames for a viewer that keeps up are
        # written straight to its socket; otherwise they go through ASGI (and, once live, a
        # sender task sends them).
        writer = self.ws.scope.get("extensions", {}).get(EXTENSION)
        async with follow(
            self.px,
            self.admitted,
            self.hello,
            self.conn_id,
            self.name,
            self.send_frame,
            None,
            writer,
        ) as sub:
            outbox = sub.outbox
            session_task = asyncio.current_task()
            assert session_task is not None
            outbox.start(self.send, writer, lambda: session_task.cancel(_INTERRUPTED))
            try:
                await self._receive()
            except asyncio.CancelledError:
                if not _interrupted_by(outbox):
                    raise
                session_task.uncancel()
            finally:
                await outbox.stop()
                if self.commands.can_caption:
                    self.runtime.drop_live(self.conn_id)
            if outbox.overflowed:
                METRICS.slow_clients_dropped.inc()
                if writer is not None:
                    return  # the writer already queued the resume code and will cut the socket
                raise Refused(CLOSE_RESUME, "too far behind: reconnect and resume")
            if outbox.closed_reason is not None:
                raise Refused(CLOSE_RESUME, f"resume needed ({outbox.closed_reason})")

    async def _receive(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                await self.send_frame(error_frame("bad_message", "send text frames, not binary"))
                continue
            if not self.bucket.take():
                raise Refused(CLOSE_RATE_LIMITED, "too many messages; slow down and reconnect")
            # Errors name the numbered command they answer, so a client can drop it or resend it.
            reply = await self.commands.answer(raw)
            if reply is not None:
                await self.send_frame(reply)
