"""The speakers' list rules against the projection, with controlled timestamps: ordering of kinds,
idempotent requests, withdraw, close/reopen, re-add, timers and totals, attribution, and that a
refused command leaves the state as it was."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import pytest

from server.domain import floor_rules
from server.domain.errors import CommandRejected
from server.domain.events import Draft
from server.domain.floor import Who
from server.domain.state import RoomState, attribute

ANA = Who("p-ana", "Ana Silva", "Brazil", "Governments", "remote")
BEN = Who("p-ben", "Ben Okafor", "Nigeria", "Governments", "in_room")
CAT = Who("p-cat", "Cat Ruiz", "ISOC", "Technical and academic community", "remote")
DAN = Who("p-dan", "Dan Wu", "ICC BASIS", "Private sector", "remote")


def apply(state: RoomState, drafts: Sequence[Draft]) -> list[int]:
    """Record drafts as the backend would: next seqs, the draft's own ts."""
    seqs = []
    for d in drafts:
        state.apply(state.seq + 1, d.type, d.ts, d.data)
        seqs.append(state.seq)
    return seqs


def ask(state: RoomState, who: Who, kind: str = "speak", now: int = 1000, note: str = "") -> int:
    seqs = apply(
        state, floor_rules.request(state, who, kind, note, by=who.name, chair=False, now=now)
    )
    assert len(seqs) == 1
    return seqs[0]


def order(state: RoomState) -> list[tuple[str, str]]:
    return [(e.who.name, e.kind) for e in state.floor.waiting]


def test_points_of_order_go_first_in_arrival_order_and_replies_queue_at_the_end() -> None:
    s = RoomState("plenary")
    ask(s, ANA)
    ask(s, BEN, "reply")
    ask(s, CAT, "point_of_order", note="interpretation")
    ask(s, DAN, "point_of_order")
    ask(s, ANA, "point_of_order")
    assert order(s) == [
        ("Cat Ruiz", "point_of_order"),
        ("Dan Wu", "point_of_order"),
        ("Ana Silva", "point_of_order"),
        ("Ana Silva", "speak"),
        ("Ben Okafor", "reply"),
    ]
    assert s.floor.waiting[0].note == "interpretation"
    # Each entry says where it went: a reader replaying the log needs no rules.
    assert s.floor.place(s.floor.waiting[3].id) == 4


def test_repeated_request_records_nothing_but_another_kind_does() -> None:
    s = RoomState("plenary")
    first = ask(s, ANA)
    assert floor_rules.request(s, ANA, "speak", "", by="x", chair=False, now=2000) == []
    # The chair adding the same person is idempotent too.
    assert floor_rules.request(s, ANA, "speak", "", by="Chair", chair=True, now=2000) == []
    ask(s, ANA, "reply")
    assert s.floor.waiting[0].id == first
    assert len(s.floor.waiting) == 2


def test_people_without_a_link_are_known_by_name_and_delegation() -> None:
    s = RoomState("plenary")
    peru = Who(None, "Mr. Rojas", "Peru")
    apply(s, floor_rules.request(s, peru, "speak", "", by="Chair", chair=True, now=1))
    again = Who(None, "MR. ROJAS", "peru")
    assert floor_rules.request(s, again, "speak", "", by="Chair", chair=True, now=2) == []
    other = Who(None, "Mr. Rojas", "Mexico")
    apply(s, floor_rules.request(s, other, "speak", "", by="Chair", chair=True, now=3))
    assert len(s.floor.waiting) == 2


def test_withdraw_own_request_only() -> None:
    s = RoomState("plenary")
    entry = ask(s, ANA)
    ask(s, BEN)
    with pytest.raises(CommandRejected) as exc:
        floor_rules.withdraw(s, BEN, entry, None, by="Ben", now=5)
    assert exc.value.code == "forbidden"
    apply(s, floor_rules.withdraw(s, ANA, None, "speak", by="Ana", now=5))
    assert order(s) == [("Ben Okafor", "speak")]
    with pytest.raises(CommandRejected) as exc:
        floor_rules.withdraw(s, ANA, None, "speak", by="Ana", now=6)
    assert exc.value.code == "not_waiting"
    with pytest.raises(CommandRejected) as exc:
        floor_rules.withdraw(s, ANA, entry, None, by="Ana", now=6)
    assert exc.value.code == "entry_gone"


