"""Websocket commands of the rolling document (``{"type": "cmd", "op": "doc.…"}``).

Who may do what (checked here, on the server): in the agenda room the chair and the secretariat
keep the document (create it, add and change proposals, record statuses), and the chair alone
runs the discussion (which proposal is under discussion) and deals with groups (tasking them,
endorsing or taking up their version). In a group's room the chair or that group's convener
works on its share and runs its discussion. Each op runs its rule
(server/domain/document_rules.py, share_rules.py) through ``RoomRuntime.execute``, like the
floor's. Ops and arguments: docs/chair.md.
"""

from __future__ import annotations

from server.domain import document_import, document_rules, share_rules
from server.domain.agenda import agenda_room
from server.domain.document import KINDS, STATUSES, Submitter
from server.domain.errors import CommandRejected, Invalid
from server.domain.events import Draft, Event, now_ms
from server.domain.meetings import Meeting
from server.domain.state import RoomState
from server.limits import (
    MAX_AGENDA_TITLE_CHARS,
    MAX_CATEGORIES,
    MAX_CATEGORY_LETTER_CHARS,
    MAX_DOCUMENT_DESCRIPTION_CHARS,
    MAX_DOCUMENT_TITLE_CHARS,
    MAX_LABEL_CHARS,
    MAX_MERGED,
    MAX_PROPOSAL_CHARS,
    MAX_PROPOSALS,
    MAX_SPLIT_PARTS,
    MAX_SUBMITTERS,
)
from server.services import documents
from server.services.command_args import (
    Args,
    by,
    int_arg,
    require_chair,
    require_manage,
    require_run,
    run,
    text_arg,
    texts_arg,
)
from server.services.commands import CommandContext, command
from server.services.room import Rooms

REGISTERED = True  # imported for its side effect: the ops below are registered


# -- arguments -------------------------------------------------------------------------------------
def _doc(args: Args) -> int | None:
    return int_arg(args, "doc")


def _pid(args: Args, name: str = "proposal") -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Invalid("bad_field", f"'{name}' must be a proposal's id, like A.3")
    return value.strip().upper()[:20]


def _pids(args: Args) -> list[str]:
    """``proposals`` (a list of ids) or ``proposal`` (one)."""
    if "proposals" not in args:
        return [_pid(args)]
    value = args["proposals"]
    if not isinstance(value, list) or not value or len(value) > MAX_PROPOSALS:
        raise Invalid("bad_field", "'proposals' must be a list of proposal ids")
    ids = [_pid({"proposal": v}) for v in value]
    if len(set(ids)) != len(ids):
        raise Invalid("bad_field", "'proposals' lists an id twice")
    return ids


def _letter(args: Args, name: str) -> str:
    value = args.get(name)
    if (
        not isinstance(value, str)
        or not value.isalpha()
        or not value.isascii()
        or not 1 <= len(value) <= MAX_CATEGORY_LETTER_CHARS
    ):
        raise Invalid("bad_field", f"'{name}' must be a category's letter, like A")
    return value.upper()


def _choice(args: Args, name: str, table: dict[str, str]) -> str:
    value = args.get(name)
    if value not in table:
        raise Invalid("bad_field", f"'{name}' must be one of: {', '.join(table)}")
    return str(value)


def _proposal_text(args: Args, name: str = "text") -> str:
    return text_arg(args, name, MAX_PROPOSAL_CHARS, required=True)


def named_proposal(args: Args) -> tuple[int | None, str] | None:
    """The proposal a floor request names (``proposal`` and optionally ``doc``), if any."""
    if args.get("proposal") in (None, ""):
        return None
    return _doc(args), _pid(args)


def _in_agenda_room(ctx: CommandContext) -> bool:
    return ctx.runtime.room_id == agenda_room(ctx.meeting)


def _require_agenda_room(ctx: CommandContext) -> None:
    if not _in_agenda_room(ctx):
        home = agenda_room(ctx.meeting)
        raise CommandRejected(
            "not_agenda_room", f"documents are kept in room {home!r}; do this from there"
        )


def _require_edit(ctx: CommandContext) -> None:
    """Changing proposals: the chair or the secretariat in the agenda room; the chair or the
    group's convener in a group's room."""
    if _in_agenda_room(ctx):
        require_manage(ctx)
    else:
        require_run(ctx)


def _submitters(ctx: CommandContext, args: Args) -> tuple[Submitter, ...]:
    names = texts_arg(args, "submitted_by", MAX_LABEL_CHARS, MAX_SUBMITTERS) if (
        "submitted_by" in args
    ) else []  # fmt: skip
    return document_import.resolve([n for n in names if n], ctx.meeting.participants)


