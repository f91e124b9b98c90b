"""A room's state as a projection of its log: apply events in order, read the result.

Nothing here does I/O. The same projection runs in every server process, in the tests and in the
exports, so every client sees the same state at the same sequence number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server import agenda, floor
from server.agenda import Agenda
from server.errors import CommandRejected as CommandRejected
from server.events import JSON
from server.floor import Floor


@dataclass(slots=True)
class Line:
    seq: int
    ts: int
    text: str
    speaker: str
    lang: str
    captioner: str
    corrected: bool = False


@dataclass(slots=True)
class RoomState:
    room: str
    seq: int = 0
    open: bool = True
    lines: dict[int, Line] = field(default_factory=dict)
    floor: Floor = field(default_factory=Floor)  # the speakers' list (server/floor.py)
    agenda: Agenda = field(default_factory=Agenda)  # items, current item (server/agenda.py)

    def apply(self, seq: int, type_: str, ts: int, data: JSON) -> None:
        if seq <= self.seq:
            return  # already applied (events may reach a projection twice)
        if seq != self.seq + 1:
            raise ValueError(f"{self.room}: event {seq} applied after {self.seq}")
        self.seq = seq
        handler = _HANDLERS.get(type_)
        if handler is not None:
            handler(self, seq, ts, data)

    # -- checks used by commands -----------------------------------------------------------
    def require_open(self) -> None:
        if not self.open:
            raise CommandRejected("room_closed", "this room is closed; nothing more can be added")

    def require_line(self, seq: int) -> Line:
        line = self.lines.get(seq)
        if line is None:
            raise CommandRejected("no_such_line", f"there is no committed line with seq {seq}")
        return line


def _on_line(state: RoomState, seq: int, ts: int, d: JSON) -> None:
    state.lines[seq] = Line(
        seq, ts, d["text"], d.get("speaker", ""), d.get("lang", ""), d.get("captioner", "")
    )


def _on_correction(state: RoomState, seq: int, ts: int, d: JSON) -> None:
    line = state.lines.get(d["line"])
    if line is not None:
        line.text = d["text"]
        line.corrected = True


def _on_closed(state: RoomState, seq: int, ts: int, d: JSON) -> None:
    state.open = False


def _on_opened(state: RoomState, seq: int, ts: int, d: JSON) -> None:
    state.open = True


def _part(
    part: Callable[[RoomState], Any], handler: Callable[[Any, int, int, JSON], None]
) -> Callable[[RoomState, int, int, JSON], None]:
    """A handler of a part of the state (the speakers' list, the agenda) as a state handler."""

    def apply(state: RoomState, seq: int, ts: int, d: JSON) -> None:
        handler(part(state), seq, ts, d)

    return apply


_HANDLERS: dict[str, Any] = {
    "line": _on_line,
    "correction": _on_correction,
    "room.closed": _on_closed,
    "room.opened": _on_opened,
    **{t: _part(lambda s: s.floor, h) for t, h in floor.HANDLERS.items()},
    **{t: _part(lambda s: s.agenda, h) for t, h in agenda.HANDLERS.items()},
}
