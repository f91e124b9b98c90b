"""A draft chair's summary: numbered paragraphs written only from facts the record holds.

Opening and the adoption of the agenda, the presentations, the groups formed and what they
reported, each agenda item with its outcome, the work on each rolling document
(server/record/summary_document.py), what was not discussed, the close. Every paragraph keeps
the events it was written from (``sources``: room and seq), so whoever edits the draft can check
any sentence against the record. Nothing is inferred: an item without a recorded outcome says so
rather than guessing one.
"""

from __future__ import annotations

from server.domain import channels
from server.domain.events import JSON
from server.record import summary_document, word
from server.record.facts import Facts, Group, Intervention, Item
from server.record.markup import md_escape
from server.record.prose import (
    Paragraph,
    at,
    cap,
    count_word,
    day_of,
    duration_words,
    long_date,
    mark,
    meeting_days,
    plural,
    quote,
    series,
    span,
    who,
    within,
)

__all__ = ["Paragraph", "summary", "to_docx", "to_json", "to_markdown"]


def _item_ref(item: Item) -> str:
    return f"item {item.number}, {item.title}" if item.number else item.title


# -- paragraphs ------------------------------------------------------------------------------------
def _when(facts: Facts) -> str:
    """When the meeting met: its configured days, else the days the record spans."""
    days = meeting_days(facts.meeting)
    if days is not None:
        return span(*days)
    assert facts.first is not None
    return span(day_of(facts, facts.first), day_of(facts, facts.as_of))


def _opening(facts: Facts) -> list[Paragraph]:
    out = []
    if facts.first is not None:
        rooms = [r for r in facts.rooms if r.events]
        lines = sum(r.lines for r in facts.rooms)
        meeting = facts.meeting
        where = f" at {meeting.venue}" if meeting.venue else ""
        text = f"The {meeting.title} was held{where} {_when(facts)}."
        if meeting.chaired_by:
            text += f" It was chaired by {meeting.chaired_by}."
        if lines:
            text += f" A live transcript of {lines} lines was kept" + (
                f" in {len(rooms)} rooms." if len(rooms) > 1 else "."
            )
        remote = [i for i in facts.interventions if i.who.presence == "remote"]
        if remote:
            text += (
                f" Remote participants took the floor {plural(len(remote), 'time', 'times')} "
                f"out of {len(facts.interventions)} interventions."
            )
        out.append(Paragraph(text, "opening"))
    if facts.adoptions:
        first = facts.adoptions[0]
        listed = "; ".join(_adopted_label(i) for i in facts.adoptions[-1].items)
        text = f"The agenda was adopted{at(facts, first.ts)}"
        if len(facts.adoptions) > 1:
            last = facts.adoptions[-1]
            text += f", and adopted as amended{at(facts, last.ts)}"
        text += f". It comprised the following items: {listed}."
        room = facts.agenda_room or ""
        out.append(Paragraph(text, "agenda", [(room, a.seq) for a in facts.adoptions]))
    return out


def _adopted_label(item: JSON) -> str:
    number, title = str(item.get("number") or ""), str(item.get("title") or "")
    return f"{number}. {title}" if number else title


def _presented(given: list[Intervention]) -> str:
    parts = []
    for p in given:
        name = who(p.who)
        parts.append(f"{name} on {p.subject}" if p.subject else name)
    noun = "a presentation was" if len(given) == 1 else "presentations were"
    return f"{noun} made by {series(parts)}."


def _chair_presented(facts: Facts, given: list[Intervention]) -> str:
    """The Chair's own presentations: "The Chair opened the meeting with a presentation on …"
    when it was the first thing anyone said from the floor."""
    first = facts.interventions[0] if facts.interventions else None
    subjects = [p.subject for p in given if p.subject]
    on = f" on {series(subjects)}" if subjects else ""
    noun = "a presentation" if len(given) == 1 else "presentations"
    if first is not None and first in given:
        return f"The Chair opened the meeting with {noun}{on}."
    return f"The Chair made {noun}{on}."


def parallel(groups: list[Group], as_of: int) -> list[list[Group]]:
    """Groups in clusters of those that ran at the same time."""
    clusters: list[list[Group]] = []
    for g in groups:
        for cluster in clusters:
            if g.opened is not None and any(
                o.opened is not None
                and g.opened < (o.closed if o.closed is not None else as_of)
                and o.opened < (g.closed if g.closed is not None else as_of)
                for o in cluster
            ):
                cluster.append(g)
                break
        else:
            clusters.append([g])
    return clusters


def led_by(g: Group) -> str:
    """``convened by Peru``, ``chaired by Mr. Reddy (India)``."""
    if not g.convener:
        return ""
    return f"{'chaired' if g.led_as == 'chair' else 'convened'} by {g.convener}"


def _group_desc(g: Group) -> str:
    text = g.name
    if g.convener:
        text += f", {led_by(g)}"
    if g.topic:
        text += f", on {g.topic}"
    return text


