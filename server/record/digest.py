"""The per-item digest: for each agenda item and each room, the time spent, the presentations,
every intervention in order, the floor requests, the outcome; then the items not discussed and
the groups with their convener, duration and report."""

from __future__ import annotations

from collections import Counter
from typing import Any

from server.domain.document import Proposal
from server.domain.events import JSON
from server.record.document_export import describe, kind_label
from server.record.document_export import status_label as proposal_status
from server.record.document_facts import DocumentFacts
from server.record.facts import (
    Facts,
    Group,
    Intervention,
    Item,
    Request,
    presentation_subject,
)
from server.record.markup import (
    REPORT_STYLE,
    duration,
    esc,
    html_page,
    html_table,
    kind_noun,
    md_escape,
    md_table,
    presence_label,
    status_label,
)

REQUEST_STATES = ("granted", "withdrawn", "removed", "waiting")


def _requests(
    facts: Facts, item_id: int | None, requests: list[Request], given: list[Intervention]
) -> JSON:
    """What the floor requests of one item in one room came to. Two different counts, each
    named for what it counts: the requests *made* while the room was on the item (and what
    became of them, wherever that happened), and the interventions *given* under it (some of
    them asked for under another item)."""
    counts = Counter(r.status for r in requests)
    here = sum(1 for r in requests if r.intervention is not None and _granted_on(facts, r, item_id))
    by_entry = {(r.room, r.id): r for r in facts.requests}
    earlier: Counter[int | None] = Counter()
    listed = 0
    for i in given:
        request = by_entry.get((i.room, i.entry))
        if request is None:
            continue
        listed += 1
        if request.item != item_id:
            earlier[request.item] += 1
    out: JSON = {
        "made": len(requests),
        **{state: counts.get(state, 0) for state in REQUEST_STATES},
        "granted_here": here,
        "granted_later": counts.get("granted", 0) - here,
        "given_floor": listed,
        "requested_elsewhere": [
            {"item": ref, "label": _item_label(facts, ref), "count": n}
            for ref, n in sorted(earlier.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ],
    }
    out["said"] = _requests_sentence(out, "outside any agenda item" if item_id is None else "")
    return out


def _granted_on(facts: Facts, request: Request, item_id: int | None) -> bool:
    found = next(
        (i for i in facts.interventions if i.room == request.room and i.id == request.intervention),
        None,
    )
    return found is not None and found.item == item_id


def _item_label(facts: Facts, item_id: int | None) -> str:
    if item_id is None:
        return ""
    item = facts.items.get(item_id)
    return item.label if item is not None else str(item_id)


def _group(facts: Facts, group: Group) -> JSON:
    item = facts.items.get(group.item) if group.item is not None else None
    return {
        "room": group.room,
        "name": group.name,
        "kind": group.kind,
        "convener": group.convener,
        "led_as": group.led_as,
        "topic": group.topic,
        "item": group.item,
        "item_label": item.label if item else "",
        "parent": group.parent,
        "opened": group.opened,
        "closed": group.closed,
        "duration_ms": group.duration_ms(facts.as_of),
        "report": group.report,
        "reported": group.reported,
    }


def facts_lines(facts: Facts, room: str, item_id: int | None) -> int:
    """Transcript lines of a room attributed to an item, as corrected."""
    found = next((r for r in facts.rooms if r.id == room), None)
    return found.item_lines.get(item_id, 0) if found is not None else 0


def _room_part(facts: Facts, item_id: int | None, room: str) -> JSON | None:
    interventions = [i for i in facts.interventions if i.room == room and i.item == item_id]
    requests = [r for r in facts.requests if r.room == room and r.item == item_id]
    item = facts.items.get(item_id) if item_id is not None else None
    time_ms = facts.item_time_ms(item, room) if item is not None else 0
    lines = facts_lines(facts, room, item_id)
    # Lines alone make a part under an item (they were re-attributed to it), not outside one.
    if not interventions and not requests and not time_ms and not (lines and item is not None):
        return None
    return {
        "room": room,
        "item": item_id,
        "name": facts.room_name(room),
        "time_ms": time_ms,
        "presentations": [i.to_dict() for i in interventions if i.presentation],
        "interventions": [i.to_dict() for i in interventions],
        "requests": _requests(facts, item_id, requests, interventions),
        "lines": lines,
        "speaking_ms": sum(i.spoken_ms for i in interventions),
    }


def _item(facts: Facts, item: Item) -> JSON:
    rooms = [p for r in facts.rooms if (p := _room_part(facts, item.id, r.id)) is not None]
    return {
        "item": item.id,
        "number": item.number,
        "title": item.title,
        "label": item.label,
        "parent": item.parent,
        "status": item.status,
        "outcome": item.outcome,
        "discussed": item.discussed,
        "time_ms": facts.item_time_ms(item),
        "rooms": rooms,
        "groups": [_group(facts, g) for g in facts.groups if g.item == item.id],
    }


WHERE = {"in_room": "from the floor", "remote": "remotely"}


def _proposal(facts: Facts, d: DocumentFacts, p: Proposal) -> JSON:
    spoken = facts.on_proposal(d.doc.id, p.id)
    return {
        "proposal": p.id,
        "category": p.category,
        "kind": p.kind,
        "status": p.status,
        "active": p.active,
        "merged_into": p.merged_into,
        "split_from": p.split_from,
        "text_before": p.first_text,
        "text_after": p.text,
        "submitted_by": [s.to_dict() for s in p.submitted_by],
        "groups": [facts.room_name(r) for r in d.groups_of(p)],
        "interventions": [
            {
                **i.who.to_dict(),
                "intervention": i.id,
                "room": i.room,
                "room_name": facts.room_name(i.room),
                "began": i.began,
                "spoken_ms": i.spoken_ms,
                "kind": i.kind,
                "where": WHERE.get(i.who.presence, i.who.presence),
            }
            for i in spoken
        ],
        "speaking_ms": sum(i.spoken_ms for i in spoken),
        "history": [{**c.to_dict(), "said": describe(facts, d, c)} for c in d.history(p)],
    }


def _document(facts: Facts, d: DocumentFacts) -> JSON:
    doc = d.doc
    return {
        "doc": doc.id,
        "title": doc.title,
        "description": doc.description,
        "posted": doc.posted,
        "categories": [
            {
                "category": c.letter,
                "title": c.title,
                "label": c.label,
                "proposals": [_proposal(facts, d, p) for p in doc.in_category(c.letter, False)],
            }
            for c in doc.categories
        ],
    }


def digest(facts: Facts) -> JSON:
    agenda = facts.agenda()
    outside = [p for r in facts.rooms if (p := _room_part(facts, None, r.id)) is not None]
    return {
        "meeting": facts.meeting.id,
        "title": facts.meeting.title,
        "timezone": facts.meeting.timezone,
        "from": facts.first,
        "as_of": facts.as_of,
        "items": [_item(facts, item) for item in agenda],
        "outside_items": outside,
        "not_discussed": [
            {"item": i.id, "label": i.label, "status": i.status} for i in agenda if not i.discussed
        ],
        "groups": [_group(facts, g) for g in facts.groups],
        "documents": [_document(facts, d) for d in facts.documents],
    }


# -- rendering -------------------------------------------------------------------------------------
INTERVENTION_HEAD = ("#", "Time", "Name", "Delegation", "Group", "Where", "Kind", "Speaking")


def intervention_rows(facts: Facts, part: JSON) -> list[list[str]]:
    rows = []
    for n, i in enumerate(part["interventions"], 1):
        who = i["who"]
        kind = kind_noun(i["kind"])
        if i["presentation"]:
            kind = "presentation"
        rows.append(
            [
                str(n),
                facts.clock(i["began"]),
                who["name"],
                who["delegation"],
                who["group"],
                presence_label(who["presence"]),
                kind,
                duration(i["spoken_ms"]) + (" (speaking)" if i["running"] else ""),
            ]
        )
    return rows


def lines_sentence(part: JSON) -> str:
    what = "to no agenda item" if part.get("item") is None else "to this item"
    return f"Transcript lines attributed {what}: {part['lines']}."


def _requests_sentence(counts: JSON, outside: str = "") -> str:
    """The two counts in words that cannot be read as one another (``outside``: the part of a
    room's time spent on no item, said so)."""
    where = outside or "under this item"
    made = counts["made"]
    text = f"Floor requests made {where}: {made}"
    if made:
        parts = [f"{counts['granted_here']} given the floor {where}"]
        if counts["granted_later"]:
            later = "under an agenda item" if outside else "under another item"
            parts.append(f"{counts['granted_later']} given it later, {later}")
        parts += [
            f"{counts['withdrawn']} withdrawn",
            f"{counts['removed']} removed by the chair",
            f"{counts['waiting']} never given the floor",
        ]
        text += " (" + ", ".join(parts) + ")"
    text += f". Requests given the floor {where}: {counts['given_floor']}"
    elsewhere = counts["requested_elsewhere"]
    if elsewhere:
        said = [
            f"{e['count']} made under {e['label']}"
            if e["item"] is not None
            else f"{e['count']} made before the room was on any item"
            for e in elsewhere
        ]
        text += ", including " + "; ".join(said)
    return text + "."


def presentation_line(p: JSON) -> str:
    who = p["who"]
    name = who["name"] + (f" ({who['delegation']})" if who["delegation"] else "")
    subject = presentation_subject(p["note"])
    return f"{name}: {subject}" if subject else name


def group_line(g: JSON) -> str:
    kind = "ad-hoc group" if g["kind"] == "adhoc" else "break-out group"
    # Commas, not parentheses: a convener is often written "Mr. Reddy (India)" already.
    parts = [f"{g['name']}, {kind}"]
    if g["convener"]:
        verb = "chaired" if g.get("led_as") == "chair" else "convened"
        parts.append(f", {verb} by {g['convener']}")
    parts.append(f", {duration(g['duration_ms'])}")
    text = "".join(parts)
    if g["topic"]:
        text += f" on {g['topic']}"
    text += f": reported “{g['report']}”" if g["report"] else ": no report recorded"
    return text


def status_of(item: JSON) -> str:
    return status_label(item["status"])


def to_markdown(facts: Facts, d: JSON) -> str:
    out = [f"# Digest: {md_escape(d['title'])}", ""]
    if d["from"] is not None:
        out += [
            f"Record from {facts.stamp(d['from'])} to {facts.stamp(d['as_of'])} "
            f"({md_escape(d['timezone'])}).",
            "",
        ]
    for item in d["items"]:
        out += [f"## {md_escape(item['label'])}", ""]
        out.append(f"Status: {status_of(item)}. Time spent: {duration(item['time_ms'])}.")
        out.append("")
        if item["outcome"]:
            out += [f"Outcome: {md_escape(item['outcome'])}", ""]
        out += _parts_markdown(facts, item["rooms"])
        for g in item["groups"]:
            out += [f"- {md_escape(group_line(g))}"]
        if item["groups"]:
            out.append("")
    if d["outside_items"]:
        out += ["## Outside any agenda item", ""]
        out += _parts_markdown(facts, d["outside_items"])
    out += ["## Not discussed", ""]
    out += [f"- {md_escape(i['label'])} ({status_of(i)})" for i in d["not_discussed"]] or ["None."]
    out += ["", "## Groups", ""]
    out += [f"- {md_escape(group_line(g))}" for g in d["groups"]] or ["None."]
    for doc in d["documents"]:
        out += ["", *_document_markdown(facts, doc)]
    return "\n".join(out) + "\n"


def proposal_head(p: JSON) -> str:
    if not p["active"]:
        return f"{p['proposal']}, merged into {p['merged_into']}"
    return f"{p['proposal']}, {kind_label(p['kind'])}, {proposal_status(p['status'])}"


def spoke_line(facts: Facts, n: int, i: JSON) -> str:
    name = i["name"] + (f", {i['delegation']}" if i["delegation"] else "")
    return (
        f"{n}. {name} ({i['group'] or 'no group stated'}), {facts.clock(i['began'])}, "
        f"{duration(i['spoken_ms'])}, {i['where']}, {i['room_name']}"
    )


def proposal_lines(facts: Facts, p: JSON) -> list[str]:
    """What the digest says of a proposal, as lines of text (Markdown and HTML alike)."""
    lines = []
    if p["active"]:
        if p["text_before"] != p["text_after"]:
            lines.append(f"Text before: {p['text_before']}")
            lines.append(f"Text after: {p['text_after']}")
        else:
            lines.append(f"Text: {p['text_after']}")
    if p["submitted_by"]:
        lines.append("Submitted by: " + "; ".join(s["name"] for s in p["submitted_by"]))
    if p["groups"]:
        lines.append("Worked on in: " + ", ".join(p["groups"]))
    if p["interventions"]:
        total = duration(p["speaking_ms"])
        lines.append(f"Spoke on it, in order ({len(p['interventions'])}, {total}):")
    else:
        lines.append("Nobody took the floor on it.")
    return lines


def _document_markdown(facts: Facts, doc: JSON) -> list[str]:
    out = [f"## Rolling document: {md_escape(doc['title'])}", ""]
    for c in doc["categories"]:
        out += [f"### {md_escape(c['label'])}", ""]
        for p in c["proposals"]:
            out += [f"#### {md_escape(proposal_head(p))}", ""]
            for line in proposal_lines(facts, p):
                out += [md_escape(line), ""]
            for n, i in enumerate(p["interventions"], 1):
                out.append(md_escape(spoke_line(facts, n, i)))
            if p["interventions"]:
                out.append("")
            out += ["History:", ""]
            out += [f"- {md_escape(h['said'])}" for h in p["history"]]
            out.append("")
        if not c["proposals"]:
            out += ["No proposals.", ""]
    return out


def _parts_markdown(facts: Facts, parts: list[Any]) -> list[str]:
    out: list[str] = []
    for part in parts:
        out += [f"### {md_escape(part['name'])}: {duration(part['time_ms'])}", ""]
        for p in part["presentations"]:
            out.append(f"- Presentation by {md_escape(presentation_line(p))}")
        if part["presentations"]:
            out.append("")
        if part["interventions"]:
            out += md_table(INTERVENTION_HEAD, intervention_rows(facts, part))
            out.append("")
        out += [part["requests"]["said"], "", lines_sentence(part), ""]
    return out


def to_html(facts: Facts, d: JSON, extra: list[str] | None = None) -> str:
    body = [f"<h1>Digest: {esc(d['title'])}</h1>"]
    if d["from"] is not None:
        body.append(
            f'<p class="meta">Record from {facts.stamp(d["from"])} to {facts.stamp(d["as_of"])}'
            f" ({esc(d['timezone'])}).</p>"
        )
    for item in d["items"]:
        body.append(f"<section>\n<h2>{esc(item['label'])}</h2>")
        body.append(
            f"<p>Status: {esc(status_of(item))}. Time spent: {duration(item['time_ms'])}.</p>"
        )
        if item["outcome"]:
            body.append(f"<p><strong>Outcome:</strong> {esc(item['outcome'])}</p>")
        body += _parts_html(facts, item["rooms"])
        if item["groups"]:
            body.append("<ul>" + "".join(f"<li>{esc(group_line(g))}</li>" for g in item["groups"]))
            body.append("</ul>")
        body.append("</section>")
    if d["outside_items"]:
        body.append("<section>\n<h2>Outside any agenda item</h2>")
        body += _parts_html(facts, d["outside_items"])
        body.append("</section>")
    body.append("<section>\n<h2>Not discussed</h2>")
    items = [f"<li>{esc(i['label'])} ({esc(status_of(i))})</li>" for i in d["not_discussed"]]
    body.append("<ul>" + "".join(items) + "</ul>" if items else "<p>None.</p>")
    body.append("</section>\n<section>\n<h2>Groups</h2>")
    groups = [f"<li>{esc(group_line(g))}</li>" for g in d["groups"]]
    body.append("<ul>" + "".join(groups) + "</ul>" if groups else "<p>None.</p>")
    body.append("</section>")
    for doc in d["documents"]:
        body += _document_html(facts, doc)
    body += extra or []
    return html_page(f"Digest: {d['title']}", body, REPORT_STYLE)


def _parts_html(facts: Facts, parts: list[Any]) -> list[str]:
    out: list[str] = []
    for part in parts:
        out.append(f"<h3>{esc(part['name'])}: {duration(part['time_ms'])}</h3>")
        if part["presentations"]:
            out.append(
                "<ul>"
                + "".join(
                    f"<li>Presentation by {esc(presentation_line(p))}</li>"
                    for p in part["presentations"]
                )
                + "</ul>"
            )
        if part["interventions"]:
            rows = intervention_rows(facts, part)
            out.append(html_table(INTERVENTION_HEAD, rows, f"Interventions, {part['name']}", 1))
        out.append(f"<p>{esc(part['requests']['said'])}</p>")
        out.append(f"<p>{esc(lines_sentence(part))}</p>")
    return out


def _document_html(facts: Facts, doc: JSON) -> list[str]:
    body = [f'<section class="document">\n<h2>Rolling document: {esc(doc["title"])}</h2>']
    for c in doc["categories"]:
        body.append(f"<h3>{esc(c['label'])}</h3>")
        for p in c["proposals"]:
            body.append(f'<article class="proposal" id="proposal-{esc(p["proposal"])}">')
            body.append(f"<h4>{esc(proposal_head(p))}</h4>")
            body += [f"<p>{esc(line)}</p>" for line in proposal_lines(facts, p)]
            if p["interventions"]:
                rows = [
                    [str(n), facts.clock(i["began"]), i["name"], i["delegation"], i["group"],
                     i["where"], i["room_name"], duration(i["spoken_ms"])]
                    for n, i in enumerate(p["interventions"], 1)
                ]  # fmt: skip
                head = ("#", "Time", "Name", "Delegation", "Group", "Where", "Room", "Speaking")
                body.append(html_table(head, rows, f"Interventions on {p['proposal']}", 1))
            body.append('<ol class="history">')
            body += [f"<li>{esc(h['said'])}</li>" for h in p["history"]]
            body.append("</ol></article>")
        if not c["proposals"]:
            body.append("<p>No proposals.</p>")
    body.append("</section>")
    return body
