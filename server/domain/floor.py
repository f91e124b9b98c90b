"""The speakers' list of one room: a projection of ``floor.*`` events.

The projection only carries out what each event says (where an entry was inserted, the complete
new order after a reorder, how long an intervention lasted); the choices are made by the rules in
server/domain/floor_rules.py, which run against the current projection inside
``RoomRuntime.execute`` and are appended with ``expect_seq``. So every client and every process
that applies the same events holds the same list at the same seq, a command decided on a list
that has since changed is decided again on the new one, and a later change of the rules never
rewrites what the record says. Event schemas: docs/events.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from server.domain.events import JSON

# The kinds of floor request, each with how people say it: the noun in the record's tables
# ("speech"), the label of a request on the list ("to speak"), and the phrase after "a request"
# ("on a point of order"). One table for the server's messages, its documents and the pages
# (served as /api/vocabulary.json).
KINDS: dict[str, dict[str, str]] = {
    "speak": {"noun": "speech", "label": "to speak", "asking": "to speak"},
    "point_of_order": {
        "noun": "point of order",
        "label": "point of order",
        "asking": "on a point of order",
    },
    "reply": {
        "noun": "right of reply",
        "label": "right of reply",
        "asking": "for a right of reply",
    },
}
PRESENCES: dict[str, str] = {"in_room": "in the room", "remote": "remote"}


@dataclass(frozen=True, slots=True)
class Who:
    """The person a floor event is about, as recorded in the event."""

    participant: str | None
    name: str
    delegation: str = ""
    group: str = ""
    presence: str = "in_room"
    # The chair speaking as the Chair (opening, a presentation of their own): on the list like
    # anyone, but no delegation's or stakeholder group's time.
    chair: bool = False

    def to_dict(self) -> JSON:
        out: JSON = {
            "participant": self.participant,
            "name": self.name,
            "delegation": self.delegation,
            "group": self.group,
            "presence": self.presence,
        }
        if self.chair:
            out["chair"] = True
        return out

    @classmethod
    def from_dict(cls, d: object) -> Who:
        """From an event's ``who``, as the live projection and the record's reports read it."""
        d = d if isinstance(d, Mapping) else {}
        return cls(
            d.get("participant"),
            str(d.get("name") or ""),
            str(d.get("delegation") or ""),
            str(d.get("group") or ""),
            "remote" if d.get("presence") == "remote" else "in_room",
            d.get("chair") is True,
        )

    @property
    def party(self) -> str:
        """Who speaking time is counted for: the delegation, or the person when they have none
        (the Chair speaking as the Chair: "Chair")."""
        return "Chair" if self.chair else self.delegation or self.name

    @property
    def stakeholder_group(self) -> str:
        """The group speaking time is counted for: "Chair" for the Chair, no group's."""
        return "Chair" if self.chair else self.group

    def same_person(self, other: Who) -> bool:
        # Registered participants are known by id; people the chair added by name (no link) by
        # name and delegation, so adding "Peru" twice does not make two entries.
        if self.participant is not None or other.participant is not None:
            return self.participant == other.participant
        return (self.name.casefold(), self.delegation.casefold()) == (
            other.name.casefold(),
            other.delegation.casefold(),
        )

    def label(self) -> str:
        return f"{self.name} ({self.delegation})" if self.delegation else self.name


@dataclass(frozen=True, slots=True)
class About:
    """The proposal of a rolling document a request or an intervention is about: the
    document's id and the proposal's id in it ("A.3")."""

    doc: int
    proposal: str

    def to_dict(self) -> JSON:
        return {"doc": self.doc, "proposal": self.proposal}

    @classmethod
    def from_data(cls, d: JSON) -> About | None:
        """From an event's ``doc`` and ``proposal`` fields, when both are there."""
        doc, proposal = d.get("doc"), d.get("proposal")
        if isinstance(doc, int) and not isinstance(doc, bool) and isinstance(proposal, str):
            return cls(doc, proposal)
        return None


@dataclass(slots=True)
class Entry:
    """A request waiting on the list. Its id is the seq of its ``floor.requested`` event."""

    id: int
    kind: str
    who: Who
    note: str
    ts: int
    about: About | None = None  # the proposal the request named

    def to_dict(self) -> JSON:
        out: JSON = {
            "entry": self.id,
            "kind": self.kind,
            "who": self.who.to_dict(),
            "note": self.note,
            "requested": self.ts,
        }
        if self.about is not None:
            out.update(self.about.to_dict())
        return out