def test_closed_list_accepts_points_of_order_and_the_chair_only() -> None:
    s = RoomState("plenary")
    apply(s, floor_rules.close(s, True, by="Chair", now=1))
    with pytest.raises(CommandRejected) as exc:
        floor_rules.request(s, ANA, "speak", "", by="Ana", chair=False, now=2)
    assert exc.value.code == "list_closed" and "point of order" in exc.value.message
    with pytest.raises(CommandRejected):
        floor_rules.request(s, ANA, "reply", "", by="Ana", chair=False, now=2)
    ask(s, BEN, "point_of_order")
    apply(s, floor_rules.request(s, CAT, "speak", "", by="Chair", chair=True, now=3))
    apply(s, floor_rules.close(s, False, by="Chair", now=4))
    with pytest.raises(CommandRejected):
        floor_rules.request(s, DAN, "point_of_order", "", by="Dan", chair=False, now=5)
    assert floor_rules.close(s, False, by="Chair", now=5) == []  # already so: nothing recorded
    apply(s, floor_rules.reopen(s, by="Chair", now=6))
    ask(s, ANA)
    assert floor_rules.reopen(s, by="Chair", now=7) == []
    assert order(s) == [
        ("Ben Okafor", "point_of_order"),
        ("Cat Ruiz", "speak"),
        ("Ana Silva", "speak"),
    ]


def test_grant_next_and_any_entry_end_the_previous_intervention() -> None:
    s = RoomState("plenary")
    a, b, c = ask(s, ANA, now=100), ask(s, BEN, now=200), ask(s, CAT, now=300)
    granted = apply(s, floor_rules.grant(s, None, 60_000, by="Chair", now=1_000))
    assert s.floor.current is not None and s.floor.current.who == ANA
    assert s.floor.current.id == granted[0] and s.floor.current.entry == a
    # Any entry, not only the next: the previous speaker's intervention ends in the same append.
    drafts = floor_rules.grant(s, c, None, by="Chair", now=31_000)
    assert [d.type for d in drafts] == ["floor.ended", "floor.granted"]
    assert drafts[0].data["reason"] == "next" and drafts[0].data["spoken_ms"] == 30_000
    assert drafts[1].data["requested"] == 300
    apply(s, drafts)
    assert s.floor.current is not None and s.floor.current.who == CAT
    assert [e.id for e in s.floor.waiting] == [b]


def test_grant_of_an_entry_that_is_gone_is_refused_and_changes_nothing() -> None:
    s = RoomState("plenary")
    a = ask(s, ANA)
    ask(s, BEN)
    apply(s, floor_rules.grant(s, a, None, by="Chair", now=2000))
    before = copy.deepcopy(s)
    with pytest.raises(CommandRejected) as exc:
        floor_rules.grant(s, a, None, by="Chair 2", now=2001)
    assert exc.value.code == "entry_gone" and "already has the floor" in exc.value.message
    with pytest.raises(CommandRejected) as exc:
        floor_rules.remove(s, 999, by="Chair", now=2001)
    assert exc.value.code == "entry_gone"
    assert s == before


def test_reorder_needs_the_current_list() -> None:
    s = RoomState("plenary")
    a, b, c = ask(s, ANA), ask(s, BEN), ask(s, CAT)
    apply(s, floor_rules.reorder(s, [c, a, b], by="Chair", now=5))
    assert [e.who for e in s.floor.waiting] == [CAT, ANA, BEN]
    assert floor_rules.reorder(s, [c, a, b], by="Chair", now=6) == []
    apply(s, floor_rules.withdraw(s, BEN, b, None, by="Ben", now=7))
    with pytest.raises(CommandRejected) as exc:
        floor_rules.reorder(s, [a, c, b], by="Chair", now=8)  # decided on the list before Ben left
    assert exc.value.code == "stale_list"
    assert [e.who for e in s.floor.waiting] == [CAT, ANA]