# -- keeping the document --------------------------------------------------------------------------
def _creation(args: Args) -> tuple[str, str, str, list[tuple[str, str]]]:
    title = text_arg(args, "title", MAX_DOCUMENT_TITLE_CHARS, required=True)
    description = text_arg(args, "description", MAX_DOCUMENT_DESCRIPTION_CHARS)
    posted = text_arg(args, "posted", 10)
    raw = args.get("categories", [])
    if not isinstance(raw, list) or len(raw) > MAX_CATEGORIES:
        raise Invalid("bad_field", "'categories' must be a list of {letter, title}")
    categories = [
        (_letter(c, "letter"), text_arg(c, "title", MAX_LABEL_CHARS))
        for c in raw
        if isinstance(c, dict)
    ]
    if len(categories) != len(raw):
        raise Invalid("bad_field", "'categories' must be a list of {letter, title}")
    return title, description, posted, categories


@command("doc.create")
async def doc_create(ctx: CommandContext, args: Args) -> list[Event]:
    """An empty document with its categories (a file is imported over HTTP)."""
    require_manage(ctx)
    _require_agenda_room(ctx)
    title, description, posted, categories = _creation(args)
    return await run(
        ctx,
        lambda s, now: document_rules.create(
            s, title, description, posted, categories, by=by(ctx), now=now
        ),
    )


async def create_from_json(rooms: Rooms, meeting: Meeting, body: Args, who: str) -> int:
    """``POST …/documents`` with JSON: the same as ``doc.create``. Returns the document's id."""
    title, description, posted, categories = _creation(body)
    home = await documents.plenary(rooms, meeting)
    events = await home.execute(
        lambda s: document_rules.create(
            s, title, description, posted, categories, by=who, now=now_ms()
        )
    )
    return events[0].seq


@command("doc.category")
async def doc_category(ctx: CommandContext, args: Args) -> list[Event]:
    require_manage(ctx)
    _require_agenda_room(ctx)
    doc, letter = _doc(args), _letter(args, "letter")
    title = text_arg(args, "title", MAX_LABEL_CHARS)
    return await run(
        ctx,
        lambda s, now: document_rules.add_category(
            s, document_rules.which_doc(s, doc), letter, title, by=by(ctx), now=now
        ),
    )


@command("doc.propose")
async def doc_propose(ctx: CommandContext, args: Args) -> list[Event]:
    _require_edit(ctx)
    doc = _doc(args)
    new = document_rules.NewProposal(
        _letter(args, "category"),
        _proposal_text(args),
        _choice(args, "kind", KINDS) if "kind" in args else "unsorted",
        _submitters(ctx, args),
    )
    return await run(
        ctx,
        lambda s, now: document_rules.propose(
            s, document_rules.which_doc(s, doc), new, by=by(ctx), now=now
        ),
    )


@command("doc.revise")
async def doc_revise(ctx: CommandContext, args: Args) -> list[Event]:
    _require_edit(ctx)
    doc, pid, text, rev = _doc(args), _pid(args), _proposal_text(args), int_arg(args, "rev")
    return await run(
        ctx,
        lambda s, now: document_rules.revise(
            s, document_rules.which_doc(s, doc), pid, text, rev, by=by(ctx), now=now
        ),
    )


@command("doc.split")
async def doc_split(ctx: CommandContext, args: Args) -> list[Event]:
    _require_edit(ctx)
    doc, pid, rev = _doc(args), _pid(args), int_arg(args, "rev")
    parts = texts_arg(args, "parts", MAX_PROPOSAL_CHARS, MAX_SPLIT_PARTS)
    if any(not p for p in parts):
        raise Invalid("bad_field", "each part of a split needs some text")
    raw_kinds = args.get("kinds", [])
    if not isinstance(raw_kinds, list):
        raise Invalid("bad_field", "'kinds' must be a list")
    kinds = [_choice({"kind": k}, "kind", KINDS) for k in raw_kinds]
    return await run(
        ctx,
        lambda s, now: document_rules.split(
            s, document_rules.which_doc(s, doc), pid, parts, kinds, rev, by=by(ctx), now=now
        ),
    )


@command("doc.merge")
async def doc_merge(ctx: CommandContext, args: Args) -> list[Event]:
    _require_edit(ctx)
    doc, text = _doc(args), _proposal_text(args)
    pids = _pids(args)
    if len(pids) > MAX_MERGED:
        raise Invalid("bad_field", f"merge at most {MAX_MERGED} proposals at once")
    raw = args.get("revs", {})
    if not isinstance(raw, dict):
        raise Invalid("bad_field", "'revs' must map proposal ids to the rev you saw")
    revs = {}
    for key, value in raw.items():
        rev = int_arg({"rev": value}, "rev")
        if rev is not None:
            revs[str(key).upper()] = rev
    return await run(
        ctx,
        lambda s, now: document_rules.merge(
            s, document_rules.which_doc(s, doc), pids, text, revs, by=by(ctx), now=now
        ),
    )