@dataclass(slots=True)
class Intervention:
    """Someone has the floor. Its id is the seq of its ``floor.granted`` event."""

    id: int
    entry: int
    kind: str
    who: Who
    note: str
    began: int
    limit_ms: int | None
    paused_ms: int = 0  # completed pauses
    paused_since: int | None = None  # ts of the pause in progress
    about: About | None = None  # the proposal it is about

    def paused_total(self, now: int) -> int:
        running = max(0, now - self.paused_since) if self.paused_since is not None else 0
        return self.paused_ms + running

    def spoken_ms(self, now: int) -> int:
        return max(0, now - self.began - self.paused_total(now))

    def remaining_ms(self, now: int) -> int | None:
        return None if self.limit_ms is None else self.limit_ms - self.spoken_ms(now)

    def to_dict(self, now: int) -> JSON:
        return {
            "intervention": self.id,
            "entry": self.entry,
            "kind": self.kind,
            "who": self.who.to_dict(),
            "note": self.note,
            "began": self.began,
            "limit_ms": self.limit_ms,
            "paused_ms": self.paused_ms,
            "paused_since": self.paused_since,
            "spoken_ms": self.spoken_ms(now),
            "remaining_ms": self.remaining_ms(now),
            **(self.about.to_dict() if self.about is not None else {}),
        }


@dataclass(slots=True)
class Held:
    """An intervention of this room, running or ended: what a correction of its times needs."""

    id: int
    who: Who
    began: int
    ended: int | None = None  # None while it runs
    spoken_ms: int = 0  # as the record states it once ended
    paused_ms: int = 0

    def to_dict(self) -> JSON:
        return {
            "intervention": self.id,
            "who": self.who.to_dict(),
            "began": self.began,
            "ended": self.ended,
            "spoken_ms": self.spoken_ms,
        }


@dataclass(slots=True)
class Totals:
    """Speaking time and number of interventions, per key (a delegation or a stakeholder group)."""

    ms: dict[str, int] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, ms: int, count: int = 1) -> None:
        self.ms[key] = self.ms.get(key, 0) + ms
        self.count[key] = self.count.get(key, 0) + count

    def to_dict(self) -> JSON:
        return {k: {"ms": self.ms[k], "count": self.count[k]} for k in sorted(self.ms)}


@dataclass(slots=True)
class Floor:
    waiting: list[Entry] = field(default_factory=list)
    current: Intervention | None = None
    closed: bool = False
    points_of_order_when_closed: bool = True
    last: Intervention | None = None  # the last intervention that ended, for "re-add"
    by_delegation: Totals = field(default_factory=Totals)
    by_group: Totals = field(default_factory=Totals)
    # Every intervention of the room by id, in the order given (for corrections of the record).
    held: dict[int, Held] = field(default_factory=dict)

    # -- queries ---------------------------------------------------------------------------
    def entry(self, entry_id: int) -> Entry | None:
        return next((e for e in self.waiting if e.id == entry_id), None)

    def waiting_for(self, who: Who, kind: str) -> Entry | None:
        return next((e for e in self.waiting if e.kind == kind and e.who.same_person(who)), None)

    def place(self, entry_id: int) -> int | None:
        """1 for the first entry waiting."""
        return next((i + 1 for i, e in enumerate(self.waiting) if e.id == entry_id), None)

    def after_points_of_order(self) -> int:
        """The index just after the points of order at the head of the list."""
        index = 0
        while index < len(self.waiting) and self.waiting[index].kind == "point_of_order":
            index += 1
        return index

    def insert_index(self, kind: str) -> int:
        # Points of order go before every ordinary request, first come first served among
        # themselves; requests to speak and rights of reply queue at the end.
        return self.after_points_of_order() if kind == "point_of_order" else len(self.waiting)

    def totals(self, now: int) -> JSON:
        """Totals of ended interventions plus the one running now."""
        by_delegation = Totals(dict(self.by_delegation.ms), dict(self.by_delegation.count))
        by_group = Totals(dict(self.by_group.ms), dict(self.by_group.count))
        if self.current is not None:
            spoken = self.current.spoken_ms(now)
            by_delegation.add(self.current.who.party, spoken)
            by_group.add(self.current.who.stakeholder_group, spoken)
        return {"delegation": by_delegation.to_dict(), "group": by_group.to_dict()}

    def to_dict(self, now: int) -> JSON:
        return {
            "waiting": [e.to_dict() for e in self.waiting],
            "current": self.current.to_dict(now) if self.current else None,
            "closed": self.closed,
            "points_of_order_when_closed": self.points_of_order_when_closed,
            "last": self.last.who.to_dict() if self.last else None,
            "totals": self.totals(now),
        }


