"""The speakers' list over the websocket: participants and chairs as real clients, every client
replaying what it received into its own projection and holding the same list at the same seq;
roles, bad input and conflicting chair commands refused with nothing recorded."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from server.domain import participants
from server.domain.events import now_ms
from server.domain.keys import room_key
from server.domain.state import RoomState
from server.services import admin
from tests.conftest import LiveServer
from tests.support import Client

PEOPLE = [
    ("Ana Silva", "Brazil", "Governments", "remote"),
    ("Ben Okafor", "Nigeria", "Governments", "in room"),
    ("Cat Ruiz", "ISOC", "Technical and academic community", "remote"),
]


async def register(live: LiveServer, people: list[tuple[str, str, str, str]] = PEOPLE) -> list[str]:
    """Register participants as the operator would; their personal keys, in order."""

    def add(m: Any) -> list[participants.Registered]:
        return participants.register(m, [participants.check(m.groups, *p) for p in people])

    _, done = await admin.update_meeting(live.plenary.backend, live.meeting.id, add)
    return [r.key for r in done]


async def connect(live: LiveServer, key: str | None, client: str, room: str = "plenary") -> Client:
    hello: dict[str, Any] = {"client": client}
    if key is not None:
        hello["key"] = key
    return await Client.connect(live.base_ws, live.meeting.id, room, **hello)


_COUNTERS: dict[int, int] = {}


class Cmd:
    """Numbered commands of one client, waiting for their ack or error. The numbers carry on
    across ``Cmd`` objects of the same client: the server carries out each ``n`` once."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @property
    def n(self) -> int:
        return _COUNTERS.get(id(self.client), 0)

    @n.setter
    def n(self, value: int) -> None:
        _COUNTERS[id(self.client)] = value

    async def __call__(self, op: str, **args: Any) -> dict[str, Any]:
        self.n += 1
        await self.client.send(type="cmd", n=self.n, op=op, args=args)
        while True:
            frame = await self.client.recv_type("ack", "error")
            if frame.get("n", frame.get("ref")) == self.n:
                return frame


def recorded(client: Client) -> list[dict[str, Any]]:
    return [f for f in client.frames if "seq" in f and f["type"] not in ("hb", "ack")]


async def until(client: Client, seq: int) -> dict[str, Any]:
    """Receive until the client holds the recorded event with this seq, and return it."""
    while True:
        found = [f for f in recorded(client) if f["seq"] == seq]
        if found:
            return found[0]
        await client.recv()


def replay(client: Client, upto: int) -> RoomState:
    """A client's own projection of the events it received, up to seq ``upto``."""
    state = RoomState("plenary")
    for frame in recorded(client):
        if frame["seq"] <= upto:
            state.apply(frame["seq"], frame["type"], frame["ts"], frame["data"])
    return state


def waiting(state: RoomState) -> list[tuple[str, str]]:
    return [(e.who.name, e.kind) for e in state.floor.waiting]


async def test_several_clients_see_the_same_order_at_the_same_seq(live: LiveServer) -> None:
    keys = await register(live)
    viewer = await connect(live, None, "v1")
    chair = await connect(live, live.keys["chair"], "chair-1")
    ana, ben, cat = [await connect(live, k, f"p{i}") for i, k in enumerate(keys)]
    assert ana.welcome["role"] == "participant" and ana.welcome["participant"]
    assert abs(ana.welcome["now"] - now_ms()) < 5000

    acks = [
        await Cmd(ana)("floor.request", kind="speak"),
        await Cmd(ben)("floor.request", kind="reply"),
        await Cmd(cat)("floor.request", kind="point_of_order", note="interpretation"),
    ]
    assert [a["type"] for a in acks] == ["ack"] * 3
    last = max(a["seq"] for a in acks)
    for client in (viewer, chair, ana, ben, cat):
        await until(client, last)
    expected = [("Cat Ruiz", "point_of_order"), ("Ana Silva", "speak"), ("Ben Okafor", "reply")]
    for client in (viewer, chair, ana, ben, cat):
        assert waiting(replay(client, last)) == expected
    server = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    assert waiting(server) == expected
    assert server.floor.waiting[0].note == "interpretation"

    # A repeated request records nothing and says so.
    again = await Cmd(ana)("floor.request", kind="speak")
    assert again["type"] == "ack" and again["duplicate"] and again["seq"] is None


