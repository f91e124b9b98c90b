"""Commands that put the record right: re-attributing a run of lines, correcting when an
intervention began and ended (``{"type": "cmd", "op": "line.reattribute" | "floor.correct"}``
over the websocket, and the same over HTTP: server/web/corrections_api.py).

The rules, and who may use them, are in server/domain/correction_rules.py. A room's record can be
put right after the room has closed: these commands correct what was recorded, they add nothing
to the meeting.
"""

from __future__ import annotations

from typing import Any

from server.domain import correction_rules
from server.domain.agenda import agenda_room
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import Draft, Event
from server.domain.meetings import Meeting
from server.domain.state import RoomState
from server.limits import MAX_ID, MAX_LABEL_CHARS
from server.services.command_args import Args, by, int_arg, need_int, run, text_arg
from server.services.commands import CommandContext, command

REGISTERED = True  # imported for its side effect: the ops below are registered


def attribution_args(meeting: Meeting, args: Args) -> dict[str, Any]:
    """The attribution fields a command gives (a field given as ``null`` clears it)."""
    out: dict[str, Any] = {}
    if "speaker" in args:
        out["speaker"] = text_arg(args, "speaker", MAX_LABEL_CHARS)
    if "delegation" in args:
        out["delegation"] = (
            None if args["delegation"] is None else text_arg(args, "delegation", MAX_LABEL_CHARS)
        )
    if "participant" in args:
        pid = args["participant"]
        if pid is not None:
            if not isinstance(pid, str) or meeting.participant(pid) is None:
                raise CommandRejected("no_such_participant", "no such participant in this meeting")
        out["participant"] = pid
    for name in ("intervention", "item", "doc"):
        if name in args:
            out[name] = int_arg(args, name)  # an id, or null: none
    if "proposal" in args:
        value = args["proposal"]
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise Invalid("bad_field", "'proposal' must be a proposal's id, like A.3, or null")
        out["proposal"] = None if value is None else value.strip().upper()[:20]
    return out


async def _agenda_items(ctx: CommandContext) -> set[int]:
    home = agenda_room(ctx.meeting)
    if ctx.runtime.room_id == home:
        source = ctx.runtime
    else:
        source = await ctx.rooms.get(ctx.meeting.id, home)
    return {item.id for item in source.state.agenda.items}


@command("line.reattribute")
async def line_reattribute(ctx: CommandContext, args: Args) -> list[Event]:
    """Re-attribute line ``line`` (through line ``through``, a run): speaker, delegation,
    intervention, agenda item, proposal."""
    first = need_int(args, "line")
    through = int_arg(args, "through")
    given = attribution_args(ctx.meeting, args)
    items = await _agenda_items(ctx)
    who = correction_rules.Corrector(ctx.grant, ctx.name)

    def decide(state: RoomState, now: int) -> list[Draft]:
        lines = correction_rules.run_of(state, first, through)
        changes = correction_rules.resolve(state, given, items)
        return [correction_rules.reattribute(state, lines, changes, who, now)]

    return await run(ctx, decide)


def _time_arg(args: Args, name: str) -> int | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise Invalid("bad_field", f"'{name}' must be a time in ms since the epoch")
    return value


@command("floor.correct")
async def floor_correct(ctx: CommandContext, args: Args) -> list[Event]:
    """Correct when intervention ``intervention`` began (``began``) and ended (``ended``)."""
    if not (ctx.grant.may_manage() or ctx.grant.may_run(ctx.runtime.room_id)):
        raise CommandRejected(
            "forbidden", "only the chair, the secretariat or this group's convener can do this"
        )
    intervention = need_int(args, "intervention")
    began, ended = _time_arg(args, "began"), _time_arg(args, "ended")
    if began is None and ended is None:
        raise Invalid("bad_field", "give the corrected 'began' or 'ended' (ms since the epoch)")
    return await run(
        ctx,
        lambda s, now: [
            correction_rules.correct_times(s, intervention, began, ended, by(ctx), now)
        ],
    )
