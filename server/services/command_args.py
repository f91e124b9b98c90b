"""What every room command checks first: its arguments (types and bounds) and who is asking.

Shared by the speakers' list and agenda commands (server/services/room_commands.py) and the
rolling document's (server/services/document_commands.py). Roles are checked on the server,
from the link's grant (server/domain/auth.py): the chair runs every room; a convener runs the
one group room of their link; the secretariat manages participants, documents and the record
without running the floor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from server.domain import floor
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import Draft, Event, now_ms
from server.domain.state import RoomState
from server.domain.text import text_field
from server.limits import MAX_ID, MAX_SPEAKING_LIMIT_S
from server.services.commands import CommandContext

Args = dict[str, Any]
Rule = Callable[[RoomState, int], Sequence[Draft]]


# -- arguments ---------------------------------------------------------------------------------
def int_arg(args: Args, name: str, *, required: bool = False) -> int | None:
    value = args.get(name)
    if value is None:
        if required:
            raise Invalid("bad_field", f"'{name}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise Invalid("bad_field", f"'{name}' must be a whole number")
    return value


def need_int(args: Args, name: str) -> int:
    value = int_arg(args, name, required=True)
    assert value is not None
    return value


def text_arg(args: Args, name: str, limit: int, *, required: bool = False) -> str:
    return text_field(args.get(name), f"'{name}'", limit, required=required)


def kind_arg(args: Args) -> str:
    kind = args.get("kind", "speak")
    if kind not in floor.KINDS:
        raise Invalid("bad_field", f"'kind' must be one of: {', '.join(floor.KINDS)}")
    return str(kind)


def ids_arg(args: Args, name: str, limit: int) -> list[int]:
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


def texts_arg(args: Args, name: str, limit: int, count: int) -> list[str]:
    """A list of at most ``count`` short texts, each cleaned and at most ``limit`` long."""
    value = args.get(name)
    if not isinstance(value, list) or len(value) > count:
        raise Invalid("bad_field", f"'{name}' must be a list of at most {count} texts")
    return [text_field(v, f"each of '{name}'", limit) for v in value]


def limit_ms_arg(args: Args) -> int | None:
    seconds = int_arg(args, "limit_s")
    if not seconds:
        return None  # 0 or absent: no limit
    if seconds > MAX_SPEAKING_LIMIT_S:
        raise Invalid(
            "bad_field", f"a speaking-time limit is at most {MAX_SPEAKING_LIMIT_S} seconds"
        )
    return seconds * 1000


def bool_arg(args: Args, name: str, default: bool) -> bool:
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise Invalid("bad_field", f"'{name}' must be true or false")
    return value


# -- who is asking -----------------------------------------------------------------------------
def require_chair(ctx: CommandContext) -> None:
    if ctx.grant.role != "chair":
        raise CommandRejected("forbidden", "only the chair can do this (open the chair's link)")


def require_run(ctx: CommandContext) -> None:
    """The chair, or the convener of this very room: who runs its floor and its share."""
    if not ctx.grant.may_run(ctx.runtime.room_id):
        if ctx.grant.role == "convener":
            raise CommandRejected("forbidden", "a convener's link runs only its own group's room")
        raise CommandRejected("forbidden", "only the chair (or this group's convener) can do this")


def require_manage(ctx: CommandContext) -> None:
    """The chair or the secretariat: who manage documents, participants and the record."""
    if not ctx.grant.may_manage():
        raise CommandRejected("forbidden", "only the chair or the secretariat can do this")


def me(ctx: CommandContext) -> floor.Who:
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


def by(ctx: CommandContext) -> str:
    return ctx.name


async def run(ctx: CommandContext, rule: Rule) -> list[Event]:
    # The time is read each time the rule is decided (again after a conflict), so recorded
    # durations always match the event's own ts.
    return await ctx.runtime.execute(lambda state: rule(state, now_ms()), ctx.cursor)
