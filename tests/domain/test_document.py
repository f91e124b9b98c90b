"""The rolling document's projection and rules, without a server: drafts decided against a
projection, applied in order as the record would, and the refusals (stale edits, a share that is
the group's, a second chair acting on what the first changed) with nothing recorded."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import document_rules as rules
from server.domain import share_rules as shares
from server.domain.document import Submitter
from server.domain.document_rules import NewProposal
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import Draft
from server.domain.state import RoomState

CATEGORIES = [
    ("A", "Implementation of the Tunis Agenda"),
    ("B", "Public policy issues and possible mechanisms"),
    ("C", "Role of stakeholders"),
]


class Log:
    """A room's log in memory: drafts get the next seqs and are applied to its projection."""

    def __init__(self, room: str) -> None:
        self.state = RoomState(room)
        self.events: list[tuple[int, str, dict[str, object]]] = []
        self.ts = 1_393_232_400_000

    def record(self, drafts: Sequence[Draft]) -> list[int]:
        seqs = []
        for d in drafts:
            seq = self.state.seq + 1
            self.ts += 1000
            self.state.apply(seq, d.type, self.ts, d.data)
            self.events.append((seq, d.type, d.data))
            seqs.append(seq)
        return seqs

    def types(self) -> list[str]:
        return [t for _, t, _ in self.events]


def make_doc(log: Log) -> int:
    proposals = [
        NewProposal("A", "Strengthen the implementation of the Tunis Agenda.", "unsorted",
                    (Submitter("Brazil"),)),
        NewProposal("A", "We note the work done so far; create a review mechanism."),
        NewProposal("B", "Map the international public policy issues."),
        NewProposal("C", "Recognise the respective roles of stakeholders."),
        NewProposal("C", "Ensure equal footing for all stakeholders."),
    ]  # fmt: skip
    seqs = log.record(
        rules.create(
            log.state,
            "Rolling document",
            "draft recommendations",
            "2014-02-20",
            CATEGORIES,
            proposals,
            by="Secretariat",
            now=0,
        )
    )
    return seqs[0]


def test_an_import_numbers_each_category_and_records_who_and_when() -> None:
    log = Log("plenary")
    doc_id = make_doc(log)
    doc = log.state.docs.doc(doc_id)
    assert doc is not None and doc.title == "Rolling document"
    assert [p.id for p in doc.ordered()] == ["A.1", "A.2", "B.1", "C.1", "C.2"]
    assert [c.next for c in doc.categories] == [3, 2, 3]
    a1 = doc.proposals["A.1"]
    assert a1.status == "not_yet_discussed" and a1.kind == "unsorted"
    assert a1.submitted_by == [Submitter("Brazil")]
    assert a1.history[0].by == "Secretariat" and a1.history[0].room == "plenary"


def test_revise_keeps_the_previous_text_and_a_stale_revision_is_refused() -> None:
    log = Log("plenary")
    doc_id = make_doc(log)
    a1 = log.state.docs.docs[doc_id].proposals["A.1"]
    seen = a1.rev
    log.record(rules.revise(log.state, doc_id, "A.1", "Strengthen and review it.", seen,
                            by="Chair", now=0))  # fmt: skip
    assert a1.text == "Strengthen and review it."
    assert (a1.history[-1].was, a1.history[-1].text) == (
        "Strengthen the implementation of the Tunis Agenda.",
        "Strengthen and review it.",
    )
    assert a1.first_text == "Strengthen the implementation of the Tunis Agenda."
    # A second chair, who saw the old version, is told what it reads now; nothing is recorded.
    before = len(log.events)
    with pytest.raises(CommandRejected) as refused:
        rules.revise(log.state, doc_id, "A.1", "Something else.", seen, by="Vice-chair", now=0)
    assert refused.value.code == "stale"
    assert "Strengthen and review it." in refused.value.message and "Chair" in refused.value.message
    assert len(log.events) == before
    # The same text again records nothing.
    assert rules.revise(log.state, doc_id, "A.1", "Strengthen and review it.", None,
                        by="Chair", now=0) == []  # fmt: skip