@command("doc.move")
async def doc_move(ctx: CommandContext, args: Args) -> list[Event]:
    _require_edit(ctx)
    doc, pid, rev = _doc(args), _pid(args), int_arg(args, "rev")
    category = _letter(args, "category")
    return await run(
        ctx,
        lambda s, now: document_rules.move(
            s, document_rules.which_doc(s, doc), pid, category, rev, by=by(ctx), now=now
        ),
    )


@command("doc.kind")
async def doc_kind(ctx: CommandContext, args: Args) -> list[Event]:
    _require_edit(ctx)
    doc, pids, kind = _doc(args), _pids(args), _choice(args, "kind", KINDS)
    return await run(
        ctx,
        lambda s, now: document_rules.set_kind(
            s, document_rules.which_doc(s, doc), pids, kind, by=by(ctx), now=now
        ),
    )


@command("doc.status")
async def doc_status(ctx: CommandContext, args: Args) -> list[Event]:
    _require_edit(ctx)
    doc, pids, status = _doc(args), _pids(args), _choice(args, "status", STATUSES)
    return await run(
        ctx,
        lambda s, now: document_rules.set_status(
            s, document_rules.which_doc(s, doc), pids, status, by=by(ctx), now=now
        ),
    )


# -- running the discussion ------------------------------------------------------------------------
@command("doc.current")
async def doc_current(ctx: CommandContext, args: Args) -> list[Event]:
    """Put a proposal under discussion in this room (``proposal: null``: none)."""
    require_run(ctx)
    doc = _doc(args)
    pid = None if args.get("proposal") is None else _pid(args)

    def decide(s: RoomState, now: int) -> list[Draft]:
        chosen = document_rules.which_doc(s, doc) if pid is not None else None
        return document_rules.set_current(s, chosen, pid, by=by(ctx), now=now)

    return await run(ctx, decide)


# -- groups ----------------------------------------------------------------------------------------
def _room(args: Args) -> str:
    value = args.get("room")
    if not isinstance(value, str) or not value:
        raise Invalid("bad_field", "'room' must be the group's room id")
    return value[:60]


@command("doc.task")
async def doc_task(ctx: CommandContext, args: Args) -> list[Event]:
    """Send a group its share: ``room``, ``categories`` (letters), ``task`` (what it is to do)."""
    require_chair(ctx)
    _require_agenda_room(ctx)
    raw = args.get("categories")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_CATEGORIES:
        raise Invalid("bad_field", "'categories' must list the letters of the group's share")
    letters = [_letter({"c": c}, "c") for c in raw]
    what = text_arg(args, "task", MAX_AGENDA_TITLE_CHARS)
    return await documents.task_group(
        ctx.rooms, ctx.meeting, _doc(args), _room(args), letters, what, by=by(ctx),
        cursor=ctx.cursor,
    )  # fmt: skip


@command("doc.withdraw_task")
async def doc_withdraw_task(ctx: CommandContext, args: Args) -> list[Event]:
    require_chair(ctx)
    _require_agenda_room(ctx)
    doc, room = _doc(args), _room(args)
    return await run(
        ctx,
        lambda s, now: share_rules.withdraw_task(
            s, document_rules.which_doc(s, doc), room, by=by(ctx), now=now
        ),
    )


@command("doc.endorse")
async def doc_endorse(ctx: CommandContext, args: Args) -> list[Event]:
    """The plenary endorses a group's work: its whole version, applied in one event."""
    require_chair(ctx)
    _require_agenda_room(ctx)
    doc, room = _doc(args), _room(args)
    return await run(
        ctx,
        lambda s, now: share_rules.endorse(
            s, document_rules.which_doc(s, doc), room, by=by(ctx), now=now
        ),
    )


@command("doc.take_up")
async def doc_take_up(ctx: CommandContext, args: Args) -> list[Event]:
    """Apply a group's version of one proposal."""
    require_chair(ctx)
    _require_agenda_room(ctx)
    doc, room, pid = _doc(args), _room(args), _pid(args)
    return await run(
        ctx,
        lambda s, now: share_rules.take_up(
            s, document_rules.which_doc(s, doc), room, pid, by=by(ctx), now=now
        ),
    )
