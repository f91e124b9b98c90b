"""Search folds case and accents in every script: the server's folding (server/record/folding.py)
and the page's (static/fold.js) on one table, the search index across caption channels, and the
hits marked on the words as they were written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from server.domain.events import Event
from server.record.folding import fold, fold_with_offsets
from server.record.search import Query, SearchIndex
from tests.support import ROOT, require_binary

TABLE = ROOT / "tests" / "data" / "folding.json"


def test_folding_follows_the_table() -> None:
    for raw, expected in json.loads(TABLE.read_text()):
        assert fold(raw) == expected, raw


def test_the_pages_folding_follows_the_same_table(tmp_path: Path) -> None:
    node = require_binary("node", "apt-get install nodejs")
    script = tmp_path / "fold.mjs"
    script.write_text(
        'import { readFileSync } from "node:fs";\n'
        f'import {{ fold, findFolded }} from "{ROOT / "static" / "fold.js"}";\n'
        "const table = JSON.parse(readFileSync(process.argv[2], 'utf8'));\n"
        "const out = table.map(([raw]) => fold(raw));\n"
        "const hits = findFolded('Mr. Adébáyọ̀ and ADEBAYO', 'adebayo');\n"
        "console.log(JSON.stringify({ out, hits }));\n"
    )
    done = subprocess.run(
        [node, str(script), str(TABLE)], capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(done.stdout)
    assert result["out"] == [expected for _, expected in json.loads(TABLE.read_text())]
    text = "Mr. Adébáyọ̀ and ADEBAYO"
    # The page marks the words as written, their accents included (UTF-16 offsets; this
    # text's accents are all in the Basic Multilingual Plane).
    assert [text[a:b] for a, b in result["hits"]] == ["Adébáyọ̀", "ADEBAYO"]


@given(st.text(max_size=60))
def test_offsets_point_back_into_the_text(text: str) -> None:
    folded, offsets = fold_with_offsets(text)
    assert len(offsets) == len(folded)
    assert offsets == sorted(offsets) and all(0 <= i < len(text) for i in offsets)
    assert "".join(fold(text[i]) for i in sorted(set(offsets))) == folded


def line(seq: int, text: str, speaker: str = "") -> Event:
    draft_data = {"text": text, "speaker": speaker}
    return Event.create(seq, _draft(draft_data, ts=1_700_000_000_000 + seq))


def _draft(data: dict[str, object], ts: int):  # type: ignore[no-untyped-def]
    from server.domain.events import Draft

    return Draft("line", "plenary", data, ts)


def test_search_finds_words_whatever_their_accents_in_every_channel() -> None:
    index = SearchIndex("m")
    index.add("plenary", [line(1, "I give the floor to Mr. Adébáyọ̀ of Nigeria.")])
    index.add(
        "plenary",
        [line(1, "Je donne la parole à M. Adébáyọ̀, du Nigéria."), line(2, "ÉTATS-UNIS")],
        "fr",
    )
    index.add("plenary", [line(1, "Слово предоставляется Аде́баё.")], "ru")
    every = index.search(Query(words="adebayo"))
    assert every["total"] == 2
    assert [(h["channel"], h["seq"]) for h in every["hits"]] == [("floor", 1), ("fr", 1)]
    marked = [s["text"] for s in every["hits"][1]["segments"] if s["hit"]]
    assert marked == ["Adébáyọ̀"]  # the hit as written
    assert "".join(s["text"] for s in every["hits"][1]["segments"]) == every["hits"][1]["text"]
    fr = index.search(Query(words="nigeria", channel="fr"))
    assert [h["text"] for h in fr["hits"]] == ["Je donne la parole à M. Adébáyọ̀, du Nigéria."]
    assert index.search(Query(words="etats-unis"))["total"] == 1
    assert index.search(Query(words="СЛОВО", channel="ru"))["total"] == 1
    assert index.search(Query(words="adebayo", channel="ru"))["total"] == 0
    assert index.facets()["channels"] == ["floor", "fr", "ru"]
