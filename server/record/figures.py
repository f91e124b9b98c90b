"""Participation figures: who spoke and for how long, by stakeholder group, by delegation and in
the room versus remote; requests that never got the floor; how long people waited for it. For
the whole meeting, each day (in the meeting's time zone) and each room.

An intervention counts on the day and in the room where it began; a request where it was made.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from typing import Any

from server.domain.events import JSON
from server.domain.floor import Who
from server.record import charts, document_figures
from server.record.facts import Facts, Intervention, Request
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
)

UNSTATED = "(not stated)"


# The chair speaking as the Chair is counted apart: no delegation's and no group's time.
CHAIR = "Chair"


def _key_group(who: Who) -> str:
    return CHAIR if who.chair else who.group or UNSTATED


def _key_delegation(who: Who) -> str:
    return CHAIR if who.chair else who.party or UNSTATED


def _key_presence(who: Who) -> str:
    return who.presence


def _speaking(interventions: list[Intervention], key: Callable[[Who], str]) -> list[JSON]:
    rows: dict[str, JSON] = {}
    for i in interventions:
        row = rows.setdefault(
            key(i.who), {"key": key(i.who), "interventions": 0, "speaking_ms": 0, "lines": 0}
        )
        row["interventions"] += 1
        row["speaking_ms"] += i.spoken_ms
        row["lines"] += i.lines  # transcript lines attributed to it, as corrected
    return sorted(rows.values(), key=lambda r: (-r["speaking_ms"], -r["interventions"], r["key"]))


def _waits(values: list[int]) -> JSON:
    if not values:
        return {"count": 0, "mean_ms": None, "median_ms": None, "max_ms": None}
    return {
        "count": len(values),
        "mean_ms": round(statistics.fmean(values)),
        "median_ms": round(statistics.median(values)),
        "max_ms": max(values),
    }


def _waits_by(interventions: list[Intervention], key: Callable[[Who], str]) -> list[JSON]:
    groups: dict[str, list[int]] = {}
    for i in interventions:
        if i.waited_ms is not None:
            groups.setdefault(key(i.who), []).append(i.waited_ms)
    return [{"key": k, **_waits(v)} for k, v in sorted(groups.items())]


def _count_by(requests: list[Request], key: Callable[[Who], str]) -> list[JSON]:
    counts: dict[str, int] = {}
    for r in requests:
        counts[key(r.who)] = counts.get(key(r.who), 0) + 1
    return [{"key": k, "count": n} for k, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]


def stats(interventions: Iterable[Intervention], requests: Iterable[Request]) -> JSON:
    interventions, requests = list(interventions), list(requests)
    missed = [r for r in requests if r.status != "granted"]
    waited = [i.waited_ms for i in interventions if i.waited_ms is not None]
    return {
        "interventions": len(interventions),
        "speaking_ms": sum(i.spoken_ms for i in interventions),
        "by_group": _speaking(interventions, _key_group),
        "by_delegation": _speaking(interventions, _key_delegation),
        "by_presence": _speaking(interventions, _key_presence),
        "by_kind": _count_by_kind(interventions),
        "requests": {
            "made": len(requests),
            "granted": sum(r.status == "granted" for r in requests),
            "withdrawn": sum(r.status == "withdrawn" for r in requests),
            "removed": sum(r.status == "removed" for r in requests),
            "waiting": sum(r.status == "waiting" for r in requests),
        },
        "not_granted": [r.to_dict() for r in missed],
        "not_granted_by_group": _count_by(missed, _key_group),
        "not_granted_by_presence": _count_by(missed, _key_presence),
        "waiting": {
            **_waits(waited),
            "by_presence": _waits_by(interventions, _key_presence),
            "by_group": _waits_by(interventions, _key_group),
        },
    }


def _count_by_kind(interventions: list[Intervention]) -> list[JSON]:
    counts: dict[str, int] = {}
    for i in interventions:
        kind = "presentation" if i.presentation else i.kind
        counts[kind] = counts.get(kind, 0) + 1
    return [{"key": k, "count": n} for k, n in sorted(counts.items())]


def figures(facts: Facts) -> JSON:
    scopes: list[JSON] = [
        {"scope": "meeting", "label": "Whole meeting", **stats(facts.interventions, facts.requests)}
    ]
    days = sorted(
        {facts.day(i.began) for i in facts.interventions}
        | {facts.day(r.ts) for r in facts.requests}
    )
    for day in days:
        scopes.append(
            {
                "scope": "day",
                "day": day,
                "label": day,
                **stats(
                    (i for i in facts.interventions if facts.day(i.began) == day),
                    (r for r in facts.requests if facts.day(r.ts) == day),
                ),
            }
        )
    for room in facts.rooms:
        scopes.append(
            {
                "scope": "room",
                "room": room.id,
                "label": room.name,
                **stats(
                    (i for i in facts.interventions if i.room == room.id),
                    (r for r in facts.requests if r.room == room.id),
                ),
            }
        )
    return {
        "meeting": facts.meeting.id,
        "title": facts.meeting.title,
        "timezone": facts.meeting.timezone,
        "as_of": facts.as_of,
        "scopes": scopes,
        "documents": [document_figures.figures(facts, d) for d in facts.documents],
    }


# -- rendering -------------------------------------------------------------------------------------
def _label(key: str, presence: bool = False) -> str:
    return presence_label(key) if presence else key


def _speaking_rows(rows: list[JSON], presence: bool = False) -> list[list[str]]:
    return [
        [
            _label(r["key"], presence),
            str(r["interventions"]),
            duration(r["speaking_ms"]),
            str(r["lines"]),
        ]
        for r in rows
    ]


def _wait_rows(rows: list[JSON], presence: bool = False) -> list[list[str]]:
    return [
        [
            _label(r["key"], presence),
            str(r["count"]),
            duration(r["median_ms"]),
            duration(r["mean_ms"]),
            duration(r["max_ms"]),
        ]
        for r in rows
    ]


def missed_rows(facts: Facts, scope: JSON) -> list[list[str]]:
    return [
        [
            facts.stamp(r["ts"]),
            facts.room_name(r["room"]),
            r["who"]["name"],
            r["who"]["delegation"],
            r["who"]["group"],
            presence_label(r["who"]["presence"]),
            kind_noun(r["kind"]),
            {"waiting": "still waiting"}.get(r["status"], r["status"]),
        ]
        for r in scope["not_granted"]
    ]


# Every column is named, the first too: a screen reader reads the header with each cell.
# Transcript lines: those attributed to the interventions counted, as corrected.
SPEAKING_HEAD = ("Interventions", "Speaking time", "Transcript lines")
WAIT_HEAD = ("Given the floor", "Median wait", "Mean wait", "Longest wait")
MISSED_HEAD = ("Asked", "Room", "Name", "Delegation", "Group", "Where", "Kind", "Outcome")


def summary_sentence(scope: JSON) -> str:
    req = scope["requests"]
    wait = scope["waiting"]
    text = (
        f"{scope['interventions']} interventions, {duration(scope['speaking_ms'])} of speaking "
        f"time. {req['made']} floor requests: {req['granted']} granted, {req['withdrawn']} "
        f"withdrawn, {req['removed']} removed, {req['waiting']} still waiting."
    )
    if wait["count"]:
        text += (
            f" Median wait for the floor {duration(wait['median_ms'])}, "
            f"longest {duration(wait['max_ms'])}."
        )
    return text


def tables(scope: JSON) -> list[tuple[str, tuple[str, ...], list[list[str]], int]]:
    """(caption, head, rows, numeric columns) for each table of a scope."""
    return [
        ("By stakeholder group", ("Stakeholder group", *SPEAKING_HEAD),
         _speaking_rows(scope["by_group"]), 3),
        ("In the room and remote", ("Where", *SPEAKING_HEAD),
         _speaking_rows(scope["by_presence"], True), 3),
        ("By delegation", ("Delegation", *SPEAKING_HEAD),
         _speaking_rows(scope["by_delegation"]), 3),
        ("Waiting for the floor, in the room and remote", ("Where", *WAIT_HEAD),
         _wait_rows(scope["waiting"]["by_presence"], True), 4),
        ("Waiting for the floor, by stakeholder group", ("Stakeholder group", *WAIT_HEAD),
         _wait_rows(scope["waiting"]["by_group"]), 4),
    ]  # fmt: skip


def to_markdown(facts: Facts, f: JSON) -> str:
    out = [f"# Participation figures: {md_escape(f['title'])}", ""]
    out += [f"Times are in {md_escape(f['timezone'])}.", ""]
    for d in f.get("documents", []):
        out += document_figures.to_markdown(d)
    for scope in f["scopes"]:
        heading = "##" if scope["scope"] == "meeting" else "###"
        prefix = {"day": "Day: ", "room": "Room: "}.get(scope["scope"], "")
        out += [f"{heading} {prefix}{md_escape(scope['label'])}", "", summary_sentence(scope), ""]
        for caption, head, rows, _ in tables(scope):
            if rows:
                out += [f"**{caption}**", "", *md_table(head, rows), ""]
        missed = missed_rows(facts, scope)
        if missed:
            out += ["**Requests that never got the floor**", "", *md_table(MISSED_HEAD, missed), ""]
    return "\n".join(out)


ChartSpec = tuple[str, str, list[tuple[str, float]], Callable[[float], str]]


def _chart_specs(scope: JSON) -> list[ChartSpec]:
    """(name, title, rows, value format) of each chart of a scope that has data."""

    def secs(v: float) -> str:
        return duration(int(v))

    def count(v: float) -> str:
        return str(int(v))

    specs: list[ChartSpec] = [
        ("group-time", "Speaking time by stakeholder group",
         [(r["key"], r["speaking_ms"]) for r in scope["by_group"]], secs),
        ("group-count", "Interventions by stakeholder group",
         sorted(((r["key"], r["interventions"]) for r in scope["by_group"]),
                key=lambda x: -x[1]), count),
        ("presence-time", "Speaking time in the room and remote",
         [(_label(r["key"], True), r["speaking_ms"]) for r in scope["by_presence"]], secs),
        ("delegation-time", "Speaking time by delegation",
         [(r["key"], r["speaking_ms"]) for r in scope["by_delegation"]], secs),
    ]  # fmt: skip
    return [spec for spec in specs if spec[2]]


def _charts(prefix: str, scope: JSON) -> list[str]:
    out = []
    for name, title, rows, fmt in _chart_specs(scope):
        chart_id = f"{prefix}-{name}"
        out.append(
            f'<figure aria-labelledby="{chart_id}-c"><figcaption id="{chart_id}-c">'
            f"{esc(title)}</figcaption>\n{charts.bar_chart(chart_id, title, rows, fmt)}"
            "\n</figure>"
        )
    return out


def html_body(facts: Facts, f: JSON, charts_too: bool = True) -> list[str]:
    body = []
    for n, d in enumerate(f.get("documents", [])):
        body += document_figures.html_body(f"d{n}", d, charts_too)
    for n, scope in enumerate(f["scopes"]):
        prefix = {"day": "Day: ", "room": "Room: "}.get(scope["scope"], "")
        body.append(f"<section>\n<h2>{esc(prefix + scope['label'])}</h2>")
        body.append(f"<p>{esc(summary_sentence(scope))}</p>")
        if charts_too:
            body += _charts(f"c{n}", scope)
        for caption, head, rows, numeric in tables(scope):
            if rows:
                body.append(html_table(head, rows, caption, numeric))
        missed = missed_rows(facts, scope)
        if missed:
            body.append(html_table(MISSED_HEAD, missed, "Requests that never got the floor"))
        body.append("</section>")
    return body


def to_html(facts: Facts, f: JSON) -> str:
    body = [
        f"<h1>Participation figures: {esc(f['title'])}</h1>",
        f'<p class="meta">Times are in {esc(f["timezone"])}.</p>',
        *html_body(facts, f),
    ]
    return html_page(f"Participation figures: {f['title']}", body, REPORT_STYLE)


def chart_svgs(f: JSON, scope_index: int = 0) -> dict[str, str]:
    """The charts of one scope as standalone SVG documents, by name (for the console page)."""
    scope: Any = f["scopes"][scope_index]
    out = {
        name: charts.bar_chart(f"s{scope_index}-{name}", title, rows, fmt)
        for name, title, rows, fmt in _chart_specs(scope)
    }
    if scope_index == 0:  # the rolling documents are the whole meeting's
        for n, d in enumerate(f.get("documents", [])):
            for name, title, rows in document_figures.chart_specs(d):
                out[f"doc{n}-{name}"] = charts.bar_chart(
                    f"s0-doc{n}-{name}", title, rows, lambda v: str(int(v))
                )
    return out
