"""A scripted meeting replayed live through the real paths, for newcomers, tests and benchmarks.

The meeting is the third meeting of the CSTD Working Group on Enhanced Cooperation (the seed
meeting): the secretariat imports the rolling document before the meeting (draft recommendations
in categories A to E, as the seed's footnote names them) and attaches the correspondence group's
spreadsheet to its item; the Chair opens with a presentation of their own; briefings by the ITU,
the IGF secretariat and Brazil, the correspondence group's presentation and Dr. Yokozawa's
analysis, an ad-hoc group chaired by Mr. Reddy (India) on the structure of the report, two
break-out groups convened in parallel by Peru and Mexico, tasked to separate the draft
recommendations from the statements under categories A and B (each convener sorts and splits its
share from its own link and reports it back), the plenary endorsing their work, the plenary on
the proposals of A and B as submitted and of C and D, some agreed and some with divergent views,
part of D and all of E not discussed, and the way forward.

Nothing is written to the record directly. A captioner types into the plenary over the websocket
(keystroke edits, then commits) and the break-out groups' captioners post to the Zoom-compatible
caption endpoint; the chair runs the agenda, the speakers' list and the rolling document with
websocket commands and opens groups over HTTP; the conveners run their groups from their own
links; remote participants ask for the floor from their own links. Speaking times and waits are
therefore real, compressed by ``speed``.

``plenary demo`` serves, prints the links and replays; the script plays in about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import websockets

from server.backends.base import Backend
from server.config import Settings
from server.domain import links
from server.domain.meetings import Meeting
from server.limits import DEMO_COMMAND_TIMEOUT_S as COMMAND_TIMEOUT_S
from server.limits import MAX_FRAME_BYTES
from server.services import admin

TITLE = "Third Meeting of the CSTD Working Group on Enhanced Cooperation (WGEC)"
TIMEZONE = "Europe/Zurich"
VENUE = "the Palais des Nations in Geneva, Switzerland"
CHAIRED_BY = "Mr. Peter Major (Hungary)"

# Seconds of script time per word typed and per pause; at speed 1 the meeting plays in about a
# minute, which is as long as a newcomer watches before wanting to click around.
WORD_S = 0.045
BEAT_S = 0.35
# The server allows a client 40 messages a second, sustained (server/limits.py); the replay
# stays under it at any speed, as a real client must.
MIN_SEND_INTERVAL_S = 1 / 32


@dataclass(frozen=True, slots=True)
class Person:
    key: str  # how the script refers to them
    name: str
    delegation: str
    group: str
    presence: str


PEOPLE = [
    Person("itu", "Representative of the ITU", "ITU", "Intergovernmental organisations", "in_room"),
    Person("igf", "Representative of the IGF Secretariat", "IGF Secretariat",
           "Intergovernmental organisations", "remote"),
    Person("brazil", "Representative of Brazil", "Brazil", "Governments", "in_room"),
    Person("rushton", "Mr. Rushton", "Correspondence group", "", "in_room"),
    Person("yokozawa", "Dr. Yokozawa", "Japan", "Governments", "in_room"),
    Person("reddy", "Mr. Reddy", "India", "Governments", "in_room"),
    Person("peru", "Representative of Peru", "Peru", "Governments", "in_room"),
    Person("mexico", "Representative of Mexico", "Mexico", "Governments", "in_room"),
    Person("egypt", "Representative of Egypt", "Egypt", "Governments", "in_room"),
    Person("sweden", "Representative of Sweden", "Sweden", "Governments", "in_room"),
    Person("civil", "Ms. L. Haddad", "Digital Rights Coalition", "Civil society", "remote"),
    Person("business", "Mr. T. Nakamura", "Global Telecom Association", "Private sector",
           "remote"),
    Person("academic", "Dr. S. Mensah", "Open Networks Institute",
           "Technical and academic community", "remote"),
]  # fmt: skip
BY_KEY = {p.key: p for p in PEOPLE}


@dataclass(frozen=True, slots=True)
class AgendaItem:
    key: str
    number: str
    title: str
    parent: str | None = None


AGENDA = [
    AgendaItem("opening", "1", "Opening of the meeting and adoption of the agenda"),
    AgendaItem("briefings", "2", "Briefings on WSIS+10, the IGF and the Global Multi-stakeholder "
               "Meeting on the Future of Internet Governance"),
    AgendaItem("cg", "3", "Correspondence group: presentations and discussion"),
    AgendaItem("report", "4", "Structure of the report to the CSTD at its seventeenth session"),
    AgendaItem("rolling", "5", "Rolling document of draft recommendations"),
    AgendaItem("ab", "5.1", "Categories A and B", "rolling"),
    AgendaItem("c", "5.2", "Category C: Role of stakeholders", "rolling"),
    AgendaItem("d", "5.3", "Category D: Developing countries", "rolling"),
    AgendaItem("e", "5.4", "Category E: Barriers for participation in enhanced cooperation",
               "rolling"),
    AgendaItem("way", "6", "Way forward"),
]  # fmt: skip

# What the chair records: the facts the draft summary must contain.
OUTCOMES = {
    "opening": "The group adopted the agenda and agreed to continue the work as suggested by the "
    "Chair.",
    "briefings": "The WGEC took note of the briefings.",
    "cg": "The WGEC discussed the presentations.",
    "report": "The WGEC approved the draft structure of the report with the amendments suggested "
    "by the Chair.",
    "ab": "The plenary endorsed the work carried out in the break-out groups.",
    "c": "Consensus formed around certain issues; wide divergences of opinion persisted on others.",
    "d": "Part of the proposals under category D were not discussed for lack of time.",
    "way": "Another meeting will be held before the annual session of the CSTD; the "
    "correspondence group is requested to continue its work in accordance with its Terms of "
    "Reference.",
}
STATUSES = {"e": "not_discussed"}  # every other item ends concluded; 5 ends with its sub-items

GROUPS = {
    "adhoc": {"name": "Ad-hoc group on the report structure", "kind": "adhoc",
              "convener": "Mr. Reddy (India)", "topic": "Structure of the report"},
    "a": {"name": "Break-out group A", "kind": "breakout", "convener": "Peru",
          "topic": "Category A: Implementation of the Tunis Agenda"},
    "b": {"name": "Break-out group B", "kind": "breakout", "convener": "Mexico",
          "topic": "Category B: Public policy issues and possible mechanisms"},
}  # fmt: skip
# What the two break-out groups were asked to do with their share, as the seed says it.
TASK = "to separate the draft recommendations from the statements"
SHARES = {"a": ["A"], "b": ["B"]}

# The rolling document, as the secretariat posted it before the meeting: a Markdown outline with
# the five categories of the Chair's temporary draft framework (the seed's footnote).
DOCUMENT_TITLE = "Rolling document of draft recommendations"
DOCUMENT_DESCRIPTION = (
    "draft recommendations which the Chair and the secretariat had received in response to the "
    "Chair's call for inputs of 14 November 2013"
)
DOCUMENT_POSTED = "2014-02-17"
CATEGORIES = {
    "A": "Implementation of the Tunis Agenda",
    "B": "Public policy issues and possible mechanisms",
    "C": "Role of stakeholders",
    "D": "Developing countries",
    "E": "Barriers for participation in enhanced cooperation",
}
PROPOSALS = {
    "A": [
        ("Strengthen the implementation of paragraphs 69 to 71 of the Tunis Agenda on enhanced "
         "cooperation.", "Brazil; Egypt"),
        ("We recall that enhanced cooperation has not yet been fully implemented. The CSTD should "
         "review progress on enhanced cooperation every two years.",
         "Sweden; Digital Rights Coalition"),
        ("We note the diversity of views on the meaning of enhanced cooperation.", "Mexico"),
        ("Governments should consult all stakeholders when they develop international public "
         "policy on the internet.", "Global Telecom Association"),
    ],
    "B": [
        ("Map the international public policy issues pertaining to the internet, building on the "
         "correspondence group's spreadsheet.", "Japan; Correspondence group"),
        ("We welcome the work of the correspondence group. Establish a clearing house of the "
         "mechanisms that address each issue.", "Peru; Internet Society"),
        ("Consider a new mechanism for the public policy issues that no existing body "
         "addresses.", "India"),
    ],
    "C": [
        ("Recognise the respective roles and responsibilities of all stakeholders as set out in "
         "the Tunis Agenda.", "Brazil"),
        ("All stakeholders should take part in enhanced cooperation on an equal footing.",
         "Digital Rights Coalition; Open Networks Institute"),
        ("Governments have the lead role in international public policy on the internet.",
         "Egypt"),
    ],
    "D": [
        ("Capacity building for developing countries must be central to enhanced cooperation.",
         "Mexico; Peru"),
        ("Support remote participation so that developing countries can take part.",
         "Open Networks Institute"),
        ("Establish a fund for the participation of developing countries.", "India"),
        ("Promote local content and infrastructure in developing countries.", "Egypt"),
    ],
    "E": [
        ("Identify the barriers that keep stakeholders from taking part.",
         "Digital Rights Coalition"),
        ("Publish every document of enhanced cooperation in the six UN languages.",
         "Egypt; Brazil"),
    ],
}  # fmt: skip
# What each break-out group's convener does with its share: sort, split, revise.
SORTING: dict[str, dict[str, Any]] = {
    "a": {"kinds": {"A.1": "recommendation", "A.3": "statement", "A.4": "recommendation"},
          "split": ("A.2", ["We recall that enhanced cooperation has not yet been fully "
                            "implemented.",
                            "The CSTD should review progress on enhanced cooperation every two "
                            "years."], ["statement", "recommendation"])},
    "b": {"kinds": {"B.1": "recommendation", "B.3": "recommendation"},
          "split": ("B.2", ["We welcome the work of the correspondence group.",
                            "Establish a clearing house of the mechanisms that address each "
                            "issue."], ["statement", "recommendation"]),
          "revise": ("B.1", "Map the international public policy issues pertaining to the "
                            "internet and the mechanisms that address them, building on the "
                            "correspondence group's spreadsheet.")},
}  # fmt: skip
# The correspondence group's spreadsheet, attached to its agenda item (a few of its rows).
SPREADSHEET = (
    "area,issue,existing mechanisms\n"
    "1,Internationalised domain names,ICANN; ITU\n"
    "2,Cybersecurity,ITU; UNODC; regional CERTs\n"
    "3,Privacy and data protection,Council of Europe; OECD\n"
    "24,Capacity building,UNESCO; ITU-D; IGF\n"
)


def document_markdown() -> str:
    """The rolling document as the secretariat's Markdown outline."""
    out = [f"# {DOCUMENT_TITLE}", "", "Draft recommendations in the categories of the Chair's "
           "temporary draft framework.", ""]  # fmt: skip
    for letter, title in CATEGORIES.items():
        out += [f"## {letter}. {title}", ""]
        for n, (text, by) in enumerate(PROPOSALS[letter], 1):
            out.append(f"- {letter}.{n} {text} (Submitted by: {by})")
        out.append("")
    return "\n".join(out)


