"""A room's id is made from its name: words joined by hyphens, cut at a word boundary."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.domain.meetings import MAX_ROOM_ID_CHARS, Meeting, slug

LONG = "Correspondence group on mapping the existing mechanisms of enhanced cooperation"


def test_a_long_group_name_is_cut_between_words() -> None:
    room_id = slug(LONG)
    assert room_id == "correspondence-group-on-mapping-the"
    assert len(room_id) <= MAX_ROOM_ID_CHARS
    meeting = Meeting("m1", "WGEC")
    first, second = meeting.add_room(LONG), meeting.add_room(LONG)
    assert first.id == "correspondence-group-on-mapping-the"
    assert second.id == "correspondence-group-on-mapping-the-2"
    assert slug("Break-out A") == "break-out-a" and slug("  ") == "room"
    # A single word longer than an id is the one case that must be cut.
    assert slug("x" * 60) == "x" * MAX_ROOM_ID_CHARS


@given(st.text(max_size=200))
def test_an_id_is_whole_words_of_the_name(name: str) -> None:
    room_id = slug(name)
    assert 1 <= len(room_id) <= MAX_ROOM_ID_CHARS
    words = "".join(ch if ch.isalnum() else " " for ch in name.lower()).split()
    full = "-".join(words)
    if not words:
        assert room_id == "room"
    elif len(words[0]) > MAX_ROOM_ID_CHARS:
        assert room_id == words[0][:MAX_ROOM_ID_CHARS]
    else:
        # A prefix of whole words: what follows it in the full id is a hyphen, or nothing.
        assert full.startswith(room_id)
        assert full[len(room_id) : len(room_id) + 1] in ("", "-")
        assert room_id.split("-") == words[: len(room_id.split("-"))]