def test_readd_last_speaker_goes_after_points_of_order() -> None:
    s = RoomState("plenary")
    with pytest.raises(CommandRejected) as exc:
        floor_rules.readd_last(s, by="Chair", now=1)
    assert exc.value.code == "nobody_spoke"
    ask(s, ANA)
    ask(s, BEN)
    apply(s, floor_rules.grant(s, None, None, by="Chair", now=10))
    apply(s, floor_rules.end(s, None, by="Chair", now=20))
    ask(s, CAT, "point_of_order")
    drafts = floor_rules.readd_last(s, by="Chair", now=30)
    assert drafts[0].data["readded"] is not None and drafts[0].data["at"] == 1
    apply(s, drafts)
    assert order(s) == [
        ("Cat Ruiz", "point_of_order"),
        ("Ana Silva", "speak"),
        ("Ben Okafor", "speak"),
    ]
    with pytest.raises(CommandRejected) as exc:
        floor_rules.readd_last(s, by="Chair", now=31)
    assert exc.value.code == "already_waiting"


def test_timer_pause_resume_and_removals_do_not_stop_it() -> None:
    s = RoomState("plenary")
    ask(s, ANA, now=0)
    b = ask(s, BEN, now=0)
    apply(s, floor_rules.grant(s, None, 120_000, by="Chair", now=10_000))
    cur = s.floor.current
    assert cur is not None
    assert cur.remaining_ms(40_000) == 90_000
    apply(
        s, floor_rules.remove(s, b, by="Chair", now=40_000)
    )  # the list changes, the clock runs on
    assert s.floor.current is cur and cur.remaining_ms(50_000) == 80_000
    apply(s, floor_rules.pause(s, cur.id, by="Chair", now=50_000))
    assert floor_rules.pause(s, cur.id, by="Chair", now=51_000) == []  # already paused
    assert cur.remaining_ms(70_000) == 80_000  # stopped while paused
    resumed = floor_rules.resume(s, cur.id, by="Chair", now=80_000)
    assert resumed[0].data["paused_ms"] == 30_000
    apply(s, resumed)
    assert cur.remaining_ms(90_000) == 70_000
    apply(s, floor_rules.set_limit(s, cur.id, 60_000, by="Chair", now=90_000))
    assert cur.remaining_ms(90_000) == 10_000
    assert cur.remaining_ms(110_000) == -10_000  # over time: negative, the chair decides
    ended = floor_rules.end(s, cur.id, by="Chair", now=110_000)[0]
    assert ended.data["spoken_ms"] == 70_000 and ended.data["paused_ms"] == 30_000
    assert ended.data["began"] == 10_000 and ended.data["limit_ms"] == 60_000
    apply(s, [ended])
    assert s.floor.current is None


def test_end_and_pause_of_an_intervention_that_ended_are_refused() -> None:
    s = RoomState("plenary")
    ask(s, ANA)
    ask(s, BEN)
    first = apply(s, floor_rules.grant(s, None, None, by="Chair", now=10))[0]
    apply(s, floor_rules.grant(s, None, None, by="Chair", now=20))
    for rule in (floor_rules.end, floor_rules.pause, floor_rules.resume):
        with pytest.raises(CommandRejected) as exc:
            rule(s, first, by="Chair", now=30)
        assert exc.value.code == "stale" and "Ben Okafor" in exc.value.message
    apply(s, floor_rules.end(s, None, by="Chair", now=40))
    with pytest.raises(CommandRejected) as exc:
        floor_rules.end(s, None, by="Chair", now=50)
    assert exc.value.code == "no_speaker"


