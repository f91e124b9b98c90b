"""The rolling documents as the record tells them: the agenda room's projection at the end of the
record, the groups' copies of their shares, and each proposal's whole history across rooms.

The projection is the live one (server/domain/document.py), applied to each room's log in turn,
so the record and the pages can never disagree on what a document says. A proposal's history is
the agenda room's entries and those of every group that had it in its share, in time order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from server.domain import document_events
from server.domain.document import Change, Document, Documents, Proposal
from server.domain.events import Event


@dataclass(slots=True)
class DocumentFacts:
    doc: Document  # as the agenda room holds it when the record ends
    room: str  # the agenda room
    shares: dict[str, Document] = field(default_factory=dict)  # group room -> its copy

    def history(self, p: Proposal) -> list[Change]:
        """Every change to the proposal, in the agenda room and in the groups, oldest first."""
        changes = list(p.history)
        for share in self.shares.values():
            copy = share.proposal(p.id)
            if copy is not None:
                changes += [c for c in copy.history if c.type != "doc.share"]
        return sorted(changes, key=lambda c: (c.ts, c.room != self.room, c.seq))

    def groups_of(self, p: Proposal) -> list[str]:
        """The group rooms that had the proposal in their share (or made it there)."""
        return [room for room, share in self.shares.items() if share.proposal(p.id) is not None]

    def discussed_in(self, p: Proposal, room: str) -> list[Change]:
        """When the proposal was put under discussion in a room."""
        return [c for c in self.history(p) if c.type == "doc.current" and c.room == room]


def project(agenda_room: str | None, logs: dict[str, list[Event]]) -> list[DocumentFacts]:
    """Each document of the meeting, with its groups' copies."""
    per_room: dict[str, Documents] = {}
    for room, events in logs.items():
        docs = Documents(room)
        _apply(docs, events)
        per_room[room] = docs
    home = per_room.get(agenda_room or "")
    if home is None:
        return []
    out = []
    for doc in home.docs.values():
        shares = {
            room: docs.docs[doc.id]
            for room, docs in per_room.items()
            if room != agenda_room and doc.id in docs.docs
        }
        out.append(DocumentFacts(doc, home.room, shares))
    return out


def _apply(docs: Documents, events: Iterable[Event]) -> None:
    for ev in events:
        handler = document_events.HANDLERS.get(ev.type)
        if handler is not None and isinstance(ev.data, dict):
            handler(docs, ev.seq, ev.ts, ev.data)
