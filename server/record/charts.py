"""Bar charts as small SVG documents that print well and can be read without seeing them.

Black bars on white with the value written beside each bar, so a greyscale printout loses
nothing; ``role="img"`` with a ``<title>`` and a ``<desc>`` that states every value, so a screen
reader gets the chart as a sentence. No script, no external resource. Pages put the same data in a
table next to the chart.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from server.record.markup import esc

WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 90
ROW_HEIGHT = 22
BAR_HEIGHT = 14
LINE_HEIGHT = 14
TOP = 8
# Beyond this many bars a chart stops being readable on a page; the table holds every row.
MAX_BARS = 25
# Label lines are kept to this width beside the bars (at 12 px); longer labels (a delegation's full
# name) wrap onto more lines and the row grows: a label is never clipped.
LABEL_TEXT_WIDTH = LABEL_WIDTH - 12


def _char_width(ch: str) -> float:
    """A generous estimate of a character's width at 12 px in the chart's sans-serif font, so
    that an estimated line is never wider than the real one (Chromium's test measures it)."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 12.5
    if ch in "WMmw@%":
        return 11.8
    if ch.isupper() or ch.isdigit():
        return 9.2
    return 7.0


def label_width(text: str) -> float:
    return sum(_char_width(ch) for ch in text)


def label_lines(label: str) -> list[str]:
    """A label broken at spaces into lines that fit beside the bars (a word wider than a line
    is split); the lines joined give the label back, less the spaces they were broken at."""
    lines: list[str] = []
    line = ""
    for word in label.split():
        while label_width(word) > LABEL_TEXT_WIDTH:  # one long word: split it where it must be
            room = LABEL_TEXT_WIDTH - (label_width(line) + _char_width(" ") if line else 0)
            cut = 0
            while cut < len(word) and label_width(word[: cut + 1]) <= room:
                cut += 1
            if cut == 0:
                lines.append(line)
                line = ""
                continue
            lines.append(f"{line} {word[:cut]}" if line else word[:cut])
            line, word = "", word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and label_width(candidate) > LABEL_TEXT_WIDTH:
            lines.append(line)
            candidate = word
        line = candidate
    if line or not lines:
        lines.append(line)
    return lines


def bar_chart(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, float]],
    fmt: Callable[[float], str],
) -> str:
    """A horizontal bar chart of ``rows`` (label, value), largest first as given."""
    shown = list(rows[:MAX_BARS])
    wrapped = [label_lines(label) for label, _ in shown]
    heights = [max(ROW_HEIGHT, LINE_HEIGHT * len(lines) + 8) for lines in wrapped]
    height = TOP * 2 + (sum(heights) if shown else ROW_HEIGHT)
    top = max((v for _, v in shown), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    described = "; ".join(f"{label}: {fmt(value)}" for label, value in rows) or "no data"
    if len(rows) > len(shown):
        described += f" (the chart shows the first {len(shown)})"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<title id="{chart_id}-t">{esc(title)}</title>',
        f'<desc id="{chart_id}-d">{esc(described)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    if not shown:
        out.append(f'<text x="8" y="{TOP + 15}" fill="#000000">No data.</text>')
    y = TOP
    for (_, value), lines, row in zip(shown, wrapped, heights, strict=True):
        bar = round(span * value / top, 1)
        mid = y + row / 2 + 4
        first = mid - LINE_HEIGHT * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{LABEL_WIDTH - 6}" y="{first + LINE_HEIGHT * i}">{esc(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        out.append(f'<text class="label" text-anchor="end" fill="#000000">{spans}</text>')
        out.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + (row - BAR_HEIGHT) / 2}" width="{bar}" '
            f'height="{BAR_HEIGHT}" fill="#333333" stroke="#000000" stroke-width="0.5"/>'
        )
        out.append(
            f'<text x="{LABEL_WIDTH + bar + 6}" y="{mid}" fill="#000000">{esc(fmt(value))}</text>'
        )
        y += row
    out.append(
        f'<line x1="{LABEL_WIDTH}" y1="{TOP}" x2="{LABEL_WIDTH}" y2="{height - TOP}" '
        'stroke="#000000" stroke-width="1"/>'
    )
    out.append("</svg>")
    return "\n".join(out)
