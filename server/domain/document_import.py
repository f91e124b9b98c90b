"""Reading a rolling document from a file people already have: a CSV table or a Markdown outline.

Every line is checked before anything is recorded; a file with bad lines imports nothing and the
refusal lists each bad line with what is wrong (``ImportFailed.details``). What a file holds
becomes ``NewProposal`` values; the rules (server/domain/document_rules.py ``create``) record
them with the document in one append.

CSV: a header row naming the columns ``category``, ``id``, ``text``, ``submitted by``, ``kind``
(and optionally ``category title``); a category is a letter, or a letter and its title
("A. Implementation of the Tunis Agenda"); an id is ``A.3`` or just ``3``; several submitters are
separated by semicolons. Markdown: a heading per category ("## A. Implementation of …"), each
proposal a list item or a paragraph starting with its id; the first level-1 heading is the
title and any text before the first category its description. docs/chair.md has examples.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from server.domain.document import Submitter, make_id, parse_id
from server.domain.document_rules import NewProposal
from server.domain.errors import Invalid
from server.domain.meetings import Participant
from server.domain.numbers import ascii_digits
from server.domain.text import clean_text
from server.limits import (
    MAX_CATEGORIES,
    MAX_DOCUMENT_DESCRIPTION_CHARS,
    MAX_DOCUMENT_TITLE_CHARS,
    MAX_IMPORT_ERRORS,
    MAX_LABEL_CHARS,
    MAX_PROPOSAL_CHARS,
    MAX_PROPOSALS,
    MAX_SUBMITTERS,
)


class ImportFailed(Invalid):
    """A file that does not import; ``details`` lists each bad line: ``{"line", "error"}``."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        shown = problems[:MAX_IMPORT_ERRORS]
        more = len(problems) - len(shown)
        text = "; ".join(f"line {n}: {e}" if n else e for n, e in shown)
        if more:
            text += f"; and {more} more"
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(
            "bad_file", f"nothing was imported: the file has {len(problems)} {noun}: {text}"
        )
        self.details = [{"line": n, "error": e} for n, e in shown]


@dataclass(slots=True)
class Imported:
    """What a file holds, checked: ready for ``document_rules.create``."""

    title: str = ""
    description: str = ""
    categories: list[tuple[str, str]] = field(default_factory=list)
    proposals: list[NewProposal] = field(default_factory=list)


# Accepted spellings of a kind, any case.
_KINDS = {
    "": "unsorted",
    "unsorted": "unsorted",
    "not yet sorted": "unsorted",
    "not sorted": "unsorted",
    "?": "unsorted",
    "recommendation": "recommendation",
    "recommendations": "recommendation",
    "rec": "recommendation",
    "r": "recommendation",
    "statement": "statement",
    "statements": "statement",
    "s": "statement",
}

_COLUMNS = {
    "category": "category",
    "cat": "category",
    "category title": "category_title",
    "category_title": "category_title",
    "id": "id",
    "no": "id",
    "no.": "id",
    "number": "id",
    "ref": "id",
    "text": "text",
    "proposal": "text",
    "draft recommendation": "text",
    "submitted by": "submitted_by",
    "submitted_by": "submitted_by",
    "submitter": "submitted_by",
    "submitters": "submitted_by",
    "source": "submitted_by",
    "kind": "kind",
    "type": "kind",
}

# "A", "A. Title", "A: Title", "A) Title", "A — Title", "Category A: Title"
_CATEGORY = re.compile(
    r"^(?:category\s+)?([A-Za-z]{1,3})(?:\s*[.:)\u2013\u2014-]\s*(.*)|\s*)$", re.IGNORECASE
)
_SUBMITTED = re.compile(
    r"[\s\u2013\u2014-]*[(\[]?\s*submitted\s+by\s*:?\s*([^()\[\]]+?)\s*[)\]]?\s*\.?\s*$",
    re.IGNORECASE,
)


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []

    def add(self, line: int, message: str) -> None:
        self.found.append((line, message))

    def raise_if_any(self) -> None:
        if self.found:
            raise ImportFailed(sorted(self.found, key=lambda p: p[0]))


def _category(cell: str) -> tuple[str, str] | None:
    m = _CATEGORY.match(cell.strip())
    if not m:
        return None
    return m.group(1).upper(), clean_text(m.group(2) or "")


def _kind(cell: str) -> str | None:
    return _KINDS.get(clean_text(cell).casefold())


def split_submitters(cell: str) -> list[str]:
    return [n for n in (clean_text(part) for part in re.split(r"[;\n]", cell)) if n]


