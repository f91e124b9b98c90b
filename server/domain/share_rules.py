"""The rules of a break-out group's share of a rolling document: tasking the group (in the
agenda room), its own copy (in its room), its version sent back with its report, and the
plenary's answer: endorse it in one event, take it up proposal by proposal, or set it aside.
Decided against the projections (server/domain/document.py) like every other rule; where two
rooms' logs are involved, the second event is derived from the first one's record, so that a
retry records nothing twice."""

from __future__ import annotations

from collections.abc import Sequence

from server.domain.document import Document, Task
from server.domain.document_rules import check_room, draft, may_number, require_doc
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import JSON, Draft
from server.domain.state import RoomState
from server.limits import MAX_SHARE_PROPOSALS


def task(
    state: RoomState,
    doc_id: int,
    room: str,
    name: str,
    categories: Sequence[str],
    what: str,
    *,
    by: str,
    now: int,
) -> list[Draft]:
    """Send a group (``room``) its share of the document: whole categories (agenda room)."""
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    if doc.share is not None:
        raise CommandRejected("not_here", "a group's share cannot be shared again")
    if not categories:
        raise Invalid("bad_field", "name the categories the group is tasked with")
    held = [t for t in doc.tasks if t.open and t.room == room]
    if held:
        same = held[0].categories == list(categories)
        if same:
            return []  # already tasked with exactly these: a retried request records nothing
        raise CommandRejected("tasked", f"{held[0].name} already holds a share of this document")
    for letter in categories:
        may_number(doc, letter)
    current = state.docs.current
    proposals = [p for letter in categories for p in doc.in_category(letter)]
    for p in proposals:
        if current is not None and current.doc == doc_id and current.proposal == p.id:
            raise CommandRejected(
                "under_discussion",
                f"{p.id} is under discussion here: take up another proposal (or none) first",
            )
    if len(proposals) > MAX_SHARE_PROPOSALS:
        raise CommandRejected(
            "too_many", f"a group's share holds at most {MAX_SHARE_PROPOSALS} proposals"
        )
    share: JSON = {
        "categories": [c.to_dict() for c in doc.categories if c.letter in categories],
        "proposals": [p.snapshot() for p in proposals],
    }
    data: JSON = {
        "doc": doc_id,
        "room": room,
        "name": name,
        "categories": list(categories),
        "task": what,
        "share": share,
    }
    return [draft(state, "doc.tasked", data, by, now)]


def share(
    group: RoomState, parent: RoomState, tasked_seq: int, *, by: str, now: int
) -> list[Draft]:
    """The group's own copy of its share, from the ``doc.tasked`` event in the agenda room
    (``parent``): the first document event of the group's log. Nothing when it is there."""
    group.require_open()
    task_ = None
    doc = None
    for d in parent.docs.docs.values():
        task_ = next((t for t in d.tasks if t.seq == tasked_seq), None)
        if task_ is not None:
            doc = d
            break
    if task_ is None or doc is None:
        raise CommandRejected("no_such_task", "that task is not recorded in the plenary")
    if doc.id in group.docs.docs:
        return []
    recorded = task_.share
    data: JSON = {
        "doc": doc.id,
        "title": doc.title,
        "description": doc.description,
        "posted": doc.posted,
        "parent": parent.room,
        "tasked": tasked_seq,
        "task": task_.task,
        "categories": recorded.get("categories", []),
        "proposals": recorded.get("proposals", []),
    }
    return [draft(group, "doc.share", data, by, now)]


def report(group: RoomState, *, by: str, now: int) -> list[Draft]:
    """The group's version of each share it holds, for its report (before it closes)."""
    drafts = []
    for doc in group.docs.docs.values():
        if doc.share is None or doc.share.reported is not None:
            continue
        version: JSON = {
            "categories": [c.to_dict() for c in doc.categories],
            "proposals": [p.snapshot() for p in doc.ordered()],
        }
        drafts.append(draft(group, "doc.reported", {"doc": doc.id, "version": version}, by, now))
    return drafts


def returned(plenary: RoomState, group: RoomState, name: str, *, by: str, now: int) -> list[Draft]:
    """The agenda room's copy of a group's reported version: what the plenary can endorse or
    take up. Nothing when it is already there (a retried report)."""
    drafts = []
    for doc in group.docs.docs.values():
        if doc.share is None or doc.share.reported is None:
            continue
        mine = plenary.docs.doc(doc.id)
        task_ = next(
            (t for t in (mine.tasks if mine else []) if t.room == group.room and t.open), None
        )
        if task_ is None or task_.version is not None:
            continue
        version: JSON = {
            "categories": [c.to_dict() for c in doc.categories],
            "proposals": [p.snapshot() for p in doc.ordered()],
        }
        data: JSON = {"doc": doc.id, "room": group.room, "name": name, "version": version}
        drafts.append(draft(plenary, "doc.returned", data, by, now))
    return drafts


def _returned_task(doc: Document, room: str) -> Task:
    task_ = next((t for t in reversed(doc.tasks) if t.room == room), None)
    if task_ is None:
        raise CommandRejected("no_such_task", f"no group in room {room!r} holds a share of it")
    if not task_.open:
        raise CommandRejected(
            "settled", f"{task_.name}'s share is settled ({task_.ended.replace('_', ' ')})"
        )
    if task_.version is None:
        raise CommandRejected("not_reported", f"{task_.name} has not reported its version yet")
    return task_


def endorse(state: RoomState, doc_id: int, room: str, *, by: str, now: int) -> list[Draft]:
    """The plenary endorses a group's work: one event that applies its whole version."""
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    task_ = _returned_task(doc, room)
    assert task_.version is not None
    version: JSON = {
        "categories": [{"letter": k, "next": v} for k, v in task_.version.categories.items()],
        "proposals": [task_.version.proposals[pid] for pid in task_.version.pending],
    }
    data: JSON = {"doc": doc_id, "room": room, "name": task_.name, "version": version}
    return [draft(state, "doc.endorsed", data, by, now)]


def take_up(
    state: RoomState, doc_id: int, room: str, pid: str, *, by: str, now: int
) -> list[Draft]:
    """Apply a group's version of one proposal (the plenary takes its work up one by one)."""
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    task_ = _returned_task(doc, room)
    assert task_.version is not None
    if pid not in task_.version.pending:
        raise CommandRejected(
            "no_such_proposal",
            f"{pid} is not among {task_.name}'s proposals waiting to be taken up",
        )
    data: JSON = {
        "doc": doc_id,
        "room": room,
        "name": task_.name,
        "proposal": pid,
        "version": task_.version.proposals[pid],
    }
    return [draft(state, "doc.taken_up", data, by, now)]


def withdraw_task(state: RoomState, doc_id: int, room: str, *, by: str, now: int) -> list[Draft]:
    """Set a group's share aside: the plenary may change its proposals again; nothing of the
    group's version (if any) is applied."""
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    task_ = next((t for t in doc.tasks if t.room == room and t.open), None)
    if task_ is None:
        return []
    return [draft(state, "doc.task_withdrawn", {"doc": doc_id, "room": room}, by, now)]
