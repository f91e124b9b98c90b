"""Text as search compares it, in every script: "adebayo" finds "Adébáyọ̀", "STRASSE" finds
"Straße", full-width letters find their usual forms.

Each character is decomposed for compatibility (NFKD: full-width forms, ligatures, precomposed
accents), its marks dropped (Unicode category M: accents, tone marks, the dot below) and the rest
case-folded (``str.casefold``, Unicode's full folding). Scripts whose marks carry the word (the
vowel signs of Devanagari, the Arabic harakat) lose them as the Latin accents do: a reader who
types without them still finds the word. static/fold.js folds the same way in the pages;
tests/record/test_folding.py checks both on one table.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=4096)
def fold_char(ch: str) -> str:
    """One character as search compares it: possibly several, possibly none (a lone mark)."""
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).casefold()


def fold(text: str) -> str:
    return "".join(fold_char(ch) for ch in unicodedata.normalize("NFC", text))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index in ``text`` it came from: a
    match in the folded text is shown on the words as they were written."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = fold_char(ch)
        out.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(out), offsets
