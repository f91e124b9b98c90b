"""The plain-HTTP fallback admits and commands as the websocket does, on both backends: it follows
any caption channel and resumes in it with no gap and no duplicate, its POSTs act on the
channel's own log, its positions carry the epoch (a client of another epoch is reset), and its
connection ids cannot be borrowed by another link."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.backends.base import read_all
from server.domain.keys import room_key
from tests.conftest import LiveServer
from tests.sse_support import SseClient, is_recorded
from tests.support import Client
from tests.web.test_channels import add_channel, channel_lines, key_of


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def sse(live: LiveServer, **kw: Any) -> SseClient:
    return await SseClient.connect(live.base, live.meeting.id, "plenary", **kw)


async def ws_commit(client: Client, n: int, text: str) -> int:
    await client.send(type="commit", n=n, text=text, speaker="")
    ack = await client.recv_type("ack", "error")
    assert ack["type"] == "ack", ack
    return int(ack["seq"])


def texts(frames: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(f["seq"], f["data"]["text"]) for f in frames if f["type"] == "line"]


async def test_a_fallback_reader_follows_a_channel_and_resumes_in_it_exactly(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    made = await add_channel(http, live, "fr")
    floor_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="en"
    )
    fr_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=key_of(made["captioner"]), client="fr"
    )
    for n in range(1, 4):
        await ws_commit(floor_cap, n, f"floor {n}")
        await ws_commit(fr_cap, n, f"français {n}")
    reader = await sse(live, channel="fr")
    assert reader.welcome["channel"] == "fr" and reader.welcome["last_seq"] == 3
    epoch = reader.welcome["epoch"]
    assert isinstance(epoch, str) and epoch and not reader.welcome["reset"]
    got = await reader.events_until(3)
    assert texts(got) == [(1, "français 1"), (2, "français 2"), (3, "français 3")]
    # Live, in its channel only: a floor line in between does not reach it.
    await ws_commit(floor_cap, 4, "floor 4")
    await ws_commit(fr_cap, 4, "français 4")
    assert texts(await reader.events_until(4)) == [(4, "français 4")]
    assert reader.last_id == 4
    await reader.close()
    # Away while both channels go on; back with Last-Event-ID and the epoch: exactly the rest.
    for n in range(5, 7):
        await ws_commit(floor_cap, n, f"floor {n}")
        await ws_commit(fr_cap, n, f"français {n}")
    back = await sse(live, channel="fr", last_event_id=4, epoch=epoch)
    assert not back.welcome["reset"] and back.welcome["epoch"] == epoch
    assert texts(await back.events_until(6)) == [(5, "français 5"), (6, "français 6")]
    assert back.seqs() == [5, 6]  # nothing before, nothing twice
    # A channel the room does not have is refused with the room's channels named.
    with pytest.raises(Exception) as refused:
        await sse(live, channel="de")
    assert getattr(refused.value, "status", None) == 404
    assert "fr" in refused.value.body["error"]  # type: ignore[attr-defined]
    for client in (floor_cap, fr_cap):
        await client.close()
    await back.close()


async def test_post_commands_act_on_the_channels_own_log(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    made = await add_channel(http, live, "fr")
    fr_key = key_of(made["captioner"])
    # The French captioner's page names no channel: its link's channel is the one it follows.
    fr_cap = await sse(live, key=fr_key, client="fr-1")
    assert fr_cap.welcome["channel"] == "fr"
    status, ack = await fr_cap.post(type="commit", n=1, text="Ligne française.")
    assert status == 200 and ack["type"] == "ack" and ack["seq"] == 1, ack
    fr_lines = await channel_lines(live, "fr")
    assert [(e.data["text"], e.data["lang"]) for e in fr_lines] == [("Ligne française.", "fr")]
    assert await channel_lines(live, "floor") == []
    # A command on lines acts on this channel's lines, not the floor's.
    fr_cap.n = 1  # numbered after the commit
    status, ack = await fr_cap.command("line.reattribute", line=1, speaker="M. Dupont")
    assert status == 200 and ack["type"] == "ack" and not ack["duplicate"], ack
    fr_log = await read_all(live.plenary.backend, room_key(live.meeting.id, "plenary", "fr"))
    assert [e.type for e in fr_log] == ["line", "line.reattributed"]
    floor_log = await read_all(live.plenary.backend, room_key(live.meeting.id, "plenary"))
    assert "line.reattributed" not in [e.type for e in floor_log]
    # Resent after a lost answer: acknowledged as a duplicate, recorded once.
    status, again = await fr_cap.post(type="commit", n=1, text="Ligne française.")
    assert status == 200 and again["duplicate"], again
    assert len(await channel_lines(live, "fr")) == 1
    # The French captioner following the floor (as its page does, for who has the floor) may
    # read it but not caption in it.
    floor_cap = await sse(live, key=fr_key, channel="floor", client="fr-2")
    assert floor_cap.welcome["channel"] == "floor"
    status, refused = await floor_cap.post(type="commit", n=1, text="Not mine to write.")
    assert status == 403 and refused["code"] == "forbidden", refused
    assert await channel_lines(live, "floor") == []
    await fr_cap.close()
    await floor_cap.close()


async def stream_ended(client: SseClient, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with pytest.raises(StopAsyncIteration):
        while True:
            await client.recv(max(0.01, deadline - time.monotonic()))


async def test_a_fallback_client_of_another_epoch_is_reset(live: LiveServer) -> None:
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="c1"
    )
    for n in range(1, 4):
        await ws_commit(cap, n, f"line {n}")
    first = await sse(live)
    epoch = first.welcome["epoch"]
    await first.events_until(3)
    await first.close()
    # Of this epoch: resumes where it was.
    same = await sse(live, last_event_id=2, epoch=epoch)
    assert not same.welcome["reset"]
    assert [f["seq"] for f in await same.events_until(3)] == [3]
    # Of another epoch: its seq 2 is not this record's seq 2. Reset, and the record from seq 1.
    other = await sse(live, last_event_id=2, epoch="an-older-epoch")
    assert other.welcome["reset"] and other.welcome["epoch"] == epoch
    assert [f["seq"] for f in await other.events_until(3)] == [1, 2, 3]
    await other.close()
    # Holding more than the record, in its epoch: the record went back, a new epoch starts.
    ahead = await sse(live, last_event_id=50, epoch=epoch)
    assert ahead.welcome["reset"] and ahead.welcome["epoch"] != epoch
    assert [f["seq"] for f in await ahead.events_until(3)] == [1, 2, 3]
    assert not any(is_recorded(f) and f["seq"] > 3 for f in ahead.frames)
    # The stream still following the old epoch ends, so its client reconnects and is reset.
    await stream_ended(same)
    await same.close()
    await ahead.close()
    await cap.close()


async def test_a_connection_id_cannot_be_used_with_another_link(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    """Connection ids are not secret (a live line names its writer's): another captioner of the
    room naming someone's connection must not write over their live line."""
    mine = await sse(live, key=live.captioner_key(), client="mine")
    conn = mine.welcome["conn"]
    assert (await mine.post(**{"type": "edit", "del": 0, "ins": "My line"}))[0] == 204
    # The chair may caption this room too, with its own link: not on my connection.
    r = await http.post(
        mine.url,
        json={"type": "edit", "del": 100, "ins": "Overwritten"},
        headers={"Authorization": f"Bearer {live.keys['chair']}", "X-Plenary-Conn": conn},
    )
    assert r.status_code == 403 and r.json()["close"] == 4403, r.text
    assert "another link" in r.json()["error"]
    # A connection id made up, or from the websocket, is refused the same way.
    r = await http.post(
        mine.url,
        json={"type": "ping"},
        headers={"Authorization": f"Bearer {live.captioner_key()}", "X-Plenary-Conn": "abc123"},
    )
    assert r.status_code == 403
    # The owner goes on writing it.
    assert (await mine.post(**{"type": "edit", "del": 0, "ins": ", mine."})) == (204, None)
    # The room's runtime holds the live line under my connection, as I wrote it.
    runtime = await live.plenary.rooms.get(live.meeting.id, "plenary")
    assert runtime.live[conn].text == "My line, mine."
    await mine.close()
