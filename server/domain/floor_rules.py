"""The rules of the speakers' list: what each command records, decided against the projection.

Each function takes the room's current state and returns the drafts to append (none when the
command changes nothing, such as a repeated request) or raises ``CommandRejected`` with a message
that says why. They run inside ``RoomRuntime.execute``, which appends with ``expect_seq`` and
decides again when another process appended first. The projection is server/domain/floor.py.
"""

from __future__ import annotations

from server.domain.errors import CommandRejected
from server.domain.events import JSON, Draft
from server.domain.floor import KINDS, About, Floor, Intervention, Who
from server.domain.state import RoomState, reordering
from server.limits import MAX_WAITING_ENTRIES


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
    about: About | None = None,
) -> list[Draft]:
    """A participant asks for the floor, or the chair adds someone to the list; ``about``: the
    proposal the request names, if any."""
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
    if about is not None:
        data.update(about.to_dict())
    return [state.draft("floor.requested", data, now)]


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
                "not_waiting", f"you have no request {KINDS[kind or 'speak']['asking']} waiting"
            )
    return [state.draft("floor.withdrawn", {"entry": entry.id, "by": by}, now)]


def remove(state: RoomState, entry_id: int, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    if state.floor.entry(entry_id) is None:
        raise _gone(state.floor, entry_id)
    return [state.draft("floor.removed", {"entry": entry_id, "by": by}, now)]


def reorder(state: RoomState, order: list[int], *, by: str, now: int) -> list[Draft]:
    """Set the complete order of the waiting list, as the chair saw it after moving entries."""
    state.require_open()
    current = [e.id for e in state.floor.waiting]
    changed = reordering(
        current,
        order,
        "the list has changed since you looked (an entry was added, granted, withdrawn or "
        f"removed; {len(current)} waiting now): reorder it again",
    )
    if not changed:
        return []
    return [state.draft("floor.reordered", {"order": order, "by": by}, now)]


def _end_draft(state: RoomState, current: Intervention, reason: str, by: str, now: int) -> Draft:
    return state.draft(
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
    # The intervention is about the proposal its request named, or else the one under
    # discussion in the room when the floor is given.
    proposal = state.docs.current
    about = entry.about or (About(proposal.doc, proposal.proposal) if proposal else None)
    if about is not None:
        data.update(about.to_dict())
    drafts.append(state.draft("floor.granted", data, now))
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
    return [state.draft("floor.paused", {"intervention": current.id, "by": by}, now)]


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
    return [state.draft("floor.resumed", data, now)]


def set_limit(
    state: RoomState, intervention: int | None, limit_ms: int | None, *, by: str, now: int
) -> list[Draft]:
    state.require_open()
    current = _require_current(state.floor, intervention)
    if current.limit_ms == limit_ms:
        return []
    data: JSON = {"intervention": current.id, "limit_ms": limit_ms, "by": by}
    return [state.draft("floor.limit", data, now)]


def close(state: RoomState, points_of_order: bool, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    f = state.floor
    if f.closed and f.points_of_order_when_closed == points_of_order:
        return []
    data: JSON = {"points_of_order": points_of_order, "by": by}
    return [state.draft("floor.closed", data, now)]


def reopen(state: RoomState, *, by: str, now: int) -> list[Draft]:
    state.require_open()
    if not state.floor.closed:
        return []
    return [state.draft("floor.opened", {"by": by}, now)]


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
    return [state.draft("floor.requested", data, now)]