async def test_chair_runs_the_list_and_lines_are_attributed(live: LiveServer) -> None:
    keys = await register(live)
    chair = await connect(live, live.keys["chair"], "chair-1")
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="cap"
    )
    ana, ben = await connect(live, keys[0], "p0"), await connect(live, keys[1], "p1")
    c = Cmd(chair)
    await Cmd(ana)("floor.request")
    await Cmd(ben)("floor.request")
    item = await c("agenda.add", number="3", title="Way forward")
    await c("agenda.current", item=item["seq"])
    state = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    first = state.floor.waiting[0].id
    granted = await c("floor.grant", entry=first, limit_s=180)
    assert granted["type"] == "ack"
    ev = await until(ana, granted["seq"])
    assert ev["type"] == "floor.granted" and ev["data"]["who"]["name"] == "Ana Silva"
    assert ev["data"]["limit_ms"] == 180_000

    await cap.send(type="commit", n=1, text="Thank you, Chair.", speaker="")
    line = await until(ana, (await cap.recv_type("ack"))["seq"])
    assert line["data"]["speaker"] == "Ana Silva" and line["data"]["delegation"] == "Brazil"
    assert line["data"]["intervention"] == granted["seq"] and line["data"]["item"] == item["seq"]

    # Ben withdraws; Ana's clock runs on; the chair ends her intervention.
    await Cmd(ben)("floor.withdraw", kind="speak")
    ended = await c("floor.end", intervention=granted["seq"])
    end_ev = await until(chair, ended["seq"])
    assert end_ev["type"] == "floor.ended" and end_ev["data"]["spoken_ms"] >= 0
    assert state.floor.current is None and state.floor.waiting == []
    totals = state.floor.totals(now_ms())
    assert totals["delegation"]["Brazil"]["count"] == 1


async def test_roles_and_bad_input_are_refused_and_nothing_is_recorded(live: LiveServer) -> None:
    keys = await register(live)
    viewer = await connect(live, None, "v1")
    cap = await connect(live, live.captioner_key(), "cap")
    ana = await connect(live, keys[0], "p0")
    chair = await connect(live, live.keys["chair"], "chair-1")
    key = room_key(live.meeting.id, "plenary")
    before = await live.plenary.backend.last_seq(key)

    async def refused(client: Client, op: str, code: str, **args: Any) -> str:
        frame = await Cmd(client)(op, **args)
        assert frame["type"] == "error" and frame["code"] == code, frame
        return str(frame["message"])

    assert "participant link" in await refused(viewer, "floor.request", "forbidden")
    assert "participant link" in await refused(cap, "floor.request", "forbidden")
    assert "participant link" in await refused(chair, "floor.request", "forbidden")
    assert "chair" in await refused(ana, "floor.grant", "forbidden")
    assert "chair" in await refused(viewer, "floor.close", "forbidden")
    await refused(ana, "agenda.add", "forbidden", title="x")
    await refused(ana, "floor.request", "bad_field", kind="filibuster")
    await refused(ana, "floor.request", "too_long", note="x" * 500)
    await refused(chair, "floor.grant", "list_empty")
    await refused(chair, "floor.grant", "entry_gone", entry=999)
    await refused(chair, "floor.grant", "bad_field", entry="first")
    await refused(chair, "floor.grant", "bad_field", entry=True)
    await refused(chair, "floor.reorder", "bad_field", order="1,2")
    await refused(chair, "floor.reorder", "bad_field", order=[1, 1])
    await refused(chair, "floor.limit", "no_speaker", limit_s=60)
    await refused(chair, "floor.add", "bad_field", name="")
    await refused(chair, "floor.add", "no_such_participant", participant="nobody")
    await refused(chair, "floor.end", "no_speaker")
    await refused(chair, "floor.readd", "nobody_spoke")
    await refused(chair, "agenda.status", "no_such_item", item=5, status="concluded")
    await refused(chair, "floor.fly", "unknown_op")
    await chair.send(type="cmd", n=99, op="floor.grant", args=[1, 2])
    assert (await chair.recv_type("error"))["code"] == "bad_field"
    assert await live.plenary.backend.last_seq(key) == before

    # A closed room refuses everything, with its own message.
    r = await live.plenary.rooms.get(live.meeting.id, "plenary")
    await r.set_open(False, "Chair")
    await refused(ana, "floor.request", "room_closed")
    await refused(chair, "floor.add", "room_closed", name="Mr. Rojas", delegation="Peru")
    assert await live.plenary.backend.last_seq(key) == before + 1


async def test_agenda_commands_belong_to_the_agenda_room(live: LiveServer) -> None:
    chair = await connect(live, live.keys["chair"], "chair-1")
    item = await Cmd(chair)("agenda.add", number="6", title="Break-out groups on A and B")
    group_chair = await connect(live, live.keys["chair"], "chair-2", room="break-out-a")
    g = Cmd(group_chair)
    refused = await g("agenda.add", title="x")
    assert refused["code"] == "not_agenda_room" and "plenary" in refused["message"]
    ack = await g("agenda.current", item=item["seq"])
    ev = await until(group_chair, ack["seq"])
    assert ev["room"] == "break-out-a"
    assert ev["data"] == {
        "item": item["seq"],
        "number": "6",
        "title": "Break-out groups on A and B",
        "by": "Chair",
    }
    assert (await g("agenda.current", item=12345))["code"] == "no_such_item"


