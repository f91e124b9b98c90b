"""The draft summary is written in the meeting's language where it speaks it (English), and says
so when the meeting's language is another."""

from __future__ import annotations

import pytest

from server.domain.meetings import Meeting, Room
from server.record import summary
from server.record.facts import facts_from_logs
from server.services import admin


def facts_in(language: str):  # type: ignore[no-untyped-def]
    meeting = Meeting("m", "WGEC", rooms=[Room("plenary", "Plenary")], language=language)
    return facts_from_logs(meeting, {"plenary": []})


@pytest.mark.parametrize("language", ["en", "en-GB"])
def test_an_english_meeting_gets_its_draft_in_english(language: str) -> None:
    facts = facts_in(language)
    out = summary.to_json(facts, summary.summary(facts))
    assert out["language"] == "en" and "Drafted in English" not in out["note"]


def test_a_meeting_in_another_language_is_told_its_draft_is_in_english() -> None:
    facts = facts_in("fr")
    out = summary.to_json(facts, summary.summary(facts))
    assert out["language"] == "en"
    assert out["note"].endswith("Drafted in English: the draft is not written in fr.")
    assert summary.LANGUAGES == ("en",)


async def test_a_meeting_is_created_in_a_language(backend) -> None:  # type: ignore[no-untyped-def]
    meeting, _ = await admin.create_meeting(backend, "GTCR", ["Plénière"], language="FR")
    assert meeting.language == "fr"
    loaded = await backend.load_meeting(meeting.id)
    assert loaded is not None and loaded.language == "fr"
    with pytest.raises(admin.AdminError, match="BCP 47"):
        await admin.create_meeting(backend, "X", ["Plenary"], language="not a tag")
