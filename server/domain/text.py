"""Text from anyone, made safe to record: the one ``clean_text`` and the one field validator.

The same rule runs in the browser (``cleanText`` in static/transcript.js) so that what a page
shows before sending is what the record keeps; tests/domain/test_text.py runs both on one table
(tests/data/clean_text.json). The character classes are spelled out rather than taken from each
language's idea of whitespace, because Python and JavaScript disagree (JavaScript's ``\\s``
includes U+FEFF, Python's ``str.split`` includes U+0085).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from server.domain.errors import Invalid

# Breaks and spaces of every kind, folded to one space: tab, line feed, vertical tab, form feed,
# carriage return, space, next line (U+0085), no-break space, ogham space, the en quad to hair
# space range, line and paragraph separators, narrow no-break, medium mathematical, ideographic.
SPACES = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Removed: the other C0 and C1 control characters, DEL, and U+FEFF (a byte-order mark is not
# text; as a zero-width no-break space it is invisible).
REMOVED = "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff"

_REMOVED = re.compile(f"[{REMOVED}]")
_SPACES = re.compile(f"[{SPACES}]+")
# A surrogate code point on its own is not a character: JSON can carry one ("\ud800"), UTF-8
# cannot, and a record holding one could not be written out as UTF-8 again.
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def real_text(text: str) -> str:
    """The string with every unpaired surrogate replaced by U+FFFD, so that it can be written
    as UTF-8 (and the rest of it is kept)."""
    return _SURROGATE.sub(REPLACEMENT, text)


def real_json(value: Any, text: Callable[[str], str] = real_text) -> Any:
    """Parsed JSON with every string in it (keys too) made real text by ``text``."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(k): real_json(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [real_json(v, text) for v in value]
    return value


# What no document format can hold: the C0 controls but tab, line feed and carriage return, and
# the two non-characters U+FFFE and U+FFFF (XML 1.0 refuses them; so do Word and browsers).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def readable_text(text: str) -> str:
    """Text from the record made writable in every format: ``real_text``, and what no document
    can hold removed. Text is cleaned where it enters (``clean_text``); this is for what an
    older version recorded without it."""
    return _UNWRITABLE.sub("", real_text(text))


def clean_text(text: str) -> str:
    """One line of real Unicode text: no control characters, runs of spaces folded, trimmed."""
    text = _REMOVED.sub("", real_text(text))
    return _SPACES.sub(" ", text).strip(" ")


def text_field(
    value: object,
    what: str,
    limit: int,
    *,
    required: bool = False,
    where: str = "",
    code: str = "bad_field",
) -> str:
    """A short text field from outside (a name, a note, a title), cleaned and checked.

    ``None`` is the empty string. ``what`` names the field in messages ("the name", "'note'");
    ``where`` prefixes them ("line 4: ") for rows of a file."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(code, f"{where}{what} must be text")
    text = clean_text(value)
    if len(text) > limit:
        raise Invalid("too_long", f"{where}{what} is longer than {limit} characters")
    if required and not text:
        raise Invalid(code, f"{where}{what} is required")
    return text