async def test_two_chairs_racing_cannot_corrupt_the_list(live: LiveServer) -> None:
    """Two chair connections (chair and secretariat) grant the same entry and reorder at once:
    exactly one grant is recorded, the other is refused with a message, and the list the two
    see is the same."""
    keys = await register(live)
    for k in keys:
        await Cmd(await connect(live, k, f"p-{k[:4]}"))("floor.request")
    chair = await connect(live, live.keys["chair"], "chair-1")
    secretariat = await connect(live, live.keys["chair"], "chair-2")
    state = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    first, second, third = (e.id for e in state.floor.waiting)

    results = await asyncio.gather(
        Cmd(chair)("floor.grant", entry=first),
        Cmd(secretariat)("floor.grant", entry=first),
    )
    assert sorted(r["type"] for r in results) == ["ack", "error"]
    error = next(r for r in results if r["type"] == "error")
    assert (
        error["code"] == "entry_gone"
        and "Ana Silva (Brazil) already has the floor" in error["message"]
    )
    assert [e.id for e in state.floor.waiting] == [second, third]

    # Both reorder the list they saw; the second order was decided on a list that no longer
    # exists once the first removal lands.
    c, s = Cmd(chair), Cmd(secretariat)
    results = await asyncio.gather(
        c("floor.remove", entry=second), s("floor.reorder", order=[third, second])
    )
    kinds = {r["type"] for r in results}
    last = max(r["seq"] for r in results if r["type"] == "ack")
    await until(chair, last)
    await until(secretariat, last)
    a, b = replay(chair, last), replay(secretariat, last)
    assert waiting(a) == waiting(b) == waiting(state)
    assert [e.id for e in state.floor.waiting] == [third]
    if kinds == {"ack", "error"}:
        err = next(r for r in results if r["type"] == "error")
        assert err["code"] == "stale_list"


async def test_racing_executes_in_one_process_are_decided_one_after_the_other(
    live: LiveServer,
) -> None:
    """The same race below the websocket: many grants of the first entry at once."""
    from server.domain import floor_rules
    from server.domain.errors import CommandRejected

    keys = await register(live)
    for k in keys:
        await Cmd(await connect(live, k, f"p-{k[:4]}"))("floor.request")
    runtime = await live.plenary.rooms.get(live.meeting.id, "plenary")
    entry = runtime.state.floor.waiting[0].id

    async def grant() -> str:
        try:
            await runtime.execute(lambda s: floor_rules.grant(s, entry, None, by="C", now=now_ms()))
        except CommandRejected as exc:
            return exc.code
        return "granted"

    outcome = await asyncio.gather(*(grant() for _ in range(5)))
    assert sorted(outcome) == ["entry_gone"] * 4 + ["granted"]
    events = await live.plenary.backend.read(runtime.key, 0, 100)
    assert [e.type for e in events].count("floor.granted") == 1


async def test_participant_is_told_place_and_presence_is_seen_by_the_chair(
    live: LiveServer,
) -> None:
    keys = await register(live)
    chair = await connect(live, live.keys["chair"], "chair-1")
    ana = await connect(live, keys[0], "p0")
    frame = await chair.recv_type("presence")
    while ana.welcome["participant"] not in frame["data"]["participants"]:
        frame = await chair.recv_type("presence")
    assert frame["data"]["ttl_ms"] > 15_000 and "seq" not in frame
    await ana.close()
    frame = await chair.recv_type("presence")
    assert frame["data"]["participants"] == []
    # Recorded nothing.
    assert await live.plenary.backend.last_seq(room_key(live.meeting.id, "plenary")) == 0


async def test_http_floor_snapshot_hides_totals_from_viewers(live: LiveServer) -> None:
    import httpx

    keys = await register(live)
    await Cmd(await connect(live, keys[0], "p0"))("floor.request", kind="point_of_order")
    url = f"{live.base}/api/m/{live.meeting.id}/plenary/floor"
    async with httpx.AsyncClient() as http:
        public = (await http.get(url)).json()
        chair = (
            await http.get(url, headers={"authorization": f"Bearer {live.keys['chair']}"})
        ).json()
    assert public["floor"]["waiting"][0]["who"]["name"] == "Ana Silva"
    assert "totals" not in public["floor"] and "totals" in chair["floor"]
    assert json.dumps(public)  # plain JSON
