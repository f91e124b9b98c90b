"""Words for the draft summary: lists in a sentence, plurals, dates, durations as people say
them, people as a summary names them, and the meeting's own days.

A summary's dates are the meeting's configured first and last day (``Meeting.starts`` and
``ends``), never the clock that recorded the events: a rehearsal or a replay happens on other
days, and a record stamped outside the meeting's days is not claimed as the meeting's date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from server.domain.events import JSON
from server.domain.floor import Who
from server.domain.meetings import Meeting
from server.record.facts import Facts


@dataclass(slots=True)
class Paragraph:
    text: str
    topic: str  # opening, agenda, presentations, groups, item, not_discussed, document, close
    sources: list[tuple[str, int]] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)  # marked ¹, ², … at the paragraph's end

    def to_dict(self, number: int, first_note: int = 1) -> JSON:
        return {
            "number": number,
            "topic": self.topic,
            "text": self.text,
            "sources": [{"room": r, "seq": s} for r, s in self.sources],
            "footnotes": [
                {"mark": first_note + n, "text": t} for n, t in enumerate(self.footnotes)
            ],
        }


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def mark(n: int) -> str:
    """A footnote's mark: ¹, ², … ¹⁰."""
    return str(n).translate(SUPERSCRIPTS)


def series(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


_NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def count_word(n: int) -> str:
    """``two``, ``five``, ``12``: small counts in words, as a summary writes them."""
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def person(name: str, delegation: str) -> str:
    """``Dr. Yokozawa (Japan)``; a name that already says its delegation, or already ends in a
    parenthesis, gets no second one."""
    if not delegation or delegation in name or name.rstrip().endswith(")"):
        return name
    return f"{name} ({delegation})"


def who(w: Who) -> str:
    """How the summary names whoever had the floor: the Chair as the Chair."""
    return "the Chair" if w.chair else person(w.name, w.delegation)


def quote(text: str) -> str:
    return "“" + text.strip().rstrip(".") + ".”" if text.strip() else ""


def duration_words(ms: int) -> str:
    """``less than a minute``, ``25 minutes``, ``1 hour and 20 minutes``, ``2 hours``."""
    minutes = round(max(0, ms) / 60_000)
    if minutes < 1:
        return "less than a minute"
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(plural(hours, "hour", "hours"))
    if rest:
        parts.append(plural(rest, "minute", "minutes"))
    return " and ".join(parts)


def long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def meeting_days(meeting: Meeting) -> tuple[date, date] | None:
    """The meeting's configured first and last day, when both (or the first) are given."""
    first = _day(meeting.starts)
    last = _day(meeting.ends) or first
    if first is None or last is None or last < first:
        return None
    return first, last


def span(first: date, last: date) -> str:
    """``on 24 February 2014``, ``from 24 to 28 February 2014``, ``from 28 February to 3 March
    2014``, ``from 30 December 2013 to 2 January 2014``."""
    if first == last:
        return f"on {long_date(first)}"
    if (first.year, first.month) == (last.year, last.month):
        return f"from {first.day} to {long_date(last)}"
    if first.year == last.year:
        return f"from {first.day} {first:%B} to {long_date(last)}"
    return f"from {long_date(first)} to {long_date(last)}"


def day_of(facts: Facts, ts: int) -> date:
    return datetime.fromtimestamp(ts / 1000, facts.tz).date()


def within(facts: Facts, ts: int) -> bool:
    """Whether an event's day is one of the meeting's days (every day is, when none are set)."""
    days = meeting_days(facts.meeting)
    return days is None or days[0] <= day_of(facts, ts) <= days[1]


def at(facts: Facts, ts: int) -> str:
    """`` on 24 February 2014 at 10:02`` for an event on one of the meeting's days; nothing for
    one recorded on another day."""
    if not within(facts, ts):
        return ""
    return f" on {long_date(day_of(facts, ts))} at {facts.clock(ts)}"


_ACRONYM = re.compile(r"\(([A-Z][A-Z0-9&-]{1,11})\)\s*$")


def short_name(meeting: Meeting) -> str:
    """How later sentences name the meeting: ``the WGEC`` for a title ending in ``(WGEC)``,
    else ``the meeting``."""
    m = _ACRONYM.search(meeting.title)
    return f"the {m.group(1)}" if m else "the meeting"
