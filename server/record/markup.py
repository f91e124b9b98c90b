"""Markdown and HTML for the record's documents: escaping (every piece of text may be something
someone typed, and is shown as text, never as markup), pages, tables, and durations in words."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from server.domain.agenda import STATUSES
from server.domain.floor import KINDS, PRESENCES


def kind_noun(kind: str) -> str:
    """ "point of order": how a request's kind is named in a list or a table."""
    return KINDS[kind]["noun"] if kind in KINDS else kind


def presence_label(presence: str) -> str:
    return PRESENCES.get(presence, presence)


def status_label(status: str) -> str:
    return STATUSES.get(status, status)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")


def md_escape(text: str) -> str:
    """Text that Markdown shows as written: no emphasis, links or HTML. Every paragraph of an
    export starts with a speaker in bold or a time in brackets, so no text starts a line and
    list markers need no escaping."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def esc(text: str) -> str:
    """Text for HTML, as text: markup in it is shown, never run."""
    return html.escape(text, quote=True)


def html_page(title: str, body: list[str], style: str, lang: str = "en") -> str:
    """A whole HTML document that carries its own style (it is saved, opened and printed)."""
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{esc(lang)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(title)}</title>",
            f"<style>\n{style}\n</style>",
            "</head>",
            "<body>",
            # One main landmark: a screen reader's "go to main content" lands on the report.
            "<main>",
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def duration(ms: int | None) -> str:
    """``1 h 05 min``, ``4 min 10 s``, ``45 s``: read aloud well and sorts nothing."""
    if ms is None:
        return "—"
    seconds = max(0, round(ms / 1000))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {s:02d} s"
    return f"{s} s"


def md_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(md_escape(c).replace("\n", " ") or " " for c in cells) + " |"

    out = [row(head), "|" + "|".join("---" for _ in head) + "|"]
    return out + [row(r) for r in rows]


def html_table(
    head: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "", numeric: int = 0
) -> str:
    """A table; the last ``numeric`` columns are right-aligned figures."""
    first_num = len(head) - numeric

    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="num"' if i >= first_num else ""
        scope = ' scope="col"' if tag == "th" else ""
        return f"<{tag}{cls}{scope}>{esc(text)}</{tag}>"

    out = ["<table>"]
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append(
        "<thead><tr>" + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr></thead>"
    )
    out.append("<tbody>")
    for r in rows:
        out.append("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


REPORT_STYLE = """
body { font: 10.5pt/1.45 Helvetica, Arial, sans-serif; max-width: 60em; margin: 2em auto;
  padding: 0 1em; color: #111; background: #fff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #777; margin-top: 1.6em; }
h3 { font-size: 1.05em; } .meta, .note { color: #333; }
table { border-collapse: collapse; margin: .4em 0 1em; width: 100%; }
caption { text-align: left; font-weight: bold; padding: .2em 0; }
th, td { border: 1px solid #999; padding: .15em .4em; text-align: left; vertical-align: top; }
th { background: #eee; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: .6em 0 1.2em; } figure svg { max-width: 100%; height: auto; }
figcaption { font-weight: bold; }
@media print {
  body { margin: 0; max-width: none; font-size: 9.5pt; }
  h2 { break-after: avoid; } table, figure { break-inside: avoid; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".strip()
