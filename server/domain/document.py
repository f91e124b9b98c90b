"""The rolling document: ordered categories of proposals, and the proposal a room is discussing.
A projection of ``doc.*`` events, like the speakers' list and the agenda.

Where the events live. A document belongs to the meeting and is kept in the log of its agenda
room (server/domain/agenda.py ``agenda_room``): it is created there (``doc.created``; its id is
that event's seq) and the plenary's work on it is recorded there. A break-out group tasked with a
share of it (``doc.tasked`` in the agenda room) gets a copy of that share as an event of its own
log (``doc.share``) and works on the copy there; its report sends its version back
(``doc.reported`` in its log, ``doc.returned`` in the agenda room), and the plenary applies it in
one event (``doc.endorsed``) or proposal by proposal (``doc.taken_up``). While a share is out,
its proposals are the group's: the agenda room refuses to change them. So each room's log reads
on its own, and a document's history is the agenda room's log plus its groups' logs.

Ids. A proposal is known by its id in the category it was created in, ``A.3``, for good: it
keeps it when it is revised, re-categorised, re-kinded, or split (the first part keeps the id,
the others get new ones), and an id merged away is retired, never given again. Each category
counts the numbers it has given (``next``), so a new id is always one never used; a share takes
its categories' counters with it, and the agenda room gives no new ids in them until the group's
version is back. The rules (server/domain/document_rules.py) choose ids and state them in the
events; the projection (server/domain/document_events.py) only carries out what events say.
Event schemas: docs/events.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from server.domain.events import JSON

# How proposals are kinded and what becomes of them, with how people say it (served as
# /api/vocabulary.json, like the floor's kinds and the agenda's statuses).
KINDS: dict[str, str] = {
    "unsorted": "not yet sorted",
    "recommendation": "recommendation",
    "statement": "statement",
}
STATUSES: dict[str, str] = {
    "not_yet_discussed": "not yet discussed",
    "under_discussion": "under discussion",
    "agreed": "agreed",
    "divergent": "divergent views",
    "bracketed": "bracketed",
    "deferred": "deferred",
    "partly_discussed": "partly discussed",
    "not_discussed": "not discussed",
}

_ID = re.compile(r"^([A-Z]{1,3})\.([1-9][0-9]{0,4})$")


def parse_id(proposal: str) -> tuple[str, int] | None:
    """``"A.3"`` → ``("A", 3)``; None for anything else."""
    m = _ID.match(proposal)
    return (m.group(1), int(m.group(2))) if m else None


def make_id(letter: str, number: int) -> str:
    return f"{letter}.{number}"


@dataclass(frozen=True, slots=True)
class Submitter:
    """Who submitted a proposal: a registered participant (by id, with the delegation and group
    the register gave them) or a name as the file or the chair wrote it."""

    name: str
    participant: str | None = None
    delegation: str = ""
    group: str = ""

    def to_dict(self) -> JSON:
        return {
            "name": self.name,
            "participant": self.participant,
            "delegation": self.delegation,
            "group": self.group,
        }

    @classmethod
    def from_dict(cls, d: object) -> Submitter:
        d = d if isinstance(d, Mapping) else {}
        participant = d.get("participant")
        return cls(
            str(d.get("name") or ""),
            participant if isinstance(participant, str) else None,
            str(d.get("delegation") or ""),
            str(d.get("group") or ""),
        )

    @property
    def label(self) -> str:
        return self.delegation or self.name


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a proposal's history: which event, where, by whom, during which item."""

    seq: int
    ts: int
    room: str
    type: str  # the event's type
    by: str
    item: int | None
    text: str | None = None  # the text after the change, when it changed the text
    was: str | None = None  # what it was before (text, kind, category or status)
    now: str | None = None  # what it is after (kind, category or status)
    note: str = ""  # "split from A.3", "Break-out group A's version" …

    def to_dict(self) -> JSON:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "room": self.room,
            "type": self.type,
            "by": self.by,
            "item": self.item,
            "text": self.text,
            "was": self.was,
            "now": self.now,
            "note": self.note,
        }


@dataclass(slots=True)
class Proposal:
    id: str
    category: str
    text: str
    kind: str = "unsorted"
    status: str = "not_yet_discussed"
    submitted_by: list[Submitter] = field(default_factory=list)
    split_from: str | None = None
    merged_into: str | None = None  # retired: merged into this proposal
    rev: int = 0  # seq of the last event that changed it, in this room's log
    first_text: str = ""  # its text when it was first proposed
    history: list[Change] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.merged_into is None

    def snapshot(self) -> JSON:
        """What a share, a report and an endorsement copy of it."""
        return {
            "proposal": self.id,
            "category": self.category,
            "text": self.text,
            "kind": self.kind,
            "status": self.status,
            "submitted_by": [s.to_dict() for s in self.submitted_by],
            "split_from": self.split_from,
            "merged_into": self.merged_into,
        }

    def to_dict(self) -> JSON:
        return {
            **self.snapshot(),
            "rev": self.rev,
            "first_text": self.first_text,
            "history": [c.to_dict() for c in self.history],
        }


@dataclass(slots=True)
class Category:
    letter: str
    title: str
    next: int = 1  # the next number this category gives

    def to_dict(self) -> JSON:
        return {"letter": self.letter, "title": self.title, "next": self.next}

    @property
    def label(self) -> str:
        return f"{self.letter}. {self.title}" if self.title else self.letter


