"""Websocket commands of the speakers' list and the agenda (``{"type": "cmd", "op": …}``).

Each handler checks who is asking, parses its arguments and runs the rule
(server/domain/floor_rules.py, server/domain/agenda_rules.py) through ``RoomRuntime.execute``, which
decides against the room's current projection and appends with ``expect_seq``: two chairs acting at
once are serialised, and the second is decided on the list the first left (and refused with a clear
message if it no longer makes sense). Nothing is recorded when a command is refused. Ops and their
arguments: docs/chair.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.domain import agenda_rules, document_rules, floor, floor_rules
from server.domain.agenda import STATUSES, agenda_room
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import Draft, Event
from server.domain.state import RoomState
from server.limits import (
    MAX_AGENDA_ITEMS,
    MAX_AGENDA_NUMBER_CHARS,
    MAX_AGENDA_TITLE_CHARS,
    MAX_LABEL_CHARS,
    MAX_NOTE_CHARS,
    MAX_OUTCOME_CHARS,
    MAX_WAITING_ENTRIES,
)
from server.services import document_commands, record_commands
from server.services.command_args import (
    Args,
    bool_arg,
    by,
    ids_arg,
    int_arg,
    kind_arg,
    limit_ms_arg,
    me,
    need_int,
    require_chair,
    require_run,
    run,
    text_arg,
)
from server.services.commands import COMMANDS, CommandContext, command

# The rolling document's ops register themselves when their module is imported.
assert document_commands.REGISTERED
assert record_commands.REGISTERED


# -- participants ------------------------------------------------------------------------------
@command("floor.request")
async def floor_request(ctx: CommandContext, args: Args) -> list[Event]:
    """Ask for the floor; ``proposal`` (and ``doc``) names the proposal the request is about."""
    kind = kind_arg(args)
    note = text_arg(args, "note", MAX_NOTE_CHARS)
    named = document_commands.named_proposal(args)
    who = me(ctx)

    def decide(s: RoomState, now: int) -> Sequence[Draft]:
        about = document_rules.about(s, *named) if named else None
        return floor_rules.request(
            s, who, kind, note, by=by(ctx), chair=False, now=now, about=about
        )

    return await run(ctx, decide)


@command("floor.withdraw")
async def floor_withdraw(ctx: CommandContext, args: Args) -> list[Event]:
    entry = int_arg(args, "entry")
    kind = kind_arg(args) if entry is None else None
    who = me(ctx)
    return await run(
        ctx, lambda s, now: floor_rules.withdraw(s, who, entry, kind, by=by(ctx), now=now)
    )


# -- the chair: the list -----------------------------------------------------------------------
@command("floor.add")
async def floor_add(ctx: CommandContext, args: Args) -> list[Event]:
    """Add someone to the list: a registered participant by id, anyone by name, or the chair
    as the Chair (``chair: true``), counted for no delegation or stakeholder group."""
    require_run(ctx)
    kind = kind_arg(args)
    note = text_arg(args, "note", MAX_NOTE_CHARS)
    named = document_commands.named_proposal(args)
    pid = args.get("participant")
    if bool_arg(args, "chair", False):
        require_chair(ctx)
        name = text_arg(args, "name", MAX_LABEL_CHARS) or "Chair"
        who = floor.Who(None, name, chair=True)
    elif pid is not None:
        if not isinstance(pid, str):
            raise Invalid("bad_field", "'participant' must be a participant id")
        person = ctx.meeting.participant(pid)
        if person is None:
            raise CommandRejected("no_such_participant", "no such participant in this meeting")
        who = floor.Who(person.id, person.name, person.delegation, person.group, person.presence)
    else:
        name = text_arg(args, "name", MAX_LABEL_CHARS)
        if not name:
            raise Invalid("bad_field", "give the speaker's name (or a participant id)")
        group = text_arg(args, "group", MAX_LABEL_CHARS)
        if group:
            groups = ctx.meeting.groups
            match = next((g for g in groups if g.casefold() == group.casefold()), None)
            if match is None:
                raise Invalid(
                    "bad_field", f"unknown stakeholder group (one of: {', '.join(groups)})"
                )
            group = match
        presence = args.get("presence", "in_room")
        if presence not in floor.PRESENCES:
            raise Invalid("bad_field", "'presence' must be 'in_room' or 'remote'")
        delegation = text_arg(args, "delegation", MAX_LABEL_CHARS)
        who = floor.Who(None, name, delegation, group, str(presence))

    def decide(s: RoomState, now: int) -> Sequence[Draft]:
        about = document_rules.about(s, *named) if named else None
        return floor_rules.request(s, who, kind, note, by=by(ctx), chair=True, now=now, about=about)

    return await run(ctx, decide)


@command("floor.grant")
async def floor_grant(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    entry = int_arg(args, "entry")
    limit = limit_ms_arg(args)
    return await run(ctx, lambda s, now: floor_rules.grant(s, entry, limit, by=by(ctx), now=now))


@command("floor.end")
async def floor_end(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    intervention = int_arg(args, "intervention")
    return await run(ctx, lambda s, now: floor_rules.end(s, intervention, by=by(ctx), now=now))


@command("floor.pause")
async def floor_pause(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    intervention = int_arg(args, "intervention")
    return await run(ctx, lambda s, now: floor_rules.pause(s, intervention, by=by(ctx), now=now))


@command("floor.resume")
async def floor_resume(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    intervention = int_arg(args, "intervention")
    return await run(ctx, lambda s, now: floor_rules.resume(s, intervention, by=by(ctx), now=now))


@command("floor.limit")
async def floor_limit(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    intervention = int_arg(args, "intervention")
    limit = limit_ms_arg(args)
    return await run(
        ctx, lambda s, now: floor_rules.set_limit(s, intervention, limit, by=by(ctx), now=now)
    )


@command("floor.remove")
async def floor_remove(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    entry = need_int(args, "entry")
    return await run(ctx, lambda s, now: floor_rules.remove(s, entry, by=by(ctx), now=now))


@command("floor.reorder")
async def floor_reorder(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    order = ids_arg(args, "order", MAX_WAITING_ENTRIES)
    return await run(ctx, lambda s, now: floor_rules.reorder(s, order, by=by(ctx), now=now))


@command("floor.close")
async def floor_close(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    poo = bool_arg(args, "points_of_order", True)
    return await run(ctx, lambda s, now: floor_rules.close(s, poo, by=by(ctx), now=now))


@command("floor.open")
async def floor_open(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    return await run(ctx, lambda s, now: floor_rules.reopen(s, by=by(ctx), now=now))


@command("floor.readd")
async def floor_readd(ctx: CommandContext, args: Args) -> list[Event]:
    require_run(ctx)
    return await run(ctx, lambda s, now: floor_rules.readd_last(s, by=by(ctx), now=now))


# -- the chair: the agenda ---------------------------------------------------------------------
def _require_agenda_room(ctx: CommandContext) -> None:
    require_chair(ctx)
    home = agenda_room(ctx.meeting)
    if ctx.runtime.room_id != home:
        raise CommandRejected(
            "not_agenda_room", f"the agenda is kept in room {home!r}; edit it from there"
        )


def _item_fields(args: Args) -> tuple[str, str, int | None]:
    number = text_arg(args, "number", MAX_AGENDA_NUMBER_CHARS)
    title = text_arg(args, "title", MAX_AGENDA_TITLE_CHARS)
    if not title:
        raise Invalid("bad_field", "an agenda item needs a title")
    return number, title, int_arg(args, "parent")


@command("agenda.add")
async def agenda_add(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    number, title, parent = _item_fields(args)
    return await run(
        ctx, lambda s, now: agenda_rules.add_item(s, number, title, parent, by=by(ctx), now=now)
    )


@command("agenda.edit")
async def agenda_edit(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    item = need_int(args, "item")
    number, title, parent = _item_fields(args)
    return await run(
        ctx,
        lambda s, now: agenda_rules.change_item(
            s, item, number, title, parent, by=by(ctx), now=now
        ),
    )


@command("agenda.remove")
async def agenda_remove(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    item = need_int(args, "item")
    return await run(ctx, lambda s, now: agenda_rules.remove_item(s, item, by=by(ctx), now=now))


@command("agenda.reorder")
async def agenda_reorder(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    order = ids_arg(args, "order", MAX_AGENDA_ITEMS)
    return await run(ctx, lambda s, now: agenda_rules.reorder(s, order, by=by(ctx), now=now))


@command("agenda.adopt")
async def agenda_adopt(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    return await run(ctx, lambda s, now: agenda_rules.adopt(s, by=by(ctx), now=now))


@command("agenda.status")
async def agenda_status(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    item = need_int(args, "item")
    status = args.get("status")
    if status not in STATUSES:
        raise Invalid("bad_field", f"'status' must be one of: {', '.join(STATUSES)}")
    return await run(
        ctx, lambda s, now: agenda_rules.set_status(s, item, str(status), by=by(ctx), now=now)
    )


@command("agenda.outcome")
async def agenda_outcome(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    item = need_int(args, "item")
    text = text_arg(args, "text", MAX_OUTCOME_CHARS)
    return await run(
        ctx, lambda s, now: agenda_rules.set_outcome(s, item, text, by=by(ctx), now=now)
    )


@command("agenda.current")
async def agenda_current(ctx: CommandContext, args: Args) -> list[Event]:
    """Put this room on an agenda item (any room; ``item: null`` for none)."""
    require_run(ctx)
    item_id = int_arg(args, "item")
    home = agenda_room(ctx.meeting)
    in_home = ctx.runtime.room_id == home
    if in_home:
        source = ctx.runtime
    else:
        source = await ctx.rooms.get(ctx.meeting.id, home)

    def decide(state: RoomState, now: int) -> Sequence[Draft]:
        item = None
        if item_id is not None:
            item = source.state.agenda.item(item_id)
            if item is None:
                raise CommandRejected("no_such_item", f"there is no agenda item {item_id}")
        return agenda_rules.set_current(state, item, in_agenda_room=in_home, by=by(ctx), now=now)

    return await run(ctx, decide)


async def dispatch(ctx: CommandContext, op: str, args: Args) -> list[Event]:
    """Run the command named ``op``."""
    handler = COMMANDS.get(op)
    if handler is None:
        raise Invalid("unknown_op", f"unknown command {op[:40]!r}; see docs/protocol.md")
    return await handler(ctx, args)
