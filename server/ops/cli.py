"""The plenary command line: run the server, and look after meetings, links, participants,
caption stations and the record from a shell."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from server.backends import Backend, BackendUnavailable, backend_from_url
from server.config import Settings
from server.domain import links
from server.domain.errors import AdminError, Invalid
from server.ops.pusher import PushError, push_lines
from server.record import exports
from server.services import admin, room_list

T = TypeVar("T")


def _settings(args: argparse.Namespace) -> Settings:
    s = Settings()
    for name in ("host", "port", "data_dir", "backend_url", "public_url"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(s, name, value)
    if getattr(args, "allowed_origin", None):
        s.allowed_origins = [*s.allowed_origins, *args.allowed_origin]
    return s


def _link_settings(args: argparse.Namespace) -> Settings:
    """Settings for a command that prints links: they point at the running server (the address
    it recorded when it started), unless a public URL was given here."""
    settings = _settings(args)
    if not settings.public_url:
        from server.services import address

        stored = _with_backend(settings, address.recall)
        if stored:
            settings.public_url = stored
    return settings


def _with_backend(settings: Settings, work: Callable[[Backend], Awaitable[T]]) -> T:
    async def run() -> T:
        if not settings.backend_url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        backend = backend_from_url(settings.resolved_backend_url(), settings.data_dir)
        await backend.start()
        try:
            return await work(backend)
        finally:
            await backend.close()

    return asyncio.run(run())


# -- serve --------------------------------------------------------------------------------------
async def _first_start(backend: Backend, settings: Settings) -> str:
    try:
        return await _first_start_on(backend, settings)
    except BackendUnavailable as exc:
        # Serve anyway: /healthz answers 503 with the same message, and a store that comes back
        # (Redis restored) is used without a restart.
        return f"The record cannot be used: {exc}"


async def _first_start_on(backend: Backend, settings: Settings) -> str:
    meetings = await backend.list_meetings()
    base = settings.base_url()
    # Several processes starting together on an empty Redis (compose starts three): only the
    # one that makes it a record creates the demo meeting. A record known lost is not empty:
    # claiming refuses, and the error says what to do.
    if not meetings and await backend.claim_new_store():
        from server.ops import demo  # the meeting plenary was shaped for, as the demo has it

        meeting, keys = await demo.create_meeting(backend)
        return (
            "Created a demo meeting. Its links (keep the chair and captioner links secret):\n"
            + links.build(base, meeting, keys).as_text()
        )
    lines = [
        "Meetings (viewer links; `plenary meeting reissue` makes new chair or captioner links):"
    ]
    for m in meetings:
        lines.append(f"  {m.title}  (id {m.id})")
        for r in m.rooms:
            lines.append(f"    {r.name:<18} {links.viewer_url(base, m.id, r.id)}")
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.fanout import lane
    from server.ops import gcpolicy
    from server.ops.serving import runtime, uvicorn_config
    from server.web.app import create_app

    if args.demo:
        return cmd_demo(argparse.Namespace(**{**vars(args), "speed": None, "exit": False}))
    settings = _settings(args)
    print(_with_backend(settings, lambda b: _first_start(b, settings)), flush=True)
    loop, http = runtime(args.pure_python)
    fan_out = lane.choose_loop(compiled=not args.pure_python)
    print(f"\nplenary is serving on {settings.base_url()}  (Ctrl+C stops it)", flush=True)
    print(f"event loop {loop}, HTTP parser {http}, fan-out loop {fan_out}", flush=True)
    gcpolicy.start()
    config = uvicorn_config(
        create_app(settings),
        settings.host,
        settings.port,
        log_level=args.log_level,
        access_log=args.access_log,
        pure_python=args.pure_python,
    )
    uvicorn.Server(config).run()
    return 0


# -- meeting ------------------------------------------------------------------------------------
def cmd_meeting_create(args: argparse.Namespace) -> int:
    settings = _link_settings(args)

    async def work(backend: Backend) -> links.MeetingLinks:
        meeting, keys = await admin.create_meeting(
            backend,
            args.title,
            args.room or ["Plenary"],
            passcode=args.passcode,
            timezone=args.timezone,
            starts=args.starts or "",
            ends=args.ends or "",
            venue=args.venue or "",
            chaired_by=args.chaired_by or "",
            channels=args.channel or [],
            language=args.language,
        )
        return links.build(settings.base_url(), meeting, keys)

    result = _with_backend(settings, work)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.as_text())
    return 0


def cmd_meeting_list(args: argparse.Namespace) -> int:
    settings = _link_settings(args)
    meetings = _with_backend(settings, lambda b: b.list_meetings())
    base = settings.base_url()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "meeting": m.id,
                        "title": m.title,
                        "rooms": [
                            {
                                "room": r.id,
                                "name": r.name,
                                "status": r.status,
                                "viewer": links.viewer_url(base, m.id, r.id),
                                "channels": r.channels,
                            }
                            for r in m.rooms
                        ],
                    }
                    for m in meetings
                ],
                indent=2,
            )
        )
        return 0
    if not meetings:
        print("No meetings yet: `plenary meeting create TITLE --room NAME`")
    for m in meetings:
        print(f"{m.id}  {m.title}")
        for r in m.rooms:
            print(f"    {r.id:<16} {r.status:<7} {links.viewer_url(base, m.id, r.id)}")
    return 0


def cmd_meeting_reissue(args: argparse.Namespace) -> int:
    settings = _link_settings(args)

    async def work(backend: Backend) -> links.MeetingLinks:
        keys = await admin.reissue(backend, args.meeting, args.role, args.room, args.channel)
        meeting = await backend.load_meeting(args.meeting)
        assert meeting is not None
        return links.build(settings.base_url(), meeting, keys)

    result = _with_backend(settings, work)
    print("The old link no longer works. New link:")
    _print_new_links(result)
    return 0


def _print_new_links(result: links.MeetingLinks) -> None:
    if result.chair:
        print(f"  chair console      {result.chair}")
    if result.secretariat:
        print(f"  secretariat        {result.secretariat}")
    for r in result.rooms:
        if r.captioner:
            print(f"  captioner          {r.captioner}\n  caption API        {r.caption_api}")
        for c in r.channels:
            if c.captioner:
                print(f"  captioner ({c.channel})     {c.captioner}")
                print(f"  caption API ({c.channel})   {c.caption_api}")
        if r.convener:
            print(f"  convener, {r.name}: {r.convener}")


def cmd_meeting_link(args: argparse.Namespace) -> int:
    """One more scoped link: a secretariat member's, or a group's convener's."""
    settings = _link_settings(args)

    async def work(backend: Backend) -> links.MeetingLinks:
        keys = await admin.add_link(backend, args.meeting, args.role, args.room, args.label or "")
        meeting = await backend.load_meeting(args.meeting)
        assert meeting is not None
        return links.build(settings.base_url(), meeting, keys)

    result = _with_backend(settings, work)
    if args.json:
        url = result.secretariat or next(r.convener for r in result.rooms if r.convener)
        print(json.dumps({"role": args.role, "room": args.room, "link": url}, indent=2))
        return 0
    print("New link (a secret: give it to that person only):")
    _print_new_links(result)
    return 0