def test_split_keeps_the_id_and_gives_new_ones_never_used() -> None:
    log = Log("plenary")
    doc_id = make_doc(log)
    doc = log.state.docs.docs[doc_id]
    log.record(rules.split(log.state, doc_id, "A.2", ["We note the work done so far.",
                                                       "Create a review mechanism."],
                           ["statement", "recommendation"], None, by="Chair", now=0))  # fmt: skip
    assert [p.id for p in doc.ordered()] == ["A.1", "A.2", "A.3", "B.1", "C.1", "C.2"]
    assert doc.proposals["A.2"].kind == "statement"
    assert doc.proposals["A.3"].kind == "recommendation"
    assert doc.proposals["A.3"].split_from == "A.2"
    assert doc.proposals["A.2"].text == "We note the work done so far."
    # A merge retires A.3; the next new id in A is still A.4: A.3 is never given again.
    log.record(rules.merge(log.state, doc_id, ["A.1", "A.3"], "Strengthen, and review.", {},
                           by="Chair", now=0))  # fmt: skip
    assert doc.proposals["A.3"].merged_into == "A.1"
    with pytest.raises(CommandRejected) as refused:
        rules.revise(log.state, doc_id, "A.3", "x", None, by="Chair", now=0)
    assert refused.value.code == "merged" and "A.1" in refused.value.message
    log.record(rules.propose(log.state, doc_id, NewProposal("A", "A new one."), by="Chair", now=0))
    assert "A.4" in doc.proposals and [p.id for p in doc.in_category("A")] == ["A.1", "A.2", "A.4"]


def test_recategorising_keeps_the_id() -> None:
    log = Log("plenary")
    doc_id = make_doc(log)
    doc = log.state.docs.docs[doc_id]
    log.record(rules.move(log.state, doc_id, "A.2", "B", None, by="Chair", now=0))
    assert doc.proposals["A.2"].category == "B"
    assert [p.id for p in doc.in_category("B")] == ["A.2", "B.1"]
    assert doc.proposals["A.2"].history[-1].was == "A"
    # B's counter is B's own: the next B is B.2, and A's next is still A.3.
    log.record(rules.propose(log.state, doc_id, NewProposal("B", "x"), by="Chair", now=0))
    log.record(rules.propose(log.state, doc_id, NewProposal("A", "y"), by="Chair", now=0))
    assert {"B.2", "A.3"} <= set(doc.proposals)


def test_status_and_under_discussion() -> None:
    log = Log("plenary")
    doc_id = make_doc(log)
    doc = log.state.docs.docs[doc_id]
    drafts = rules.set_current(log.state, doc_id, "C.1", by="Chair", now=0)
    assert [d.type for d in drafts] == ["doc.current", "doc.status"]
    log.record(drafts)
    assert doc.proposals["C.1"].status == "under_discussion"
    current = log.state.docs.current
    assert current is not None and current.proposal == "C.1" and "roles" in current.text
    log.record(rules.set_status(log.state, doc_id, ["C.1"], "agreed", by="Chair", now=0))
    assert log.state.docs.current is not None and log.state.docs.current.status == "agreed"
    log.record(rules.set_status(log.state, doc_id, ["C.2", "B.1"], "not_discussed",
                                by="Chair", now=0))  # fmt: skip
    assert [doc.proposals[p].status for p in ("C.2", "B.1")] == ["not_discussed"] * 2
    with pytest.raises(Invalid):
        rules.set_status(log.state, doc_id, ["C.2"], "adopted", by="Chair", now=0)
    log.record(rules.set_current(log.state, None, None, by="Chair", now=0))
    assert log.state.docs.current is None


def group_flow(plenary: Log, group: Log, doc_id: int) -> int:
    """Task the group with A, copy the share, work in the group, report, return. Returns the
    tasked seq."""
    (tasked,) = plenary.record(
        shares.task(
            plenary.state,
            doc_id,
            group.state.room,
            "Break-out group A",
            ["A"],
            "to separate the draft recommendations from the statements",
            by="Chair",
            now=0,
        )
    )
    group.record(shares.share(group.state, plenary.state, tasked, by="Chair", now=0))
    return tasked


