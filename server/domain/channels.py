"""A room's caption channels: the floor and its interpretation channels, each a language.

The floor channel is what is said in the room, in whatever language the speaker uses; it keeps
the room's own log, so a record made before channels existed is its floor. Each interpretation
channel (what an interpreter says, as a captioner writes it) has a log of its own, keyed from the
room's (server/domain/keys.py): its own gap-free ``seq``, live line, caption stations, hand-offs
and corrections. Tags are BCP 47 (``fr``, ``pt-BR``), checked and written in their standard form
by ``langcodes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import langcodes

from server.domain.errors import Invalid
from server.limits import MAX_CHANNELS_PER_ROOM

FLOOR = "floor"

# How far a caption's language may be from a channel's and still land in it: fr-CA in "fr",
# pt in "pt-BR", never a different language (langcodes' distances: 0-9 are variants of one
# language, 10 and more a different script or language).
_SAME_LANGUAGE = 9


def tag(raw: object) -> str:
    """A channel's language tag in its standard form, or Invalid saying what a tag looks like."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 35:
        raise Invalid("bad_field", "a channel is a language tag such as fr, es, ar or pt-BR")
    text = raw.strip()
    if text.casefold() == FLOOR:
        raise Invalid("bad_field", "every room has its floor channel already")
    if not langcodes.tag_is_valid(text):
        raise Invalid(
            "bad_field", f"{text[:35]!r} is not a BCP 47 language tag (such as fr, es, ar, pt-BR)"
        )
    standard: str = langcodes.standardize_tag(text)
    if standard == "und":
        raise Invalid("bad_field", "give a language, not 'und'")
    return standard


def tags(raw: Iterable[object]) -> list[str]:
    """Channel tags in order, each once; Invalid for a bad one or too many."""
    out: list[str] = []
    for item in raw:
        t = tag(item)
        if t not in out:
            out.append(t)
    if len(out) > MAX_CHANNELS_PER_ROOM:
        raise Invalid("bad_field", f"a room has at most {MAX_CHANNELS_PER_ROOM} channels")
    return out


def match(channels: Sequence[str], lang: str) -> str | None:
    """The interpretation channel a caption in ``lang`` belongs to, or None."""
    if not lang or not channels or not langcodes.tag_is_valid(lang):
        return None
    found = langcodes.closest_supported_match(lang, list(channels), max_distance=_SAME_LANGUAGE)
    return str(found) if found is not None else None


def same_language(a: str, b: str) -> bool:
    """Whether two tags name one language (``en-US`` and ``en``)."""
    return match([b], a) is not None


def named(channels: Sequence[str], floor_lang: str) -> str:
    """The channels as a refusal lists them: ``floor (en), fr, es``."""
    return ", ".join([f"{FLOOR} ({floor_lang})" if floor_lang else FLOOR, *channels])


def pick(channels: Sequence[str], requested: str) -> str | None:
    """The channel a client names (``floor``, or a tag such as ``fr`` or ``fr-CA`` for the room's
    ``fr``), or None when the room has none in that language."""
    if requested in ("", FLOOR):
        return FLOOR
    if requested in channels:
        return requested
    return match(channels, requested)
