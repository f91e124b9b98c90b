"""A room's fast lane: the viewers whose frames go straight to their sockets, in one C-level loop.

Most viewers of a room are keeping up most of the time: nothing queued for them, nothing waiting
in their transport's buffer, their connection open. For those a frame is one ``write`` system
call on the socket, and the lane makes those calls from C: a compiled loop over a packed array
of the sockets (server/fanout/_lane.c) where the package was built with a C compiler, else
``map(os.write, sockets, ...)`` consumed by ``list.extend``. Either way no Python bytecode runs
per viewer and no per-viewer object (transport, buffer list) is touched: only the kernel's own.

Writing under the transport is safe only while the transport holds nothing of its own, so the
connection's protocol sets its transport to pause at the first byte it has to buffer
(server/fanout/wire.py). A write the socket does not take whole hands the rest to the transport,
which buffers it and pauses: the viewer leaves the lane at once, and its next frames queue
behind that rest, in its outbox. It comes back when the transport has written everything.

Membership is kept by the viewers' outboxes (server/fanout/outbox.py), which move between the
lane and the room's slow set when their state changes: a connection that pauses, closes or
falls behind leaves the lane at once (its protocol tells its outbox before the socket is closed,
so a descriptor in the lane is never one the kernel has given to another connection). A viewer
is in exactly one of the lane's two groups (plain frames, compressed frames) or in ``slow``; the
slow ones get their frames through ``Outbox.push``.
"""

from __future__ import annotations

import logging
import os
from array import array
from collections.abc import Sequence
from itertools import islice, repeat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from server.fanout.outbox import Outbox
    from server.fanout.wire import WireFrame

log = logging.getLogger("plenary.lane")


def write_each_python(fds: Sequence[int], data: bytes) -> list[tuple[int, int]]:
    """Write ``data`` to every socket, from Python's C builtins. Returns, for each socket that
    did not take all of it (full, or broken), its index and how many bytes it took; every other
    socket has the whole of ``data``. A socket that fails costs the others nothing: the loop goes
    on with the next one."""
    size, short = len(data), []
    start = 0
    while start < len(fds):
        written: list[int] = []
        try:
            written.extend(map(os.write, islice(fds, start, None), repeat(data)))
        except OSError:  # full (BlockingIOError) or broken: it took nothing
            short.append((start + len(written), 0))
        if written.count(size) != len(written):
            short += [(start + i, n) for i, n in enumerate(written) if n != size]
        start += len(written) + 1  # past the one that raised, if one did
    return short


if TYPE_CHECKING:
    WriteEach = Callable[[array[int], bytes], list[tuple[int, int]]]


def _compiled() -> WriteEach | None:
    try:
        from server.fanout._lane import write_each as compiled
    except ImportError:  # installed without a C compiler: the Python loop does the same
        return None
    return compiled


# The same loop compiled (server/fanout/_lane.c): one packed array of sockets, the interpreter's
# lock released once per frame instead of once per viewer: 0.16 µs per viewer against 0.26
# (bench.hotpath, docs/performance.md).
write_each_c = _compiled()
write_each: WriteEach = write_each_c or write_each_python


def choose_loop(compiled: bool = True) -> str:
    """Which loop the lanes write with (``plenary serve --pure-python`` asks for the Python one,
    as the fallback it is); returns its name for the server to say at start."""
    global write_each
    write_each = write_each_c if compiled and write_each_c is not None else write_each_python
    return "compiled" if write_each is write_each_c else "python"


class _Group:
    """The outboxes of one kind of frame (plain or compressed) and their sockets."""

    __slots__ = ("_snapshot", "members")

    def __init__(self) -> None:
        self.members: dict[Outbox, int] = {}
        # (sockets, outboxes), made again at the first frame after membership changed (None
        # until then): a frame is sent to a snapshot, so viewers that leave or join while it is
        # being written change nothing, and a crowd joining costs one snapshot, not one each.
        # The sockets are a packed array of C ints, what the compiled loop reads.
        self._snapshot: tuple[array[int], tuple[Outbox, ...]] | None = (array("i"), ())

    def add(self, outbox: Outbox, fd: int) -> None:
        self.members[outbox] = fd
        self._snapshot = None

    def discard(self, outbox: Outbox) -> bool:
        if self.members.pop(outbox, None) is None:
            return False
        self._snapshot = None
        return True

    def snapshot(self) -> tuple[array[int], tuple[Outbox, ...]]:
        if self._snapshot is None:
            self._snapshot = (array("i", self.members.values()), tuple(self.members))
        return self._snapshot


def _send(snapshot: tuple[array[int], tuple[Outbox, ...]], data: bytes) -> None:
    fds, outboxes = snapshot
    if not fds:
        return
    for index, taken in write_each(fds, data):
        # What the socket did not take goes to the transport, which buffers it and pauses.
        outboxes[index].write_rest(data[taken:])


class Lane:
    """The viewers of one room, split by how their frames reach them."""

    __slots__ = ("_deflated", "_plain", "slow")

    def __init__(self) -> None:
        self._plain = _Group()
        self._deflated = _Group()
        self.slow: set[Outbox] = set()

    def __len__(self) -> int:
        return self.fast_count() + len(self.slow)

    def fast_count(self) -> int:
        return len(self._plain.members) + len(self._deflated.members)

    def is_fast(self, outbox: Outbox) -> bool:
        return outbox in self._plain.members or outbox in self._deflated.members

    def join(self, outbox: Outbox) -> None:
        """A new viewer: slow until its outbox says it is keeping up."""
        self.slow.add(outbox)
        outbox.lane = self

    def leave(self, outbox: Outbox) -> None:
        self.slow.discard(outbox)
        self._forget(outbox)
        outbox.lane = None

    def speed_up(self, outbox: Outbox, fd: int, deflated: bool) -> None:
        """``outbox`` is keeping up: its frames are written to socket ``fd`` (plain or
        compressed)."""
        if outbox not in self.slow:
            return  # it has left the room
        self.slow.discard(outbox)
        (self._deflated if deflated else self._plain).add(outbox, fd)

    def slow_down(self, outbox: Outbox) -> None:
        """``outbox`` is no longer keeping up (or no longer open): its frames are queued."""
        if self._forget(outbox):
            self.slow.add(outbox)

    def _forget(self, outbox: Outbox) -> bool:
        return self._plain.discard(outbox) or self._deflated.discard(outbox)

    def send(self, message: bytes, wire: WireFrame) -> None:
        """One message to every viewer of the room: written at once to those in the lane,
        pushed to the outboxes of the others. Each viewer is in exactly one of the snapshots
        taken first, so each gets the message once, whatever moves while it is written."""
        plain, deflated, slow = self._plain.snapshot(), self._deflated.snapshot(), tuple(self.slow)
        _send(plain, wire.plain)
        if deflated[0]:
            _send(deflated, wire.deflated)
        for outbox in slow:
            outbox.push(message, wire)