# -- caption stations ----------------------------------------------------------------------------
def cmd_station_add(args: argparse.Namespace) -> int:
    settings = _link_settings(args)

    async def work(backend: Backend) -> links.StationLinks:
        meeting, cred, key = await admin.add_station(
            backend, args.meeting, args.room, args.name, args.channel
        )
        return links.station(settings.base_url(), meeting, cred, key)

    result = _with_backend(settings, work)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.as_text())
    return 0


def cmd_station_list(args: argparse.Namespace) -> int:
    settings = _link_settings(args)

    async def work(backend: Backend) -> list[links.StationLinks]:
        meeting = await backend.load_meeting(args.meeting)
        if meeting is None:
            raise AdminError(f"no meeting {args.meeting!r}; see `plenary meeting list`")
        rooms = [args.room] if args.room else [r.id for r in meeting.rooms]
        base = settings.base_url()
        return [links.station(base, meeting, c) for r in rooms for c in admin.stations(meeting, r)]

    found = _with_backend(settings, work)
    if args.json:
        print(json.dumps([s.to_dict() for s in found], indent=2))
        return 0
    for s in found:
        state = "revoked" if s.revoked else "works"
        print(f"{s.station}  {s.room:<16} {state:<8} {s.name}")
    return 0


def cmd_station_revoke(args: argparse.Namespace) -> int:
    settings = _settings(args)
    cred = _with_backend(settings, lambda b: admin.revoke_station(b, args.meeting, args.station))
    print(f"Caption station {cred.label!r} ({cred.id}) is revoked: its links no longer work.")
    return 0