def resolve(names: Sequence[str], participants: Sequence[Participant]) -> tuple[Submitter, ...]:
    """Submitters by name: a registered participant by their name, a delegation of the register
    by its name (with its stakeholder group when its people share one), else the name as given."""
    out = []
    for name in names:
        key = name.casefold()
        person = next((p for p in participants if p.name.casefold() == key), None)
        if person is not None:
            out.append(Submitter(person.name, person.id, person.delegation, person.group))
            continue
        members = [p for p in participants if p.delegation.casefold() == key]
        if members:
            groups = {p.group for p in members}
            group = groups.pop() if len(groups) == 1 else ""
            out.append(Submitter(members[0].delegation, None, members[0].delegation, group))
            continue
        out.append(Submitter(name))
    return tuple(out)


class _Builder:
    """Collects categories and proposals from a file's lines, checking each as it comes."""

    def __init__(self, participants: Sequence[Participant]) -> None:
        self.participants = participants
        self.problems = _Problems()
        self.result = Imported()
        self.titles: dict[str, tuple[str, int]] = {}  # letter -> (title, line)
        self.ids: dict[str, int] = {}  # id -> line

    def category(self, line: int, letter: str, title: str, *, heading: bool) -> None:
        if letter in self.titles:
            known, first = self.titles[letter]
            if heading:
                self.problems.add(line, f"category {letter} has a heading already (line {first})")
            elif title and known and title != known:
                self.problems.add(
                    line, f"category {letter} is called “{known}” on line {first}, not “{title}”"
                )
            elif title and not known:
                self.titles[letter] = (title, line)
            return
        if len(self.titles) >= MAX_CATEGORIES:
            self.problems.add(line, f"more than {MAX_CATEGORIES} categories")
            return
        if len(title) > MAX_LABEL_CHARS:
            self.problems.add(line, f"the category's title is longer than {MAX_LABEL_CHARS}")
        self.titles[letter] = (title, line)

    def proposal(
        self, line: int, letter: str, pid: str, text: str, kind: str, submitters: str
    ) -> None:
        problems = self.problems
        clean = clean_text(text)
        given: str | None = None
        if pid.strip():
            raw = pid.strip().rstrip(".:")
            candidate = make_id(letter, int(raw)) if ascii_digits(raw) and raw[0] != "0" else raw
            parsed = parse_id(candidate.upper())
            if parsed is None:
                problems.add(line, f"{pid.strip()!r} is not a proposal id (write it as {letter}.3)")
            elif parsed[0] != letter:
                problems.add(line, f"id {candidate} is listed under category {letter}")
            elif candidate.upper() in self.ids:
                first = self.ids[candidate.upper()]
                problems.add(line, f"{candidate.upper()} is given twice (first on line {first})")
            else:
                given = candidate.upper()
                self.ids[given] = line
        if not clean:
            problems.add(line, "the proposal has no text")
        elif len(clean) > MAX_PROPOSAL_CHARS:
            problems.add(line, f"the text is longer than {MAX_PROPOSAL_CHARS} characters")
        chosen = _kind(kind)
        if chosen is None:
            problems.add(
                line, f"kind {clean_text(kind)!r} is not one of: recommendation, statement, "
                "not yet sorted"
            )  # fmt: skip
        names = split_submitters(submitters)
        if len(names) > MAX_SUBMITTERS:
            problems.add(line, f"more than {MAX_SUBMITTERS} submitters")
        if any(len(n) > MAX_LABEL_CHARS for n in names):
            problems.add(line, f"a submitter's name is longer than {MAX_LABEL_CHARS} characters")
        if len(self.result.proposals) >= MAX_PROPOSALS:
            problems.add(line, f"more than {MAX_PROPOSALS} proposals")
            return
        self.result.proposals.append(
            NewProposal(
                letter, clean, chosen or "unsorted", resolve(names, self.participants), given
            )
        )

    def done(self) -> Imported:
        if not self.result.proposals and not self.problems.found:
            self.problems.add(0, "the file holds no proposals")
        self.problems.raise_if_any()
        self.result.categories = [(letter, t) for letter, (t, _) in self.titles.items()]
        return self.result


