"""Websocket commands of the speakers' list and the agenda (``{"type": "cmd", "op": …}``).

Each handler checks who is asking, parses its arguments and runs the rule
(server/domain/floor_rules.py, server/domain/agenda_rules.py) through ``RoomRuntime.execute``, which
decides against the room's current projection and appends with ``expect_seq``: two chairs acting at
once are serialised, and the second is decided on the list the first left (and refused with a clear
message if it no longer makes sense). Nothing is recorded when a command is refused. Ops and their
arguments: docs/chair.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from server.domain import agenda_rules, floor, floor_rules
from server.domain.agenda import STATUSES, agenda_room
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import Draft, Event, now_ms
from server.domain.state import RoomState
from server.domain.text import text_field
from server.limits import (
    MAX_AGENDA_ITEMS,
    MAX_AGENDA_NUMBER_CHARS,
    MAX_AGENDA_TITLE_CHARS,
    MAX_ID,
    MAX_LABEL_CHARS,
    MAX_NOTE_CHARS,
    MAX_OUTCOME_CHARS,
    MAX_SPEAKING_LIMIT_S,
    MAX_WAITING_ENTRIES,
)
from server.services.commands import COMMANDS, CommandContext, command

Args = dict[str, Any]


# -- arguments ---------------------------------------------------------------------------------
def _int(args: Args, name: str, *, required: bool = False) -> int | None:
    value = args.get(name)
    if value is None:
        if required:
            raise Invalid("bad_field", f"'{name}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise Invalid("bad_field", f"'{name}' must be a whole number")
    return value


def _need_int(args: Args, name: str) -> int:
    value = _int(args, name, required=True)
    assert value is not None
    return value


def _text(args: Args, name: str, limit: int) -> str:
    return text_field(args.get(name), f"'{name}'", limit)


def _kind(args: Args) -> str:
    kind = args.get("kind", "speak")
    if kind not in floor.KINDS:
        raise Invalid("bad_field", f"'kind' must be one of: {', '.join(floor.KINDS)}")
    return str(kind)


def _ids(args: Args, name: str, limit: int) -> list[int]:
    value = args.get(name)
    if (
        not isinstance(value, list)
        or len(value) > limit
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise Invalid("bad_field", f"'{name}' must be a list of ids")
    if len(set(value)) != len(value):
        raise Invalid("bad_field", f"'{name}' lists an id twice")
    return list(value)


def _limit_ms(args: Args) -> int | None:
    seconds = _int(args, "limit_s")
    if not seconds:
        return None  # 0 or absent: no limit
    if seconds > MAX_SPEAKING_LIMIT_S:
        raise Invalid(
            "bad_field", f"a speaking-time limit is at most {MAX_SPEAKING_LIMIT_S} seconds"
        )
    return seconds * 1000


def _bool(args: Args, name: str, default: bool) -> bool:
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise Invalid("bad_field", f"'{name}' must be true or false")
    return value


# -- who is asking -----------------------------------------------------------------------------
def _require_chair(ctx: CommandContext) -> None:
    if ctx.grant.role != "chair":
        raise CommandRejected("forbidden", "only the chair can do this (open the chair's link)")


def _me(ctx: CommandContext) -> floor.Who:
    """The participant a personal link belongs to, as the record names them."""
    if ctx.grant.role != "participant" or ctx.grant.participant is None:
        raise CommandRejected(
            "forbidden", "to ask for the floor, open your personal participant link"
        )
    meeting = ctx.meeting  # read for this command: registrations and revocations since count
    cred = meeting.credential(ctx.grant.credential_id or "")
    person = meeting.participant(ctx.grant.participant)
    if cred is None or cred.revoked or person is None:
        raise CommandRejected("forbidden", "this link is no longer valid; ask for a new one")
    return floor.Who(person.id, person.name, person.delegation, person.group, person.presence)


def _by(ctx: CommandContext) -> str:
    return ctx.name


Rule = Callable[[RoomState, int], Sequence[Draft]]


async def _run(ctx: CommandContext, rule: Rule) -> list[Event]:
    # The time is read each time the rule is decided (again after a conflict), so recorded
    # durations always match the event's own ts.
    return await ctx.runtime.execute(lambda state: rule(state, now_ms()), ctx.cursor)


# -- participants ------------------------------------------------------------------------------
@command("floor.request")
async def floor_request(ctx: CommandContext, args: Args) -> list[Event]:
    kind = _kind(args)
    note = _text(args, "note", MAX_NOTE_CHARS)
    who = _me(ctx)
    return await _run(
        ctx,
        lambda s, now: floor_rules.request(s, who, kind, note, by=_by(ctx), chair=False, now=now),
    )


@command("floor.withdraw")
async def floor_withdraw(ctx: CommandContext, args: Args) -> list[Event]:
    entry = _int(args, "entry")
    kind = _kind(args) if entry is None else None
    who = _me(ctx)
    return await _run(
        ctx, lambda s, now: floor_rules.withdraw(s, who, entry, kind, by=_by(ctx), now=now)
    )


# -- the chair: the list -----------------------------------------------------------------------
@command("floor.add")
async def floor_add(ctx: CommandContext, args: Args) -> list[Event]:
    """Add someone to the list: a registered participant by id, or anyone by name."""
    _require_chair(ctx)
    kind = _kind(args)
    note = _text(args, "note", MAX_NOTE_CHARS)
    pid = args.get("participant")
    if pid is not None:
        if not isinstance(pid, str):
            raise Invalid("bad_field", "'participant' must be a participant id")
        person = ctx.meeting.participant(pid)
        if person is None:
            raise CommandRejected("no_such_participant", "no such participant in this meeting")
        who = floor.Who(person.id, person.name, person.delegation, person.group, person.presence)
    else:
        name = _text(args, "name", MAX_LABEL_CHARS)
        if not name:
            raise Invalid("bad_field", "give the speaker's name (or a participant id)")
        group = _text(args, "group", MAX_LABEL_CHARS)
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
        delegation = _text(args, "delegation", MAX_LABEL_CHARS)
        who = floor.Who(None, name, delegation, group, str(presence))
    return await _run(
        ctx,
        lambda s, now: floor_rules.request(s, who, kind, note, by=_by(ctx), chair=True, now=now),
    )


@command("floor.grant")
async def floor_grant(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    entry = _int(args, "entry")
    limit = _limit_ms(args)
    return await _run(ctx, lambda s, now: floor_rules.grant(s, entry, limit, by=_by(ctx), now=now))


@command("floor.end")
async def floor_end(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    intervention = _int(args, "intervention")
    return await _run(ctx, lambda s, now: floor_rules.end(s, intervention, by=_by(ctx), now=now))


@command("floor.pause")
async def floor_pause(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    intervention = _int(args, "intervention")
    return await _run(ctx, lambda s, now: floor_rules.pause(s, intervention, by=_by(ctx), now=now))


@command("floor.resume")
async def floor_resume(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    intervention = _int(args, "intervention")
    return await _run(ctx, lambda s, now: floor_rules.resume(s, intervention, by=_by(ctx), now=now))


@command("floor.limit")
async def floor_limit(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    intervention = _int(args, "intervention")
    limit = _limit_ms(args)
    return await _run(
        ctx, lambda s, now: floor_rules.set_limit(s, intervention, limit, by=_by(ctx), now=now)
    )


@command("floor.remove")
async def floor_remove(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    entry = _need_int(args, "entry")
    return await _run(ctx, lambda s, now: floor_rules.remove(s, entry, by=_by(ctx), now=now))


@command("floor.reorder")
async def floor_reorder(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    order = _ids(args, "order", MAX_WAITING_ENTRIES)
    return await _run(ctx, lambda s, now: floor_rules.reorder(s, order, by=_by(ctx), now=now))


@command("floor.close")
async def floor_close(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    poo = _bool(args, "points_of_order", True)
    return await _run(ctx, lambda s, now: floor_rules.close(s, poo, by=_by(ctx), now=now))


@command("floor.open")
async def floor_open(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    return await _run(ctx, lambda s, now: floor_rules.reopen(s, by=_by(ctx), now=now))


@command("floor.readd")
async def floor_readd(ctx: CommandContext, args: Args) -> list[Event]:
    _require_chair(ctx)
    return await _run(ctx, lambda s, now: floor_rules.readd_last(s, by=_by(ctx), now=now))


# -- the chair: the agenda ---------------------------------------------------------------------
def _require_agenda_room(ctx: CommandContext) -> None:
    _require_chair(ctx)
    home = agenda_room(ctx.meeting)
    if ctx.runtime.room_id != home:
        raise CommandRejected(
            "not_agenda_room", f"the agenda is kept in room {home!r}; edit it from there"
        )


def _item_fields(args: Args) -> tuple[str, str, int | None]:
    number = _text(args, "number", MAX_AGENDA_NUMBER_CHARS)
    title = _text(args, "title", MAX_AGENDA_TITLE_CHARS)
    if not title:
        raise Invalid("bad_field", "an agenda item needs a title")
    return number, title, _int(args, "parent")


@command("agenda.add")
async def agenda_add(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    number, title, parent = _item_fields(args)
    return await _run(
        ctx, lambda s, now: agenda_rules.add_item(s, number, title, parent, by=_by(ctx), now=now)
    )


@command("agenda.edit")
async def agenda_edit(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    item = _need_int(args, "item")
    number, title, parent = _item_fields(args)
    return await _run(
        ctx,
        lambda s, now: agenda_rules.change_item(
            s, item, number, title, parent, by=_by(ctx), now=now
        ),
    )


@command("agenda.remove")
async def agenda_remove(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    item = _need_int(args, "item")
    return await _run(ctx, lambda s, now: agenda_rules.remove_item(s, item, by=_by(ctx), now=now))


@command("agenda.reorder")
async def agenda_reorder(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    order = _ids(args, "order", MAX_AGENDA_ITEMS)
    return await _run(ctx, lambda s, now: agenda_rules.reorder(s, order, by=_by(ctx), now=now))


@command("agenda.adopt")
async def agenda_adopt(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    return await _run(ctx, lambda s, now: agenda_rules.adopt(s, by=_by(ctx), now=now))


@command("agenda.status")
async def agenda_status(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    item = _need_int(args, "item")
    status = args.get("status")
    if status not in STATUSES:
        raise Invalid("bad_field", f"'status' must be one of: {', '.join(STATUSES)}")
    return await _run(
        ctx, lambda s, now: agenda_rules.set_status(s, item, str(status), by=_by(ctx), now=now)
    )


@command("agenda.outcome")
async def agenda_outcome(ctx: CommandContext, args: Args) -> list[Event]:
    _require_agenda_room(ctx)
    item = _need_int(args, "item")
    text = _text(args, "text", MAX_OUTCOME_CHARS)
    return await _run(
        ctx, lambda s, now: agenda_rules.set_outcome(s, item, text, by=_by(ctx), now=now)
    )


@command("agenda.current")
async def agenda_current(ctx: CommandContext, args: Args) -> list[Event]:
    """Put this room on an agenda item (any room; ``item: null`` for none)."""
    _require_chair(ctx)
    item_id = _int(args, "item")
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
        return agenda_rules.set_current(state, item, in_agenda_room=in_home, by=_by(ctx), now=now)

    return await _run(ctx, decide)


async def dispatch(ctx: CommandContext, op: str, args: Args) -> list[Event]:
    """Run the command named ``op``."""
    handler = COMMANDS.get(op)
    if handler is None:
        raise Invalid("unknown_op", f"unknown command {op[:40]!r}; see docs/protocol.md")
    return await handler(ctx, args)
