"""A room's projection on its own: events applied in order and once, rooms opened and closed,
event types it does not know."""

from __future__ import annotations

import pytest

from server.domain.errors import CommandRejected
from server.domain.state import RoomState


def test_projection_applies_in_order_and_only_once() -> None:
    state = RoomState("plenary")
    state.apply(1, "line", 1000, {"text": "a"})
    state.apply(1, "line", 1000, {"text": "a again"})  # ignored: already applied
    state.apply(2, "correction", 2000, {"line": 1, "text": "A"})
    assert state.seq == 2
    assert state.lines[1].text == "A" and state.lines[1].corrected
    with pytest.raises(ValueError):
        state.apply(5, "line", 3000, {"text": "gap"})


def test_projection_room_open_and_closed() -> None:
    state = RoomState("plenary")
    state.require_open()
    state.apply(1, "room.closed", 1, {"by": "Chair"})
    with pytest.raises(CommandRejected) as info:
        state.require_open()
    assert info.value.code == "room_closed"
    state.apply(2, "room.opened", 2, {"by": "Chair"})
    state.require_open()


def test_unknown_event_types_advance_seq_only() -> None:
    state = RoomState("plenary")
    state.apply(1, "something.new", 1, {})
    assert state.seq == 1