REPORTS = {
    "adhoc": "Proposed structure: introduction, mandate and working methods, the mapping of "
    "international public policy issues, recommendations, annexes.",
    "a": "Draft recommendations under category A separated from the statements.",
    "b": "Draft recommendations under category B separated from the statements.",
}


# -- talking to the server -------------------------------------------------------------------------
class Connection:
    """A websocket client of one room that numbers its commands and waits for their answers."""

    def __init__(self, ws: Any, name: str) -> None:
        self.ws = ws
        self.name = name
        self.numbers = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.create_task(self._read())
        self.last_send = 0.0

    async def send(self, frame: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        wait = self.last_send + MIN_SEND_INTERVAL_S - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self.last_send = loop.time()
        await self.ws.send(json.dumps(frame))

    @classmethod
    async def open(cls, base_ws: str, meeting: str, room: str, key: str, name: str) -> Connection:
        ws = await websockets.connect(
            f"{base_ws}/ws/{meeting}/{room}", max_size=MAX_FRAME_BYTES * 64
        )
        hello = {"type": "hello", "after": 0, "key": key, "name": name,
                 "client": "demo-" + secrets.token_hex(6)}  # fmt: skip
        await ws.send(json.dumps(hello))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), COMMAND_TIMEOUT_S))
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"{name}: not welcomed: {welcome}")
        return cls(ws, name)

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in self.ws:
                for part in str(message).split("\n"):
                    frame = json.loads(part)
                    n = frame.get("n")
                    if frame.get("type") in ("ack", "error") and n in self.waiting:
                        self.waiting.pop(n).set_result(frame)

    async def request(self, frame: dict[str, Any]) -> int | None:
        n = next(self.numbers)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[n] = future
        await self.send({**frame, "n": n})
        answer = await asyncio.wait_for(future, COMMAND_TIMEOUT_S)
        if answer["type"] == "error":
            raise RuntimeError(f"{self.name}: {frame.get('op', frame['type'])}: {answer}")
        seq: int | None = answer.get("seq")
        return seq

    async def cmd(self, op: str, **args: Any) -> int | None:
        return await self.request({"type": "cmd", "op": op, "args": args})

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


