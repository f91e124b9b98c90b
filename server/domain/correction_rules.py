"""Putting the record right: a line's text, what a run of lines is attributed to, when an
intervention began and ended. Decided against the room's projection; nothing here does I/O.

A correction is a new event: what the line said, who it was attributed to, when the speaker had
the floor are kept in the record beside the new values, with who changed them and when
(docs/events.md: ``correction``, ``line.reattributed``, ``floor.corrected``). A correction that
changes nothing is refused (``unchanged``) and nothing is recorded, so the record's history holds
only real changes.

Who may correct:

- a line's text: the chair, or a captioner of the room (as before);
- a line's attribution: the chair, the secretariat, or the captioner who wrote the line (a
  captioner link of the room, under the name the line carries);
- an intervention's times: the chair, the secretariat, or the convener of the room.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from server.domain import document_rules
from server.domain.auth import Grant
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import JSON, Draft
from server.domain.floor import Held
from server.domain.state import ATTRIBUTION, Line, RoomState
from server.limits import MAX_REATTRIBUTED_LINES

# How each field of an attribution is named in a refusal.
_FIELD_NAMES = {
    "speaker": "speaker",
    "delegation": "delegation",
    "participant": "participant",
    "intervention": "intervention",
    "item": "agenda item",
    "doc": "document",
    "proposal": "proposal",
}


# -- the text --------------------------------------------------------------------------------------
def correct_text(state: RoomState, line_seq: int, text: str, captioner: str, now: int) -> Draft:
    """A ``correction`` of a line's text; refused when the line already says exactly that."""
    line = state.require_line(line_seq)
    if text == line.text:
        raise CommandRejected(
            "unchanged", f"line {line_seq} already reads so: the correction changes nothing"
        )
    data: JSON = {"line": line_seq, "text": text, "was": line.text, "captioner": captioner}
    return state.draft("correction", data, now)


# -- the attribution -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Corrector:
    """Who asks for a re-attribution: their grant and the name they act under."""

    grant: Grant
    name: str

    def may_reattribute(self, room: str, line: Line) -> bool:
        if self.grant.role in ("chair", "secretariat"):
            return True
        return (
            self.grant.role == "captioner"
            and self.grant.room in (None, room)
            and line.captioner == self.name
        )


def run_of(state: RoomState, first: int, through: int | None) -> list[Line]:
    """The committed lines from ``first`` to ``through`` (both included), in order."""
    state.require_line(first)
    last = first if through is None else through
    if last < first:
        raise Invalid("bad_field", "'through' must be the seq of a line at or after 'line'")
    state.require_line(last)
    lines = [state.lines[s] for s in sorted(state.lines) if first <= s <= last]
    if len(lines) > MAX_REATTRIBUTED_LINES:
        raise Invalid("too_many", f"re-attribute at most {MAX_REATTRIBUTED_LINES} lines at a time")
    return lines


def _held(state: RoomState, intervention: int) -> Held:
    held = state.floor.held.get(intervention)
    if held is None:
        raise CommandRejected(
            "no_such_intervention", f"there is no intervention {intervention} in this room"
        )
    return held


def resolve(state: RoomState, given: Mapping[str, Any], items: Collection[int]) -> dict[str, Any]:
    """The complete new values a re-attribution sets, from the fields given: naming an
    intervention names its speaker too (unless a speaker is given), leaving every intervention
    leaves its delegation and participant; every id must exist (``items``: the agenda's)."""
    out = {k: v for k, v in given.items() if k in ATTRIBUTION}
    if not out:
        raise Invalid(
            "bad_field",
            "say what the lines are attributed to: speaker, delegation, intervention, item "
            "or proposal",
        )
    if "intervention" in out:
        ref = out["intervention"]
        if ref is None:
            out.setdefault("delegation", None)
            out.setdefault("participant", None)
        else:
            who = _held(state, ref).who
            out.setdefault("speaker", who.name)
            out.setdefault("delegation", who.delegation)
            out.setdefault("participant", who.participant)
    item = out.get("item")
    if item is not None and item not in items:
        raise CommandRejected("no_such_item", f"there is no agenda item {item}")
    if "proposal" in out or "doc" in out:
        proposal = out.get("proposal")
        if proposal is None:
            out["doc"] = out["proposal"] = None
        else:
            doc = document_rules.require_doc(state, document_rules.which_doc(state, out.get("doc")))
            if doc.proposal(proposal) is None:
                raise CommandRejected(
                    "no_such_proposal", f"there is no proposal {proposal!r} in “{doc.title}”"
                )
            out["doc"] = doc.id
    return out


