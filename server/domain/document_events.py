"""The projection of ``doc.*`` events onto a room's documents (server/domain/document.py): each
handler carries out what its event says, tolerating fields it does not find, so the live
projection and the record's reading of an old log agree. Event schemas: docs/events.md."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from server.domain.document import (
    Category,
    Change,
    Current,
    Document,
    Documents,
    Proposal,
    Share,
    Submitter,
    Task,
    Version,
    parse_id,
)
from server.domain.events import JSON


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _item(d: JSON) -> int | None:
    return _int(d.get("item"))


def _find(ds: Documents, d: JSON) -> Document | None:
    doc_id = _int(d.get("doc"))
    return ds.docs.get(doc_id) if doc_id is not None else None


def _change(ds: Documents, seq: int, ts: int, type_: str, d: JSON, **fields: Any) -> Change:
    return Change(seq, ts, ds.room, type_, _str(d.get("by")), _item(d), **fields)


def _bump(doc: Document, proposal_id: str) -> None:
    parsed = parse_id(proposal_id)
    if parsed is None:
        return
    letter, number = parsed
    category = doc.category(letter)
    if category is not None and number >= category.next:
        category.next = number + 1


def _refresh_current(ds: Documents, doc: Document, p: Proposal) -> None:
    cur = ds.current
    if cur is not None and cur.doc == doc.id and cur.proposal == p.id:
        cur.category, cur.kind, cur.status, cur.text = p.category, p.kind, p.status, p.text


def _submitters(value: object) -> list[Submitter]:
    return [Submitter.from_dict(s) for s in value] if isinstance(value, list) else []


def _categories(value: object) -> list[Category]:
    out = []
    for c in value if isinstance(value, list) else []:
        if isinstance(c, Mapping) and isinstance(c.get("letter"), str):
            out.append(Category(c["letter"], _str(c.get("title")), _int(c.get("next")) or 1))
    return out


def _new(snapshot: Mapping[str, Any]) -> Proposal | None:
    pid, category = snapshot.get("proposal"), snapshot.get("category")
    if not isinstance(pid, str) or not isinstance(category, str):
        return None
    merged = snapshot.get("merged_into")
    split = snapshot.get("split_from")
    text = _str(snapshot.get("text"))
    return Proposal(
        pid,
        category,
        text,
        _str(snapshot.get("kind"), "unsorted"),
        _str(snapshot.get("status"), "not_yet_discussed"),
        _submitters(snapshot.get("submitted_by")),
        split if isinstance(split, str) else None,
        merged if isinstance(merged, str) else None,
        first_text=text,
    )


def _insert(doc: Document, p: Proposal, after: str | None = None) -> None:
    """Add a proposal to the document: after ``after`` and the parts already split from it
    (a split's parts follow the proposal they came from), or at the end."""
    doc.proposals[p.id] = p
    if p.id in doc.order:
        return
    if after is not None and after in doc.order:
        at = doc.order.index(after) + 1
        while at < len(doc.order) and doc.proposals.get(doc.order[at]) is not None:
            follower = doc.proposals[doc.order[at]]
            if follower.split_from != after:
                break
            at += 1
        doc.order.insert(at, p.id)
    else:
        doc.order.append(p.id)
    _bump(doc, p.id)


def _created(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    ds.docs[seq] = Document(
        seq,
        _str(d.get("title")),
        _str(d.get("description")),
        _str(d.get("posted")),
        ts,
        _categories(d.get("categories")),
    )


def _category(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    doc = _find(ds, d)
    letter = d.get("letter")
    if doc is None or not isinstance(letter, str):
        return
    existing = doc.category(letter)
    if existing is not None:
        existing.title = _str(d.get("title"), existing.title)
        return
    at = _int(d.get("at"))
    at = len(doc.categories) if at is None else max(0, min(at, len(doc.categories)))
    doc.categories.insert(at, Category(letter, _str(d.get("title"))))


def _proposed(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    doc = _find(ds, d)
    p = _new(d)
    if doc is None or p is None:
        return
    p.rev = seq
    p.history.append(_change(ds, seq, ts, "doc.proposed", d, text=p.text))
    _insert(doc, p)


def _proposal(ds: Documents, d: JSON) -> tuple[Document, Proposal] | None:
    doc = _find(ds, d)
    pid = d.get("proposal")
    p = doc.proposal(pid) if doc is not None and isinstance(pid, str) else None
    return (doc, p) if doc is not None and p is not None else None


def _revised(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    found = _proposal(ds, d)
    if found is None:
        return
    doc, p = found
    was, p.text, p.rev = p.text, _str(d.get("text"), p.text), seq
    p.history.append(_change(ds, seq, ts, "doc.revised", d, text=p.text, was=was))
    _refresh_current(ds, doc, p)


def _split(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    found = _proposal(ds, d)
    if found is None:
        return
    doc, p = found
    parts = [x for x in d.get("parts") or [] if isinstance(x, Mapping)]
    was, p.text, p.rev = p.text, _str(d.get("text"), p.text), seq
    ids = [_str(x.get("proposal")) for x in parts]
    p.history.append(
        _change(
            ds, seq, ts, "doc.split", d, text=p.text, was=was, note="split into " + ", ".join(ids)
        )
    )
    for part in parts:
        new = _new(
            {
                "proposal": part.get("proposal"),
                "category": p.category,
                "text": part.get("text"),
                "kind": part.get("kind") or p.kind,
                "status": p.status,
                "submitted_by": [s.to_dict() for s in p.submitted_by],
                "split_from": p.id,
            }
        )
        if new is None:
            continue
        new.rev = seq
        new.history.append(
            _change(ds, seq, ts, "doc.split", d, text=new.text, note=f"split from {p.id}")
        )
        _insert(doc, new, after=p.id)
    _refresh_current(ds, doc, p)


def _merged(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    found = _proposal(ds, d)
    if found is None:
        return
    doc, p = found
    merged = [m for m in d.get("merged") or [] if isinstance(m, str)]
    was, p.text, p.rev = p.text, _str(d.get("text"), p.text), seq
    p.history.append(
        _change(
            ds,
            seq,
            ts,
            "doc.merged",
            d,
            text=p.text,
            was=was,
            note="merged with " + ", ".join(merged),
        )
    )
    for mid in merged:
        q = doc.proposal(mid)
        if q is None:
            continue
        q.merged_into, q.rev = p.id, seq
        q.history.append(_change(ds, seq, ts, "doc.merged", d, note=f"merged into {p.id}"))
        for s in q.submitted_by:
            if s not in p.submitted_by:
                p.submitted_by.append(s)
    _refresh_current(ds, doc, p)


def _field_changed(attr: str) -> Callable[[Documents, int, int, JSON], None]:
    """A handler for an event that sets one field of a proposal (its category, kind, status)
    and says what it was."""
    key = {"category": "category", "kind": "kind", "status": "status"}[attr]

    def apply(ds: Documents, seq: int, ts: int, d: JSON) -> None:
        found = _proposal(ds, d)
        value = d.get(key)
        if found is None or not isinstance(value, str):
            return
        doc, p = found
        was = getattr(p, attr)
        setattr(p, attr, value)
        p.rev = seq
        p.history.append(_change(ds, seq, ts, f"doc.{'moved' if attr == 'category' else attr}",
                                 d, was=was, now=value))  # fmt: skip
        _refresh_current(ds, doc, p)

    return apply


def _current(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    doc_id, pid = _int(d.get("doc")), d.get("proposal")
    if doc_id is None or not isinstance(pid, str):
        ds.current = None
        return
    found = _proposal(ds, d)
    if found is not None:
        found[1].history.append(_change(ds, seq, ts, "doc.current", d, note="under discussion"))
    ds.current = Current(
        doc_id,
        pid,
        _str(d.get("category")),
        _str(d.get("kind"), "unsorted"),
        _str(d.get("status"), "under_discussion"),
        _str(d.get("text")),
        ts,
    )


def _tasked(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    doc = _find(ds, d)
    room = d.get("room")
    if doc is None or not isinstance(room, str):
        return
    raw = d.get("share")
    share: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    snapshots = [s for s in share.get("proposals") or [] if isinstance(s, Mapping)]
    categories = [c for c in d.get("categories") or [] if isinstance(c, str)]
    task = Task(room, _str(d.get("name"), room), categories, _str(d.get("task")), seq, ts,
                [_str(s.get("proposal")) for s in snapshots], dict(share))  # fmt: skip
    doc.tasks.append(task)
    for pid in task.proposals:
        p = doc.proposal(pid)
        if p is not None:
            p.history.append(_change(ds, seq, ts, "doc.tasked", d, note=f"sent to {task.name}"))


def _share(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    doc_id = _int(d.get("doc"))
    if doc_id is None:
        return
    doc = Document(
        doc_id,
        _str(d.get("title")),
        _str(d.get("description")),
        _str(d.get("posted")),
        ts,
        _categories(d.get("categories")),
        share=Share(_str(d.get("parent")), _int(d.get("tasked")) or 0, _str(d.get("task"))),
    )
    for snapshot in d.get("proposals") or []:
        p = _new(snapshot) if isinstance(snapshot, Mapping) else None
        if p is None:
            continue
        p.rev = seq
        p.history.append(
            _change(ds, seq, ts, "doc.share", d, text=p.text, note="the group's share")
        )
        _insert(doc, p, after=p.split_from if p.split_from in doc.order else None)
    ds.docs[doc_id] = doc


def _reported(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    doc = _find(ds, d)
    if doc is not None and doc.share is not None:
        doc.share.reported = seq


def _task_of(doc: Document, d: JSON) -> Task | None:
    room = d.get("room")
    return next((t for t in reversed(doc.tasks) if t.room == room and t.open), None)


def _returned(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    doc = _find(ds, d)
    task = _task_of(doc, d) if doc is not None else None
    raw = d.get("version")
    version: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if doc is None or task is None:
        return
    snapshots = {
        s["proposal"]: dict(s)
        for s in version.get("proposals") or []
        if isinstance(s, Mapping) and isinstance(s.get("proposal"), str)
    }
    counters = {c.letter: c.next for c in _categories(version.get("categories"))}
    task.version = Version(seq, ts, snapshots, counters, list(snapshots))


def apply_version(
    ds: Documents,
    doc: Document,
    snapshot: Mapping[str, Any],
    type_: str,
    seq: int,
    ts: int,
    d: JSON,
    note: str,
) -> None:
    """Apply a group's version of one proposal to the agenda room's document: its text, kind
    and category (the plenary's own status stays), a retirement (merged in the group), or a
    proposal the group made (a split's part)."""
    pid = snapshot.get("proposal")
    if not isinstance(pid, str):
        return
    p = doc.proposal(pid)
    if p is None:
        new = _new({**snapshot, "status": "not_yet_discussed"})
        if new is None:
            return
        new.rev = seq
        new.history.append(_change(ds, seq, ts, type_, d, text=new.text, note=note))
        _insert(doc, new, after=new.split_from)
        return
    was_text = p.text
    merged = snapshot.get("merged_into")
    if isinstance(merged, str):
        p.merged_into = merged
    p.text = _str(snapshot.get("text"), p.text)
    p.kind = _str(snapshot.get("kind"), p.kind)
    p.category = _str(snapshot.get("category"), p.category)
    p.submitted_by = _submitters(snapshot.get("submitted_by")) or p.submitted_by
    p.rev = seq
    changed = p.text != was_text
    p.history.append(
        _change(
            ds,
            seq,
            ts,
            type_,
            d,
            text=p.text if changed else None,
            was=was_text if changed else None,
            now=p.kind,
            note=note,
        )
    )
    _refresh_current(ds, doc, p)


def _apply_all(ds: Documents, seq: int, ts: int, d: JSON, type_: str, whole: bool) -> None:
    doc = _find(ds, d)
    task = _task_of(doc, d) if doc is not None else None
    if doc is None or task is None or task.version is None:
        return
    version = task.version
    chosen = list(version.pending) if whole else [_str(d.get("proposal"))]
    note = f"{task.name}'s version"
    for pid in chosen:
        snapshot = version.proposals.get(pid)
        if snapshot is None or pid not in version.pending:
            continue
        apply_version(ds, doc, snapshot, type_, seq, ts, d, note)
        version.pending.remove(pid)
    for letter, counter in version.categories.items():
        category = doc.category(letter)
        if category is not None and counter > category.next:
            category.next = counter
    if not version.pending:
        task.ended, task.ended_seq = ("endorsed" if whole else "taken_up"), seq


def _endorsed(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    _apply_all(ds, seq, ts, d, "doc.endorsed", whole=True)


def _taken_up(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    _apply_all(ds, seq, ts, d, "doc.taken_up", whole=False)


def _withdrawn(ds: Documents, seq: int, ts: int, d: JSON) -> None:
    doc = _find(ds, d)
    task = _task_of(doc, d) if doc is not None else None
    if task is not None:
        task.ended, task.ended_seq = "withdrawn", seq


HANDLERS: dict[str, Callable[[Documents, int, int, JSON], None]] = {
    "doc.created": _created,
    "doc.category": _category,
    "doc.proposed": _proposed,
    "doc.revised": _revised,
    "doc.split": _split,
    "doc.merged": _merged,
    "doc.moved": _field_changed("category"),
    "doc.kind": _field_changed("kind"),
    "doc.status": _field_changed("status"),
    "doc.current": _current,
    "doc.tasked": _tasked,
    "doc.share": _share,
    "doc.reported": _reported,
    "doc.returned": _returned,
    "doc.endorsed": _endorsed,
    "doc.taken_up": _taken_up,
    "doc.task_withdrawn": _withdrawn,
}
