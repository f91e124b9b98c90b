"""Agenda rules against the projection: items, sub-items, order, adoption, status, outcome, the
current item of a room."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import pytest

from server.domain import agenda, agenda_rules
from server.domain.errors import CommandRejected
from server.domain.events import Draft
from server.domain.meetings import Meeting
from server.domain.state import RoomState


def apply(state: RoomState, drafts: Sequence[Draft]) -> list[int]:
    seqs = []
    for d in drafts:
        state.apply(state.seq + 1, d.type, d.ts, d.data)
        seqs.append(state.seq)
    return seqs


def add(state: RoomState, number: str, title: str, parent: int | None = None) -> int:
    return apply(state, agenda_rules.add_item(state, number, title, parent, by="Chair", now=1))[0]


def numbers(state: RoomState) -> list[str]:
    return [i.number for i in state.agenda.items]


def seeded() -> tuple[RoomState, list[int]]:
    s = RoomState("plenary")
    ids = [
        add(s, "1", "Opening of the meeting"),
        add(s, "2", "Adoption of the agenda"),
        add(s, "3", "Rolling document"),
        add(s, "4", "Way forward"),
    ]
    return s, ids


def test_items_and_sub_items_keep_their_place() -> None:
    s, (one, two, three, _) = seeded()
    add(s, "3.A", "Category A", three)
    add(s, "3.B", "Category B", three)
    assert numbers(s) == ["1", "2", "3", "3.A", "3.B", "4"]
    apply(s, agenda_rules.reorder(s, [i.id for i in reversed(s.agenda.items)], by="Chair", now=2))
    assert numbers(s) == ["4", "3.B", "3.A", "3", "2", "1"]
    with pytest.raises(CommandRejected) as exc:
        agenda_rules.reorder(s, [one, two], by="Chair", now=3)
    assert exc.value.code == "stale_list"


def test_an_item_cannot_be_put_under_itself() -> None:
    s, (_, _, three, _) = seeded()
    sub = add(s, "3.A", "Category A", three)
    with pytest.raises(CommandRejected):
        agenda_rules.change_item(s, three, "3", "Rolling document", sub, by="Chair", now=2)
    apply(
        s,
        agenda_rules.change_item(
            s, sub, "3.a", "Category A (recommendations)", three, by="C", now=3
        ),
    )
    item = s.agenda.item(sub)
    assert item is not None and item.title == "Category A (recommendations)"
    assert agenda_rules.change_item(s, sub, "3.a", item.title, three, by="C", now=4) == []


def test_adoption_records_a_snapshot_and_amendments_are_noticed() -> None:
    s = RoomState("plenary")
    with pytest.raises(CommandRejected) as exc:
        agenda_rules.adopt(s, by="Chair", now=1)
    assert exc.value.code == "empty_agenda"
    add(s, "1", "Opening")
    drafts = agenda_rules.adopt(s, by="Chair", now=2)
    assert drafts[0].data["items"] == [
        {"item": 1, "number": "1", "title": "Opening", "parent": None}
    ]
    apply(s, drafts)
    assert s.agenda.adopted == 2 and not s.agenda.amended
    assert agenda_rules.adopt(s, by="Chair", now=3) == []  # adopted as it stands already
    add(s, "2", "Any other business")
    assert s.agenda.amended
    apply(s, agenda_rules.adopt(s, by="Chair", now=4))
    assert not s.agenda.amended


def test_current_item_status_and_outcome() -> None:
    s, (one, two, _, _) = seeded()
    item = s.agenda.item(one)
    drafts = agenda_rules.set_current(s, item, in_agenda_room=True, by="Chair", now=10)
    assert [d.type for d in drafts] == ["agenda.current", "agenda.status"]
    apply(s, drafts)
    assert s.agenda.current is not None and s.agenda.current.title == "Opening of the meeting"
    assert item is not None and item.status == "under_discussion"
    assert agenda_rules.set_current(s, item, in_agenda_room=True, by="Chair", now=11) == []
    apply(s, agenda_rules.set_status(s, one, "concluded", by="Chair", now=12))
    apply(s, agenda_rules.set_outcome(s, one, "Opened by the Chair.", by="Chair", now=13))
    assert (item.status, item.outcome) == ("concluded", "Opened by the Chair.")
    # Going back to a concluded item does not reopen it; the chair sets status explicitly.
    apply(
        s, agenda_rules.set_current(s, s.agenda.item(two), in_agenda_room=True, by="Chair", now=14)
    )
    apply(s, agenda_rules.set_current(s, item, in_agenda_room=True, by="Chair", now=15))
    assert item.status == "concluded"
    with pytest.raises(CommandRejected):
        agenda_rules.set_status(s, one, "finished", by="Chair", now=16)
    apply(s, agenda_rules.set_current(s, None, in_agenda_room=True, by="Chair", now=17))
    assert s.agenda.current is not None and s.agenda.current.item is None


def test_current_item_title_follows_an_edit() -> None:
    s, (one, _, _, _) = seeded()
    apply(s, agenda_rules.set_current(s, s.agenda.item(one), in_agenda_room=True, by="C", now=1))
    apply(
        s,
        agenda_rules.change_item(s, one, "1", "Opening of the third meeting", None, by="C", now=2),
    )
    assert s.agenda.current is not None and s.agenda.current.title == "Opening of the third meeting"


def test_a_break_out_room_records_the_item_without_holding_the_agenda() -> None:
    home, (_, _, three, _) = seeded()
    group = RoomState("break-out-a")
    drafts = agenda_rules.set_current(
        group, home.agenda.item(three), in_agenda_room=False, by="C", now=5
    )
    assert [d.type for d in drafts] == ["agenda.current"]
    assert drafts[0].data == {"item": three, "number": "3", "title": "Rolling document", "by": "C"}


def test_only_undiscussed_items_can_be_removed() -> None:
    s, (one, two, three, _) = seeded()
    sub = add(s, "3.A", "Category A", three)
    apply(s, agenda_rules.set_current(s, s.agenda.item(one), in_agenda_room=True, by="C", now=1))
    before = copy.deepcopy(s)
    with pytest.raises(CommandRejected) as exc:
        agenda_rules.remove_item(s, one, by="C", now=2)
    assert exc.value.code == "item_in_use"
    assert s == before
    apply(s, agenda_rules.remove_item(s, three, by="C", now=3))
    sub_item = s.agenda.item(sub)
    assert sub_item is not None and sub_item.parent is None
    assert numbers(s) == ["1", "2", "3.A", "4"]
    with pytest.raises(CommandRejected) as exc:
        agenda_rules.remove_item(s, three, by="C", now=4)
    assert exc.value.code == "no_such_item"
    assert two in [i.id for i in s.agenda.items]


def test_the_agenda_room_is_the_first_plenary() -> None:
    m = Meeting("m1", "WGEC")
    m.add_room("Break-out A", "breakout")
    m.add_room("Plenary")
    assert agenda.agenda_room(m) == "plenary"
    assert m.add_room("Chair").id == "chair-2"  # the console's path is not a room