def reattribute(
    state: RoomState,
    lines: list[Line],
    changes: Mapping[str, Any],
    who: Corrector,
    now: int,
) -> Draft:
    """A ``line.reattributed`` of the lines whose attribution ``changes`` changes; refused when
    it changes none of them, or when the corrector may not re-attribute one of them."""
    for line in lines:
        if not who.may_reattribute(state.room, line):
            raise CommandRejected(
                "forbidden",
                f"line {line.seq} was written by {line.captioner or 'another captioner'}: only "
                "its captioner, the chair or the secretariat can re-attribute it",
            )
    changed: list[int] = []
    was: list[JSON] = []
    for line in lines:
        old = line.attribution()
        differs = {k: old[k] for k, v in changes.items() if old[k] != v}
        if differs:
            changed.append(line.seq)
            was.append({"line": line.seq, **differs})
    if not changed:
        fields = ", ".join(_FIELD_NAMES[k] for k in changes)
        first, last = lines[0].seq, lines[-1].seq
        which = f"line {first}" if first == last else f"lines {first} to {last}"
        raise CommandRejected(
            "unchanged",
            f"{which} already {'has' if len(lines) == 1 else 'have'} this {fields}: "
            "the re-attribution changes nothing",
        )
    data: JSON = {
        "lines": changed,
        "set": dict(changes),
        "was": was,
        "by": who.name,
        "role": who.grant.role,
    }
    return state.draft("line.reattributed", data, now)


# -- an intervention's times -----------------------------------------------------------------------
def correct_times(
    state: RoomState,
    intervention: int,
    began: int | None,
    ended: int | None,
    by: str,
    now: int,
) -> Draft:
    """A ``floor.corrected``: when an intervention really began and ended (a speaker given the
    floor late, an intervention ended late). It stays within the interventions either side of
    it, so two never overlap; speaking time is recomputed, pauses kept."""
    held = _held(state, intervention)
    new_began = held.began if began is None else began
    new_ended = held.ended if ended is None else ended
    if ended is not None and held.ended is None:
        raise CommandRejected(
            "running", f"intervention {intervention} is still running: end it first"
        )
    if new_began > now:
        raise Invalid("bad_field", "an intervention cannot begin in the future")
    if new_ended is not None and new_ended <= new_began:
        raise Invalid("bad_field", "an intervention must end after it begins")
    ordered = sorted(state.floor.held.values(), key=lambda h: h.began)
    at = ordered.index(held)
    before = ordered[at - 1] if at > 0 else None
    after = ordered[at + 1] if at + 1 < len(ordered) else None
    if before is not None and before.ended is not None and new_began < before.ended:
        raise CommandRejected(
            "overlap",
            f"{before.who.name} had the floor until then (intervention {before.id}): correct "
            "the end of that intervention first",
        )
    if after is not None and new_ended is not None and new_ended > after.began:
        raise CommandRejected(
            "overlap",
            f"{after.who.name} had the floor from then (intervention {after.id}): correct the "
            "start of that intervention first",
        )
    if new_began == held.began and new_ended == held.ended:
        raise CommandRejected(
            "unchanged",
            f"intervention {intervention} already began and ended at those times: the "
            "correction changes nothing",
        )
    data: JSON = {
        "intervention": intervention,
        "began": new_began,
        "ended": new_ended,
        "was": {"began": held.began, "ended": held.ended, "spoken_ms": held.spoken_ms},
        "by": by,
    }
    if new_ended is not None and held.ended is not None:
        data["spoken_ms"] = max(0, new_ended - new_began - held.paused_ms)
    return state.draft("floor.corrected", data, now)
