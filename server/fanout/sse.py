"""The plain-HTTP wire: a room's frames as Server-Sent Events, encoded once per room.

On a network whose proxy lets no websocket through, a client follows the room over one long
HTTP response of Server-Sent Events (server/web/sse.py). Each event carries what one websocket
message would: one or more frames, one per ``data:`` line, so a client joins the lines with
newlines and reads them exactly as it reads a websocket message. An event that carries recorded
events has the ``id`` of the last one, so a reconnecting client's ``Last-Event-ID`` is its resume
point.

The hub hands the same message to every outbox of a room, one after the other; ``SseOutbox``
encodes it for the first and reuses those bytes for the others. Every fallback client is written
to by its own sender task (there is no direct write below ASGI for a plain HTTP response), so a
slow one only fills its own bounded queue and is then dropped to resume, as a websocket is.
"""

from __future__ import annotations

from server.fanout.outbox import Outbox
from server.fanout.wire import WireFrame

_RECORDED = b'{"seq":'


def last_seq_in(message: bytes) -> int | None:
    """The seq of the last recorded event in a message (frames joined by newlines), if any."""
    for frame in reversed(message.split(b"\n")):
        if frame.startswith(_RECORDED):
            return int(frame[len(_RECORDED) : frame.index(b",")])
    return None


def sse_event(message: bytes) -> bytes:
    """One Server-Sent Event carrying ``message``: an ``id`` line when it holds a recorded event,
    then each frame on a ``data:`` line. JSON frames hold no raw newline, so nothing else needs
    escaping."""
    seq = last_seq_in(message)
    head = b"id: %d\n" % seq if seq is not None else b""
    return head + b"data: " + message.replace(b"\n", b"\ndata: ") + b"\n\n"


class _Cache:
    """The last message encoded and its event. It holds the message itself, so the identity
    test cannot be fooled by a new object at a freed one's address."""

    message: bytes | None = None
    event: bytes = b""


_cache = _Cache()


def encoded_once(message: bytes) -> bytes:
    """``sse_event(message)``, computed once for all the outboxes the hub hands it to."""
    if _cache.message is not message:
        _cache.event = sse_event(message)
        _cache.message = message
    return _cache.event


class SseOutbox(Outbox):
    """An outbox whose frames are Server-Sent Events. Events are queued and written by the
    connection's sender task; batched events are joined by a newline, which the event stream
    format reads as an empty line between events, so a batch is the events in order."""

    __slots__ = ()

    def push(self, frame: bytes, wire: WireFrame | None = None) -> None:
        super().push(encoded_once(frame), None)