def test_totals_by_delegation_and_group_include_the_running_intervention() -> None:
    s = RoomState("plenary")
    ask(s, ANA, now=0)
    ask(s, BEN, now=0)
    ask(s, CAT, now=0)
    apply(s, floor_rules.grant(s, None, None, by="Chair", now=0))  # Ana
    apply(s, floor_rules.grant(s, None, None, by="Chair", now=60_000))  # Ana spoke 60 s; Ben
    apply(s, floor_rules.pause(s, None, by="Chair", now=61_000))
    apply(s, floor_rules.resume(s, None, by="Chair", now=71_000))
    apply(s, floor_rules.grant(s, None, None, by="Chair", now=100_000))  # Ben 30 s; Cat
    totals = s.floor.totals(145_000)  # Cat has been speaking 45 s
    assert totals["delegation"] == {
        "Brazil": {"ms": 60_000, "count": 1},
        "ISOC": {"ms": 45_000, "count": 1},
        "Nigeria": {"ms": 30_000, "count": 1},
    }
    assert totals["group"] == {
        "Governments": {"ms": 90_000, "count": 2},
        "Technical and academic community": {"ms": 45_000, "count": 1},
    }
    # Ana speaks again: her delegation's total grows, the count too.
    ask(s, ANA, now=145_000)
    apply(s, floor_rules.grant(s, None, None, by="Chair", now=145_000))
    apply(s, floor_rules.end(s, None, by="Chair", now=165_000))
    assert s.floor.totals(999_999)["delegation"]["Brazil"] == {"ms": 80_000, "count": 2}


def test_actions_on_a_closed_room_are_refused() -> None:
    s = RoomState("plenary")
    ask(s, ANA)
    s.apply(s.seq + 1, "room.closed", 5, {"by": "Chair"})
    before = copy.deepcopy(s)
    for call in (
        lambda: floor_rules.request(s, BEN, "speak", "", by="Ben", chair=False, now=6),
        lambda: floor_rules.grant(s, None, None, by="Chair", now=6),
        lambda: floor_rules.close(s, True, by="Chair", now=6),
        lambda: floor_rules.readd_last(s, by="Chair", now=6),
    ):
        with pytest.raises(CommandRejected) as exc:
            call()
        assert exc.value.code == "room_closed"
    assert s == before


def test_lines_are_attributed_to_the_floor_and_the_current_item() -> None:
    s = RoomState("plenary")
    ask(s, ANA)
    line = {"text": "Thank you.", "speaker": "", "captioner": "Cap"}
    assert attribute(s, line) == line  # nobody has the floor, no item
    s.apply(s.seq + 1, "agenda.current", 1, {"item": 7, "number": "3", "title": "Way forward"})
    granted = apply(s, floor_rules.grant(s, None, None, by="Chair", now=10))[0]
    got = attribute(s, line)
    assert got["speaker"] == "Ana Silva" and got["delegation"] == "Brazil"
    assert got["participant"] == "p-ana" and got["intervention"] == granted and got["item"] == 7
    chair = attribute(s, {**line, "speaker": "Chair"})
    assert chair["speaker"] == "Chair" and "intervention" not in chair and chair["item"] == 7


def test_the_chair_as_the_chair_is_counted_for_no_delegation_or_group() -> None:
    s = RoomState("plenary")
    chair = Who(None, "Chair", chair=True)
    entry = apply(s, floor_rules.request(s, chair, "speak", "Presentation: the agenda",
                                         by="Chair", chair=True, now=1000))[0]  # fmt: skip
    requested = s.floor.waiting[0]
    assert requested.who.chair and requested.who.to_dict()["chair"] is True
    apply(s, floor_rules.grant(s, entry, None, by="Chair", now=2000))
    apply(s, floor_rules.end(s, None, by="Chair", now=62_000))
    totals = s.floor.totals(70_000)
    assert totals["delegation"] == {"Chair": {"ms": 60_000, "count": 1}}
    assert totals["group"] == {"Chair": {"ms": 60_000, "count": 1}}
    # An ordinary participant's "chair" is never set by what they send: only this flag.
    assert "chair" not in ANA.to_dict()