# -- caption channels ----------------------------------------------------------------------------
def cmd_channel_add(args: argparse.Namespace) -> int:
    settings = _link_settings(args)

    async def work(backend: Backend) -> dict[str, str]:
        meeting, tag, key = await admin.add_channel(backend, args.meeting, args.room, args.tag)
        await room_list.announce(backend, meeting)
        base = settings.base_url()
        return {
            "room": args.room,
            "channel": tag,
            "viewer": links.viewer_url(base, meeting.id, args.room, tag),
            "captioner": links.captioner_url(base, meeting.id, args.room, key, tag),
            "caption_api": links.caption_api_url(base, meeting.id, args.room, key),
            "youtube_api": links.youtube_api_url(base, meeting.id, args.room, key),
        }

    result = _with_backend(settings, work)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Channel {result['channel']} of room {result['room']!r}:")
    for what in ("viewer", "captioner", "caption_api", "youtube_api"):
        print(f"  {what.replace('_', ' '):<16} {result[what]}")
    return 0


# -- push, export --------------------------------------------------------------------------------
def cmd_push(args: argparse.Namespace) -> int:
    try:
        sent = push_lines(
            args.url, sys.stdin, lang=args.lang or "", speaker=args.speaker or "", names=args.names
        )
    except PushError as exc:
        print(f"plenary push: refused: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"plenary push: {sent} line(s) accepted", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from server.record import documents

    settings = _settings(args)
    body = _with_backend(
        settings, lambda b: documents.export(b, args.meeting, args.room, args.format, args.lang)
    )
    _write(body, args.output)
    return 0


def _write(body: bytes, output: str | None) -> None:
    if output:
        Path(output).write_bytes(body)
    elif not sys.stdout.isatty() or not body.startswith(b"PK"):
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        raise AdminError("a .docx is not for a terminal: write it to a file with -o")


# -- report, demo ---------------------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from server.record import documents

    settings = _settings(args)
    fmt = args.format or ("docx" if args.output and args.output.endswith(".docx") else "md")
    body = _with_backend(settings, lambda b: documents.report(b, args.meeting, args.name, fmt))
    _write(body, args.output)
    return 0


def cmd_document_export(args: argparse.Namespace) -> int:
    from server.record import documents

    settings = _settings(args)
    fmt = args.format or (args.output.rpartition(".")[2] if args.output else "md")
    view = "text" if args.current_text else "full"
    body = _with_backend(
        settings, lambda b: documents.document(b, args.meeting, args.doc, fmt, view)
    )
    _write(body, args.output)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from server.ops import demo

    return demo.main(_settings(args), args)


# -- participant ----------------------------------------------------------------------------------
def _print_registered(
    settings: Settings, meeting_id: str, room: str, done: list[Any], as_json: bool
) -> None:
    from server.domain.links import personal_url

    base = settings.base_url()
    rows = [
        {
            "id": r.participant.id,
            "name": r.participant.name,
            "delegation": r.participant.delegation,
            "group": r.participant.group,
            "presence": r.participant.presence,
            "link": personal_url(base, meeting_id, room, r.key),
        }
        for r in done
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    print("Personal links (each is a secret: send it to that person only):")
    for row in rows:
        where = "in the room" if row["presence"] == "in_room" else "remote"
        about = ", ".join(x for x in (row["delegation"], row["group"], where) if x)
        print(f"  {row['name']} ({about})\n    {row['link']}")


def _participants_change(args: argparse.Namespace, change: Callable[[Any], T]) -> tuple[str, T]:
    """Apply a change to a meeting's participants; the room their links open."""
    from server.domain.agenda import agenda_room

    settings = _settings(args)

    async def work(backend: Backend) -> tuple[str, T]:
        meeting = await backend.load_meeting(args.meeting)
        if meeting is None:
            raise AdminError(f"no meeting {args.meeting!r}; see `plenary meeting list`")
        room = args.room or agenda_room(meeting)
        if meeting.room(room) is None:
            names = ", ".join(r.id for r in meeting.rooms)
            raise AdminError(f"no room {room!r} (rooms: {names})")
        _, result = await admin.update_meeting(backend, meeting.id, change)
        return room, result

    return _with_backend(settings, work)


def cmd_participant_add(args: argparse.Namespace) -> int:
    from server.domain import participants

    def change(meeting: Any) -> list[Any]:
        person = participants.check(
            meeting.groups,
            args.name,
            args.delegation or "",
            args.group or "",
            "in room" if args.in_room else "remote",
        )
        return participants.register(meeting, [person])

    room, done = _participants_change(args, change)
    _print_registered(_link_settings(args), args.meeting, room, done, args.json)
    return 0


def cmd_participant_import(args: argparse.Namespace) -> int:
    from server.domain import participants

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdminError(f"cannot read {args.file}: {exc}") from exc

    def change(meeting: Any) -> list[Any]:
        return participants.register(meeting, participants.parse_csv(text, meeting.groups))

    room, done = _participants_change(args, change)
    _print_registered(_link_settings(args), args.meeting, room, done, args.json)
    return 0


def cmd_participant_link(args: argparse.Namespace) -> int:
    from server.domain import participants

    room, done = _participants_change(args, lambda m: participants.reissue(m, args.participant))
    print("The old link no longer works.", file=sys.stderr)
    _print_registered(_link_settings(args), args.meeting, room, [done], args.json)
    return 0


def cmd_participant_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    meeting = _with_backend(settings, lambda b: b.load_meeting(args.meeting))
    if meeting is None:
        raise AdminError(f"no meeting {args.meeting!r}; see `plenary meeting list`")
    rows = [
        {"id": p.id, "name": p.name, "delegation": p.delegation, "group": p.group,
         "presence": p.presence}
        for p in meeting.participants
    ]  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("No participants yet: `plenary participant add MEETING NAME` or `… import`")
    for r in [] if args.json else rows:
        print(f"{r['id']}  {r['name']:<28} {r['delegation']:<24} {r['group']:<20} {r['presence']}")
    return 0


def _add_participant_parser(sub: Any) -> None:
    part = sub.add_parser(
        "participant", help="register participants and hand out their personal links"
    )
    psub = part.add_subparsers(dest="action", required=True)
    add = psub.add_parser("add", help="register one participant and print their link")
    add.add_argument("meeting")
    add.add_argument("name")
    add.add_argument("--delegation", help="delegation or organisation")
    add.add_argument("--group", help="stakeholder group, e.g. 'Civil society'")
    add.add_argument("--in-room", action="store_true", help="in the room (default: remote)")
    imp = psub.add_parser(
        "import", help="register participants from a CSV file and print their links"
    )
    imp.add_argument("meeting")
    imp.add_argument("file", help="CSV with a header row: name, delegation, group, presence")
    link = psub.add_parser("link", help="revoke a participant's link and issue a new one")
    link.add_argument("meeting")
    link.add_argument("participant", help="the participant's id (see `participant list`)")
    for p, func in ((add, cmd_participant_add), (imp, cmd_participant_import),
                    (link, cmd_participant_link)):  # fmt: skip
        p.add_argument("--room", help="the room the links open (default: the plenary)")
        p.add_argument("--json", action="store_true", help="print JSON")
        _store_flags(p)
        p.set_defaults(func=func)
    lst = psub.add_parser("list", help="list a meeting's participants")
    lst.add_argument("meeting")
    lst.add_argument("--json", action="store_true", help="print JSON")
    _store_flags(lst)
    lst.set_defaults(func=cmd_participant_list)


# -- migrate ------------------------------------------------------------------------------------
def cmd_record_new(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def work(backend: Backend) -> str:
        accept = getattr(backend, "accept_new_store", None)
        if accept is None:
            raise AdminError("only a Redis record can be reported lost; nothing to do")
        marker = await accept()
        return (
            f"Redis's record is accepted as it is now (new marker {marker}). Restart every "
            "plenary server process: they refuse appends until then."
        )

    print(_with_backend(settings, work))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from server.ops.migrate import MigrationError, migrate

    async def run() -> str:
        src, dst = backend_from_url(args.src), backend_from_url(args.dst)
        await src.start()
        try:
            await dst.start()
            try:
                r = await migrate(src, dst, lambda line: print(line, flush=True))
            finally:
                await dst.close()
        finally:
            await src.close()
        return (
            f"moved {r.meetings} meeting(s), {r.rooms} room(s): {r.events} events copied, "
            f"{r.verified} already there and identical, {r.cursors} cursors, {r.files} files"
        )

    try:
        print(asyncio.run(run()))
    except MigrationError as exc:
        raise AdminError(str(exc)) from exc
    return 0


# -- parser ----------------------------------------------------------------------------------------
def _store_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        dest="data_dir",
        type=Path,
        help="where the embedded record lives (env PLENARY_DATA_DIR; default ./plenary-data)",
    )
    p.add_argument(
        "--backend",
        dest="backend_url",
        help="backend URL: sqlite:///file.db or redis://host:port "
        "(env PLENARY_BACKEND; default: SQLite in the data directory)",
    )
    p.add_argument(
        "--public-url",
        dest="public_url",
        help="the address people use, for links (env PLENARY_PUBLIC_URL)",
    )


DESCRIPTION = (
    "plenary: a live transcript and remote participation for formal meetings. Run the server "
    "with `plenary serve`; the other commands work on the same data and print links to the "
    "server that runs on it."
)


def _command_list(parser: argparse.ArgumentParser) -> str:
    """Every command and sub-command with what it does, for ``plenary --help``: made from the
    parser itself, so that it never leaves one out."""
    lines = ["commands:"]

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for action in p._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            helps = {c.dest: c.help or "" for c in action._choices_actions}
            for name, child in action.choices.items():
                has_sub = any(isinstance(a, argparse._SubParsersAction) for a in child._actions)
                if not has_sub:
                    lines.append(f"  {prefix}{name:<{28 - len(prefix)}} {helps.get(name, '')}")
                walk(child, f"{prefix}{name} ")

    walk(parser, "plenary ")
    lines += ["", "`plenary COMMAND --help` gives a command's options."]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plenary",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to listen on (env PLENARY_HOST; 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (env PLENARY_PORT; 8000)")
    serve.add_argument(
        "--allowed-origin",
        action="append",
        help="another origin whose pages may connect (repeatable; "
        "env PLENARY_ALLOWED_ORIGINS, comma separated)",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--pure-python",
        action="store_true",
        help="run on asyncio's own event loop and the h11 HTTP parser even where uvloop and "
        "httptools are installed (slower; for comparison or to rule them out)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="replay the scripted demo meeting live (same as `plenary demo`)",
    )
    _store_flags(serve)
    serve.set_defaults(func=cmd_serve)

    meeting = sub.add_parser("meeting", help="create and list meetings, re-issue links")
    msub = meeting.add_subparsers(dest="action", required=True)
    create = msub.add_parser("create", help="create a meeting and print its links")
    create.add_argument("title")
    create.add_argument("--room", action="append", help="a room (repeatable; default Plenary)")
    create.add_argument("--passcode", help="viewers must enter this passcode (default: public)")
    create.add_argument(
        "--timezone", default="UTC", help="the meeting's time zone, e.g. Europe/Zurich"
    )
    create.add_argument("--starts", help="first day, YYYY-MM-DD")
    create.add_argument("--ends", help="last day, YYYY-MM-DD")
    create.add_argument(
        "--venue", help='where it meets, as the summary says it: "the Palais des Nations, Geneva"'
    )
    create.add_argument(
        "--chaired-by", help='who chairs it, as the summary names them: "Ms. Ana Silva (Brazil)"'
    )
    create.add_argument(
        "--language",
        default="en",
        help="the meeting's language, a BCP 47 tag (default en): its floors' usual language "
        "and the draft summary's (written in English only for now)",
    )
    create.add_argument(
        "--channel",
        action="append",
        help="an interpretation channel in every room, a BCP 47 tag such as fr (repeatable)",
    )
    create.add_argument("--json", action="store_true", help="print a JSON object")
    _store_flags(create)
    create.set_defaults(func=cmd_meeting_create)
    lst = msub.add_parser("list", help="list meetings and their viewer links")
    lst.add_argument("--json", action="store_true")
    _store_flags(lst)
    lst.set_defaults(func=cmd_meeting_list)
    reissue = msub.add_parser(
        "reissue", help="revoke a chair or captioner link and issue a new one"
    )
    reissue.add_argument("meeting")
    reissue.add_argument("role", choices=list(admin.REISSUED))
    reissue.add_argument("--room", help="the captioner's or the convener's room")
    reissue.add_argument("--channel", help="a captioner's interpretation channel, e.g. fr")
    _store_flags(reissue)
    reissue.set_defaults(func=cmd_meeting_reissue)
    link = msub.add_parser(
        "link",
        help="make a secretariat link (participants, documents, the record; not the floor) "
        "or a group's convener link (that group's room only)",
    )
    link.add_argument("meeting")
    link.add_argument("role", choices=["secretariat", "convener"])
    link.add_argument("--room", help="the group's room, for a convener")
    link.add_argument("--label", help="how the record names whoever uses it")
    link.add_argument("--json", action="store_true", help="print a JSON object")
    _store_flags(link)
    link.set_defaults(func=cmd_meeting_link)

    station = sub.add_parser(
        "station", help="caption stations: one caption URL per captioner or CAT station"
    )
    ssub = station.add_subparsers(dest="action", required=True)
    sadd = ssub.add_parser("add", help="issue a caption station for a room and print its links")
    sadd.add_argument("meeting")
    sadd.add_argument("name", help='how its lines are signed in the record: "CAT station 2"')
    sadd.add_argument("--room", required=True, help="the room it captions")
    sadd.add_argument(
        "--channel", help="its one caption channel: floor or a tag (default: any, by each lang)"
    )
    sadd.add_argument("--json", action="store_true", help="print a JSON object")
    _store_flags(sadd)
    sadd.set_defaults(func=cmd_station_add)
    slist = ssub.add_parser("list", help="list a meeting's caption stations")
    slist.add_argument("meeting")
    slist.add_argument("--room", help="only this room's")
    slist.add_argument("--json", action="store_true")
    _store_flags(slist)
    slist.set_defaults(func=cmd_station_list)
    srevoke = ssub.add_parser("revoke", help="revoke one caption station's links")
    srevoke.add_argument("meeting")
    srevoke.add_argument("station", help="its id (plenary station list)")
    _store_flags(srevoke)
    srevoke.set_defaults(func=cmd_station_revoke)

    channel = sub.add_parser("channel", help="a room's interpretation caption channels")
    csub = channel.add_subparsers(dest="action", required=True)
    cadd = csub.add_parser("add", help="add an interpretation channel to a room, print its links")
    cadd.add_argument("meeting")
    cadd.add_argument("tag", help="its language, a BCP 47 tag: fr, es, ar, zh, ru, pt-BR")
    cadd.add_argument("--room", required=True, help="the room")
    cadd.add_argument("--json", action="store_true", help="print a JSON object")
    _store_flags(cadd)
    cadd.set_defaults(func=cmd_channel_add)

    push = sub.add_parser("push", help="push standard input, line by line, to a caption URL")
    push.add_argument("url", help="the room's caption API URL (with its key)")
    push.add_argument("--lang", help="language tag of the lines, e.g. en-US")
    push.add_argument("--speaker", help="who is speaking (default: whoever has the floor)")
    push.add_argument(
        "--names",
        action="store_true",
        help="read 'NAME: text' lines: NAME speaks that line and the next ones until another name",
    )
    push.set_defaults(func=cmd_push)

    export = sub.add_parser("export", help="export a room's transcript, or the whole meeting's")
    export.add_argument("meeting")
    export.add_argument("room", nargs="?", help="the room (default: every room, one document)")
    export.add_argument("--format", "-f", default="txt", choices=sorted(exports.FORMATS))
    export.add_argument(
        "--lang",
        help="the caption channel: floor (default), a tag such as fr, or 'all' for a whole "
        "meeting's every channel",
    )
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    _store_flags(export)
    export.set_defaults(func=cmd_export)

    report = sub.add_parser(
        "report", help="the per-item digest, participation figures or draft chair's summary"
    )
    report.add_argument("meeting")
    report.add_argument("name", choices=["digest", "figures", "summary"])
    report.add_argument(
        "--format", "-f", choices=["md", "html", "json", "docx"],
        help="md (default), html, json or docx (default docx when -o names a .docx file)",
    )  # fmt: skip
    report.add_argument("--output", "-o", help="file to write (default: standard output)")
    _store_flags(report)
    report.set_defaults(func=cmd_report)

    record = sub.add_parser("record", help="what to do when Redis lost the record")
    rsub = record.add_subparsers(dest="action", required=True)
    rnew = rsub.add_parser(
        "new",
        help="accept what Redis holds now as the record (a new, empty one if it is empty), "
        "after data was reported lost; then restart every server process",
    )
    _store_flags(rnew)
    rnew.set_defaults(func=cmd_record_new)

    document = sub.add_parser("document", help="export a rolling document")
    dsub = document.add_subparsers(dest="action", required=True)
    dexport = dsub.add_parser(
        "export", help="a rolling document with each proposal's status and history"
    )
    dexport.add_argument("meeting")
    dexport.add_argument("doc", type=int, help="the document's id (GET /api/m/MEETING/documents)")
    dexport.add_argument("--format", "-f", choices=["md", "html", "docx"])
    dexport.add_argument(
        "--current-text", action="store_true", help="the current text alone, no history"
    )
    dexport.add_argument("--output", "-o", help="file to write (default: standard output)")
    _store_flags(dexport)
    dexport.set_defaults(func=cmd_document_export)

    demo = sub.add_parser(
        "demo", help="serve and replay a scripted meeting live, then leave it running to explore"
    )
    demo.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    demo.add_argument("--port", type=int, help="port (default 8000)")
    demo.add_argument(
        "--speed", type=float, default=None,
        help="how much faster than the script's own timing (default: the whole meeting in "
        "about a minute)",
    )  # fmt: skip
    demo.add_argument("--exit", action="store_true", help="stop when the replay is done")
    _store_flags(demo)
    demo.set_defaults(func=cmd_demo)

    migrate = sub.add_parser(
        "migrate",
        help="copy every meeting and room record from one backend to another "
        "(stop the servers writing to SRC first)",
    )
    migrate.add_argument("src", help="backend URL to read, e.g. sqlite:///plenary-data/plenary.db")
    migrate.add_argument("dst", help="backend URL to write, e.g. redis://localhost:6379/0")
    migrate.set_defaults(func=cmd_migrate)
    _add_participant_parser(sub)
    parser.epilog = _command_list(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except AdminError as exc:
        print(f"plenary: {exc}", file=sys.stderr)
        return 2
    except Invalid as exc:
        print(f"plenary: {exc.message}", file=sys.stderr)
        return 2
    except BackendUnavailable as exc:
        print(f"plenary: the record cannot be used: {exc}", file=sys.stderr)
        return 3
    return result
