"""The rules that put the record right, on the projection alone: who may re-attribute, what a
re-attribution and a time correction record, refusals of what changes nothing; and, as a
property over any arguments a client can send, that the room's state, the exports and the
record's facts all hold the same corrected attribution."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import correction_rules
from server.domain.auth import Grant
from server.domain.errors import Refusal
from server.domain.events import Draft, Event
from server.domain.floor import Who
from server.domain.meetings import Meeting
from server.domain.meetings import Room as RoomMeta
from server.domain.state import RoomState
from server.record import exports
from server.record.facts import facts_from_logs

ANA = Who("p1", "Ana Silva", "Brazil", "Governments", "remote")
BEN = Who("p2", "Ben Okafor", "Nigeria", "Governments", "in_room")
MEETING = Meeting("m", "T", rooms=[RoomMeta("plenary", "Plenary")])
CHAIR = correction_rules.Corrector(Grant("chair", "c1", None, "Chair"), "Chair")
ANN = correction_rules.Corrector(Grant("captioner", "c2", "plenary", "Ann"), "Ann")
BOB = correction_rules.Corrector(Grant("captioner", "c3", "plenary", "Bob"), "Bob")


class Room:
    """A room's log built event by event, with its projection."""

    def __init__(self) -> None:
        self.state = RoomState("plenary")
        self.events: list[Event] = []

    def add(self, type_: str, data: dict[str, Any], ts: int) -> int:
        return self.record(Draft(type_, "plenary", data, ts))

    def record(self, draft: Draft) -> int:
        seq = len(self.events) + 1
        event = Event.create(seq, draft)
        self.events.append(event)
        self.state.apply(seq, event.type, event.ts, event.data)
        return seq


def _line(room: Room, text: str, ts: int, who: Who | None, intervention: int | None) -> int:
    data: dict[str, Any] = {"text": text, "speaker": who.name if who else "", "captioner": "Ann"}
    if who is not None:
        data |= {"delegation": who.delegation, "participant": who.participant}
        data["intervention"] = intervention
    return room.add("line", data, ts)


def _session() -> tuple[Room, int, int, list[int]]:
    room = Room()
    first = room.add("floor.requested", {"kind": "speak", "who": ANA.to_dict(), "at": 0}, 1000)
    second = room.add("floor.requested", {"kind": "speak", "who": BEN.to_dict(), "at": 1}, 1100)
    ana = room.add("floor.granted", {"entry": first, "kind": "speak", "who": ANA.to_dict()}, 10_000)
    lines = [_line(room, "Ana speaks.", 20_000, ANA, ana), _line(room, "Ben.", 70_000, ANA, ana)]
    ended = {"intervention": ana, "who": ANA.to_dict(), "spoken_ms": 70_000, "paused_ms": 0}
    room.add("floor.ended", ended, 80_000)
    ben = room.add(
        "floor.granted", {"entry": second, "kind": "speak", "who": BEN.to_dict()}, 80_000
    )
    lines += [_line(room, "Ben goes on.", 90_000, BEN, ben)]
    ended = {"intervention": ben, "who": BEN.to_dict(), "spoken_ms": 40_000, "paused_ms": 0}
    room.add("floor.ended", ended, 120_000)
    return room, ana, ben, lines


def test_reattribution_names_the_interventions_speaker_and_keeps_what_it_was() -> None:
    room, ana, ben, lines = _session()
    run = correction_rules.run_of(room.state, lines[1], None)
    changes = correction_rules.resolve(room.state, {"intervention": ben}, set())
    draft = correction_rules.reattribute(room.state, run, changes, ANN, 130_000)
    assert draft.data["set"] == {
        "intervention": ben, "speaker": "Ben Okafor", "delegation": "Nigeria", "participant": "p2"
    }  # fmt: skip
    assert draft.data["was"] == [
        {"line": lines[1], "intervention": ana, "speaker": "Ana Silva", "delegation": "Brazil",
         "participant": "p1"}
    ]  # fmt: skip
    room.record(draft)
    with pytest.raises(Refusal) as refused:
        correction_rules.reattribute(room.state, run, changes, ANN, 131_000)
    assert refused.value.code == "unchanged"
    with pytest.raises(Refusal) as refused:
        correction_rules.reattribute(room.state, run, {"speaker": "X"}, BOB, 131_000)
    assert refused.value.code == "forbidden"
    facts = facts_from_logs(MEETING, {"plenary": room.events})
    assert {i.id: i.lines for i in facts.interventions} == {ana: 1, ben: 2}


