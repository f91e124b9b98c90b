"""The websocket protocol: hello, backlog and resume, live lines, commits, corrections, roles."""

from __future__ import annotations

import asyncio

import pytest

from server.domain.keys import room_key
from tests.conftest import LiveServer
from tests.support import Client, eventually


async def captioner(live: LiveServer, room: str = "plenary", **hello: object) -> Client:
    return await Client.connect(
        live.base_ws, live.meeting.id, room, key=live.captioner_key(room), **hello
    )


async def commit_lines(cap: Client, texts: list[str], start_n: int = 1) -> list[int]:
    for i, text in enumerate(texts):
        await cap.send(type="commit", n=start_n + i, text=text, speaker="Chair")
    seqs = []
    while len(seqs) < len(texts):
        ack = await cap.recv_type("ack")
        seqs.append(ack["seq"])
    return seqs


async def test_viewer_sees_committed_lines_in_order(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    assert viewer.welcome["role"] == "viewer"
    assert viewer.welcome["last_seq"] == 0
    cap = await captioner(live, client="c1", name="Ann")
    assert cap.welcome["role"] == "captioner"
    seqs = await commit_lines(cap, [f"line {i}" for i in range(20)])
    assert seqs == list(range(1, 21))
    events = await viewer.events_until(20)
    assert [e["seq"] for e in events] == list(range(1, 21))
    assert [e["data"]["text"] for e in events] == [f"line {i}" for i in range(20)]
    first = events[0]
    assert first["type"] == "line" and first["room"] == "plenary"
    assert first["data"]["captioner"] == "Ann" and first["data"]["speaker"] == "Chair"


@pytest.mark.parametrize("after", [0, 1, 7, 19, 20])
async def test_resume_from_any_seq_gives_exactly_the_missing_events(
    live: LiveServer, after: int
) -> None:
    cap = await captioner(live, client="c1")
    await commit_lines(cap, [f"line {i}" for i in range(20)])
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary", after=after)
    assert viewer.welcome["last_seq"] == 20
    await commit_lines(cap, ["after resume"], start_n=21)
    events = await viewer.events_until(21)
    assert [e["seq"] for e in events] == list(range(after + 1, 22))


async def test_resume_reads_from_the_record_when_not_in_memory(live: LiveServer) -> None:
    cap = await captioner(live, client="c1")
    await commit_lines(cap, [f"line {i}" for i in range(30)])
    # Forget the in-memory recent events, as after a restart or for an old resume point.
    for channel in live.plenary.hub.channels.values():
        channel.recent.clear()
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary", after=5)
    events = await viewer.events_until(30)
    assert [e["seq"] for e in events] == list(range(6, 31))


async def test_live_line_is_coalesced_and_not_recorded(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    cap = await captioner(live, client="c1")
    text = "Distinguished delegates, good morning and welcome"
    started = asyncio.get_running_loop().time()
    for ch in text:
        await cap.send(type="edit", ins=ch)
    await cap.send(type="edit", **{"del": 7})  # backspaces
    frames = []
    while True:
        frame = await viewer.recv_type("live", timeout=3)
        frames.append(frame)
        if frame["data"]["lines"][0]["text"] == text[:-7]:
            break
    elapsed = asyncio.get_running_loop().time() - started
    # At most ten updates a second, whatever the typing rate (plus the leading one).
    assert len(frames) <= elapsed * 10 + 2
    assert len(frames) < len(text)
    assert all("seq" not in f for f in frames)
    assert await live.plenary.backend.last_seq(room_key(live.meeting.id, "plenary")) == 0


async def test_commit_clears_live_line(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    cap = await captioner(live, client="c1")
    await cap.send(type="edit", ins="Thank you")
    await viewer.recv_type("live")
    await cap.send(type="commit", n=1, text="Thank you, Chair.")
    line = await viewer.recv_type("line")
    assert line["data"]["by"] == cap.welcome["conn"]
    cleared = await viewer.recv_type("live")
    assert cleared["data"]["lines"] == [
        {"by": cap.welcome["conn"], "name": "Captioner, Plenary", "text": ""}
    ]


async def test_repeated_commit_is_recorded_once(live: LiveServer) -> None:
    cap = await captioner(live, client="page-1")
    await commit_lines(cap, ["one", "two"])
    await cap.close()
    # The page reloads and sends its unacknowledged lines again, then a new one.
    again = await captioner(live, client="page-1", after=2)
    await again.send(type="commit", n=2, text="two")
    ack = await again.recv_type("ack")
    assert ack == {"type": "ack", "n": 2, "seq": None, "duplicate": True}
    await again.send(type="commit", n=3, text="three")
    ack = await again.recv_type("ack")
    assert ack["seq"] == 3 and not ack["duplicate"]
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    events = await viewer.events_until(3)
    assert [e["data"]["text"] for e in events] == ["one", "two", "three"]


async def test_two_captioners_hand_over(live: LiveServer) -> None:
    ann = await captioner(live, client="ann", name="Ann")
    bob = await captioner(live, client="bob", name="Bob")
    await commit_lines(ann, ["Ann writes this."])
    await commit_lines(bob, ["Bob takes over."])
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    events = await viewer.events_until(2)
    assert [(e["data"]["captioner"], e["data"]["text"]) for e in events] == [
        ("Ann", "Ann writes this."),
        ("Bob", "Bob takes over."),
    ]


async def test_correction_is_seen_and_both_versions_kept(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    cap = await captioner(live, client="c1", name="Ann")
    await commit_lines(cap, ["The chair opend the meeting."])
    await cap.send(type="correct", n=2, line=1, text="The chair opened the meeting.")
    ack = await cap.recv_type("ack")
    assert ack["seq"] == 2
    events = await viewer.events_until(2)
    assert events[1]["type"] == "correction"
    assert events[1]["data"] == {
        "line": 1,
        "text": "The chair opened the meeting.",
        "was": "The chair opend the meeting.",
        "captioner": "Ann",
    }
    record = await live.plenary.backend.read(room_key(live.meeting.id, "plenary"), 0, 10)
    assert [e.type for e in record] == ["line", "correction"]
    assert record[0].data["text"] == "The chair opend the meeting."


async def test_correction_of_unknown_line_is_refused(live: LiveServer) -> None:
    cap = await captioner(live, client="c1")
    await cap.send(type="correct", n=1, line=99, text="nothing there")
    err = await cap.recv_type("error")
    assert err["code"] == "no_such_line"


async def test_heartbeat_carries_last_seq(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    cap = await captioner(live, client="c1")
    await commit_lines(cap, ["x"])
    # The heartbeat reports what this process has fanned out; on Redis the
    # captioner's ack can come before the published line reaches the hub.
    await viewer.events_until(1)
    live.plenary.hub.heartbeat()
    hb = await viewer.recv_type("hb")
    assert hb["seq"] == 1


async def test_rooms_are_separate(live: LiveServer) -> None:
    viewer_a = await Client.connect(live.base_ws, live.meeting.id, "break-out-a")
    cap = await captioner(live, client="c1")
    await commit_lines(cap, ["only in plenary"])
    cap_a = await captioner(live, "break-out-a", client="c2")
    await commit_lines(cap_a, ["only in A"])
    events = await viewer_a.events_until(1)
    assert [e["data"]["text"] for e in events] == ["only in A"]


async def test_resume_point_beyond_the_record_resets_the_client(live: LiveServer) -> None:
    cap = await captioner(live, client="c1")
    await commit_lines(cap, ["one", "two"])
    # A client that saw seq 50 of a record that has been replaced must start over.
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary", after=50)
    assert viewer.welcome["reset"] is True and viewer.welcome["last_seq"] == 2
    events = await viewer.events_until(2)
    assert [e["seq"] for e in events] == [1, 2]


async def test_subscription_is_dropped_when_the_room_is_idle(live: LiveServer) -> None:
    px = live.plenary
    key = room_key(live.meeting.id, "plenary")
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    assert key in px.hub.channels
    await px.rooms.sweep(0)  # a client is connected: the room stays
    assert key in px.hub.channels
    await viewer.close()
    await eventually(lambda: not px.hub.channels[key].outboxes, what="the viewer to leave")
    await px.rooms.sweep(0)
    assert key not in px.hub.channels
    # The room comes back on next use, with its state from the record.
    cap = await captioner(live, client="c1")
    await commit_lines(cap, ["after the sweep"])
    runtime = await px.rooms.get(live.meeting.id, "plenary")
    assert runtime.state.seq == 1 and key in px.hub.channels


async def test_viewer_joining_mid_sentence_sees_the_live_line(live: LiveServer) -> None:
    cap = await captioner(live, client="c1", name="Ann")
    await commit_lines(cap, ["Earlier line."])
    await cap.send(type="edit", ins="The delegate of Brazil")
    watcher = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    while (await watcher.recv_type("live"))["data"]["lines"][0]["text"] != "The delegate of Brazil":
        pass
    late = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    first_line = await late.recv_type("line")
    assert first_line["seq"] == 1
    snapshot = await late.recv_type("live")
    assert snapshot["data"]["lines"] == [
        {"by": cap.welcome["conn"], "name": "Ann", "text": "The delegate of Brazil"}
    ]


async def test_errors_name_the_command_they_answer(live: LiveServer) -> None:
    cap = await captioner(live, client="c1")
    await cap.send(type="commit", n=4, text="")
    err = await cap.recv_type("error")
    assert err["code"] == "empty_line" and err["n"] == 4
    await cap.send(type="correct", n=5, line=40, text="x")
    err = await cap.recv_type("error")
    assert err["code"] == "no_such_line" and err["n"] == 5