def test_a_group_works_on_its_share_and_the_plenary_endorses_it_in_one_event() -> None:
    plenary, group = Log("plenary"), Log("break-out-a")
    doc_id = make_doc(plenary)
    group_flow(plenary, group, doc_id)
    share = group.state.docs.docs[doc_id]
    assert share.share is not None and share.share.parent == "plenary"
    assert [p.id for p in share.ordered()] == ["A.1", "A.2"]
    # While the group has it, the plenary may not change A nor number new proposals in A.
    for attempt in (
        lambda: rules.revise(plenary.state, doc_id, "A.1", "x", None, by="Chair", now=0),
        lambda: rules.propose(plenary.state, doc_id, NewProposal("A", "x"), by="Chair", now=0),
        lambda: rules.move(plenary.state, doc_id, "B.1", "A", None, by="Chair", now=0),
        lambda: rules.set_current(plenary.state, doc_id, "A.1", by="Chair", now=0),
    ):
        with pytest.raises(CommandRejected) as refused:
            attempt()
        assert refused.value.code == "with_group"
    # Another group cannot take A at the same time.
    with pytest.raises(CommandRejected):
        shares.task(plenary.state, doc_id, "break-out-b", "B", ["A"], "", by="Chair", now=0)
    # The convener sorts and splits.
    group.record(rules.set_kind(group.state, doc_id, ["A.1"], "recommendation", by="Peru", now=0))
    group.record(rules.split(group.state, doc_id, "A.2", ["We note the work done so far.",
                                                           "Create a review mechanism."],
                             ["statement", "recommendation"], None, by="Peru", now=0))  # fmt: skip
    assert "A.3" in share.proposals
    group.record(shares.report(group.state, by="Peru", now=0))
    plenary.record(shares.returned(plenary.state, group.state, "Break-out group A", by="Peru",
                                  now=0))  # fmt: skip
    # A retried report records nothing more.
    assert shares.returned(plenary.state, group.state, "Break-out group A", by="Peru", now=0) == []
    drafts = shares.endorse(plenary.state, doc_id, "break-out-a", by="Chair", now=0)
    assert [d.type for d in drafts] == ["doc.endorsed"]
    plenary.record(drafts)
    doc = plenary.state.docs.docs[doc_id]
    assert [(p.id, p.kind) for p in doc.in_category("A")] == [
        ("A.1", "recommendation"),
        ("A.2", "statement"),
        ("A.3", "recommendation"),
    ]
    assert doc.proposals["A.2"].text == "We note the work done so far."
    assert doc.proposals["A.2"].history[-1].note == "Break-out group A's version"
    assert doc.proposals["A.3"].split_from == "A.2"
    # The share is settled: the plenary works on A again, and new ids go on from A.4.
    plenary.record(rules.revise(plenary.state, doc_id, "A.1", "Revised in plenary.", None,
                                by="Chair", now=0))  # fmt: skip
    plenary.record(rules.propose(plenary.state, doc_id, NewProposal("A", "New."), by="Chair",
                                 now=0))  # fmt: skip
    assert "A.4" in doc.proposals
    with pytest.raises(CommandRejected) as refused:
        shares.endorse(plenary.state, doc_id, "break-out-a", by="Chair", now=0)
    assert refused.value.code == "settled"


def test_the_plenary_can_take_a_groups_version_up_proposal_by_proposal() -> None:
    plenary, group = Log("plenary"), Log("break-out-a")
    doc_id = make_doc(plenary)
    group_flow(plenary, group, doc_id)
    group.record(rules.revise(group.state, doc_id, "A.1", "The group's A.1.", None, by="Peru",
                              now=0))  # fmt: skip
    group.record(rules.revise(group.state, doc_id, "A.2", "The group's A.2.", None, by="Peru",
                              now=0))  # fmt: skip
    with pytest.raises(CommandRejected) as refused:
        shares.endorse(plenary.state, doc_id, "break-out-a", by="Chair", now=0)
    assert refused.value.code == "not_reported"
    group.record(shares.report(group.state, by="Peru", now=0))
    plenary.record(shares.returned(plenary.state, group.state, "Break-out group A", by="Peru",
                                  now=0))  # fmt: skip
    doc = plenary.state.docs.docs[doc_id]
    plenary.record(shares.take_up(plenary.state, doc_id, "break-out-a", "A.1", by="Chair", now=0))
    assert doc.proposals["A.1"].text == "The group's A.1."
    # A.1 is the plenary's again; A.2 waits for its turn.
    plenary.record(rules.set_current(plenary.state, doc_id, "A.1", by="Chair", now=0))
    with pytest.raises(CommandRejected) as refused:
        rules.set_current(plenary.state, doc_id, "A.2", by="Chair", now=0)
    assert "take up" in refused.value.message
    with pytest.raises(CommandRejected):
        shares.take_up(plenary.state, doc_id, "break-out-a", "A.1", by="Chair", now=0)
    plenary.record(shares.take_up(plenary.state, doc_id, "break-out-a", "A.2", by="Chair", now=0))
    assert doc.tasks[0].ended == "taken_up"


def test_the_group_cannot_change_its_share_after_reporting_and_categories_stay_the_plenarys() -> (
    None
):
    plenary, group = Log("plenary"), Log("break-out-a")
    doc_id = make_doc(plenary)
    group_flow(plenary, group, doc_id)
    with pytest.raises(CommandRejected):
        rules.add_category(group.state, doc_id, "F", "x", by="Peru", now=0)
    with pytest.raises(CommandRejected):
        rules.move(group.state, doc_id, "A.1", "B", None, by="Peru", now=0)
    group.record(shares.report(group.state, by="Peru", now=0))
    with pytest.raises(CommandRejected) as refused:
        rules.revise(group.state, doc_id, "A.1", "late", None, by="Peru", now=0)
    assert refused.value.code == "reported"


