"""The speakers' list of one room: a projection of ``floor.*`` events, and the rules that decide
them.

The projection only carries out what each event says (where an entry was inserted, the complete
new order after a reorder, how long an intervention lasted); the choices are made by the
``decide`` functions below, which run against the current projection inside
``RoomRuntime.execute`` and are appended with ``expect_seq``. So every client and every process
that applies the same events holds the same list at the same seq, a command decided on a list
that has since changed is decided again on the new one, and a later change of the rules never
rewrites what the record says. Event schemas: docs/events.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from server.errors import CommandRejected
from server.events import JSON, Draft
from server.limits import MAX_WAITING_ENTRIES

if TYPE_CHECKING:
    from server.state import RoomState

KINDS = ("speak", "point_of_order", "reply")
KIND_LABELS = {"speak": "to speak", "point_of_order": "on a point of order", "reply": "in reply"}
PRESENCES = ("remote", "in_room")


@dataclass(frozen=True, slots=True)
class Who:
    """The person a floor event is about, as recorded in the event."""

    participant: str | None
    name: str
    delegation: str = ""
    group: str = ""
    presence: str = "in_room"

    def to_dict(self) -> JSON:
        return {
            "participant": self.participant,
            "name": self.name,
            "delegation": self.delegation,
            "group": self.group,
            "presence": self.presence,
        }

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
        )

    @property
    def party(self) -> str:
        """Who speaking time is counted for: the delegation, or the person when they have none."""
        return self.delegation or self.name

    def same_person(self, other: Who) -> bool:
        # Registered participants are known by id; people the chair added by name (no link) by
        # name and delegation, so adding "Peru" twice does not make two entries.
        if self.participant is not None or other.participant is not None:
            return self.participant == other.participant
        return (self.name.casefold(), self.delegation.casefold()) == (
            other.name.casefold(),
            other.delegation.casefold(),
        )

    @property
    def delegation_key(self) -> str:
        return self.delegation or self.name

    def label(self) -> str:
        return f"{self.name} ({self.delegation})" if self.delegation else self.name


@dataclass(slots=True)
class Entry:
    """A request waiting on the list. Its id is the seq of its ``floor.requested`` event."""

    id: int
    kind: str
    who: Who
    note: str
    ts: int

    def to_dict(self) -> JSON:
        return {
            "entry": self.id,
            "kind": self.kind,
            "who": self.who.to_dict(),
            "note": self.note,
            "requested": self.ts,
        }


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
            by_delegation.add(self.current.who.delegation_key, spoken)
            by_group.add(self.current.who.group, spoken)
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
    f.waiting.insert(at, Entry(seq, d["kind"], Who.from_dict(d["who"]), d.get("note", ""), ts))


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
    )


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
    f.by_delegation.add(who.delegation_key, spoken)
    f.by_group.add(who.group, spoken)
    if f.current is not None and f.current.id == d["intervention"]:
        f.last = f.current
        f.current.paused_ms = int(d.get("paused_ms", f.current.paused_ms))
        f.current.paused_since = None
    f.current = None


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
    "floor.closed": _closed,
    "floor.opened": _opened,
}


# -- the rules: decide what a command records --------------------------------------------------
def _draft(state: RoomState, type_: str, data: JSON, now: int) -> Draft:
    return Draft(type_, state.room, data, now)


def _gone(f: Floor, entry_id: int) -> CommandRejected:
    if f.current is not None and f.current.entry == entry_id:
        return CommandRejected(
            "entry_gone", f"{f.current.who.label()} already has the floor (the list has changed)"
        )
    return CommandRejected(
        "entry_gone",
        "that request is no longer on the list (it was granted, withdrawn or removed)",
    )


def _require_current(f: Floor, intervention: int | None) -> Intervention:
    if f.current is None:
        raise CommandRejected("no_speaker", "nobody has the floor")
    if intervention is not None and f.current.id != intervention:
        raise CommandRejected(
            "stale",
            f"that intervention has already ended; {f.current.who.label()} has the floor now",
        )
    return f.current


def request(
    state: RoomState,
    who: Who,
    kind: str,
    note: str,
    *,
    by: str,
    chair: bool,
    now: int,
) -> list[Draft]:
    """A participant asks for the floor, or the chair adds someone to the list."""
    state.require_open()
    f = state.floor
    if f.waiting_for(who, kind) is not None:
        return []  # one waiting request per person and kind: a repeat records nothing
    if f.closed and not chair and not (kind == "point_of_order" and f.points_of_order_when_closed):
        hint = "; you can still raise a point of order" if f.points_of_order_when_closed else ""
        raise CommandRejected("list_closed", f"the speakers' list is closed{hint}")
    if len(f.waiting) >= MAX_WAITING_ENTRIES:
        raise CommandRejected(
            "list_full", f"the list already has {MAX_WAITING_ENTRIES} entries waiting"
        )
    data: JSON = {
        "kind": kind,
        "who": who.to_dict(),
        "note": note,
        "at": f.insert_index(kind),
        "by": by,
        "via": "chair" if chair else "participant",
    }
    return [_draft(state, "floor.requested", data, now)]


def withdraw(
    state: RoomState, who: Who, entry_id: int | None, kind: str | None, *, by: str, now: int
) -> list[Draft]:
    """A participant withdraws their own request (by entry id or by kind)."""
    state.require_open()
    f = state.floor
    if entry_id is not None:
        entry = f.entry(entry_id)
        if entry is None:
            raise _gone(f, entry_id)
        if not entry.who.same_person(who):
            raise CommandRejected("forbidden", "you can only withdraw your own request")
    else:
        entry = f.waiting_for(who, kind or "speak")
        if entry is None:
            raise CommandRejected(
                "not_waiting", f"you have no request {KIND_LABELS[kind or 'speak']} waiting"
            )
    return [_draft(state, "floor.withdrawn", {"entry": entry.id, "by": by}, now)]


def remove(state: RoomState, entry_id: int, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    if state.floor.entry(entry_id) is None:
        raise _gone(state.floor, entry_id)
    return [_draft(state, "floor.removed", {"entry": entry_id, "by": by}, now)]


def reorder(state: RoomState, order: list[int], *, by: str, now: int) -> list[Draft]:
    """Set the complete order of the waiting list, as the chair saw it after moving entries."""
    state.require_open()
    current = [e.id for e in state.floor.waiting]
    if len(order) != len(current) or set(order) != set(current):
        raise CommandRejected(
            "stale_list",
            "the list has changed since you looked (an entry was added, granted, withdrawn or "
            f"removed; {len(current)} waiting now): reorder it again",
        )
    if order == current:
        return []
    return [_draft(state, "floor.reordered", {"order": order, "by": by}, now)]


def _end_draft(state: RoomState, current: Intervention, reason: str, by: str, now: int) -> Draft:
    return _draft(
        state,
        "floor.ended",
        {
            "intervention": current.id,
            "entry": current.entry,
            "kind": current.kind,
            "who": current.who.to_dict(),
            "began": current.began,
            "spoken_ms": current.spoken_ms(now),
            "paused_ms": current.paused_total(now),
            "limit_ms": current.limit_ms,
            "reason": reason,
            "by": by,
        },
        now,
    )


def grant(
    state: RoomState, entry_id: int | None, limit_ms: int | None, *, by: str, now: int
) -> list[Draft]:
    """Give the floor to an entry (``None``: the first waiting), ending the intervention in
    progress in the same append."""
    state.require_open()
    f = state.floor
    if entry_id is None:
        if not f.waiting:
            raise CommandRejected("list_empty", "nobody is waiting for the floor")
        entry = f.waiting[0]
    else:
        found = f.entry(entry_id)
        if found is None:
            raise _gone(f, entry_id)
        entry = found
    drafts = []
    if f.current is not None:
        drafts.append(_end_draft(state, f.current, "next", by, now))
    data: JSON = {
        "entry": entry.id,
        "kind": entry.kind,
        "who": entry.who.to_dict(),
        "note": entry.note,
        "requested": entry.ts,
        "limit_ms": limit_ms,
        "by": by,
    }
    drafts.append(_draft(state, "floor.granted", data, now))
    return drafts


def end(
    state: RoomState, intervention: int | None, *, by: str, now: int, reason: str = "ended"
) -> list[Draft]:
    if reason != "room_closed":
        state.require_open()
    return [_end_draft(state, _require_current(state.floor, intervention), reason, by, now)]


def pause(state: RoomState, intervention: int | None, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    current = _require_current(state.floor, intervention)
    if current.paused_since is not None:
        return []
    return [_draft(state, "floor.paused", {"intervention": current.id, "by": by}, now)]


def resume(state: RoomState, intervention: int | None, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    current = _require_current(state.floor, intervention)
    if current.paused_since is None:
        return []
    data: JSON = {
        "intervention": current.id,
        "paused_ms": max(0, now - current.paused_since),
        "by": by,
    }
    return [_draft(state, "floor.resumed", data, now)]


def set_limit(
    state: RoomState, intervention: int | None, limit_ms: int | None, *, by: str, now: int
) -> list[Draft]:
    state.require_open()
    current = _require_current(state.floor, intervention)
    if current.limit_ms == limit_ms:
        return []
    data: JSON = {"intervention": current.id, "limit_ms": limit_ms, "by": by}
    return [_draft(state, "floor.limit", data, now)]


def close(state: RoomState, points_of_order: bool, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    f = state.floor
    if f.closed and f.points_of_order_when_closed == points_of_order:
        return []
    data: JSON = {"points_of_order": points_of_order, "by": by}
    return [_draft(state, "floor.closed", data, now)]


def reopen(state: RoomState, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    if not state.floor.closed:
        return []
    return [_draft(state, "floor.opened", {"by": by}, now)]


def readd_last(state: RoomState, *, by: str, now: int) -> list[Draft]:
    """Put the last speaker back at the head of the ordinary requests (after points of order)."""
    state.require_open()
    f = state.floor
    last = f.last
    if last is None:
        raise CommandRejected("nobody_spoke", "nobody has had the floor yet in this room")
    # Someone who spoke on a point of order comes back as an ordinary speaker.
    kind = "speak" if last.kind == "point_of_order" else last.kind
    if f.waiting_for(last.who, kind) is not None:
        raise CommandRejected("already_waiting", f"{last.who.label()} is already on the list")
    data: JSON = {
        "kind": kind,
        "who": last.who.to_dict(),
        "note": "",
        "at": f.after_points_of_order(),
        "by": by,
        "via": "chair",
        "readded": last.id,
    }
    return [_draft(state, "floor.requested", data, now)]


# -- attribution of transcript lines ----------------------------------------------------------
def attribute(state: RoomState, line: Mapping[str, Any]) -> JSON:
    """A committed line with the speaker who has the floor and the current agenda item.

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
    return out
