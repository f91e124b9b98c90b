"""Registering participants: one at a time or from a CSV file, each with a personal link.

Participants live in the meeting document, which is saved over the version it was read at; every
change here goes through ``services.admin.update_meeting``, which reads the meeting again and re-
applies the change when someone else saved first (another chair, another process, the command line).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from server.domain import auth
from server.domain.errors import Invalid, ParticipantError
from server.domain.meetings import Meeting, Participant, Presence, new_id
from server.domain.text import text_field
from server.limits import MAX_LABEL_CHARS, MAX_PARTICIPANTS

# Accepted spellings of the CSV columns (header row, any case).
_COLUMNS = {
    "name": "name",
    "delegation": "delegation",
    "organisation": "delegation",
    "organization": "delegation",
    "delegation or organisation": "delegation",
    "group": "group",
    "stakeholder group": "group",
    "presence": "presence",
    "in room or remote": "presence",
}
_PRESENCE = {
    "remote": "remote",
    "online": "remote",
    "in_room": "in_room",
    "in room": "in_room",
    "in-room": "in_room",
    "room": "in_room",
    "": "remote",
}


@dataclass(frozen=True, slots=True)
class NewParticipant:
    name: str
    delegation: str
    group: str
    presence: Presence


@dataclass(frozen=True, slots=True)
class Registered:
    participant: Participant
    key: str  # the personal link's key: shown once, only its hash is kept


def _field(value: object, what: str, where: str) -> str:
    try:
        return text_field(value, what, MAX_LABEL_CHARS, where=where)
    except Invalid as exc:  # one error type for the register, with the field's message
        raise ParticipantError(exc.message) from None


def check(
    groups: list[str],
    name: object,
    delegation: object = "",
    group: object = "",
    presence: object = "remote",
    where: str = "",
) -> NewParticipant:
    """Validate one participant's details; ``where`` prefixes messages (``"line 4: "``)."""
    clean_name = _field(name, "the name", where)
    if not clean_name:
        raise ParticipantError(f"{where}a participant needs a name")
    clean_group = _field(group, "the stakeholder group", where)
    if clean_group:
        match = next((g for g in groups if g.casefold() == clean_group.casefold()), None)
        if match is None:
            raise ParticipantError(
                f"{where}unknown stakeholder group {clean_group!r} (one of: {', '.join(groups)})"
            )
        clean_group = match
    where_text = _field(presence, "presence", where).casefold()
    if where_text not in _PRESENCE:
        raise ParticipantError(f"{where}presence must be 'remote' or 'in room'")
    kind: Presence = "in_room" if _PRESENCE[where_text] == "in_room" else "remote"
    return NewParticipant(
        clean_name, _field(delegation, "the delegation", where), clean_group, kind
    )


def parse_csv(text: str, groups: list[str]) -> list[NewParticipant]:
    """Rows of a CSV file with a header row: name, delegation (or organisation), group,
    presence. Every row is checked before anything is registered."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(rows)
    except StopIteration:
        raise ParticipantError(
            "the file is empty: it needs a header row (name, delegation, "
            "group, presence) and one row per participant"
        ) from None
    except csv.Error as exc:
        raise ParticipantError(f"line 1: not valid CSV ({exc})") from None
    columns = [_COLUMNS.get(h.strip().casefold()) for h in header]
    if "name" not in columns:
        raise ParticipantError(
            "line 1 must be a header row naming the columns: name, delegation, group, presence"
        )
    found: list[NewParticipant] = []
    try:
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            values = {col: cell for col, cell in zip(columns, row, strict=False) if col}
            found.append(
                check(
                    groups,
                    values.get("name", ""),
                    values.get("delegation", ""),
                    values.get("group", ""),
                    values.get("presence", ""),
                    where=f"line {rows.line_num}: ",
                )
            )
    except csv.Error as exc:
        raise ParticipantError(f"line {rows.line_num}: not valid CSV ({exc})") from None
    if not found:
        raise ParticipantError("the file has a header row but no participants")
    return found


def register(meeting: Meeting, people: list[NewParticipant]) -> list[Registered]:
    """Add participants to the meeting (not saved), each with a personal link's key."""
    if len(meeting.participants) + len(people) > MAX_PARTICIPANTS:
        raise ParticipantError(f"a meeting can have at most {MAX_PARTICIPANTS} participants")
    done = []
    for person in people:
        participant = Participant(
            new_id(8), person.name, person.delegation, person.group, person.presence
        )
        meeting.participants.append(participant)
        key = auth.issue(meeting, "participant", None, person.name, participant.id)
        done.append(Registered(participant, key))
    return done


def reissue(meeting: Meeting, participant_id: str) -> Registered:
    """Revoke a participant's link and issue a new one (a lost or forwarded link)."""
    participant = meeting.participant(participant_id)
    if participant is None:
        raise ParticipantError(f"no participant {participant_id!r} in this meeting")
    for cred in meeting.credentials:
        if cred.participant == participant_id:
            cred.revoked = True
    key = auth.issue(meeting, "participant", None, participant.name, participant_id)
    return Registered(participant, key)
