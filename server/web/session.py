"""What a client's session is, whatever carries it: the welcome and backlog, then its commands.

Both transports use this module: the websocket (server/web/ws.py) and the plain-HTTP fallback
(server/web/sse.py). ``follow`` joins the room from the client's resume point and sends the
welcome, the backlog and the lines being typed, in that order, before the client's outbox starts;
``Commands`` carries out one client message and gives the frame that answers it. So a command has
the same numbering and the same answer whichever way it came.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from server.backends.base import BackendUnavailable
from server.domain import auth
from server.domain.errors import CommandRejected, Invalid, Refusal
from server.domain.events import control_frame, now_ms
from server.domain.meetings import Meeting
from server.fanout.hub import Joined, Subscription
from server.fanout.outbox import CLOSE_NOT_FOUND, CLOSE_UNAUTHORIZED, Outbox, Writer
from server.fanout.wire import WireFrame
from server.limits import CAPTIONER_RECHECK_S, MAX_LIVE_CHARS
from server.services.commands import CommandContext
from server.services.room import RoomRuntime
from server.services.room_commands import dispatch
from server.web.admission import Admitted, Refused
from server.web.context import Plenary
from server.web.protocol import (
    BadMessage,
    ClientMessage,
    Cmd,
    Commit,
    Correct,
    Edit,
    Hello,
    Ping,
    parse_client_message,
)
from server.web.welcomes import with_meeting

# Sends one message (one or more frames joined by newlines) to the client.
SendFrames = Callable[[bytes], Awaitable[None]]


def follow(
    px: Plenary,
    admitted: Admitted,
    hello: Hello,
    conn_id: str,
    name: str,
    send: SendFrames,
    outbox: Outbox | None = None,
    writer: Writer | None = None,
) -> Following:
    """Join the channel from ``hello.after``; send the welcome, the backlog and the live lines
    (``async with``). The caller starts the subscription's outbox inside, and the client leaves
    on exit."""

    async def start(sub: Subscription) -> None:
        await _welcome(px, admitted, hello, conn_id, name, send, writer, sub)

    return Following(px.hub.join(admitted.runtime.key, hello.after, outbox), start)


class Following:
    """``follow``'s context manager: an object of two slots rather than a suspended generator,
    since every viewer holds one for as long as it is connected."""

    __slots__ = ("_joined", "_start")

    def __init__(self, joined: Joined, start: Callable[[Subscription], Awaitable[None]]) -> None:
        self._joined = joined
        self._start: Callable[[Subscription], Awaitable[None]] | None = start

    async def __aenter__(self) -> Subscription:
        sub = await self._joined.__aenter__()
        start, self._start = self._start, None  # what it refers to is needed only now
        try:
            assert start is not None
            await start(sub)
        except BaseException:
            await self._joined.__aexit__(None, None, None)
            raise
        return sub

    async def __aexit__(self, *exc: object) -> None:
        await self._joined.__aexit__(*exc)


async def _welcome(
    px: Plenary,
    admitted: Admitted,
    hello: Hello,
    conn_id: str,
    name: str,
    send: SendFrames,
    writer: Writer | None,
    sub: Subscription,
) -> None:
    """The welcome, the backlog and the lines being typed, in that order."""
    runtime, grant = admitted.runtime, admitted.grant
    reset = admitted.reset or hello.after > sub.upto_seq
    if reset:
        # What the client holds is not what the record holds now (another epoch, or more
        # than the record): it discards it and takes the record from the start.
        sub.from_seq = 0
    welcome = control_frame(
        "welcome",
        role=grant.role,
        conn=conn_id,
        name=name,
        room=runtime.room_id,
        # The caption channel this connection follows; ``last_seq`` is its log's.
        channel=runtime.channel,
        last_seq=sub.upto_seq,
        epoch=admitted.epoch,
        reset=reset,
        open=runtime.is_open,
        # The server's clock, so pages show the same speaking-time countdown.
        now=now_ms(),
        participant=grant.participant,
    )
    welcome = with_meeting(welcome, admitted.welcome)
    shared = px.hub.recent_backlog(sub.channel, sub.from_seq, sub.upto_seq)
    # Straight to the socket of a websocket that can take it: a crowd reconnecting at once skips
    # ASGI's send for each of them. The backlog from memory is built once for every client
    # resuming from the same point, and leaves with the welcome in one write.
    if writer is not None and writer.ready():
        writer.write_all([WireFrame(welcome)] + ([shared] if shared is not None else []))
    else:
        await send(welcome)
        if shared is not None:
            # Whatever went before it through ASGI has been written.
            if writer is not None and writer.ready():
                writer.write(shared)
            else:
                await send(shared.text)
    if shared is None:
        async for frames in px.hub.backlog(sub.channel, sub.from_seq, sub.upto_seq):
            await send(b"\n".join(frames))
    if sub.live is not None:
        await send(sub.live)


def error_frame(code: str, message: str, **extra: object) -> bytes:
    return control_frame("error", code=code, message=message, **extra)


class Commands:
    """Carries out one client's messages in a room: the live line, lines, corrections, room
    commands. ``conn_id`` names the client's live line; ``hello.client`` numbers its commands."""

    def __init__(
        self,
        px: Plenary,
        runtime: RoomRuntime,
        grant: auth.Grant,
        hello: Hello,
        conn_id: str,
        name: str,
    ) -> None:
        self.px = px
        self.runtime = runtime
        self.grant = grant
        self.hello = hello
        self.conn_id = conn_id
        self.name = name
        self.can_caption = grant.may_caption(runtime.room_id, runtime.channel)
        self.checked_at = time.monotonic()  # when the link was last checked against the meeting

    async def answer(self, raw: str) -> bytes | None:
        """The frame that answers one raw client message (an ack, a pong or an error), or None
        when nothing answers it (a live-line edit). ``Refused`` ends the session."""
        try:
            msg = parse_client_message(raw)
        except BadMessage as exc:
            return error_frame(exc.code, exc.message, n=exc.n)
        try:
            return await self.handle(msg)
        except Refusal as exc:
            return error_frame(exc.code, exc.message, n=msg.n)
        except BackendUnavailable as exc:
            return error_frame("unavailable", f"not recorded, retry: {exc}", retry=True, n=msg.n)

    def _cursor(self, n: int | None) -> tuple[str, int] | None:
        """Where a numbered message is deduplicated: per credential *and* client id, whichever
        transport carried it, so a client that switches transport keeps its numbering. The
        client id is the page's own choice, so anyone could send another's; keyed by it alone,
        a participant reusing a captioner's id would make the captioner's next lines look like
        resends, and they would go unrecorded. Public viewers share one name: they hold no
        credential and run no command that is recorded."""
        if not self.hello.client or not n:
            return None
        return (f"ws:{self.grant.credential_id or 'public'}:{self.hello.client}", n)

    async def current_meeting(self) -> Meeting:
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

    async def _require_caption(self) -> None:
        if not self.can_caption:
            raise CommandRejected("forbidden", "only a captioner or the chair can do this")
        now = time.monotonic()
        if now - self.checked_at >= CAPTIONER_RECHECK_S:
            await self.current_meeting()  # ends the session if the link was revoked
            self.checked_at = now

    async def handle(self, msg: ClientMessage) -> bytes | None:
        if isinstance(msg, Ping):
            return control_frame("pong")
        if isinstance(msg, Edit):
            await self._require_caption()
            self.runtime.require_open()
            if not self.runtime.edit_live(
                self.conn_id, self.name, msg.delete, msg.insert, MAX_LIVE_CHARS
            ):
                raise Invalid("too_long", "the live line is too long: commit it")
            return None
        if isinstance(msg, Commit):
            await self._require_caption()
            line = {
                "text": msg.text,
                "speaker": msg.speaker,
                # An interpretation channel's lines are in its language unless they say.
                "lang": msg.lang or self.runtime.language,
                "captioner": self.name,
                "by": self.conn_id,
                "source": "websocket",
            }
            result = await self.runtime.commit_lines([line], self.conn_id, self._cursor(msg.n))
            seq = result.events[0].seq if result.events else None
            return control_frame("ack", n=msg.n, seq=seq, duplicate=result.duplicate)
        if isinstance(msg, Correct):
            await self._require_caption()
            events = await self.runtime.correct(msg.line, msg.text, self.name, self._cursor(msg.n))
            seq = events[0].seq if events else None
            return control_frame("ack", n=msg.n, seq=seq, duplicate=not events)
        if isinstance(msg, Cmd):
            meeting = await self.current_meeting()
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
                self._cursor(msg.n),
            )
            events = await dispatch(ctx, msg.op, msg.args)
            seq = events[0].seq if events else None
            return control_frame("ack", n=msg.n, seq=seq, duplicate=not events)
        raise Invalid("bad_message", "hello is sent once, first")
