"""Bar charts as small SVG documents that print well and can be read without seeing them.

Black bars on white with the value written beside each bar, so a greyscale printout loses
nothing; ``role="img"`` with a ``<title>`` and a ``<desc>`` that states every value, so a screen
reader gets the chart as a sentence. No script, no external resource. Pages put the same data in a
table next to the chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from server.record.markup import esc

WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 90
ROW_HEIGHT = 22
BAR_HEIGHT = 14
TOP = 8
# Beyond this many bars a chart stops being readable on a page; the table holds every row.
MAX_BARS = 25
LABEL_CHARS = 32


def _clip(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, float]],
    fmt: Callable[[float], str],
) -> str:
    """A horizontal bar chart of ``rows`` (label, value), largest first as given."""
    shown = list(rows[:MAX_BARS])
    height = TOP * 2 + ROW_HEIGHT * max(1, len(shown))
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
    for n, (label, value) in enumerate(shown):
        y = TOP + n * ROW_HEIGHT
        bar = round(span * value / top, 1)
        mid = y + ROW_HEIGHT / 2 + 4
        out.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{mid}" text-anchor="end" fill="#000000">'
            f"{esc(_clip(label))}</text>"
        )
        out.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + (ROW_HEIGHT - BAR_HEIGHT) / 2}" width="{bar}" '
            f'height="{BAR_HEIGHT}" fill="#333333" stroke="#000000" stroke-width="0.5"/>'
        )
        out.append(
            f'<text x="{LABEL_WIDTH + bar + 6}" y="{mid}" fill="#000000">{esc(fmt(value))}</text>'
        )
    out.append(
        f'<line x1="{LABEL_WIDTH}" y1="{TOP}" x2="{LABEL_WIDTH}" y2="{height - TOP}" '
        'stroke="#000000" stroke-width="1"/>'
    )
    out.append("</svg>")
    return "\n".join(out)