def _http(method: str, url: str, key: str | None, body: bytes | None, kind: str) -> Any:
    headers = {"content-type": kind}
    if key:
        headers["authorization"] = f"Bearer {key}"
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url[:80]}")
    req = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=COMMAND_TIMEOUT_S) as response:  # noqa: S310
            text = response.read().decode()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(
            f"{method} {url.split('?')[0]}: {exc.code} {exc.read()[:300]!r}"
        ) from None
    return json.loads(text) if text.startswith(("{", "[")) else text


def _key(link: str) -> str:
    return link.split("#key=", 1)[1]


# What the French booth says, for the lines interpreted into French (the briefings and the
# correspondence group's presentations).
FRENCH = {
    "I invite the ITU, the IGF secretariat and Brazil to brief the group.":
        "J'invite l'UIT, le secrétariat du FGI et le Brésil à informer le groupe.",
    "The WSIS+10 High Level Event will review ten years of implementation.":
        "La manifestation de haut niveau SMSI+10 fera le bilan de dix années de mise en œuvre.",
    "The preparatory process is open to all stakeholders.":
        "Le processus préparatoire est ouvert à toutes les parties prenantes.",
    "Preparations for the ninth IGF are under way; the call for workshops is open.":
        "Les préparatifs du neuvième FGI sont en cours ; l'appel à ateliers est ouvert.",
    "Brazil will host the meeting in April in Sao Paulo.":
        "Le Brésil accueillera la réunion en avril à São Paulo.",
    "Contributions from all stakeholders are welcome.":
        "Les contributions de toutes les parties prenantes sont les bienvenues.",
    "The correspondence group gathered the international public policy issues into a "
    "spreadsheet.":
        "Le groupe de correspondance a réuni les questions de politique publique "
        "internationale dans un tableau.",
    "They fall into twenty-four broad areas.": "Elles relèvent de vingt-quatre grands domaines.",
    "Point of order: the remote audio is breaking up.":
        "Motion d'ordre : le son à distance est coupé.",
    "Thank you; the technicians are looking into it.":
        "Merci ; les techniciens s'en occupent.",
    "Civil society welcomes the analysis and asks that it be published.":
        "La société civile se félicite de l'analyse et demande qu'elle soit publiée.",
    "The mapping is a useful basis for our recommendations.":
        "La cartographie est une base utile pour nos recommandations.",
}  # fmt: skip