def test_a_withdrawn_task_frees_the_category_and_applies_nothing() -> None:
    plenary, group = Log("plenary"), Log("break-out-a")
    doc_id = make_doc(plenary)
    group_flow(plenary, group, doc_id)
    plenary.record(shares.withdraw_task(plenary.state, doc_id, "break-out-a", by="Chair", now=0))
    plenary.record(rules.revise(plenary.state, doc_id, "A.1", "Plenary's.", None, by="Chair",
                                now=0))  # fmt: skip
    group.record(shares.report(group.state, by="Peru", now=0))
    assert shares.returned(plenary.state, group.state, "Break-out group A", by="Peru", now=0) == []


def test_proposal_under_discussion_is_not_tasked_away_or_merged_away() -> None:
    log = Log("plenary")
    doc_id = make_doc(log)
    log.record(rules.set_current(log.state, doc_id, "A.2", by="Chair", now=0))
    with pytest.raises(CommandRejected):
        shares.task(log.state, doc_id, "g", "G", ["A"], "", by="Chair", now=0)
    with pytest.raises(CommandRejected):
        rules.merge(log.state, doc_id, ["A.1", "A.2"], "x", {}, by="Chair", now=0)


def test_every_change_is_attributed_to_who_where_and_the_agenda_item() -> None:
    log = Log("plenary")
    log.record([log.state.draft("agenda.item_added", {"number": "5", "title": "Rolling",
                                                       "parent": None, "at": 0}, 0)])  # fmt: skip
    (item,) = [s for s, t, _ in log.events if t == "agenda.item_added"]
    log.record([log.state.draft("agenda.current", {"item": item, "number": "5",
                                                    "title": "Rolling"}, 0)])  # fmt: skip
    doc_id = make_doc(log)
    log.record(rules.revise(log.state, doc_id, "C.1", "Changed.", None, by="Ms. Secretary",
                            now=0))  # fmt: skip
    change = log.state.docs.docs[doc_id].proposals["C.1"].history[-1]
    assert (change.by, change.room, change.item, change.type) == (
        "Ms. Secretary",
        "plenary",
        item,
        "doc.revised",
    )
    for _, type_, data in log.events:
        if type_.startswith("doc."):
            assert data["by"] and data["item"] == item


OPS = st.lists(
    st.tuples(
        st.sampled_from(["propose", "split", "merge", "move", "revise", "kind", "status"]),
        st.sampled_from(["A", "B", "C"]),
        st.integers(0, 12),
        st.integers(0, 12),
    ),
    max_size=40,
)


@given(OPS)
def test_ids_are_never_given_twice_and_a_replay_gives_the_same_document(
    ops: list[tuple[str, str, int, int]],
) -> None:
    log = Log("plenary")
    doc_id = make_doc(log)
    doc = log.state.docs.docs[doc_id]
    given_ids = set(doc.proposals)
    for op, letter, x, y in ops:
        ids = sorted(doc.proposals)
        pid, other = ids[x % len(ids)], ids[y % len(ids)]
        decide = {
            "propose": lambda: rules.propose(log.state, doc_id, NewProposal(letter, "new"),
                                             by="Chair", now=0),
            "split": lambda: rules.split(log.state, doc_id, pid, ["one", "two"], [], None,
                                         by="Chair", now=0),
            "merge": lambda: rules.merge(log.state, doc_id, [pid, other], "merged", {},
                                         by="Chair", now=0),
            "move": lambda: rules.move(log.state, doc_id, pid, letter, None, by="Chair", now=0),
            "revise": lambda: rules.revise(log.state, doc_id, pid, f"text {x}", None,
                                           by="Chair", now=0),
            "kind": lambda: rules.set_kind(log.state, doc_id, [pid], "statement", by="Chair",
                                           now=0),
            "status": lambda: rules.set_status(log.state, doc_id, [pid], "agreed", by="Chair",
                                               now=0),
        }[op]  # fmt: skip
        try:
            drafts = decide()
        except (CommandRejected, Invalid):
            continue
        before = set(doc.proposals)
        log.record(drafts)
        new = set(doc.proposals) - before
        assert not new & given_ids, (op, new)  # a new id is one never given before
        given_ids |= new
        for p in doc.proposals.values():
            # A retired proposal leads, through what it was merged into, to one that lives on.
            seen_chain = {p.id}
            while p.merged_into is not None:
                p = doc.proposals[p.merged_into]
                assert p.id not in seen_chain
                seen_chain.add(p.id)
    # Every category's counter is past every number it gave.
    for c in doc.categories:
        numbers = [int(p.id.split(".")[1]) for p in doc.proposals.values()
                   if p.id.startswith(c.letter + ".")]  # fmt: skip
        assert c.next > max(numbers, default=0)
    # The projection only carries out what events say: a replay of the log is the same document.
    again = RoomState("plenary")
    for n, (seq, type_, data) in enumerate(log.events):
        again.apply(seq, type_, log.ts - (len(log.events) - 1 - n) * 1000, data)
    assert again.docs.to_dict() == log.state.docs.to_dict()
