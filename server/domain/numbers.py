"""Numbers from outside (a command's ``n``, a resume position, a query value, a caption ``seq``),
read in one place and checked for range.

Every number a client sends ends up in the record, a SQLite INTEGER column or a Lua number, or
in a page's JavaScript. All of these hold whole numbers up to ``MAX_ID`` (2**53 - 1) exactly, so
that is the bound; a larger number is refused where it is parsed, with a message, instead of
failing later somewhere that cannot answer the client. Text is read with an explicit ASCII
check: ``str.isdigit`` also accepts superscripts and other scripts' digits ("²", "٣"), which
``int`` then refuses or reads differently.
"""

from __future__ import annotations

from server.domain.errors import Invalid
from server.limits import MAX_ID

_DIGITS = frozenset("0123456789")


def ascii_digits(raw: str) -> bool:
    """True when ``raw`` is one or more of the ASCII digits 0-9 and nothing else."""
    return bool(raw) and set(raw) <= _DIGITS


def is_whole(value: object, minimum: int = 0, maximum: int = MAX_ID) -> bool:
    """True for a JSON whole number in range (``True`` and ``1.0`` are not numbers here)."""
    return type(value) is int and minimum <= value <= maximum


def json_number(
    value: object, what: str, *, minimum: int = 0, maximum: int = MAX_ID, code: str = "bad_field"
) -> int:
    """A whole number from parsed JSON, or ``Invalid`` naming the field and the range."""
    if not is_whole(value, minimum, maximum):
        raise Invalid(code, f"{what} must be a whole number from {minimum} to {maximum}")
    assert isinstance(value, int)
    return value


def text_number(
    raw: str, what: str, *, minimum: int = 0, maximum: int = MAX_ID, code: str = "bad_field"
) -> int:
    """A whole number written in ASCII digits (a query value, a header), or ``Invalid``."""
    # Digits past the bound's own length cannot be in range: refuse them before int() reads them.
    if len(raw) > len(str(maximum)) or not ascii_digits(raw):
        raise Invalid(code, f"{what} must be a whole number from {minimum} to {maximum}")
    return json_number(int(raw), what, minimum=minimum, maximum=maximum, code=code)


def check_cursor(cursor: tuple[str, int] | None) -> None:
    """A backend's guard on what it is asked to store: a cursor's ``n`` in range (an
    out-of-range one would fail inside the write, for every append batched with it)."""
    if cursor is not None and not is_whole(cursor[1], 0, MAX_ID):
        raise ValueError(f"cursor n {cursor[1]!r} is out of range (0 to {MAX_ID})")
