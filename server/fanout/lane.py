"""A room's fast lane: the viewers whose frames go straight to their sockets, in one C-level loop.

Most viewers of a room are keeping up most of the time: nothing queued for them, their socket's
buffer below its high-water mark, their connection open. For those, a frame costs one call of
the transport's ``write``, and the lane makes that call from C (``map`` over the viewers' bound
``write`` methods, consumed by a zero-length ``deque``), so no Python bytecode runs per viewer.

Membership is kept by the viewers' outboxes (server/fanout/outbox.py), which move between the
lane and the room's slow set when their state changes: a connection that pauses, closes or
falls behind leaves the lane at once (its protocol tells its outbox, server/fanout/wire.py), and
comes back once it is keeping up again. A viewer is in exactly one of the lane's two groups
(plain frames, compressed frames) or in ``slow``; the slow ones get their frames through
``Outbox.push``, which queues them.
"""

from __future__ import annotations

import logging
import operator
from collections import deque
from collections.abc import Callable
from itertools import repeat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.fanout.outbox import Outbox
    from server.fanout.wire import WireFrame

log = logging.getLogger("plenary.lane")

# A connection's transport.write, bound: what the lane calls for each viewer.
Write = Callable[[bytes], object]

_consume = deque[object](maxlen=0).extend  # runs an iterator to its end in C, keeping nothing


def write_each(writes: tuple[Write, ...], data: bytes) -> None:
    """Call every ``write`` with ``data``, from C. A write that raises (it should not: a
    connection leaves the lane before its transport closes) costs that viewer the frame, not the
    others: the loop goes on with the next viewer, from the same iterator."""
    remaining = iter(writes)
    while True:
        try:
            _consume(map(operator.call, remaining, repeat(data)))
            return
        except Exception:
            log.exception("a viewer's transport refused a frame; the other viewers still get it")


class Lane:
    """The viewers of one room, split by how their frames reach them."""

    __slots__ = ("_deflated", "_deflated_writes", "_plain", "_plain_writes", "slow")

    def __init__(self) -> None:
        self._plain: dict[Outbox, Write] = {}
        self._deflated: dict[Outbox, Write] = {}
        # The writes as a tuple, made again at the first frame after membership changed (None
        # until then): a frame is sent to a snapshot, so viewers that leave or join while it is
        # being written change nothing, and a crowd joining costs one tuple, not one each.
        self._plain_writes: tuple[Write, ...] | None = ()
        self._deflated_writes: tuple[Write, ...] | None = ()
        self.slow: set[Outbox] = set()

    def __len__(self) -> int:
        return len(self._plain) + len(self._deflated) + len(self.slow)

    def fast_count(self) -> int:
        return len(self._plain) + len(self._deflated)

    def is_fast(self, outbox: Outbox) -> bool:
        return outbox in self._plain or outbox in self._deflated

    def join(self, outbox: Outbox) -> None:
        """A new viewer: slow until its outbox says it is keeping up."""
        self.slow.add(outbox)

    def leave(self, outbox: Outbox) -> None:
        self.slow.discard(outbox)
        self._forget(outbox)

    def speed_up(self, outbox: Outbox, write: Write, deflated: bool) -> None:
        """``outbox`` is keeping up: its frames go through ``write`` (plain or compressed)."""
        if outbox not in self.slow:
            return  # it has left the room
        self.slow.discard(outbox)
        if deflated:
            self._deflated[outbox] = write
            self._deflated_writes = None
        else:
            self._plain[outbox] = write
            self._plain_writes = None

    def slow_down(self, outbox: Outbox) -> None:
        """``outbox`` is no longer keeping up (or no longer open): its frames are queued."""
        if self._forget(outbox):
            self.slow.add(outbox)

    def _forget(self, outbox: Outbox) -> bool:
        if self._plain.pop(outbox, None) is not None:
            self._plain_writes = None
            return True
        if self._deflated.pop(outbox, None) is not None:
            self._deflated_writes = None
            return True
        return False

    def send(self, message: bytes, wire: WireFrame) -> None:
        """One message to every viewer of the room: written at once to those in the lane,
        pushed to the outboxes of the others. Each viewer is in exactly one of the snapshots
        taken first, so each gets the message once, whatever moves while it is written."""
        plain = self._plain_writes
        if plain is None:
            plain = self._plain_writes = tuple(self._plain.values())
        deflated = self._deflated_writes
        if deflated is None:
            deflated = self._deflated_writes = tuple(self._deflated.values())
        slow = tuple(self.slow)
        if plain:
            write_each(plain, wire.plain)
        if deflated:
            write_each(deflated, wire.deflated)
        for outbox in slow:
            outbox.push(message, wire)
