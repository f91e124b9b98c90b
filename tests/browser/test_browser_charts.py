"""The record's bar charts as Chromium draws them: long labels (a delegation's full name, one
long word) wrap inside the space beside the bars, whole, and rows never run into each other."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from server.record.charts import bar_chart
from tests import browser_support
from tests.browser_support import Pages

browser = browser_support.browser
pages = browser_support.pages
pytestmark = pytest.mark.browser

LABELS = [
    "United Kingdom of Great Britain and Northern Ireland",
    "Internet Corporation for Assigned Names and Numbers (ICANN)",
    "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
    "Brazil",
    "MMMMMMMMMMMM MMMMMMMMMMMM MMMMMMMMMMMM",
]


def test_long_labels_wrap_whole_inside_the_chart(pages: Pages) -> None:
    svg = bar_chart(
        "c", "Speaking time", [(label, 10.0 * (i + 1)) for i, label in enumerate(LABELS)], str
    )
    page: Any = pages.new()
    page.set_content(f"<!doctype html><html lang=en><body>{svg}</body></html>")
    chart = page.locator("svg").bounding_box()
    labels = page.locator("svg text.label")
    assert labels.count() == len(LABELS)
    boxes = []
    for n, label in enumerate(LABELS):
        text = labels.nth(n)
        # The whole label is there, in lines that give it back (a long word split, not cut).
        lines = [s.text_content() for s in text.locator("tspan").all()]
        assert "".join(lines).replace(" ", "") == label.replace(" ", "")
        assert "…" not in "".join(lines)
        box = text.bounding_box()
        assert box["x"] >= chart["x"], f"{label!r} leaves the chart on the left"
        assert box["y"] >= chart["y"] and box["y"] + box["height"] <= chart["y"] + chart["height"]
        boxes.append(box)
    for upper, lower in itertools.pairwise(boxes):
        assert upper["y"] + upper["height"] <= lower["y"] + 1, "two rows' labels overlap"