@dataclass(slots=True)
class Version:
    """A group's version of its share, as its report sent it back to the agenda room."""

    seq: int
    ts: int
    proposals: dict[str, JSON]  # snapshots by id, in the group's order
    categories: dict[str, int]  # each category's counter in the group
    pending: list[str] = field(default_factory=list)  # ids the plenary has not applied yet


@dataclass(slots=True)
class Task:
    """A share of the document sent to a group (in the agenda room's projection)."""

    room: str
    name: str
    categories: list[str]
    task: str  # what the group was asked to do: "to separate the recommendations from …"
    seq: int  # the doc.tasked event
    ts: int
    proposals: list[str] = field(default_factory=list)  # the ids the share held
    share: JSON = field(default_factory=dict)  # the share as doc.tasked recorded it
    version: Version | None = None  # once the group has reported
    ended: str = ""  # "", "endorsed", "taken_up", "withdrawn"
    ended_seq: int | None = None

    @property
    def open(self) -> bool:
        return not self.ended

    def to_dict(self) -> JSON:
        return {
            "room": self.room,
            "name": self.name,
            "categories": self.categories,
            "task": self.task,
            "seq": self.seq,
            "ts": self.ts,
            "proposals": self.proposals,
            "returned": self.version is not None,
            "returned_seq": self.version.seq if self.version else None,
            "version": list(self.version.proposals.values()) if self.version else [],
            "pending": self.version.pending if self.version else [],
            "ended": self.ended,
        }


@dataclass(slots=True)
class Share:
    """In a group's room: this copy of a document is the group's share of it."""

    parent: str  # the agenda room
    tasked: int  # the seq of doc.tasked in the parent's log
    task: str
    reported: int | None = None  # the seq of doc.reported in this room's log


@dataclass(slots=True)
class Document:
    id: int  # the seq of doc.created in the agenda room
    title: str
    description: str
    posted: str  # the day it was posted, YYYY-MM-DD, or ""
    created: int  # ts
    categories: list[Category] = field(default_factory=list)
    proposals: dict[str, Proposal] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # display order of proposal ids
    tasks: list[Task] = field(default_factory=list)  # agenda room: shares sent to groups
    share: Share | None = None  # a group's room: its share

    def category(self, letter: str) -> Category | None:
        return next((c for c in self.categories if c.letter == letter), None)

    def proposal(self, proposal_id: str) -> Proposal | None:
        return self.proposals.get(proposal_id)

    def ordered(self, active_only: bool = False) -> list[Proposal]:
        """Proposals by category, in the document's order within each."""
        letters = [c.letter for c in self.categories]
        rank = {letter: n for n, letter in enumerate(letters)}
        found = [self.proposals[i] for i in self.order if i in self.proposals]
        if active_only:
            found = [p for p in found if p.active]
        return sorted(found, key=lambda p: rank.get(p.category, len(rank)))

    def in_category(self, letter: str, active_only: bool = True) -> list[Proposal]:
        return [p for p in self.ordered(active_only) if p.category == letter]

    def open_task(self, letter: str) -> Task | None:
        """The share not yet settled that holds this category, if any."""
        return next((t for t in self.tasks if t.open and letter in t.categories), None)

    def lock(self, p: Proposal) -> Task | None:
        """The group's share this proposal is in while the agenda room may not change it: from
        tasking until the plenary has applied (or set aside) the group's version of it."""
        for t in self.tasks:
            if not t.open:
                continue
            if t.version is None and (p.category in t.categories or p.id in t.proposals):
                return t
            if t.version is not None and p.id in t.version.pending:
                return t
        return None

    def to_dict(self) -> JSON:
        return {
            "doc": self.id,
            "title": self.title,
            "description": self.description,
            "posted": self.posted,
            "created": self.created,
            "categories": [c.to_dict() for c in self.categories],
            "proposals": [p.to_dict() for p in self.ordered()],
            "tasks": [t.to_dict() for t in self.tasks],
            "share": (
                {
                    "parent": self.share.parent,
                    "tasked": self.share.tasked,
                    "task": self.share.task,
                    "reported": self.share.reported,
                }
                if self.share
                else None
            ),
        }


@dataclass(slots=True)
class Current:
    """The proposal a room is discussing, as its ``doc.current`` event named it (kept up to date
    by later changes to it in the same room)."""

    doc: int
    proposal: str
    category: str
    kind: str
    status: str
    text: str
    since: int

    def to_dict(self) -> JSON:
        return {
            "doc": self.doc,
            "proposal": self.proposal,
            "category": self.category,
            "kind": self.kind,
            "status": self.status,
            "text": self.text,
            "since": self.since,
        }


@dataclass(slots=True)
class Documents:
    """The documents as one room's log holds them: all of them in the agenda room, a group's
    share in its room; and the proposal the room is discussing."""

    room: str = ""
    docs: dict[int, Document] = field(default_factory=dict)
    current: Current | None = None

    def doc(self, doc_id: int) -> Document | None:
        return self.docs.get(doc_id)

    def to_dict(self) -> JSON:
        return {
            "docs": [d.to_dict() for d in self.docs.values()],
            "current": self.current.to_dict() if self.current else None,
        }