# -- the projection: apply events ------------------------------------------------------------
def _requested(f: Floor, seq: int, ts: int, d: JSON) -> None:
    at = max(0, min(int(d.get("at", len(f.waiting))), len(f.waiting)))
    entry = Entry(
        seq, d["kind"], Who.from_dict(d["who"]), d.get("note", ""), ts, About.from_data(d)
    )
    f.waiting.insert(at, entry)


def _left(f: Floor, seq: int, ts: int, d: JSON) -> None:
    f.waiting = [e for e in f.waiting if e.id != d["entry"]]


def _reordered(f: Floor, seq: int, ts: int, d: JSON) -> None:
    by_id = {e.id: e for e in f.waiting}
    ordered = [by_id.pop(i) for i in d["order"] if i in by_id]
    # The rules record only complete orders; anything left over keeps its relative order.
    f.waiting = ordered + [e for e in f.waiting if e.id in by_id]


def _granted(f: Floor, seq: int, ts: int, d: JSON) -> None:
    f.waiting = [e for e in f.waiting if e.id != d["entry"]]
    f.current = Intervention(
        seq,
        d["entry"],
        d["kind"],
        Who.from_dict(d["who"]),
        d.get("note", ""),
        ts,
        d.get("limit_ms"),
        about=About.from_data(d),
    )
    f.held[seq] = Held(seq, f.current.who, ts)


def _paused(f: Floor, seq: int, ts: int, d: JSON) -> None:
    if f.current is not None and f.current.paused_since is None:
        f.current.paused_since = ts


def _resumed(f: Floor, seq: int, ts: int, d: JSON) -> None:
    if f.current is not None and f.current.paused_since is not None:
        f.current.paused_ms += int(d.get("paused_ms", max(0, ts - f.current.paused_since)))
        f.current.paused_since = None


def _limit(f: Floor, seq: int, ts: int, d: JSON) -> None:
    if f.current is not None:
        f.current.limit_ms = d.get("limit_ms")


def _ended(f: Floor, seq: int, ts: int, d: JSON) -> None:
    who = Who.from_dict(d["who"])
    spoken = int(d.get("spoken_ms", 0))
    f.by_delegation.add(who.party, spoken)
    f.by_group.add(who.stakeholder_group, spoken)
    held = f.held.get(d["intervention"])
    if held is not None:
        held.ended, held.spoken_ms = ts, spoken
        held.paused_ms = int(d.get("paused_ms", 0))
    if f.current is not None and f.current.id == d["intervention"]:
        f.last = f.current
        f.current.paused_ms = int(d.get("paused_ms", f.current.paused_ms))
        f.current.paused_since = None
    f.current = None


def _corrected(f: Floor, seq: int, ts: int, d: JSON) -> None:
    """An intervention's start or end put right: its speaking time, and the totals, follow."""
    held = f.held.get(d["intervention"])
    if held is None:
        return
    held.began = int(d["began"])
    if held.ended is not None:
        spoken = int(d.get("spoken_ms", held.spoken_ms))
        delta = spoken - held.spoken_ms
        held.ended, held.spoken_ms = d.get("ended", held.ended), spoken
        # The count of interventions stays; only the time moves.
        f.by_delegation.add(held.who.party, delta, 0)
        f.by_group.add(held.who.stakeholder_group, delta, 0)
    if f.current is not None and f.current.id == held.id:
        f.current.began = held.began


def _closed(f: Floor, seq: int, ts: int, d: JSON) -> None:
    f.closed = True
    f.points_of_order_when_closed = bool(d.get("points_of_order", True))


def _opened(f: Floor, seq: int, ts: int, d: JSON) -> None:
    f.closed = False


HANDLERS: dict[str, Callable[[Floor, int, int, JSON], None]] = {
    "floor.requested": _requested,
    "floor.withdrawn": _left,
    "floor.removed": _left,
    "floor.reordered": _reordered,
    "floor.granted": _granted,
    "floor.paused": _paused,
    "floor.resumed": _resumed,
    "floor.limit": _limit,
    "floor.ended": _ended,
    "floor.corrected": _corrected,
    "floor.closed": _closed,
    "floor.opened": _opened,
}