def test_time_corrections_keep_interventions_apart_and_move_the_totals() -> None:
    room, ana, ben, _ = _session()
    state = room.state
    assert state.floor.by_delegation.ms == {"Brazil": 70_000, "Nigeria": 40_000}
    with pytest.raises(Refusal) as refused:
        correction_rules.correct_times(state, ben, 75_000, None, "Chair", 200_000)
    assert refused.value.code == "overlap"
    room.record(correction_rules.correct_times(state, ana, None, 75_000, "Chair", 200_000))
    room.record(correction_rules.correct_times(state, ben, 75_000, None, "Chair", 200_000))
    assert state.floor.by_delegation.ms == {"Brazil": 65_000, "Nigeria": 45_000}
    assert state.floor.by_delegation.count == {"Brazil": 1, "Nigeria": 1}
    for began, ended, code in [
        (75_000, None, "unchanged"),
        (None, 70_000, "bad_field"),
        (300_000, None, "bad_field"),
    ]:
        with pytest.raises(Refusal) as refused:
            correction_rules.correct_times(state, ben, began, ended, "Chair", 200_000)
        assert refused.value.code == code
    facts = facts_from_logs(MEETING, {"plenary": room.events})
    assert {i.id: (i.began, i.spoken_ms) for i in facts.interventions} == {
        ana: (10_000, 65_000), ben: (75_000, 45_000)
    }  # fmt: skip


def test_a_text_correction_that_changes_nothing_is_refused() -> None:
    room, _, _, lines = _session()
    with pytest.raises(Refusal) as refused:
        correction_rules.correct_text(room.state, lines[0], "Ana speaks.", "Ann", 1)
    assert refused.value.code == "unchanged"
    draft = correction_rules.correct_text(room.state, lines[0], "Ana speaks first.", "Ann", 1)
    assert draft.data["was"] == "Ana speaks."


FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "speaker": st.sampled_from(["", "Chair", "Ana Silva", "Ms. X"]),
        "delegation": st.sampled_from([None, "", "Brazil", "Peru"]),
        "intervention": st.sampled_from([None, 3, 5, 99]),
        "item": st.sampled_from([None, 7, 8]),
    },
)


@given(FIELDS, st.integers(0, 2), st.integers(0, 2))
def test_state_exports_and_facts_agree_after_any_reattribution(
    given_fields: dict[str, Any], first: int, last: int
) -> None:
    room, ana, ben, lines = _session()
    assert (ana, ben) == (3, 7)  # the ids the strategy draws from
    try:
        run = correction_rules.run_of(room.state, lines[first], lines[last])
        changes = correction_rules.resolve(room.state, given_fields, {7})
        draft = correction_rules.reattribute(room.state, run, changes, CHAIR, 130_000)
    except Refusal as exc:
        assert exc.code in {"bad_field", "no_such_intervention", "no_such_item", "unchanged"}
        return
    before = len(room.events)
    room.record(draft)
    assert len(room.events) == before + 1
    exported = {line.seq: line for line in exports.transcript(room.events)}
    facts = facts_from_logs(MEETING, {"plenary": room.events})
    counted = {i.id: i.lines for i in facts.interventions}
    by_state: dict[int | None, int] = {}
    for seq, line in room.state.lines.items():
        for name, value in changes.items():
            if seq in draft.data["lines"]:
                assert getattr(line, name) == value
        out = exported[seq]
        assert out.speaker == line.speaker
        assert out.extra.get("intervention") == line.intervention
        assert out.extra.get("delegation") == line.delegation
        if seq in draft.data["lines"]:
            assert out.attributions[-1]["by"] == "Chair"
        by_state[line.intervention] = by_state.get(line.intervention, 0) + 1
    assert counted == {i: by_state.get(i, 0) for i in counted}


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2**64) | st.text(max_size=300),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
ARG_NAMES = st.sampled_from(
    ["line", "through", "speaker", "delegation", "participant", "intervention", "item", "doc",
     "proposal", "other"]
)  # fmt: skip


ARGS = st.builds(
    lambda line, rest: {**rest, **line},
    st.fixed_dictionaries({}, optional={"line": st.sampled_from([4, 5, 8, 0, "4", True])}),
    st.dictionaries(ARG_NAMES, JSONISH | st.sampled_from([3, 7, 8, "Chair"]), max_size=5),
)


@given(ARGS)
def test_any_arguments_are_refused_clearly_or_reattribute(args: dict[str, Any]) -> None:
    """Whatever a client sends as ``line.reattribute`` args: a clear refusal, nothing recorded,
    or one event whose every value is of the type the schema gives."""
    from server.services.command_args import int_arg, need_int
    from server.services.record_commands import attribution_args

    room, _, _, _ = _session()
    before = len(room.events)
    try:
        first = need_int(args, "line")
        through = int_arg(args, "through")
        given_fields = attribution_args(MEETING, args)
        run = correction_rules.run_of(room.state, first, through)
        changes = correction_rules.resolve(room.state, given_fields, {7})
        draft = correction_rules.reattribute(room.state, run, changes, CHAIR, 130_000)
    except Refusal as exc:
        assert exc.code and exc.message
        assert len(room.events) == before
        return
    for name, value in draft.data["set"].items():
        if name in ("speaker",):
            assert isinstance(value, str) and len(value) <= 200
        elif name in ("delegation", "participant", "proposal"):
            assert value is None or isinstance(value, str)
        else:
            assert value is None or (isinstance(value, int) and not isinstance(value, bool))
    room.record(draft)
    assert set(draft.data["lines"]) <= set(room.state.lines)
