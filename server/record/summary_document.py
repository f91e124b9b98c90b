"""The draft summary's paragraphs on a rolling document, from its events.

Three paragraphs, as a chair's summary tells such work: where the document came from and its
categories (listed in a footnote); the groups tasked with shares of it, what they were to do
and what the plenary made of their work; the plenary's own work on it (which categories it took
up, and of those as a group submitted them, how many proposals reached agreement and how many
kept divergent views, and which were partly or not discussed). Every count and every list is
of events in the record, and each paragraph keeps those events as its sources.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from server.domain.document import Change, Proposal, Task
from server.record.document_facts import DocumentFacts
from server.record.facts import Facts, Group
from server.record.prose import (
    Paragraph,
    cap,
    count_word,
    long_date,
    meeting_days,
    plural,
    series,
    short_name,
)

# Statuses the plenary's work ends in, and how a sentence says each (one, many).
OUTCOMES = [
    ("agreed", "agreement was reached on", "agreement was reached on"),
    ("divergent", "divergent views persisted on", "divergent views persisted on"),
    ("bracketed", "was left in brackets", "were left in brackets"),
    ("deferred", "was deferred", "were deferred"),
    ("partly_discussed", "was partly discussed", "were partly discussed"),
]
NOT_DISCUSSED = ("not_discussed", "not_yet_discussed")


def _category_list(d: DocumentFacts) -> str:
    return ", ".join(c.label for c in d.doc.categories)


def _last_status(d: DocumentFacts, p: Proposal) -> Change | None:
    changes = [c for c in d.history(p) if c.type == "doc.status" and c.room == d.room]
    return changes[-1] if changes else None


def _source(d: DocumentFacts, p: Proposal) -> tuple[str, int]:
    """The event that gave a proposal its final status (or recorded it, if nothing did)."""
    last = _last_status(d, p)
    if last is not None:
        return last.room, last.seq
    return d.room, p.history[0].seq if p.history else d.doc.id


def _origin(facts: Facts, d: DocumentFacts) -> Paragraph:
    doc = d.doc
    name = short_name(facts.meeting)
    text = f"{cap(name)} worked on a rolling document, “{doc.title}”"
    posted = _posted(doc.posted)
    if posted is not None:
        days = meeting_days(facts.meeting)
        before = ", before the meeting" if days is not None and posted < days[0] else ""
        text += f", which was posted on {long_date(posted)}{before}"
    text += "."
    if doc.description:
        text += f" It consolidated the {doc.description.strip().rstrip('.')}."
    # As it was posted: the proposals recorded with it, in the same append (the same time).
    posted_with = [
        p
        for p in doc.ordered()
        if p.history and p.history[0].type == "doc.proposed" and p.history[0].ts == doc.created
    ]
    categories = doc.categories
    if categories:
        text += (
            f" It grouped {plural(len(posted_with), 'proposal', 'proposals')} in "
            f"{count_word(len(categories))} {'category' if len(categories) == 1 else 'categories'}."
        )
    return Paragraph(
        text, "document", [(d.room, doc.id)], [_category_list(d)] if categories else []
    )


def _posted(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _kinds(share: list[Proposal]) -> str:
    counts = Counter(p.kind for p in share if p.active)
    parts = []
    for kind, one, many in (("recommendation", "recommendation", "recommendations"),
                            ("statement", "statement", "statements")):  # fmt: skip
        if counts.get(kind):
            parts.append(plural(counts[kind], one, many))
    if counts.get("unsorted"):
        parts.append(f"{counts['unsorted']} not yet sorted")
    return series(parts)


def _tasked_clause(what: str) -> str:
    what = what.strip().rstrip(".")
    if not what:
        return "given a share of the rolling document"
    if what.lower().startswith("to "):
        return f"tasked {what}"
    return f"tasked with “{what}”"


def _leaders(groups: list[Group]) -> str:
    led = [g for g in groups if g.convener]
    if not led or len(led) != len(groups):
        return ""
    verbs = {g.led_as for g in led}
    verb = "chaired" if verbs == {"chair"} else "convened"
    return f", {verb} by {series([g.convener for g in led])},"


def _categories(letters: list[str]) -> str:
    noun = "category" if len(letters) == 1 else "categories"
    return f"{noun} {series(letters)}"


def _groups(facts: Facts, d: DocumentFacts) -> Paragraph | None:
    # In the document's order of categories, whichever group was tasked first.
    order = {c.letter: n for n, c in enumerate(d.doc.categories)}
    tasks = sorted(d.doc.tasks, key=lambda t: min((order.get(c, 99) for c in t.categories),
                                                  default=99))  # fmt: skip
    if not tasks:
        return None
    sources = [(d.room, t.seq) for t in tasks]
    sentences = []
    by_task: dict[str, list[Task]] = {}
    for t in tasks:
        by_task.setdefault(t.task.strip().rstrip("."), []).append(t)
    for what, same in by_task.items():
        groups = [g for t in same if (g := facts.group(t.room)) is not None]
        letters = [c for t in same for c in t.categories]
        if len(same) == 1:
            t = same[0]
            subject = t.name + _leaders(groups)
            verb = "was"
        else:
            kind = {g.kind for g in groups}
            noun = "ad-hoc groups" if kind == {"adhoc"} else "break-out groups"
            subject = f"{count_word(len(same))} {noun}{_leaders(groups)}"
            sentences.append(
                f"There were {subject} which were {_tasked_clause(what)} under "
                f"{_categories(letters)} of the rolling document."
            )
            continue
        sentences.append(
            f"{cap(subject.rstrip(','))} {verb} {_tasked_clause(what)} under "
            f"{_categories(letters)} of the rolling document."
        )
    for t in tasks:
        share = d.shares.get(t.room)
        if share is None:
            continue
        sorted_ = any(c.type == "doc.kind" for p in share.proposals.values() for c in p.history)
        if sorted_:
            mine = share.ordered(active_only=True)
            sentences.append(f"{t.name} sorted its share into {_kinds(mine)}.")
    endorsed = [t for t in tasks if t.ended == "endorsed"]
    taken_up = [t for t in tasks if t.ended == "taken_up"]
    withdrawn = [t for t in tasks if t.ended == "withdrawn"]
    waiting = [t for t in tasks if t.open and t.version is not None]
    out = [t for t in tasks if t.open and t.version is None]
    if endorsed:
        if len(endorsed) == 1:
            those = endorsed[0].name
        else:
            kinds = {g.kind for t in endorsed if (g := facts.group(t.room)) is not None}
            those = "those break-out groups" if kinds == {"breakout"} else "those groups"
        sentences.append(f"The plenary endorsed the work carried out in {those}.")
    for t in taken_up:
        sentences.append(f"The plenary took up the version of {t.name} proposal by proposal.")
    for t in withdrawn:
        sentences.append(f"The plenary set aside the share given to {t.name}.")
    for t in waiting:
        sentences.append(
            f"{t.name} sent its version back; the plenary had not taken it up when the record ends."
        )
    for t in out:
        sentences.append(f"{t.name} had not reported its version when the record ends.")
    for t in tasks:
        if t.ended_seq is not None:
            sources.append((d.room, t.ended_seq))
        if t.version is not None:
            sources.append((d.room, t.version.seq))
    return Paragraph(" ".join(sentences), "document_groups", sources)


def _ids(proposals: list[Proposal]) -> str:
    return ", ".join(p.id for p in proposals)


def _plenary(facts: Facts, d: DocumentFacts) -> Paragraph | None:
    doc = d.doc
    active = doc.ordered(active_only=True)
    taken = [p for p in active if d.discussed_in(p, d.room)]
    if not taken:
        return _untouched(facts, d, active)
    sources: list[tuple[str, int]] = []
    for p in taken:
        sources += [(c.room, c.seq) for c in d.discussed_in(p, d.room)]
    letters = [c.letter for c in doc.categories if any(p.category == c.letter for p in taken)]
    from_groups = {
        c for t in doc.tasks if t.ended in ("endorsed", "taken_up") for c in t.categories
    }
    via = [x for x in letters if x in from_groups]
    own = [x for x in letters if x not in from_groups]
    text = (
        f"{cap(short_name(facts.meeting))} continued to work on the rolling document in plenary, "
    )
    if via:
        groups = [t for t in doc.tasks if set(t.categories) & set(via)]
        by = "the two break-out groups" if len(groups) == 2 else (
            f"the {count_word(len(groups))} groups" if len(groups) > 2 else groups[0].name
        )  # fmt: skip
        text += f"tackling the proposals under {_categories(via)}, as submitted by {by}"
        if own:
            text += f", as well as {_categories(own)}"
    else:
        text += f"tackling the proposals under {_categories(own)}"
    sentences = [text + "."]
    outcomes = []
    for status, one, many in OUTCOMES:
        found = [p for p in active if p.status == status]
        if not found:
            continue
        sources += [_source(d, p) for p in found]
        if status in ("agreed", "divergent"):
            outcomes.append(f"{one} {plural(len(found), 'proposal', 'proposals')} ({_ids(found)})")
        else:
            outcomes.append(f"{plural(len(found), 'proposal', 'proposals')} ({_ids(found)}) "
                            f"{one if len(found) == 1 else many}")  # fmt: skip
    if outcomes:
        sentences.append(cap("; ".join(outcomes)) + ".")
    left = _not_discussed(d, active, sources)
    if left:
        sentences.append(left)
    return Paragraph(" ".join(sentences), "document_plenary", sources)


def _not_discussed(d: DocumentFacts, active: list[Proposal], sources: list[tuple[str, int]]) -> str:
    parts = []
    for c in d.doc.categories:
        mine = [p for p in active if p.category == c.letter]
        left = [p for p in mine if p.status in NOT_DISCUSSED]
        if not left:
            continue
        sources += [_source(d, p) for p in left]
        if len(left) == len(mine):
            parts.append(f"all the proposals under category {c.letter}")
        else:
            parts.append(f"part of the proposals under category {c.letter} ({_ids(left)})")
    if not parts:
        return ""
    return f"{cap(series(parts))} were not discussed."


def _untouched(facts: Facts, d: DocumentFacts, active: list[Proposal]) -> Paragraph | None:
    if not active or d.doc.tasks:
        return None
    return Paragraph(
        "The proposals of the rolling document were not taken up in plenary.",
        "document_plenary",
        [(d.room, d.doc.id)],
    )


def paragraphs(facts: Facts, d: DocumentFacts) -> list[Paragraph]:
    out = [_origin(facts, d)]
    for extra in (_groups(facts, d), _plenary(facts, d)):
        if extra is not None:
            out.append(extra)
    return out


def _first_item(facts: Facts, d: DocumentFacts) -> int | None:
    """The first agenda item (in agenda order) under which the plenary worked on the document:
    its paragraphs come just before that item's."""
    items: set[int] = set()
    for t in d.doc.tasks:
        for pid in t.proposals:
            q = d.doc.proposal(pid)
            if q is not None:
                items |= {c.item for c in q.history if c.seq == t.seq and c.item is not None}
    for p in d.doc.proposals.values():
        items |= {
            c.item
            for c in p.history
            if c.room == d.room and c.item is not None and c.type != "doc.proposed"
        }
    return next((i.id for i in facts.agenda() if i.id in items), None)


def by_item(facts: Facts) -> dict[int, list[Paragraph]]:
    """Each document's paragraphs, by the agenda item they come before (-1: under no item)."""
    out: dict[int, list[Paragraph]] = {}
    for d in facts.documents:
        key = _first_item(facts, d)
        out.setdefault(key if key is not None else -1, []).extend(paragraphs(facts, d))
    return out
