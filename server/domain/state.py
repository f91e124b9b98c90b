"""A room's state as a projection of its log: apply events in order, read the result.

Nothing here does I/O. The same projection runs in every server process, in the tests and in the
exports, so every client sees the same state at the same sequence number. The parts of the state
(the speakers' list, the agenda) are projections of their own (server/domain/floor.py,
server/domain/agenda.py); their rules, which decide what a command records, build on this module
(``*_rules.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.domain import agenda, captions, document_events, floor
from server.domain.agenda import Agenda
from server.domain.captions import Stations
from server.domain.document import Documents
from server.domain.errors import CommandRejected
from server.domain.events import JSON, Draft
from server.domain.floor import Floor

# What a line is attributed to: who spoke it and what it was about (docs/events.md, ``line``).
# A re-attribution (``line.reattributed``) records new values for some of these.
ATTRIBUTION = ("speaker", "delegation", "participant", "intervention", "item", "doc", "proposal")


@dataclass(slots=True)
class Line:
    seq: int
    ts: int
    text: str
    speaker: str
    lang: str
    captioner: str
    corrected: bool = False
    # The rest of the attribution, as recorded or as last re-attributed (None: not attributed).
    delegation: str | None = None
    participant: str | None = None
    intervention: int | None = None
    item: int | None = None
    doc: int | None = None
    proposal: str | None = None
    reattributed: bool = False

    def attribution(self) -> JSON:
        return {name: getattr(self, name) for name in ATTRIBUTION}


@dataclass(slots=True)
class RoomState:
    room: str
    seq: int = 0
    open: bool = True
    lines: dict[int, Line] = field(default_factory=dict)
    floor: Floor = field(default_factory=Floor)  # the speakers' list
    agenda: Agenda = field(default_factory=Agenda)  # items, current item
    docs: Documents = field(default_factory=Documents)  # rolling documents, the proposal on
    stations: Stations = field(default_factory=dict)  # caption stations over HTTP, by their id

    def __post_init__(self) -> None:
        self.docs.room = self.room  # a proposal's history says in which room it changed

    def apply(self, seq: int, type_: str, ts: int, data: JSON) -> None:
        if seq <= self.seq:
            return  # already applied (events may reach a projection twice)
        if seq != self.seq + 1:
            raise ValueError(f"{self.room}: event {seq} applied after {self.seq}")
        self.seq = seq
        handler = _HANDLERS.get(type_)
        if handler is not None:
            handler(self, seq, ts, data)

    def draft(self, type_: str, data: JSON, now: int) -> Draft:
        """An event of this room, to be appended at the time ``now`` it was decided."""
        return Draft(type_, self.room, data, now)

    # -- checks used by commands -----------------------------------------------------------
    def require_open(self) -> None:
        if not self.open:
            raise CommandRejected("room_closed", "this room is closed; nothing more can be added")

    def require_line(self, seq: int) -> Line:
        line = self.lines.get(seq)
        if line is None:
            raise CommandRejected("no_such_line", f"there is no committed line with seq {seq}")
        return line


def reordering(current: list[int], order: list[int], stale: str) -> bool:
    """Check a complete new order of ``current`` (the ids a person saw, moved around): True if
    it changes the order, False if it is the same; ``stale`` is the refusal when it does not
    hold exactly the current ids (the list changed since they looked)."""
    if len(order) != len(current) or set(order) != set(current):
        raise CommandRejected("stale_list", stale)
    return order != current


def attribute(state: RoomState, line: Mapping[str, Any]) -> JSON:
    """A committed line with the speaker who has the floor, the current agenda item and the
    proposal under discussion (``doc`` and ``proposal``), as the room's state has them.

    The captioner's own label wins: a line labelled with someone else's name (the chair
    interjecting) is not attributed to the intervention in progress.
    """
    out = dict(line)
    current = state.floor.current
    label = str(out.get("speaker", ""))
    if current is not None and (not label or label == current.who.name):
        out["speaker"] = current.who.name
        out["delegation"] = current.who.delegation
        out["participant"] = current.who.participant
        out["intervention"] = current.id
    item = state.agenda.current
    if item is not None and item.item is not None:
        out["item"] = item.item
    proposal = state.docs.current
    if proposal is not None:
        out["doc"] = proposal.doc
        out["proposal"] = proposal.proposal
    return out


def _on_line(state: RoomState, seq: int, ts: int, d: JSON) -> None:
    line = Line(seq, ts, d["text"], d.get("speaker", ""), d.get("lang", ""), d.get("captioner", ""))
    for name in ATTRIBUTION[1:]:
        setattr(line, name, d.get(name))
    state.lines[seq] = line
    captions.on_line(state.stations, seq, ts, d)


def _on_reattributed(state: RoomState, seq: int, ts: int, d: JSON) -> None:
    changes = {k: v for k, v in (d.get("set") or {}).items() if k in ATTRIBUTION}
    for ref in d.get("lines") or ():
        line = state.lines.get(ref)
        if line is None:
            continue
        for name, value in changes.items():
            setattr(line, name, "" if name == "speaker" and value is None else value)
        line.reattributed = True


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


_HANDLERS: dict[str, Callable[[RoomState, int, int, JSON], None]] = {
    "line": _on_line,
    "correction": _on_correction,
    "line.reattributed": _on_reattributed,
    "room.closed": _on_closed,
    "room.opened": _on_opened,
    **{t: _part(lambda s: s.floor, h) for t, h in floor.HANDLERS.items()},
    **{t: _part(lambda s: s.agenda, h) for t, h in agenda.HANDLERS.items()},
    **{t: _part(lambda s: s.docs, h) for t, h in document_events.HANDLERS.items()},
    **{t: _part(lambda s: s.stations, h) for t, h in captions.HANDLERS.items()},
}
