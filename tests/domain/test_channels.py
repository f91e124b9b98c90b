"""Caption channels' language tags and keys, fuzzed: any text is a tag in its standard form or a
refusal that says what a tag looks like, and a channel's key names its room and channel."""

from __future__ import annotations

import langcodes
from hypothesis import given
from hypothesis import strategies as st

from server.domain import channels
from server.domain.errors import Invalid
from server.domain.keys import channel_of, room_id_of, room_key

TAGS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["fr", "FR", "fr-CA", "pt-br", "zh-Hant-TW", "ar", "sr-Latn", "en-US",
                     "und", "floor", "Floor", "x-klingon", "i-navajo", "fr_FR", " es ", "-",
                     "en--US", "e", "toolongsubtag-aaaaaaaaa"]),
)  # fmt: skip


@given(TAGS)
def test_a_tag_is_standard_or_refused_with_a_reason(raw: str) -> None:
    try:
        tag = channels.tag(raw)
    except Invalid as exc:
        assert exc.code == "bad_field" and exc.message
        return
    assert langcodes.tag_is_valid(tag) and channels.tag(tag) == tag  # standard, and stable
    assert tag != channels.FLOOR and "~" not in tag and "}" not in tag


@given(TAGS, TAGS)
def test_a_caption_language_lands_in_a_channel_of_the_same_language_or_none(
    channel: str, lang: str
) -> None:
    try:
        tag = channels.tag(channel)
    except Invalid:
        return
    found = channels.match([tag], lang)
    assert found in (None, tag)
    if found is not None:
        got = langcodes.Language.get(langcodes.standardize_tag(lang)).language
        assert got == langcodes.Language.get(tag).language


def test_matching_examples() -> None:
    assert channels.match(["fr", "es"], "fr-CA") == "fr"
    assert channels.match(["fr", "es"], "es-419") == "es"
    assert channels.match(["pt-BR"], "pt") == "pt-BR"
    assert channels.match(["fr"], "en-US") is None
    assert channels.match(["zh-Hans"], "zh-CN") == "zh-Hans"
    assert channels.pick(["fr"], "floor") == channels.FLOOR
    assert channels.pick(["fr"], "de") is None
    assert channels.named(["fr", "es"], "en") == "floor (en), fr, es"


@given(
    st.text("abcdefghij0123456789", min_size=1, max_size=10),
    st.text("abcdefghij-0123456789", min_size=1, max_size=40),
    st.sampled_from([channels.FLOOR, "fr", "pt-BR", "zh-Hant"]),
)
def test_a_key_names_its_room_and_channel(meeting: str, room: str, channel: str) -> None:
    key = room_key(meeting, room, channel)
    assert room_id_of(key) == room and channel_of(key) == channel
    assert key.startswith(f"{{{meeting}/{room}}}")  # one Redis Cluster hash slot per room
    if channel == channels.FLOOR:
        assert key == f"{{{meeting}/{room}}}"  # a floor is the room's log as it always was