def _formed(facts: Facts, groups: list[Group]) -> str:
    """Sentences on groups formed: who led them, how long they met, what they reported."""
    sentences = []
    for cluster in parallel(groups, facts.as_of):
        if len(cluster) == 1:
            g = cluster[0]
            kind = "an ad-hoc group" if g.kind == "adhoc" else "a break-out group"
            sentences.append(f"{cap(kind)} was formed: {_group_desc(g)}.")
        else:
            noun = "ad-hoc groups" if {g.kind for g in cluster} == {"adhoc"} else "break-out groups"
            descs = "; ".join(_group_desc(g) for g in cluster)
            sentences.append(f"{cap(count_word(len(cluster)))} {noun} met in parallel: {descs}.")
        for g in cluster:
            opened = g.opened if g.opened is not None else facts.as_of
            text = f"{g.name} met for {duration_words(g.duration_ms(facts.as_of))}"
            if within(facts, opened):
                text += f" from {facts.clock(opened)} on {long_date(day_of(facts, opened))}"
            if g.report:
                text += f" and reported: {quote(g.report)}"
            elif g.closed is not None:
                text += "; no report was recorded."
            else:
                text += " and had not reported when the record ends."
            sentences.append(text)
    return " ".join(sentences)


def _discussion(facts: Facts, item: Item) -> str:
    spoken = [
        i
        for i in facts.interventions
        if i.item == item.id and not i.presentation and not i.who.chair
    ]
    if not spoken:
        return ""
    parties = {i.who.party for i in spoken}
    named = all(i.who.delegation for i in spoken)
    whom = "delegations" if named else "delegations and participants"
    verb = "intervention was" if len(spoken) == 1 else "interventions were"
    text = f"{count_word(len(spoken))} {verb} made"
    one = "delegation" if named else "participant"
    text += f" from {count_word(len(parties))} {whom}" if len(parties) > 1 else f" from one {one}"
    remote = sum(i.who.presence == "remote" for i in spoken)
    if remote:
        text += f", {count_word(remote)} of them remotely" if len(spoken) > 1 else ", remotely"
    rooms = sorted({facts.room_name(i.room) for i in spoken})
    if len(rooms) > 1:
        text += f", in {series(rooms)}"
    return text + "."


def _lower_first(text: str) -> str:
    return text if text.startswith("The Chair") else text[0].lower() + text[1:]


def _item(facts: Facts, item: Item) -> Paragraph | None:
    given = [i for i in facts.interventions if i.item == item.id and i.presentation]
    by_chair = [i for i in given if i.who.chair]
    presented = [i for i in given if not i.who.chair]
    groups = [g for g in facts.groups if g.item == item.id and g.opened is not None]
    discussion = _discussion(facts, item)
    has_children = any(i.parent == item.id for i in facts.agenda())
    if has_children and not (given or groups or discussion or item.outcome):
        return None  # its sub-items say what happened
    sentences = []
    lead = f"Under {_item_ref(item)}"
    if by_chair:
        sentences.append(_chair_presented(facts, by_chair))
    if presented:
        sentences.append(
            f"{lead}, {_presented(presented)}" if not sentences else cap(_presented(presented))
        )
    if groups:
        formed = _formed(facts, groups)
        sentences.append(formed if sentences else f"{lead}, {_lower_first(formed)}")
    if discussion:
        sentences.append(cap(discussion) if sentences else f"{lead}, {discussion}")
    if not sentences:
        sentences.append(f"{cap(_item_ref(item))} was taken up; no interventions were recorded.")
    if item.outcome:
        sentences.append(f"Outcome: {quote(item.outcome)}")
    elif item.status == "concluded":
        sentences.append("The item was concluded; no outcome was recorded.")
    else:
        sentences.append("No outcome was recorded.")
    sources = [(facts.agenda_room or "", item.id)] + [(p.room, p.id) for p in given]
    sources += [(g.room, 1) for g in groups]
    return Paragraph(" ".join(sentences), "item", sources)


def _left(facts: Facts, items: list[Item]) -> Paragraph:
    deferred = [i for i in items if i.status == "deferred"]
    undiscussed = [i for i in items if i.status != "deferred"]
    sentences = []
    for group, what in ((undiscussed, "not discussed"), (deferred, "deferred")):
        if group:
            refs = series([_item_ref(i) for i in group])
            verb = "was" if len(group) == 1 else "were"
            sentences.append(f"{cap(refs)} {verb} {what}.")
    room = facts.agenda_room or ""
    return Paragraph(" ".join(sentences), "not_discussed", [(room, i.id) for i in items])


def _agenda(facts: Facts) -> list[Paragraph]:
    """A paragraph per item in agenda order; consecutive items not discussed share one. The
    work on each rolling document comes before the first item it was done under."""
    out: list[Paragraph] = []
    left: list[Item] = []
    documents = summary_document.by_item(facts)
    for item in facts.agenda():
        if item.id in documents:
            if left:
                out.append(_left(facts, left))
                left = []
            out += documents.pop(item.id)
        if not item.discussed:
            left.append(item)
            continue
        if left:
            out.append(_left(facts, left))
            left = []
        paragraph = _item(facts, item)
        if paragraph is not None:
            out.append(paragraph)
    if left:
        out.append(_left(facts, left))
    for rest in documents.values():  # worked on under no item of the agenda
        out += rest
    return out