# -- CSV -------------------------------------------------------------------------------------------
def parse_csv(text: str, participants: Sequence[Participant] = ()) -> Imported:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFailed([(0, "the file is empty: it needs a header row and a row per "
                               "proposal")]) from None  # fmt: skip
    except csv.Error as exc:
        raise ImportFailed([(1, f"not valid CSV ({exc})")]) from None
    columns = [_COLUMNS.get(clean_text(h).casefold()) for h in header]
    missing = [c for c in ("category", "text") if c not in columns]
    if missing:
        columns_needed = "category, id, text, submitted by, kind"
        raise ImportFailed(
            [(1, f"the header row must name the columns: {columns_needed} "
                 f"(missing: {', '.join(missing)})")]
        )  # fmt: skip
    b = _Builder(participants)
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            values = {col: cell for col, cell in zip(columns, row, strict=False) if col}
            found = _category(values.get("category", ""))
            if found is None:
                b.problems.add(
                    line, f"category {values.get('category', '').strip()[:40]!r} is not a letter "
                    "(A) or a letter and its title (A. Implementation of the Tunis Agenda)"
                )  # fmt: skip
                continue
            letter, title = found
            title = clean_text(values.get("category_title", "")) or title
            b.category(line, letter, title, heading=False)
            b.proposal(
                line,
                letter,
                values.get("id", ""),
                values.get("text", ""),
                values.get("kind", ""),
                values.get("submitted_by", ""),
            )
    except csv.Error as exc:
        b.problems.add(rows.line_num, f"not valid CSV ({exc})")
    return b.done()


# -- Markdown ------------------------------------------------------------------------------------
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_LEAD_ID = re.compile(
    r"^(?:\*\*|__)?([A-Za-z]{1,3}\.[0-9]{1,5})(?:\*\*|__)?\s*[.:)\u2013\u2014-]?\s+(.*)$"
)
_LEAD_KIND = re.compile(r"^[\[(]\s*([A-Za-z ?]+?)\s*[\])]\s*(.*)$")


@dataclass(slots=True)
class _Pending:
    line: int
    pid: str
    parts: list[str]


def _finish(b: _Builder, letter: str, p: _Pending) -> None:
    text = " ".join(p.parts)
    kind = ""
    m = _LEAD_KIND.match(text)
    if m and _kind(m.group(1)) is not None:
        kind, text = m.group(1), m.group(2)
    submitters = ""
    s = _SUBMITTED.search(text)
    if s:
        submitters, text = s.group(1), text[: s.start()]
    b.proposal(p.line, letter, p.pid, text, kind, submitters)


def parse_markdown(text: str, participants: Sequence[Participant] = ()) -> Imported:
    b = _Builder(participants)
    letter: str | None = None
    pending: _Pending | None = None
    description: list[str] = []

    def flush() -> None:
        nonlocal pending
        if pending is not None and letter is not None:
            _finish(b, letter, pending)
        pending = None

    for n, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not raw.strip():
            flush()
            continue
        heading = _HEADING.match(raw)
        if heading:
            flush()
            content = heading.group(2)
            found = _category(content)
            if found is not None and found[1]:
                letter = found[0]
                b.category(n, letter, found[1], heading=True)
            elif letter is None and len(heading.group(1)) == 1 and not b.result.title:
                b.result.title = clean_text(content)
            else:
                b.problems.add(
                    n, f"heading “{clean_text(content)[:60]}” is not a category: write it as "
                    "“## A. Title of the category”"
                )  # fmt: skip
            continue
        item = _ITEM.match(raw)
        body = item.group(1) if item else raw.strip()
        lead = _LEAD_ID.match(body)
        if letter is None:
            if item or lead:
                b.problems.add(n, "a proposal before the first category heading (## A. Title)")
            else:
                description.append(raw.strip())
            continue
        if item or lead or pending is None:
            flush()
            if not (item or lead):
                b.problems.add(
                    n, "this line is not a proposal: start each with “- ” or with its id (A.1)"
                )
                continue
            pid, body = (lead.group(1), lead.group(2)) if lead else ("", body)
            pending = _Pending(n, pid, [body])
        else:
            pending.parts.append(raw.strip())
    flush()
    b.result.description = clean_text(" ".join(description))
    if len(b.result.title) > MAX_DOCUMENT_TITLE_CHARS:
        b.problems.add(1, f"the title is longer than {MAX_DOCUMENT_TITLE_CHARS} characters")
    if len(b.result.description) > MAX_DOCUMENT_DESCRIPTION_CHARS:
        b.problems.add(
            1, f"the description is longer than {MAX_DOCUMENT_DESCRIPTION_CHARS} characters"
        )
    return b.done()


def parse(fmt: str, text: str, participants: Sequence[Participant] = ()) -> Imported:
    """A file's proposals: ``fmt`` is ``csv`` or ``md``."""
    if fmt == "csv":
        return parse_csv(text, participants)
    if fmt == "md":
        return parse_markdown(text, participants)
    raise Invalid("bad_format", "a document is imported from CSV (text/csv) or Markdown "
                  "(text/markdown)")  # fmt: skip
