"""The rules of the rolling document: what each command records, decided against the room's
projection (server/domain/document.py). As for the speakers' list, a rule returns drafts or
raises ``CommandRejected`` with a message that says why; ``RoomRuntime.execute`` appends them
with ``expect_seq``, so two chairs editing at once are serialised and the second is decided on
what the first left.

A change to a proposal may carry the ``rev`` the editor saw (the seq of the last event that
changed the proposal, as the room's projection gives it): when the proposal has changed since,
the change is refused with what it now says, so nobody overwrites an edit they never saw.

Every event records who acted (``by``) and the agenda item the room was on (``item``); the room
is the event's own. What groups do with a share of a document is in
server/domain/share_rules.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.domain.document import (
    KINDS,
    STATUSES,
    Document,
    Proposal,
    Submitter,
    Task,
    make_id,
    parse_id,
)
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import JSON, Draft
from server.domain.floor import About
from server.domain.state import RoomState
from server.limits import MAX_CATEGORIES, MAX_DOCUMENTS, MAX_PROPOSALS


@dataclass(frozen=True, slots=True)
class NewProposal:
    """A proposal to record, checked (server/domain/document_import.py or a command's args)."""

    category: str
    text: str
    kind: str = "unsorted"
    submitted_by: tuple[Submitter, ...] = ()
    id: str | None = None  # given by an imported file; None: the category's next number


def _base(state: RoomState, by: str) -> JSON:
    current = state.agenda.current
    return {"by": by, "item": current.item if current is not None else None}


def draft(state: RoomState, type_: str, data: JSON, by: str, now: int) -> Draft:
    """A document event of this room: ``data`` with who acted and the item the room is on."""
    return state.draft(type_, {**data, **_base(state, by)}, now)


def require_doc(state: RoomState, doc_id: int) -> Document:
    doc = state.docs.doc(doc_id)
    if doc is None:
        where = "this group's room" if state.docs.docs else "this room"
        raise CommandRejected(
            "no_such_document", f"there is no rolling document {doc_id} in {where}"
        )
    return doc


def which_doc(state: RoomState, doc_id: int | None) -> int:
    """The document a command means: the one it names, else the one whose proposal is under
    discussion here, else the room's only document."""
    if doc_id is not None:
        return doc_id
    if state.docs.current is not None:
        return state.docs.current.doc
    if len(state.docs.docs) == 1:
        return next(iter(state.docs.docs))
    if not state.docs.docs:
        raise CommandRejected("no_such_document", "there is no rolling document in this room")
    raise Invalid("bad_field", "this room has several documents: say which one ('doc')")


def about(state: RoomState, doc_id: int | None, proposal_id: str) -> About:
    """The proposal a floor request names, if this room has it."""
    doc = require_doc(state, which_doc(state, doc_id))
    p = _active(doc, proposal_id)
    return About(doc.id, p.id)


def _require_proposal(doc: Document, proposal_id: str) -> Proposal:
    p = doc.proposal(proposal_id)
    if p is None:
        raise CommandRejected(
            "no_such_proposal", f"there is no proposal {proposal_id!r} in “{doc.title}”"
        )
    return p


def _active(doc: Document, proposal_id: str) -> Proposal:
    p = _require_proposal(doc, proposal_id)
    if p.merged_into is not None:
        raise CommandRejected(
            "merged", f"{p.id} was merged into {p.merged_into}: change {p.merged_into} instead"
        )
    return p


def with_group(task: Task, p: Proposal) -> CommandRejected:
    if task.version is None:
        return CommandRejected(
            "with_group",
            f"{p.id} is with {task.name} (tasked with category {', '.join(task.categories)}): "
            "wait for its report, or withdraw the task",
        )
    return CommandRejected(
        "with_group",
        f"{task.name} has sent back its version of {p.id}: endorse its report or take up its "
        f"version of {p.id} first",
    )


def _editable(state: RoomState, doc: Document, proposal_id: str, rev: int | None) -> Proposal:
    """The proposal, if this room may change it now and it is as the editor last saw it."""
    p = _active(doc, proposal_id)
    task = doc.lock(p)
    if task is not None:
        raise with_group(task, p)
    if rev is not None and rev != p.rev:
        last = p.history[-1] if p.history else None
        who = f" by {last.by}" if last is not None and last.by else ""
        raise CommandRejected(
            "stale",
            f"{p.id} has been changed since you looked{who}; it now reads: “{p.text[:300]}” "
            f"(status: {STATUSES.get(p.status, p.status)}). Make your change again on this "
            "version.",
        )
    return p


def may_number(doc: Document, letter: str) -> None:
    """New ids in a category come from its counter: not while a group holds the category."""
    if doc.category(letter) is None:
        letters = ", ".join(c.letter for c in doc.categories) or "none yet"
        raise CommandRejected(
            "no_such_category", f"there is no category {letter!r} here (categories: {letters})"
        )
    task = doc.open_task(letter)
    if task is not None:
        raise CommandRejected(
            "with_group",
            f"category {letter} is with {task.name} until the plenary has its version: add or "
            "move proposals there, or wait",
        )


def check_room(state: RoomState, doc: Document) -> None:
    state.require_open()
    if doc.share is not None and doc.share.reported is not None:
        raise CommandRejected("reported", "this group has reported its version back")


# -- creating --------------------------------------------------------------------------------------
def check_categories(categories: Sequence[tuple[str, str]]) -> None:
    letters = [letter for letter, _ in categories]
    if len(letters) > MAX_CATEGORIES:
        raise Invalid("too_many", f"a document has at most {MAX_CATEGORIES} categories")
    for letter in letters:
        if parse_id(make_id(letter, 1)) is None:
            raise Invalid(
                "bad_field", f"category {letter!r}: a category is named by 1 to 3 capital letters"
            )
    if len(set(letters)) != len(letters):
        raise Invalid("bad_field", "a category letter appears twice")


def create(
    state: RoomState,
    title: str,
    description: str,
    posted: str,
    categories: Sequence[tuple[str, str]],
    proposals: Sequence[NewProposal] = (),
    *,
    by: str,
    now: int,
) -> list[Draft]:
    """A new document, with its proposals (an import) in the same append: all or nothing."""
    state.require_open()
    if len(state.docs.docs) >= MAX_DOCUMENTS:
        raise CommandRejected("too_many", f"a meeting has at most {MAX_DOCUMENTS} documents")
    check_categories(categories)
    if len(proposals) > MAX_PROPOSALS:
        raise Invalid("too_many", f"a document has at most {MAX_PROPOSALS} proposals")
    doc_id = state.seq + 1  # the seq the first draft will get: execute appends at state.seq
    data: JSON = {
        "title": title,
        "description": description,
        "posted": posted,
        "categories": [{"letter": letter, "title": t} for letter, t in categories],
    }
    drafts = [draft(state, "doc.created", data, by, now)]
    letters = {letter for letter, _ in categories}
    taken = {p.id for p in proposals if p.id is not None}
    counters = {letter: 1 for letter in letters}
    for pid in taken:
        parsed = parse_id(pid)
        if parsed is not None and parsed[0] in counters:
            counters[parsed[0]] = max(counters[parsed[0]], parsed[1] + 1)
    for p in proposals:
        if p.category not in letters:
            raise Invalid("bad_field", f"proposal in an unknown category {p.category!r}")
        if p.id is not None:
            pid = p.id
        else:
            pid = make_id(p.category, counters[p.category])
            counters[p.category] += 1
        drafts.append(draft(state, "doc.proposed", _proposed(doc_id, pid, p), by, now))
    return drafts


def _proposed(doc_id: int, pid: str, p: NewProposal) -> JSON:
    return {
        "doc": doc_id,
        "proposal": pid,
        "category": p.category,
        "text": p.text,
        "kind": p.kind,
        "submitted_by": [s.to_dict() for s in p.submitted_by],
    }


def add_category(
    state: RoomState, doc_id: int, letter: str, title: str, *, by: str, now: int
) -> list[Draft]:
    """Add a category at the end, or retitle one."""
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    if doc.share is not None:
        raise CommandRejected("not_here", "categories are the plenary's: add them there")
    existing = doc.category(letter)
    if existing is None:
        check_categories([*((c.letter, c.title) for c in doc.categories), (letter, title)])
    elif existing.title == title:
        return []
    data: JSON = {"doc": doc_id, "letter": letter, "title": title, "at": len(doc.categories)}
    return [draft(state, "doc.category", data, by, now)]


def propose(state: RoomState, doc_id: int, p: NewProposal, *, by: str, now: int) -> list[Draft]:
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    may_number(doc, p.category)
    if len(doc.proposals) >= MAX_PROPOSALS:
        raise CommandRejected("too_many", f"a document has at most {MAX_PROPOSALS} proposals")
    category = doc.category(p.category)
    assert category is not None
    pid = make_id(p.category, category.next)
    return [draft(state, "doc.proposed", _proposed(doc_id, pid, p), by, now)]


# -- changing proposals ----------------------------------------------------------------------------
def revise(
    state: RoomState, doc_id: int, pid: str, text: str, rev: int | None, *, by: str, now: int
) -> list[Draft]:
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    p = _editable(state, doc, pid, rev)
    if p.text == text:
        return []
    data: JSON = {"doc": doc_id, "proposal": pid, "text": text, "was": p.text}
    return [draft(state, "doc.revised", data, by, now)]


def split(
    state: RoomState,
    doc_id: int,
    pid: str,
    parts: Sequence[str],
    kinds: Sequence[str],
    rev: int | None,
    *,
    by: str,
    now: int,
) -> list[Draft]:
    """Split a proposal: its first part keeps its id, each other part gets the category's next
    number. ``kinds``: the kind of each part (empty: each keeps the proposal's)."""
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    p = _editable(state, doc, pid, rev)
    if len(parts) < 2:
        raise Invalid("bad_field", "a split needs at least two parts")
    if kinds and len(kinds) != len(parts):
        raise Invalid("bad_field", "give one kind per part, or none")
    if doc.share is None:
        may_number(doc, p.category)
    if len(doc.proposals) + len(parts) - 1 > MAX_PROPOSALS:
        raise CommandRejected("too_many", f"a document has at most {MAX_PROPOSALS} proposals")
    category = doc.category(p.category)
    number = category.next if category is not None else 1
    out = []
    for n, text in enumerate(parts[1:], 1):
        out.append({
            "proposal": make_id(p.category, number + n - 1),
            "text": text,
            "kind": kinds[n] if kinds else p.kind,
        })  # fmt: skip
    data: JSON = {"doc": doc_id, "proposal": pid, "text": parts[0], "was": p.text, "parts": out}
    drafts = [draft(state, "doc.split", data, by, now)]
    if kinds and kinds[0] != p.kind:
        kind: JSON = {"doc": doc_id, "proposal": pid, "kind": kinds[0], "was": p.kind}
        drafts.append(draft(state, "doc.kind", kind, by, now))
    return drafts


def merge(
    state: RoomState,
    doc_id: int,
    pids: Sequence[str],
    text: str,
    revs: dict[str, int],
    *,
    by: str,
    now: int,
) -> list[Draft]:
    """Merge proposals into the first of them, which keeps its id and takes ``text``; the
    others are retired (their ids are never given again)."""
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    if len(pids) < 2 or len(set(pids)) != len(pids):
        raise Invalid("bad_field", "name at least two different proposals to merge")
    found = [_editable(state, doc, pid, revs.get(pid)) for pid in pids]
    current = state.docs.current
    for q in found[1:]:
        if current is not None and current.doc == doc_id and current.proposal == q.id:
            raise CommandRejected(
                "under_discussion",
                f"{q.id} is under discussion here: merge it as the first proposal, or take up "
                "another one first",
            )
    into = found[0]
    data: JSON = {
        "doc": doc_id,
        "proposal": into.id,
        "text": text,
        "was": into.text,
        "merged": [q.id for q in found[1:]],
    }
    return [draft(state, "doc.merged", data, by, now)]


def move(
    state: RoomState, doc_id: int, pid: str, category: str, rev: int | None, *, by: str, now: int
) -> list[Draft]:
    """Re-categorise a proposal. Its id does not change: it is how the record knows it."""
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    p = _editable(state, doc, pid, rev)
    if p.category == category:
        return []
    if doc.share is None:
        may_number(doc, category)
    elif doc.category(category) is None:
        raise CommandRejected(
            "no_such_category", f"category {category!r} is not part of this group's share"
        )
    data: JSON = {"doc": doc_id, "proposal": pid, "category": category, "was": p.category}
    return [draft(state, "doc.moved", data, by, now)]


def set_kind(
    state: RoomState, doc_id: int, pids: Sequence[str], kind: str, *, by: str, now: int
) -> list[Draft]:
    if kind not in KINDS:
        raise Invalid("bad_field", f"kind must be one of: {', '.join(KINDS)}")
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    drafts = []
    for pid in pids:
        p = _editable(state, doc, pid, None)
        if p.kind != kind:
            data: JSON = {"doc": doc_id, "proposal": pid, "kind": kind, "was": p.kind}
            drafts.append(draft(state, "doc.kind", data, by, now))
    return drafts


def set_status(
    state: RoomState, doc_id: int, pids: Sequence[str], status: str, *, by: str, now: int
) -> list[Draft]:
    """Record what became of proposals (one event each, in one append)."""
    if status not in STATUSES:
        raise Invalid("bad_field", f"status must be one of: {', '.join(STATUSES)}")
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    drafts = []
    for pid in pids:
        p = _editable(state, doc, pid, None)
        if p.status != status:
            data: JSON = {"doc": doc_id, "proposal": pid, "status": status, "was": p.status}
            drafts.append(draft(state, "doc.status", data, by, now))
    return drafts


def set_current(
    state: RoomState, doc_id: int | None, pid: str | None, *, by: str, now: int
) -> list[Draft]:
    """Put a proposal under discussion in this room (``None``: none). A proposal not yet
    discussed becomes "under discussion", in the same append."""
    state.require_open()
    current = state.docs.current
    if doc_id is None or pid is None:
        if current is None:
            return []
        data: JSON = {"doc": None, "proposal": None, "category": "", "kind": "", "status": "",
                      "text": ""}  # fmt: skip
        return [draft(state, "doc.current", data, by, now)]
    doc = require_doc(state, doc_id)
    check_room(state, doc)
    p = _editable(state, doc, pid, None)
    if current is not None and (current.doc, current.proposal) == (doc_id, pid):
        return []
    status = "under_discussion" if p.status == "not_yet_discussed" else p.status
    data = {"doc": doc_id, "proposal": pid, "category": p.category, "kind": p.kind,
            "status": status, "text": p.text}  # fmt: skip
    drafts = [draft(state, "doc.current", data, by, now)]
    if status != p.status:
        changed: JSON = {"doc": doc_id, "proposal": pid, "status": status, "was": p.status}
        drafts.append(draft(state, "doc.status", changed, by, now))
    return drafts
