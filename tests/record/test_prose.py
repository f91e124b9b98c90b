"""The draft summary's words: durations as people say them, the meeting's configured days,
people named without a parenthesis inside another, the meeting's short name."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain.floor import Who
from server.domain.meetings import Meeting
from server.record.prose import duration_words, meeting_days, person, short_name, span, who


@pytest.mark.parametrize(
    ("ms", "words"),
    [
        (0, "less than a minute"),
        (29_000, "less than a minute"),
        (31_000, "1 minute"),
        (25 * 60_000, "25 minutes"),
        (60 * 60_000, "1 hour"),
        (80 * 60_000, "1 hour and 20 minutes"),
        (125 * 60_000, "2 hours and 5 minutes"),
    ],
)
def test_durations_in_words(ms: int, words: str) -> None:
    assert duration_words(ms) == words


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        (date(2014, 2, 24), date(2014, 2, 24), "on 24 February 2014"),
        (date(2014, 2, 24), date(2014, 2, 28), "from 24 to 28 February 2014"),
        (date(2014, 2, 28), date(2014, 3, 3), "from 28 February to 3 March 2014"),
        (date(2013, 12, 30), date(2014, 1, 2), "from 30 December 2013 to 2 January 2014"),
    ],
)
def test_spans_of_days(first: date, last: date, text: str) -> None:
    assert span(first, last) == text


def test_the_meetings_days_are_its_configured_ones() -> None:
    meeting = Meeting("m", "WGEC", starts="2014-02-24", ends="2014-02-28")
    assert meeting_days(meeting) == (date(2014, 2, 24), date(2014, 2, 28))
    assert meeting_days(Meeting("m", "x", starts="2014-02-24")) == (date(2014, 2, 24),) * 2
    assert meeting_days(Meeting("m", "x")) is None
    assert meeting_days(Meeting("m", "x", starts="2014-02-28", ends="2014-02-24")) is None


def test_people_are_named_without_doubled_parentheses() -> None:
    assert person("Dr. Yokozawa", "Japan") == "Dr. Yokozawa (Japan)"
    assert person("Representative of Brazil", "Brazil") == "Representative of Brazil"
    assert person("Mr. Reddy (India)", "India") == "Mr. Reddy (India)"
    assert person("Ms. X (ISOC)", "Internet Society") == "Ms. X (ISOC)"
    assert who(Who(None, "Mr. Peter Major", "Hungary", "Governments", chair=True)) == "the Chair"


def test_short_name() -> None:
    title = "Third Meeting of the CSTD Working Group on Enhanced Cooperation (WGEC)"
    assert short_name(Meeting("m", title)) == "the WGEC"
    assert short_name(Meeting("m", "Annual assembly")) == "the meeting"
