"""Figures on a rolling document: its proposals by category and status, and the interventions on
each proposal by stakeholder group, with charts. Proposals merged away are not counted (their
text lives on in the one they were merged into)."""

from __future__ import annotations

from collections import Counter

from server.domain.document import STATUSES
from server.domain.events import JSON
from server.record import charts
from server.record.document_facts import DocumentFacts
from server.record.facts import Facts
from server.record.markup import duration, esc, html_table, md_escape, md_table

UNSTATED = "(not stated)"


def figures(facts: Facts, d: DocumentFacts) -> JSON:
    doc = d.doc
    active = doc.ordered(active_only=True)
    by_category = []
    for c in doc.categories:
        mine = [p for p in active if p.category == c.letter]
        counts = Counter(p.status for p in mine)
        by_category.append(
            {
                "category": c.letter,
                "title": c.title,
                "total": len(mine),
                "statuses": {s: counts.get(s, 0) for s in STATUSES},
            }
        )
    statuses = Counter(p.status for p in active)
    interventions = []
    for p in active:
        spoken = facts.on_proposal(doc.id, p.id)
        groups: dict[str, JSON] = {}
        for i in spoken:
            key = "Chair" if i.who.chair else i.who.group or UNSTATED
            row = groups.setdefault(key, {"key": key, "interventions": 0, "speaking_ms": 0})
            row["interventions"] += 1
            row["speaking_ms"] += i.spoken_ms
        interventions.append(
            {
                "proposal": p.id,
                "category": p.category,
                "interventions": len(spoken),
                "speaking_ms": sum(i.spoken_ms for i in spoken),
                "by_group": sorted(groups.values(), key=lambda r: (-r["interventions"], r["key"])),
            }
        )
    return {
        "doc": doc.id,
        "title": doc.title,
        "proposals": len(active),
        "by_category": by_category,
        "by_status": [
            {"key": s, "label": label, "count": statuses.get(s, 0)} for s, label in STATUSES.items()
        ],
        "interventions": interventions,
    }


def chart_specs(f: JSON) -> list[tuple[str, str, list[tuple[str, float]]]]:
    """(name, title, rows) of the document's charts that have data."""
    title = f["title"]
    specs = [
        ("status", f"Proposals by status: {title}",
         [(r["label"], r["count"]) for r in f["by_status"] if r["count"]]),
        ("category", f"Proposals by category: {title}",
         [(r["category"] + (f". {r['title']}" if r["title"] else ""), r["total"])
          for r in f["by_category"]]),
        ("interventions", f"Interventions per proposal: {title}",
         [(r["proposal"], r["interventions"]) for r in f["interventions"] if r["interventions"]]),
    ]  # fmt: skip
    return [(name, t, rows) for name, t, rows in specs if rows]


def _groups(f: JSON) -> list[str]:
    keys = {g["key"] for r in f["interventions"] for g in r["by_group"]}
    return sorted(keys)


def tables(f: JSON) -> list[tuple[str, tuple[str, ...], list[list[str]], int]]:
    """(caption, head, rows, numeric columns) of the document's tables."""
    shown = [s for s in STATUSES if any(r["statuses"][s] for r in f["by_category"])]
    status_head = ("Category", *(STATUSES[s] for s in shown), "Total")
    status_rows = [
        [r["category"] + (f". {r['title']}" if r["title"] else ""),
         *(str(r["statuses"][s]) for s in shown), str(r["total"])]
        for r in f["by_category"]
    ]  # fmt: skip
    groups = _groups(f)
    per_head = ("Proposal", *groups, "Interventions", "Speaking time")
    per_rows = []
    for r in f["interventions"]:
        if not r["interventions"]:
            continue
        counts = {g["key"]: g["interventions"] for g in r["by_group"]}
        per_rows.append([r["proposal"], *(str(counts.get(g, 0)) for g in groups),
                         str(r["interventions"]), duration(r["speaking_ms"])])  # fmt: skip
    return [
        (f"Proposals by category and status: {f['title']}", status_head, status_rows,
         len(shown) + 1),
        (f"Interventions per proposal, by stakeholder group: {f['title']}", per_head, per_rows,
         len(groups) + 2),
    ]  # fmt: skip


def to_markdown(f: JSON) -> list[str]:
    out = [f"## Rolling document: {md_escape(f['title'])}", ""]
    out += [f"{f['proposals']} proposals.", ""]
    for caption, head, rows, _ in tables(f):
        if rows:
            out += [f"**{md_escape(caption)}**", "", *md_table(head, rows), ""]
    return out


def html_body(prefix: str, f: JSON, charts_too: bool = True) -> list[str]:
    body = [f"<section>\n<h2>Rolling document: {esc(f['title'])}</h2>"]
    body.append(f"<p>{f['proposals']} proposals.</p>")
    if charts_too:
        for name, title, rows in chart_specs(f):
            chart_id = f"{prefix}-{name}"
            body.append(
                f'<figure aria-labelledby="{chart_id}-c"><figcaption id="{chart_id}-c">'
                f"{esc(title)}</figcaption>\n"
                f"{charts.bar_chart(chart_id, title, rows, lambda v: str(int(v)))}\n</figure>"
            )
    for caption, head, cells, numeric in tables(f):
        if cells:
            body.append(html_table(head, cells, caption, numeric))
    body.append("</section>")
    return body