def _outside(facts: Facts) -> list[Paragraph]:
    """Presentations and groups that belong to no agenda item."""
    out = []
    given = [i for i in facts.interventions if i.item is None and i.presentation]
    by_chair = [i for i in given if i.who.chair]
    presented = [i for i in given if not i.who.chair]
    sentences = []
    if by_chair:
        sentences.append(_chair_presented(facts, by_chair))
    if presented:
        sentences.append(cap(_presented(presented)))
    if sentences:
        out.append(Paragraph(" ".join(sentences), "presentations",
                             [(p.room, p.id) for p in given]))  # fmt: skip
    groups = [g for g in facts.groups if g.item is None and g.opened is not None]
    if groups:
        out.append(Paragraph(_formed(facts, groups), "groups", [(g.room, 1) for g in groups]))
    return out


def _close(facts: Facts) -> list[Paragraph]:
    room = next((r for r in facts.rooms if r.id == facts.agenda_room), None)
    if room is None or room.last is None or not within(facts, room.last):
        return []
    return [
        Paragraph(
            f"The record of the plenary ends on {long_date(day_of(facts, room.last))} at "
            f"{facts.clock(room.last)}.",
            "close",
        )
    ]


def summary(facts: Facts) -> list[Paragraph]:
    return [*_opening(facts), *_outside(facts), *_agenda(facts), *_close(facts)]


# -- documents -------------------------------------------------------------------------------------
def heading(facts: Facts) -> str:
    return f"Chair's summary (draft): {facts.meeting.title}"


# The languages the draft summary is written in (its words are in server/record/prose.py).
# A meeting in another language gets the English draft, and its note says so.
LANGUAGES = ("en",)


def language(facts: Facts) -> str:
    """The language the draft is written in: the meeting's, where the draft speaks it."""
    wanted = facts.meeting.language or "en"
    return next((lang for lang in LANGUAGES if channels.same_language(wanted, lang)), "en")


def note(facts: Facts) -> str:
    text = (
        f"Drafted from the record up to {facts.stamp(facts.as_of)} ({facts.meeting.timezone}). "
        "Each paragraph states only what the record holds; edit before issuing."
    )
    wanted = facts.meeting.language or "en"
    if not channels.same_language(wanted, language(facts)):
        text += f" Drafted in English: the draft is not written in {wanted}."
    return text


def numbered(paragraphs: list[Paragraph]) -> list[tuple[int, Paragraph, int]]:
    """Each paragraph with its number and the mark of its first footnote."""
    out, note_no = [], 1
    for n, p in enumerate(paragraphs, 1):
        out.append((n, p, note_no))
        note_no += len(p.footnotes)
    return out


def _marks(p: Paragraph, first: int) -> str:
    return "".join(mark(first + k) for k in range(len(p.footnotes)))


def to_json(facts: Facts, paragraphs: list[Paragraph]) -> JSON:
    return {
        "meeting": facts.meeting.id,
        "title": heading(facts),
        "language": language(facts),
        "note": note(facts),
        "as_of": facts.as_of,
        "paragraphs": [p.to_dict(n, first) for n, p, first in numbered(paragraphs)],
    }


def to_markdown(facts: Facts, paragraphs: list[Paragraph]) -> str:
    out = [f"# {md_escape(heading(facts))}", "", f"*{md_escape(note(facts))}*", ""]
    notes = []
    for n, p, first in numbered(paragraphs):
        refs = "".join(f"[^{first + k}]" for k in range(len(p.footnotes)))
        out += [f"{n}. {md_escape(p.text)}{refs}", ""]
        notes += [f"[^{first + k}]: {md_escape(t)}" for k, t in enumerate(p.footnotes)]
    if notes:
        out += [*notes, ""]
    return "\n".join(out)


def text_with_marks(p: Paragraph, first: int) -> str:
    """A paragraph as plain text, its footnotes marked at its end (¹)."""
    return p.text + _marks(p, first)


def to_docx(facts: Facts, paragraphs: list[Paragraph]) -> bytes:
    doc = word.document(heading(facts))
    doc.add_heading(heading(facts), level=0)
    doc.add_paragraph(note(facts)).runs[0].italic = True
    notes: list[tuple[int, str]] = []
    for _, p, first in numbered(paragraphs):
        para = doc.add_paragraph(p.text, style="List Number")
        for k, text in enumerate(p.footnotes):
            para.add_run(str(first + k)).font.superscript = True
            notes.append((first + k, text))
    for number, text in notes:
        para = doc.add_paragraph(style="Normal")
        para.add_run(str(number)).font.superscript = True
        para.add_run(f" {text}")
    return word.save(doc, facts.as_of)
