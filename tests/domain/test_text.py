"""One rule for text from anyone, on both sides: the server's ``clean_text`` and the pages'
``cleanText`` give the same result for every case of one table (tests/data/clean_text.json)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.errors import Invalid
from server.domain.text import clean_text, real_text, text_field
from tests.support import ROOT, require_binary

CASES: list[list[str]] = json.loads((ROOT / "tests" / "data" / "clean_text.json").read_text())


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_clean_text_follows_the_table(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_the_pages_clean_text_follows_the_same_table(tmp_path: Path) -> None:
    node = require_binary("node", "apt-get install nodejs")
    # transcript.js imports nothing: a copy with the module extension runs under plain Node.
    shutil.copy(ROOT / "static" / "transcript.js", tmp_path / "transcript.mjs")
    script = tmp_path / "run.mjs"
    script.write_text(
        'import { readFileSync } from "node:fs";\n'
        'import { cleanText } from "./transcript.mjs";\n'
        "const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));\n"
        "const out = cases.map(([raw]) => cleanText(raw));\n"
        "process.stdout.write(JSON.stringify(out));\n"
    )
    table = ROOT / "tests" / "data" / "clean_text.json"
    result = subprocess.run(
        [node, str(script), str(table)], capture_output=True, text=True, timeout=60, check=True
    )
    got = json.loads(result.stdout)
    assert got == [expected for _, expected in CASES]


@given(st.text())
def test_clean_text_always_gives_one_line_of_real_text(raw: str) -> None:
    text = clean_text(raw)
    text.encode("utf-8")  # no unpaired surrogate survives
    assert "\n" not in text and "\r" not in text and "  " not in text
    assert text == text.strip() and clean_text(text) == text


@given(st.text())
def test_real_text_keeps_everything_that_is_already_text(raw: str) -> None:
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        assert real_text(raw).encode("utf-8")
    else:
        assert real_text(raw) == raw


def test_a_field_says_what_is_wrong_with_it() -> None:
    assert text_field(None, "the name", 10) == ""
    assert text_field("  Ms.\u00a0Silva ", "the name", 10) == "Ms. Silva"
    with pytest.raises(Invalid, match="the name must be text"):
        text_field(5, "the name", 10)
    with pytest.raises(Invalid, match="line 4: the name is longer than 3 characters"):
        text_field("Silva", "the name", 3, where="line 4: ")
    with pytest.raises(Invalid, match="the name is required"):
        text_field(" \t", "the name", 10, required=True)