# -- the replay ------------------------------------------------------------------------------------
@dataclass(slots=True)
class Demo:
    base: str
    meeting: str
    chair_key: str
    speed: float
    log: Callable[[str], None]
    items: dict[str, int] = field(default_factory=dict)
    participants: dict[str, str] = field(default_factory=dict)  # person key -> participant id
    personal: dict[str, str] = field(default_factory=dict)  # person key -> link key
    chairs: dict[str, Connection] = field(default_factory=dict)  # room -> who runs it
    secretariat_key: str = ""
    convener_keys: dict[str, str] = field(default_factory=dict)  # group room -> key
    group_rooms: dict[str, str] = field(default_factory=dict)  # group room -> GROUPS key
    remote: dict[str, Connection] = field(default_factory=dict)  # person key -> connection
    captioner: Connection | None = None
    # The French booth's captioner while interpretation into French is captioned (the briefings
    # and the correspondence group's presentations): a channel of its own, beside the floor.
    interpreter: Connection | None = None
    caption_urls: dict[str, str] = field(default_factory=dict)  # group room -> caption URL
    caption_seq: dict[str, int] = field(default_factory=dict)

    @property
    def base_ws(self) -> str:
        return "ws" + self.base[4:]

    async def pause(self, beats: float = 1.0) -> None:
        await asyncio.sleep(beats * BEAT_S / self.speed)

    async def api(
        self, method: str, path: str, body: Any = None, kind: str = "json", key: str | None = None
    ) -> Any:
        data = None if body is None else (json.dumps(body) if kind == "json" else body).encode()
        media = {"json": "application/json", "csv": "text/csv; charset=utf-8",
                 "md": "text/markdown; charset=utf-8"}[kind]  # fmt: skip
        url = self.base + path
        return await asyncio.to_thread(_http, method, url, key or self.chair_key, data, media)

    # -- the captioner -----------------------------------------------------------------------
    async def say(self, text: str, speaker: str = "", room: str = "plenary") -> None:
        """The plenary captioner types the line word by word, then commits it; a group's
        captioning software posts it to the caption endpoint as CAT software does, in parts as
        it is translated (viewers see the line grow), the last with the line end."""
        if room != "plenary":
            words = text.split()
            half = max(1, len(words) // 2)
            for part in (" ".join(words[:half]) + " ", " ".join(words[half:]) + "\n"):
                self.caption_seq[room] = self.caption_seq.get(room, 0) + 1
                url = f"{self.caption_urls[room]}&seq={self.caption_seq[room]}&lang=en-US"
                body = part.encode()
                await asyncio.to_thread(_http, "POST", url, None, body, "text/plain; charset=utf-8")
                await asyncio.sleep(len(part.split()) * WORD_S / self.speed)
            return
        assert self.captioner is not None
        words = text.split()
        # Fast replays type several words per keystroke message rather than flood the server.
        step = max(1, math.ceil(MIN_SEND_INTERVAL_S / (WORD_S / self.speed)))
        for n in range(0, len(words), step):
            piece = (" " if n else "") + " ".join(words[n : n + step])
            await self.captioner.send({"type": "edit", "del": 0, "ins": piece})
            await asyncio.sleep(step * WORD_S / self.speed)
        await self.captioner.request({"type": "commit", "text": text, "speaker": speaker})
        french = FRENCH.get(text)
        if self.interpreter is not None and french is not None:
            # Interpretation follows the speaker by a moment, attributed as the floor's line.
            await self.interpreter.request({"type": "commit", "text": french, "speaker": speaker})

    # -- interpretation ------------------------------------------------------------------------
    async def start_interpretation(self) -> None:
        """The chair adds a French channel to the plenary; its booth's captioner connects."""
        made = await self.api("POST", f"/api/m/{self.meeting}/plenary/channels", {"channel": "fr"})
        self.log(f"  French interpretation: {made['viewer']}")
        self.interpreter = await Connection.open(
            self.base_ws, self.meeting, "plenary", _key(made["captioner"]), "Interprète (Claire)"
        )

    async def stop_interpretation(self) -> None:
        if self.interpreter is not None:
            await self.interpreter.close()
            self.interpreter = None

    async def chair_says(self, *lines: str, room: str = "plenary") -> None:
        for line in lines:
            await self.say(line, "Chair", room)

    # -- the chair ---------------------------------------------------------------------------
    async def cmd(self, op: str, where: str = "plenary", **args: Any) -> int | None:
        """A command in a room (``where``), from whoever runs it: the chair, or the convener."""
        return await self.chairs[where].cmd(op, **args)

    async def take_up(self, item: str, room: str = "plenary") -> None:
        await self.cmd("agenda.current", room, item=self.items[item])

    async def conclude(self, item: str) -> None:
        if item in OUTCOMES:
            await self.cmd("agenda.outcome", item=self.items[item], text=OUTCOMES[item])
        status = STATUSES.get(item, "concluded")
        await self.cmd("agenda.status", item=self.items[item], status=status)

    async def ask(
        self, person: str, kind: str = "speak", note: str = "", proposal: str | None = None
    ) -> int:
        """A remote participant asks from their own link; someone in the room raises their
        flag and the chair adds them. Returns the entry's id. A request may name the proposal
        it is about."""
        about = {"proposal": proposal} if proposal else {}
        if BY_KEY[person].presence == "remote":
            seq = await self.remote[person].cmd("floor.request", kind=kind, note=note, **about)
        else:
            seq = await self.cmd(
                "floor.add", participant=self.participants[person], kind=kind, note=note, **about
            )
        assert seq is not None
        return seq

    async def ask_in(self, room: str, person: str) -> int:
        seq = await self.cmd("floor.add", room, participant=self.participants[person])
        assert seq is not None
        return seq

    async def speak(self, entry: int, *lines: str, room: str = "plenary") -> None:
        """Give the floor to an entry; the captioner takes down what they say; end it."""
        await self.cmd("floor.grant", room, entry=entry, limit_s=180)
        await self.pause(0.5)
        for line in lines:
            await self.say(line, room=room)
        await self.pause(0.3)
        await self.cmd("floor.end", room)

    async def present(self, person: str, subject: str, *lines: str) -> None:
        entry = await self.cmd(
            "floor.add", participant=self.participants[person], note=f"Presentation: {subject}"
        )
        assert entry is not None
        await self.speak(entry, *lines)

    # -- groups ------------------------------------------------------------------------------
    async def open_group(self, name: str, item: str) -> str:
        """Open a group (a break-out group with its share of the rolling document). Its
        convener runs it from their own link; the chair runs an ad-hoc group."""
        spec: dict[str, Any] = {**GROUPS[name], "item": self.items[item]}
        if name in SHARES:
            spec["task"] = {"categories": SHARES[name], "task": TASK}
        answer = await self.api("POST", f"/api/m/{self.meeting}/rooms", spec)
        room: str = answer["room"]
        self.group_rooms[room] = name
        self.caption_urls[room] = (
            answer["caption_api"]
            + "&name="
            + urllib.parse.quote(f"Captioner, {GROUPS[name]['name']}")
        )
        key, who = self.chair_key, "Chair"
        if name in SHARES:
            link = await self.api(
                "POST", f"/api/m/{self.meeting}/links", {"role": "convener", "room": room}
            )
            key, who = _key(link["link"]), str(GROUPS[name]["convener"])
            self.convener_keys[room] = key
        self.chairs[room] = await Connection.open(self.base_ws, self.meeting, room, key, who)
        self.log(f"  {GROUPS[name]['name']} opened: {self.base}/m/{self.meeting}/{room}")
        return room

    async def report_group(self, name: str, room: str) -> None:
        """The group reports back (its convener, from their link, when it has one)."""
        await self.api(
            "POST",
            f"/api/m/{self.meeting}/{room}/report",
            {"report": REPORTS[name]},
            key=self.convener_keys.get(room),
        )
        await self.chairs.pop(room).close()

    # -- the rolling document ------------------------------------------------------------------
    async def discuss(self, proposal: str, status: str, *speakers: tuple[str, str]) -> None:
        """Put a proposal under discussion, hear who asks about it, record what became of it."""
        await self.cmd("doc.current", proposal=proposal)
        for person, line in speakers:
            await self.speak(await self.ask(person, proposal=proposal), line)
        await self.cmd("doc.status", proposals=[proposal], status=status)


async def create(backend: Backend) -> tuple[str, dict[str, str]]:
    """A fresh demo meeting: its id and its keys."""
    meeting, keys = await create_meeting(backend)
    return meeting.id, keys


async def create_meeting(backend: Backend) -> tuple[Meeting, dict[str, str]]:
    """The seed meeting, with nothing recorded yet: what a first start of the server creates,
    and what the demo replays into. Its keys include a secretariat link's."""
    meeting, keys = await admin.create_meeting(
        backend,
        TITLE,
        ["Plenary"],
        timezone=TIMEZONE,
        starts="2014-02-24",
        ends="2014-02-28",
        venue=VENUE,
        chaired_by=CHAIRED_BY,
    )
    keys |= await admin.add_link(backend, meeting.id, "secretariat", None)
    updated = await backend.load_meeting(meeting.id)
    assert updated is not None
    return updated, keys


async def replay(
    base: str,
    meeting_id: str,
    keys: dict[str, str],
    *,
    speed: float = 1.0,
    log: Callable[[str], None] = print,
) -> Demo:
    """Replay the script against the server at ``base``; returns when the meeting is over."""
    demo = Demo(base, meeting_id, keys["chair"], max(speed, 0.01), log)
    demo.secretariat_key = keys.get("secretariat") or _key(
        (await demo.api("POST", f"/api/m/{meeting_id}/links", {"role": "secretariat"}))["link"]
    )
    registered = await demo.api(
        "POST",
        f"/api/m/{meeting_id}/participants",
        "name,delegation,group,presence\n"
        + "".join(f'"{p.name}","{p.delegation}","{p.group}",{p.presence}\n' for p in PEOPLE),
        kind="csv",
    )
    for person, row in zip(PEOPLE, registered["participants"], strict=True):
        demo.participants[person.key] = row["id"]
        demo.personal[person.key] = _key(row["link"])
    # Before the meeting: the secretariat posts the rolling document (its submitters are found
    # in the participant register where they are registered).
    query = urllib.parse.urlencode({"description": DOCUMENT_DESCRIPTION, "posted": DOCUMENT_POSTED})
    await demo.api("POST", f"/api/m/{meeting_id}/documents?{query}", document_markdown(),
                   kind="md", key=demo.secretariat_key)  # fmt: skip
    demo.chairs["plenary"] = await Connection.open(
        demo.base_ws, meeting_id, "plenary", demo.chair_key, "Chair"
    )
    demo.captioner = await Connection.open(
        demo.base_ws, meeting_id, "plenary", keys["captioner:plenary"], "Captioner (Ann)"
    )
    for person in PEOPLE:
        if person.presence == "remote":
            demo.remote[person.key] = await Connection.open(
                demo.base_ws, meeting_id, "plenary", demo.personal[person.key], person.name
            )
    try:
        for step in SCRIPT:
            await step(demo)
    finally:
        for conn in [*demo.chairs.values(), *demo.remote.values(), demo.captioner]:
            await conn.close()
        await demo.stop_interpretation()
    return demo


# -- the script ------------------------------------------------------------------------------------
async def opening(d: Demo) -> None:
    d.log("Opening and adoption of the agenda")
    parents: dict[str, int] = {}
    for item in AGENDA:
        parent = parents.get(item.parent) if item.parent else None
        seq = await d.cmd("agenda.add", number=item.number, title=item.title, parent=parent)
        assert seq is not None
        d.items[item.key] = parents[item.key] = seq
    query = urllib.parse.urlencode({"item": d.items["cg"], "filename": "cg-mapping.csv",
                                    "title": "Correspondence group: mapping of international "
                                    "public policy issues"})  # fmt: skip
    await d.api("POST", f"/api/m/{d.meeting}/files?{query}", SPREADSHEET, kind="csv",
                key=d.secretariat_key)  # fmt: skip
    await d.take_up("opening")
    await d.chair_says(
        "Good morning, distinguished delegates, and welcome to the third meeting of the Working "
        "Group on Enhanced Cooperation.",
        "Remote participation and a live transcript are available for this meeting.",
    )
    # The Chair's own presentation, from the Chair's place on the list: no delegation's time.
    own = await d.cmd("floor.add", chair=True, note="Presentation: the first and second "
                      "meetings of the WGEC and the agenda for the third meeting")  # fmt: skip
    assert own is not None
    await d.speak(own, "Let me summarise the first and second meetings and outline the agenda "
                  "before you.")  # fmt: skip
    egypt = await d.ask("egypt")
    await d.speak(egypt, "Thank you, Chair. We support the agenda and the way forward you "
                  "suggest.")  # fmt: skip
    await d.cmd("agenda.adopt")
    await d.chair_says("I see no objection. The agenda is adopted.")
    await d.conclude("opening")
    await d.pause()


async def briefings(d: Demo) -> None:
    d.log("Briefings by the ITU, the IGF secretariat and Brazil")
    await d.start_interpretation()
    await d.take_up("briefings")
    await d.chair_says("I invite the ITU, the IGF secretariat and Brazil to brief the group.")
    await d.present("itu", "preparations for the WSIS+10 High Level Event",
                    "The WSIS+10 High Level Event will review ten years of implementation.",
                    "The preparatory process is open to all stakeholders.")  # fmt: skip
    await d.present("igf", "the Ninth Annual Internet Governance Forum Meeting",
                    "Preparations for the ninth IGF are under way; the call for workshops is "
                    "open.")  # fmt: skip
    await d.present("brazil", "the Global Multi-stakeholder Meeting on the Future of Internet "
                    "Governance",
                    "Brazil will host the meeting in April in Sao Paulo.",
                    "Contributions from all stakeholders are welcome.")  # fmt: skip
    await d.conclude("briefings")
    await d.pause()


async def correspondence_group(d: Demo) -> None:
    d.log("Correspondence group: Mr. Rushton, Dr. Yokozawa")
    await d.take_up("cg")
    await d.present("rushton", "the correspondence group's spreadsheet of twenty-four areas",
                    "The correspondence group gathered the international public policy issues "
                    "into a spreadsheet.",
                    "They fall into twenty-four broad areas.")  # fmt: skip
    await d.present("yokozawa", "the multi-stakeholder structure of IGF discussions 2008-2013",
                    "This analysis shows who spoke in the IGF main sessions from 2008 to 2013, "
                    "by stakeholder group.")  # fmt: skip
    civil = await d.ask("civil")
    business = await d.ask("business")
    order = await d.ask("academic", "point_of_order", "Remote audio is breaking up")
    await d.speak(order, "Point of order: the remote audio is breaking up.")
    await d.chair_says("Thank you; the technicians are looking into it.")
    await d.speak(civil, "Civil society welcomes the analysis and asks that it be published.")
    await d.remote["business"].cmd("floor.withdraw", entry=business)
    sweden = await d.ask("sweden")
    await d.speak(sweden, "The mapping is a useful basis for our recommendations.")
    await d.stop_interpretation()
    await d.conclude("cg")
    await d.pause()


async def report_structure(d: Demo) -> None:
    d.log("The report: an ad-hoc group chaired by Mr. Reddy (India)")
    await d.take_up("report")
    await d.chair_says("We now turn to the structure of our report to the Commission.",
                       "I propose an ad-hoc group to guide us on its structure.")  # fmt: skip
    room = await d.open_group("adhoc", "report")
    await d.chair_says("The ad-hoc group will meet now.")
    reddy = await d.ask_in(room, "reddy")
    await d.speak(reddy, "Colleagues, let us agree on the headings of the report first.",
                  "I suggest an introduction, the mandate and working methods, the mapping, the "
                  "recommendations and annexes.", room=room)  # fmt: skip
    brazil = await d.ask_in(room, "brazil")
    await d.speak(brazil, "Brazil can support that structure.", room=room)
    await d.report_group("adhoc", room)
    await d.chair_says("The ad-hoc group has reported. I suggest two small amendments.")
    egypt = await d.ask("egypt")
    await d.speak(egypt, "Egypt supports the structure with the Chair's amendments.")
    await d.conclude("report")
    await d.pause()


async def _breakout(d: Demo, name: str, people: list[str], lines: list[str]) -> None:
    """A break-out group run by its convener: the floor, then its share sorted and split."""
    room = await d.open_group(name, "ab")
    for person, line in zip(people, lines, strict=True):
        entry = await d.ask_in(room, person)
        await d.speak(entry, line, room=room)
    work = SORTING[name]
    for proposal, kind in work["kinds"].items():
        await d.cmd("doc.kind", room, proposal=proposal, kind=kind)
    proposal, parts, kinds = work["split"]
    await d.cmd("doc.split", room, proposal=proposal, parts=parts, kinds=kinds)
    if "revise" in work:
        proposal, text = work["revise"]
        await d.cmd("doc.revise", room, proposal=proposal, text=text)
    await d.report_group(name, room)


async def breakouts(d: Demo) -> None:
    d.log("Two break-out groups in parallel: Peru on category A, Mexico on category B")
    await d.take_up("rolling")
    await d.chair_says("The rolling document groups the responses to my call in five "
                       "categories.")  # fmt: skip
    await d.take_up("ab")
    await d.chair_says("Two break-out groups will separate the recommendations from the "
                       "statements under categories A and B.")  # fmt: skip
    await asyncio.gather(
        _breakout(d, "a", ["peru", "egypt"],
                  ["Under category A we keep the recommendations and mark the statements.",
                   "Egypt agrees with that approach."]),
        _breakout(d, "b", ["mexico", "sweden"],
                  ["Under category B we have separated the recommendations.",
                   "Sweden supports the list."]),
    )  # fmt: skip
    await d.chair_says("Both groups have reported. May I take it that the plenary endorses "
                       "their work?")  # fmt: skip
    for name in ("a", "b"):
        room = next(r for r, g in d.group_rooms.items() if g == name)
        await d.cmd("doc.endorse", room=room)
    peru = await d.ask("peru")
    await d.speak(peru, "Peru thanks the participants of break-out group A.")
    d.log("The plenary on categories A and B, as the groups submitted them")
    await d.chair_says("We take up the proposals under categories A and B as the groups "
                       "submitted them.")  # fmt: skip
    await d.discuss("A.1", "agreed", ("egypt", "Egypt supports A.1."))
    await d.discuss("A.4", "divergent", ("business", "The private sector supports A.4."),
                    ("egypt", "Egypt cannot accept A.4 as drafted."))  # fmt: skip
    await d.discuss("A.5", "agreed")
    await d.cmd("doc.status", proposals=["A.2", "A.3"], status="agreed")
    await d.discuss("B.1", "agreed", ("academic", "The mapping should stay open to updates."))
    await d.discuss("B.3", "divergent", ("reddy", "India supports a new mechanism."),
                    ("sweden", "Sweden sees no need for a new mechanism."))  # fmt: skip
    await d.cmd("doc.status", proposals=["B.2", "B.4"], status="agreed")
    await d.cmd("doc.current", proposal=None)
    await d.conclude("ab")
    await d.pause()


async def categories_c_d(d: Demo) -> None:
    d.log("Plenary on categories C and D; part of D and all of E not discussed")
    await d.take_up("c")
    await d.chair_says("We continue with category C, the role of stakeholders.")
    await d.discuss("C.1", "agreed",
                    ("brazil", "Brazil supports a reference to the respective roles of "
                     "stakeholders."),
                    ("business", "The private sector supports the multi-stakeholder "
                     "model."))  # fmt: skip
    await d.discuss("C.2", "divergent",
                    ("civil", "Civil society asks for equal footing for all stakeholders."),
                    ("egypt", "Egypt sees divergence on the role of governments."))  # fmt: skip
    await d.discuss("C.3", "divergent")
    await d.conclude("c")
    await d.take_up("d")
    await d.chair_says("Category D: developing countries.")
    await d.cmd("doc.current", proposal="D.1")
    mexico = await d.ask("mexico", proposal="D.1")
    academic = await d.ask("academic", proposal="D.2")
    sweden = await d.ask("sweden")
    civil = await d.ask("civil")
    await d.speak(mexico, "Capacity building must be central in category D.")
    await d.cmd("doc.status", proposals=["D.1"], status="agreed")
    await d.cmd("doc.current", proposal="D.2")
    await d.speak(academic, "Research networks in developing countries need support to take "
                  "part.")  # fmt: skip
    await d.cmd("floor.remove", entry=sweden)
    await d.chair_says("We have run out of time for category D; the remaining speakers will be "
                       "heard at our next meeting.")  # fmt: skip
    await d.cmd("floor.close", points_of_order=True)
    await d.cmd("doc.status", proposals=["D.2"], status="partly_discussed")
    await d.cmd("doc.status", proposals=["D.3", "D.4", "E.1", "E.2"], status="not_discussed")
    await d.cmd("doc.current", proposal=None)
    await d.conclude("d")
    await d.conclude("e")
    assert civil  # still waiting: a request that never got the floor
    await d.pause()


async def way_forward(d: Demo) -> None:
    d.log("The way forward")
    await d.take_up("way")
    await d.chair_says("To complete our work we need another meeting before the annual session "
                       "of the CSTD.")  # fmt: skip
    india = await d.ask("reddy")
    await d.speak(india, "India supports another meeting and the continuation of the "
                  "correspondence group.")  # fmt: skip
    await d.conclude("way")
    await d.cmd("agenda.status", item=d.items["rolling"], status="concluded")
    await d.chair_says("Thank you all. The meeting is closed.")


SCRIPT: list[Callable[[Demo], Awaitable[None]]] = [
    opening,
    briefings,
    correspondence_group,
    report_structure,
    breakouts,
    categories_c_d,
    way_forward,
]


# -- plenary demo ----------------------------------------------------------------------------------
def main(settings: Settings, args: argparse.Namespace) -> int:
    """Serve on the configured address, replay the script, keep serving (or stop: --exit)."""
    import uvicorn

    from server.ops.serving import uvicorn_config
    from server.web.app import create_app

    if not settings.backend_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)
    config = uvicorn_config(app, settings.host, settings.port, log_level="warning")
    server = uvicorn.Server(config)

    async def run() -> None:
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
                return
            await asyncio.sleep(0.05)
        base = settings.base_url()
        backend = app.state.plenary.backend
        meeting_id, keys = await create(backend)
        meeting = await backend.load_meeting(meeting_id)
        assert meeting is not None
        print(links.build(base, meeting, keys).as_text(), flush=True)
        chair = keys["chair"]
        print(f"  record console     {base}/m/{meeting_id}/record#key={chair}")
        print("\nReplaying the meeting; open the links above to follow it live.\n", flush=True)
        await replay(base, meeting_id, keys, speed=args.speed or 1.0, log=print)
        print(
            f"\nThe meeting is over. Its draft chair's summary:\n"
            f"  plenary report {meeting_id} summary --data-dir {settings.data_dir}\n"
            f"  or the record console above.",
            flush=True,
        )
        if args.exit:
            server.should_exit = True
        await serving

    asyncio.run(run())
    return 0
