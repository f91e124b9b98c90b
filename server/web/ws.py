"""The websocket endpoint: hello, resume, then live events out and client messages in.

A connection's own task receives, parses and executes what the client sends; live frames reach the
client through its outbox (server/fanout/outbox.py), which needs no task while the client keeps up.
When the outbox overflows or is closed it interrupts the session, and the connection is closed with
a code that tells the client what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.backends.base import BackendUnavailable
from server.domain import auth, channels
from server.domain.errors import CommandRejected, Invalid, Refusal
from server.domain.events import control_frame, now_ms
from server.domain.keys import room_key
from server.domain.meetings import Meeting
from server.fanout.outbox import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_HELLO_TIMEOUT,
    CLOSE_NOT_FOUND,
    CLOSE_RATE_LIMITED,
    CLOSE_RESUME,
    CLOSE_UNAUTHORIZED,
    CLOSE_UNAVAILABLE,
    Outbox,
)
from server.fanout.wire import EXTENSION
from server.limits import (
    CAPTIONER_RECHECK_S,
    CLIENT_BURST,
    CLIENT_RATE_PER_S,
    CLOSE_TIMEOUT_S,
    HELLO_TIMEOUT_S,
    MAX_CONNECTIONS_PER_ADDRESS,
    MAX_LIVE_CHARS,
)
from server.metrics import METRICS
from server.services import room_list
from server.services.commands import CommandContext
from server.services.room import RoomRuntime
from server.services.room_commands import dispatch
from server.web.context import Plenary
from server.web.guard import Throttled
from server.web.protocol import (
    BadMessage,
    Cmd,
    Commit,
    Correct,
    Edit,
    Hello,
    Ping,
    parse_client_message,
)
from server.web.ratelimit import TokenBucket

log = logging.getLogger("plenary.ws")


class Refused(Exception):
    """Close the connection with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _welcome_meeting(meeting: Meeting) -> dict[str, object]:
    """What the welcome says about the meeting. A session keeps only this, not the meeting
    document: a viewer may stay connected for hours, and commands read the document afresh."""
    return {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "timezone": meeting.timezone,
            "language": meeting.language,
        },
        "rooms": room_list.summary(meeting),
    }


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
        origin = _origin_of(ws)
        if origin is not None and origin.rstrip("/").lower() not in px.settings.origins():
            raise Refused(
                CLOSE_FORBIDDEN,
                f"origin {origin[:80]} is not allowed "
                "(set PLENARY_PUBLIC_URL or PLENARY_ALLOWED_ORIGINS)",
            )
        hello = await _receive_hello(ws)
        meeting_id = ws.path_params["meeting"]
        room_id = ws.path_params["room"]
        meeting = await px.meeting_for_hello(meeting_id)  # shared: only read here
        if meeting is None:
            raise Refused(CLOSE_NOT_FOUND, "no such meeting; check the link")
        room = meeting.room(room_id)
        if room is None:
            raise Refused(CLOSE_NOT_FOUND, "no such room in this meeting; check the link")
        try:
            grant = await px.guard.authenticate(meeting, hello.key, hello.passcode, address)
        except Throttled as exc:
            raise Refused(CLOSE_RATE_LIMITED, exc.message) from None
        if grant is None:
            raise Refused(
                CLOSE_UNAUTHORIZED,
                "passcode required"
                if hello.key is None and hello.passcode is None
                else "this link or passcode is not valid (it may have been revoked)",
            )
        if grant.role == "captioner" and grant.room != room_id:
            raise Refused(CLOSE_FORBIDDEN, "this captioner link is for another room")
        channel = channels.pick(room.channels, hello.channel or grant.channel or channels.FLOOR)
        if channel is None:
            raise Refused(
                CLOSE_NOT_FOUND,
                f"no caption channel {hello.channel!r} in this room; its channels: "
                + channels.named(room.channels, meeting.language),
            )
        # Before the channel's projection is used: a sign that its record went back restarts it.
        epoch, reset = await px.hub.position(
            room_key(meeting_id, room_id, channel), hello.after, hello.epoch
        )
        # A captioner link of one channel may follow the others (its page follows the floor
        # for who has it); it captions in its own only (``Grant.may_caption``).
        runtime = await px.rooms.get(meeting_id, room_id, channel)
        session = _Session(ws, px, runtime, grant, hello, epoch, reset)
        welcome = _welcome_meeting(meeting)
        del meeting  # a session keeps what it needs, not the document
        # Presence is the room's, whichever channel a participant follows.
        with px.presence.connected(runtime.floor.key, room_id, grant.participant, grant.role):
            await session.run(welcome)
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
        raw = await asyncio.wait_for(ws.receive_text(), HELLO_TIMEOUT_S)
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
    def __init__(
        self,
        ws: WebSocket,
        px: Plenary,
        runtime: RoomRuntime,
        grant: auth.Grant,
        hello: Hello,
        epoch: str,
        reset: bool,
    ) -> None:
        self.ws = ws
        self.epoch = epoch
        self.reset = reset  # the client's position is of another epoch (Hub.position)
        self.px = px
        self.runtime = runtime
        self.grant = grant
        self.hello = hello
        self.conn_id = secrets.token_hex(6)
        self.name = hello.name or grant.label or grant.role
        self.bucket = TokenBucket(CLIENT_RATE_PER_S, CLIENT_BURST)
        self.can_caption = grant.may_caption(runtime.room_id, runtime.channel)
        self.checked_at = time.monotonic()  # when the link was last checked against the meeting

    async def send(self, text: str) -> None:
        await self.ws.send_text(text)

    async def send_frame(self, frame: bytes) -> None:
        await self.ws.send_text(frame.decode())

    async def run(self, welcome: dict[str, object]) -> None:
        hub = self.px.hub
        async with hub.join(self.runtime.key, self.hello.after) as sub:
            reset = self.reset or self.hello.after > sub.upto_seq
            if reset:
                # What the client holds is not what the record holds now (another epoch, or
                # more than the record): it discards it and takes the record from the start.
                sub.from_seq = 0
            await self.send(
                control_frame(
                    "welcome",
                    role=self.grant.role,
                    conn=self.conn_id,
                    name=self.name,
                    **welcome,
                    room=self.runtime.room_id,
                    # The caption channel this connection follows; ``last_seq`` is its log's.
                    channel=self.runtime.channel,
                    last_seq=sub.upto_seq,
                    epoch=self.epoch,
                    reset=reset,
                    open=self.runtime.is_open,
                    # The server's clock, so pages show the same speaking-time countdown.
                    now=now_ms(),
                    participant=self.grant.participant,
                ).decode()
            )
            # With uvicorn running server.wire's protocol, frames for a viewer that keeps up
            # are written straight to its socket; otherwise they go through ASGI (and, once
            # live, a sender task sends them).
            writer = self.ws.scope.get("extensions", {}).get(EXTENSION)
            shared = hub.recent_backlog(sub.channel, sub.from_seq, sub.upto_seq)
            if shared is not None:
                # From memory, built once for every client resuming from the same point.
                if writer is not None and writer.ready():
                    writer.write(shared)  # after the welcome: ASGI sends have been written
                else:
                    await self.send_frame(shared.text)
            else:
                async for frames in hub.backlog(sub.channel, sub.from_seq, sub.upto_seq):
                    await self.send_frame(b"\n".join(frames))
            if sub.live is not None:
                await self.send_frame(sub.live)
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
                if self.can_caption:
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
                await self._error("bad_message", "send text frames, not binary")
                continue
            if not self.bucket.take():
                raise Refused(CLOSE_RATE_LIMITED, "too many messages; slow down and reconnect")
            # Errors name the numbered command they answer, so a client can drop it or resend it.
            try:
                msg = parse_client_message(raw)
            except BadMessage as exc:
                await self._error(exc.code, exc.message, n=exc.n)
                continue
            try:
                await self._handle(msg)
            except Refusal as exc:
                await self._error(exc.code, exc.message, n=msg.n)
            except BackendUnavailable as exc:
                await self._error("unavailable", f"not recorded, retry: {exc}", retry=True, n=msg.n)

    async def _current_meeting(self) -> Meeting:
        """The meeting as it is now, for a command: a link revoked since the connection opened
        no longer commands anything."""
        meeting = await self.px.meeting(self.runtime.meeting_id)
        if meeting is None:
            raise Refused(CLOSE_NOT_FOUND, "this meeting no longer exists")
        key, passcode = self.hello.key, self.hello.passcode
        if auth.needs_slow_check(meeting, key, passcode):  # the passcode was changed since
            grant = await asyncio.to_thread(auth.authenticate, meeting, key, passcode)
        else:
            grant = auth.authenticate(meeting, key, passcode)
        if grant is None:
            raise Refused(CLOSE_UNAUTHORIZED, "this link has been revoked")
        return meeting

    async def _error(self, code: str, message: str, **extra: object) -> None:
        await self.send(control_frame("error", code=code, message=message, **extra).decode())

    async def _require_caption(self) -> None:
        if not self.can_caption:
            raise CommandRejected("forbidden", "only a captioner or the chair can do this")
        now = time.monotonic()
        if now - self.checked_at >= CAPTIONER_RECHECK_S:
            await self._current_meeting()  # closes the connection if the link was revoked
            self.checked_at = now

    def _cursor(self, n: int | None) -> tuple[str, int] | None:
        """Where a numbered message is deduplicated: per credential *and* client id. The client
        id is the page's own choice, so anyone could send another's; keyed by it alone, a
        participant reusing a captioner's id would make the captioner's next lines look like
        resends, and they would go unrecorded. Public viewers share one name: they hold no
        credential and run no command that is recorded."""
        if not self.hello.client or not n:
            return None
        return (f"ws:{self.grant.credential_id or 'public'}:{self.hello.client}", n)

    async def _handle(self, msg: object) -> None:
        if isinstance(msg, Ping):
            await self.send(control_frame("pong").decode())
        elif isinstance(msg, Edit):
            await self._require_caption()
            self.runtime.require_open()
            if not self.runtime.edit_live(
                self.conn_id, self.name, msg.delete, msg.insert, MAX_LIVE_CHARS
            ):
                raise Invalid("too_long", "the live line is too long: commit it")
        elif isinstance(msg, Commit):
            await self._require_caption()
            cursor = self._cursor(msg.n)
            line = {
                "text": msg.text,
                "speaker": msg.speaker,
                # An interpretation channel's lines are in its language unless they say.
                "lang": msg.lang or self.runtime.language,
                "captioner": self.name,
                "by": self.conn_id,
                "source": "websocket",
            }
            result = await self.runtime.commit_lines([line], self.conn_id, cursor)
            seq = result.events[0].seq if result.events else None
            await self.send(
                control_frame("ack", n=msg.n, seq=seq, duplicate=result.duplicate).decode()
            )
        elif isinstance(msg, Correct):
            await self._require_caption()
            cursor = self._cursor(msg.n)
            events = await self.runtime.correct(msg.line, msg.text, self.name, cursor)
            seq = events[0].seq if events else None
            await self.send(control_frame("ack", n=msg.n, seq=seq, duplicate=not events).decode())
        elif isinstance(msg, Cmd):
            cursor = self._cursor(msg.n)
            meeting = await self._current_meeting()
            # Commands act on the room (its floor's log), whichever channel this follows; those
            # on lines (re-attribution) on this channel's own lines.
            room = self.runtime if msg.op.startswith("line.") else self.runtime.floor
            ctx = CommandContext(
                self.px.rooms,
                room,
                meeting,
                self.grant,
                self.conn_id,
                self.name,
                cursor,
            )
            events = await dispatch(ctx, msg.op, msg.args)
            seq = events[0].seq if events else None
            await self.send(control_frame("ack", n=msg.n, seq=seq, duplicate=not events).decode())
        elif isinstance(msg, Hello):
            raise Invalid("bad_message", "hello is sent once, first")
