"""Reading a rolling document from CSV and from a Markdown outline: what a good file gives, and
for bad files an error naming every bad line (and nothing imported)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.document import Submitter
from server.domain.document_import import ImportFailed, parse, parse_csv, parse_markdown
from server.domain.errors import Invalid
from server.domain.meetings import Participant

REGISTER = [
    Participant("p1", "Ms. A. Silva", "Brazil", "Governments"),
    Participant("p2", "Mr. B. Souza", "Brazil", "Governments"),
    Participant("p3", "Ms. L. Haddad", "Digital Rights Coalition", "Civil society"),
]

CSV = """category,id,text,submitted by,kind
"A. Implementation of the Tunis Agenda",A.1,Strengthen the Tunis Agenda.,Brazil; APC,recommendation
A,2,"We note the work done so far, and create a review mechanism.",Ms. L. Haddad,
B: Public policy issues and possible mechanisms,,Map the public policy issues.,,statement
"""

MARKDOWN = """# Rolling document of draft recommendations

Draft recommendations received in response to the Chair's call for inputs of 14 November 2013.

## A. Implementation of the Tunis Agenda

- A.1 [recommendation] Strengthen the implementation
  of the Tunis Agenda. (Submitted by: Brazil; APC)
- We note the work done so far. Submitted by: Ms. L. Haddad

## B. Public policy issues and possible mechanisms

B.4: Map the public policy issues.

## C. Role of stakeholders
"""


def test_csv_with_ids_titles_submitters_and_kinds() -> None:
    found = parse_csv(CSV, REGISTER)
    assert found.categories == [
        ("A", "Implementation of the Tunis Agenda"),
        ("B", "Public policy issues and possible mechanisms"),
    ]
    assert [(p.category, p.id, p.kind) for p in found.proposals] == [
        ("A", "A.1", "recommendation"),
        ("A", "A.2", "unsorted"),
        ("B", None, "statement"),
    ]
    assert found.proposals[1].text == "We note the work done so far, and create a review mechanism."
    # A delegation of the register (two people, one group), a free-text name, a participant.
    assert found.proposals[0].submitted_by == (
        Submitter("Brazil", None, "Brazil", "Governments"),
        Submitter("APC"),
    )
    assert found.proposals[1].submitted_by == (
        Submitter("Ms. L. Haddad", "p3", "Digital Rights Coalition", "Civil society"),
    )


def test_markdown_outline() -> None:
    found = parse_markdown(MARKDOWN, REGISTER)
    assert found.title == "Rolling document of draft recommendations"
    assert found.description.startswith("Draft recommendations received")
    assert [c for c, _ in found.categories] == ["A", "B", "C"]
    a1, a2, b4 = found.proposals
    assert (a1.id, a1.kind, a1.text) == (
        "A.1",
        "recommendation",
        "Strengthen the implementation of the Tunis Agenda.",
    )
    assert [s.name for s in a1.submitted_by] == ["Brazil", "APC"]
    assert (a2.id, a2.text, a2.submitted_by[0].participant) == (
        None,
        "We note the work done so far.",
        "p3",
    )
    assert (b4.id, b4.category) == ("B.4", "B")


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("csv", "", ["the file is empty"]),
        (
            "csv",
            "name,remarks\nx,y\n",
            ["line 1: the header row must name", "missing: category, text"],
        ),
        ("csv", "category,text\n", ["the file holds no proposals"]),
        (
            "csv",
            "category,id,text,kind\nA,A.1,One.,\nA,A.1,Two.,\nB,A.2,Three.,\nA,,,\nA,,Four.,opinion\n"
            "7,,Five.,\n",
            [
                "line 3: A.1 is given twice (first on line 2)",
                "line 4: id A.2 is listed under category B",
                "line 5: the proposal has no text",
                "line 6: kind 'opinion' is not one of",
                "line 7: category '7' is not a letter",
            ],
        ),
        (
            "csv",
            "category,text\nA. One,x\nA. Two,y\n",
            ["line 3: category A is called “One” on line 2, not “Two”"],
        ),
        (
            "md",
            "- A proposal first\n## A. One\nnot a proposal\n### Notes\n## A. Again\n- x\n",
            [
                "line 1: a proposal before the first category heading",
                "line 4: heading “Notes” is not a category",
                "line 5: category A has a heading already (line 2)",
            ],
        ),
        ("md", "## A. One\n- " + "x" * 2001 + "\n", ["line 2: the text is longer than 2000"]),
    ],
)
def test_bad_files_name_every_bad_line_and_import_nothing(
    fmt: str, text: str, expected: list[str]
) -> None:
    with pytest.raises(ImportFailed) as failed:
        parse(fmt, text, REGISTER)
    message = failed.value.message
    assert message.startswith("nothing was imported")
    for part in expected:
        assert part in message, message
    lines = [d["line"] for d in failed.value.details]
    assert lines == sorted(lines)


def test_a_line_that_is_not_a_proposal_inside_a_category() -> None:
    with pytest.raises(ImportFailed) as failed:
        parse_markdown("## A. One\n\nJust a remark.\n")
    assert failed.value.details == [
        {
            "line": 3,
            "error": "this line is not a proposal: start each with “- ” or with its id (A.1)",
        }
    ]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(Invalid):
        parse("docx", "x")


@given(st.text(max_size=400), st.sampled_from(["csv", "md"]))
def test_any_text_either_imports_or_is_refused_with_lines(text: str, fmt: str) -> None:
    try:
        found = parse(fmt, text, REGISTER)
    except ImportFailed as exc:
        assert exc.details and all(isinstance(d["line"], int) for d in exc.details)
        return
    letters = {c for c, _ in found.categories}
    assert found.proposals and all(p.category in letters and p.text for p in found.proposals)
