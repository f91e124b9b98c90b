"""A draft chair's summary: numbered paragraphs written only from facts the record holds.

Opening and the adoption of the agenda, the presentations, the groups formed and what they
reported, each agenda item with its outcome, what was not discussed, the close. Every paragraph
keeps the events it was written from (``sources``: room and seq), so whoever edits the draft can
check any sentence against the record. Nothing is inferred: an item without a recorded outcome
says so rather than guessing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from server.domain.events import JSON
from server.record import word
from server.record.facts import Facts, Group, Intervention, Item
from server.record.markup import duration, md_escape


@dataclass(slots=True)
class Paragraph:
    text: str
    topic: str  # opening, agenda, presentations, groups, item, not_discussed, close
    sources: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self, number: int) -> JSON:
        return {
            "number": number,
            "topic": self.topic,
            "text": self.text,
            "sources": [{"room": r, "seq": s} for r, s in self.sources],
        }


def _date(facts: Facts, ts: int) -> str:
    dt = datetime.fromtimestamp(ts / 1000, facts.tz)
    return f"{dt.day} {dt:%B %Y}"


def _series(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _person(name: str, delegation: str) -> str:
    return f"{name} ({delegation})" if delegation and delegation not in name else name


def _item_ref(item: Item) -> str:
    return f"item {item.number}, {item.title}" if item.number else item.title


def _quote(text: str) -> str:
    return "“" + text.strip().rstrip(".") + ".”" if text.strip() else ""


# -- paragraphs ------------------------------------------------------------------------------------
def _opening(facts: Facts) -> list[Paragraph]:
    out = []
    days = sorted({facts.day(i.began) for i in facts.interventions} | _line_days(facts))
    if facts.first is not None:
        span = (
            f"on {_date(facts, facts.first)}"
            if len(days) <= 1
            else f"from {_date(facts, facts.first)} to {_date(facts, facts.as_of)}"
        )
        rooms = [r for r in facts.rooms if r.events]
        lines = sum(r.lines for r in facts.rooms)
        meeting = facts.meeting
        where = f" at {meeting.venue}" if meeting.venue else ""
        text = f"The {meeting.title} met{where} {span}."
        if meeting.chaired_by:
            text += f" It was chaired by {meeting.chaired_by}."
        if lines:
            text += f" A live transcript of {lines} lines was kept" + (
                f" in {len(rooms)} rooms." if len(rooms) > 1 else "."
            )
        remote = [i for i in facts.interventions if i.who.presence == "remote"]
        if remote:
            text += (
                f" Remote participants took the floor {len(remote)} times out of "
                f"{len(facts.interventions)} interventions."
            )
        out.append(Paragraph(text, "opening"))
    if facts.adoptions:
        first = facts.adoptions[0]
        listed = "; ".join(_adopted_label(i) for i in facts.adoptions[-1].items)
        text = f"The agenda was adopted on {_date(facts, first.ts)} at {facts.clock(first.ts)}"
        if len(facts.adoptions) > 1:
            last = facts.adoptions[-1]
            text += f", and adopted as amended on {_date(facts, last.ts)} at {facts.clock(last.ts)}"
        text += f". It comprised the following items: {listed}."
        room = facts.agenda_room or ""
        out.append(Paragraph(text, "agenda", [(room, a.seq) for a in facts.adoptions]))
    return out


def _adopted_label(item: JSON) -> str:
    number, title = str(item.get("number") or ""), str(item.get("title") or "")
    return f"{number}. {title}" if number else title


def _line_days(facts: Facts) -> set[str]:
    days = set()
    for room in facts.rooms:
        for ts in (room.first, room.last):
            if ts is not None:
                days.add(facts.day(ts))
    return days


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _presented(given: list[Intervention]) -> str:
    parts = []
    for p in given:
        who = _person(p.who.name, p.who.delegation)
        parts.append(f"{who} on {p.subject}" if p.subject else who)
    noun = "a presentation was" if len(given) == 1 else "presentations were"
    return f"{noun} made by {_series(parts)}."


def _parallel(groups: list[Group], as_of: int) -> list[list[Group]]:
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


def _group_desc(g: Group) -> str:
    text = g.name
    if g.convener:
        text += f", convened by {g.convener}"
    if g.topic:
        text += f", on {g.topic}"
    return text


def _formed(facts: Facts, groups: list[Group]) -> str:
    """Sentences on groups formed: who convened them, how long they met, what they reported."""
    sentences = []
    for cluster in _parallel(groups, facts.as_of):
        if len(cluster) == 1:
            g = cluster[0]
            kind = "an ad-hoc group" if g.kind == "adhoc" else "a break-out group"
            sentences.append(f"{_cap(kind)} was formed: {_group_desc(g)}.")
        else:
            noun = "ad-hoc groups" if {g.kind for g in cluster} == {"adhoc"} else "break-out groups"
            descs = "; ".join(_group_desc(g) for g in cluster)
            sentences.append(f"{_cap(_plural(len(cluster), noun, noun))} met in parallel: {descs}.")
        for g in cluster:
            opened = g.opened if g.opened is not None else facts.as_of
            text = (
                f"{g.name} met for {duration(g.duration_ms(facts.as_of))} from "
                f"{facts.clock(opened)} on {_date(facts, opened)}"
            )
            if g.report:
                text += f" and reported: {_quote(g.report)}"
            elif g.closed is not None:
                text += "; no report was recorded."
            else:
                text += " and had not reported when the record ends."
            sentences.append(text)
    return " ".join(sentences)


def _discussion(facts: Facts, item: Item) -> str:
    spoken = [i for i in facts.interventions if i.item == item.id and not i.presentation]
    if not spoken:
        return ""
    parties = {i.who.party for i in spoken}
    named = all(i.who.delegation for i in spoken)
    who = "delegations" if named else "delegations and participants"
    text = f"{_plural(len(spoken), 'intervention was', 'interventions were')} made"
    one = "delegation" if named else "participant"
    text += f" from {len(parties)} {who}" if len(parties) > 1 else f" from one {one}"
    remote = sum(i.who.presence == "remote" for i in spoken)
    if remote:
        text += f" ({remote} remotely)"
    rooms = sorted({facts.room_name(i.room) for i in spoken})
    if len(rooms) > 1:
        text += f", in {_series(rooms)}"
    return text + "."


def _item(facts: Facts, item: Item) -> Paragraph | None:
    presented = [i for i in facts.interventions if i.item == item.id and i.presentation]
    groups = [g for g in facts.groups if g.item == item.id and g.opened is not None]
    discussion = _discussion(facts, item)
    has_children = any(i.parent == item.id for i in facts.agenda())
    if has_children and not (presented or groups or discussion or item.outcome):
        return None  # its sub-items say what happened
    sentences = []
    lead = f"Under {_item_ref(item)}"
    if presented:
        sentences.append(f"{lead}, {_presented(presented)}")
    if groups:
        formed = _formed(facts, groups)
        sentences.append(formed if sentences else f"{lead}, {formed[0].lower()}{formed[1:]}")
    if discussion:
        sentences.append(
            discussion if sentences else f"{lead}, {discussion[0].lower()}{discussion[1:]}"
        )
    if not sentences:
        sentences.append(f"{_cap(_item_ref(item))} was taken up; no interventions were recorded.")
    if item.outcome:
        sentences.append(f"Outcome: {_quote(item.outcome)}")
    elif item.status == "concluded":
        sentences.append("The item was concluded; no outcome was recorded.")
    else:
        sentences.append("No outcome was recorded.")
    sources = [(facts.agenda_room or "", item.id)] + [(p.room, p.id) for p in presented]
    sources += [(g.room, 1) for g in groups]
    return Paragraph(" ".join(sentences), "item", sources)


def _left(facts: Facts, items: list[Item]) -> Paragraph:
    deferred = [i for i in items if i.status == "deferred"]
    undiscussed = [i for i in items if i.status != "deferred"]
    sentences = []
    for group, what in ((undiscussed, "not discussed"), (deferred, "deferred")):
        if group:
            refs = _series([_item_ref(i) for i in group])
            verb = "was" if len(group) == 1 else "were"
            sentences.append(f"{_cap(refs)} {verb} {what}.")
    room = facts.agenda_room or ""
    return Paragraph(" ".join(sentences), "not_discussed", [(room, i.id) for i in items])


def _agenda(facts: Facts) -> list[Paragraph]:
    """A paragraph per item in agenda order; consecutive items not discussed share one."""
    out: list[Paragraph] = []
    left: list[Item] = []
    for item in facts.agenda():
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
    return out


def _outside(facts: Facts) -> list[Paragraph]:
    """Presentations and groups that belong to no agenda item."""
    out = []
    presented = [i for i in facts.interventions if i.item is None and i.presentation]
    if presented:
        out.append(Paragraph(_cap(_presented(presented)), "presentations",
                             [(p.room, p.id) for p in presented]))  # fmt: skip
    groups = [g for g in facts.groups if g.item is None and g.opened is not None]
    if groups:
        out.append(Paragraph(_formed(facts, groups), "groups", [(g.room, 1) for g in groups]))
    return out


def _close(facts: Facts) -> list[Paragraph]:
    room = next((r for r in facts.rooms if r.id == facts.agenda_room), None)
    if room is None or room.last is None:
        return []
    return [
        Paragraph(
            f"The record of the plenary ends on {_date(facts, room.last)} at "
            f"{facts.clock(room.last)}.",
            "close",
        )
    ]


def summary(facts: Facts) -> list[Paragraph]:
    return [*_opening(facts), *_outside(facts), *_agenda(facts), *_close(facts)]


# -- documents -------------------------------------------------------------------------------------
def heading(facts: Facts) -> str:
    return f"Chair's summary (draft): {facts.meeting.title}"


def note(facts: Facts) -> str:
    return (
        f"Drafted from the record up to {facts.stamp(facts.as_of)} ({facts.meeting.timezone}). "
        "Each paragraph states only what the record holds; edit before issuing."
    )


def to_json(facts: Facts, paragraphs: list[Paragraph]) -> JSON:
    return {
        "meeting": facts.meeting.id,
        "title": heading(facts),
        "note": note(facts),
        "as_of": facts.as_of,
        "paragraphs": [p.to_dict(n) for n, p in enumerate(paragraphs, 1)],
    }


def to_markdown(facts: Facts, paragraphs: list[Paragraph]) -> str:
    out = [f"# {md_escape(heading(facts))}", "", f"*{md_escape(note(facts))}*", ""]
    for n, p in enumerate(paragraphs, 1):
        out += [f"{n}. {md_escape(p.text)}", ""]
    return "\n".join(out)


def to_docx(facts: Facts, paragraphs: list[Paragraph]) -> bytes:
    doc = word.document(heading(facts))
    doc.add_heading(heading(facts), level=0)
    doc.add_paragraph(note(facts)).runs[0].italic = True
    for p in paragraphs:
        doc.add_paragraph(p.text, style="List Number")
    return word.save(doc, facts.as_of)
