"""Participants (CSV, command line, the console's HTTP endpoints, personal links) and break-out
groups opened and closed on their report, against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.domain import participants
from server.domain.keys import room_key
from server.domain.meetings import DEFAULT_GROUPS
from server.domain.participants import ParticipantError
from tests.conftest import LiveServer
from tests.support import ROOT, Client

GROUPS = list(DEFAULT_GROUPS)


def test_csv_rows_are_checked_before_anything_is_registered() -> None:
    text = (
        "\ufeffName,Organisation,Stakeholder group,Presence\n"
        'Ana Silva,Brazil,governments,remote\n"Okafor, Ben",Nigeria,,in room\n\n'
    )
    rows = participants.parse_csv(text, GROUPS)
    assert [(r.name, r.delegation, r.group, r.presence) for r in rows] == [
        ("Ana Silva", "Brazil", "Governments", "remote"),
        ("Okafor, Ben", "Nigeria", "", "in_room"),
    ]
    for bad, message in [
        ("", "empty"),
        ("delegation\nBrazil\n", "header row"),
        ("name\n", "no participants"),
        ("name,group\nAna,Martians\n", "line 2: unknown stakeholder group 'Martians'"),
        ("name,presence\nAna,remote\nBen,on the moon\n", "line 3: presence"),
        ("name\n" + "x" * 300 + "\n", "longer than"),
        ("name,delegation\n,Brazil\n", "line 2: a participant needs a name"),
    ]:
        with pytest.raises(ParticipantError, match=message):
            participants.parse_csv(bad, GROUPS)


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args, "--data-dir", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_command_line_registers_and_prints_personal_links(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = _cli(data, "meeting", "create", "WGEC", "--json")
    meeting = json.loads(made.stdout)["meeting"]
    one = _cli(data, "participant", "add", meeting, "Ana Silva", "--delegation", "Brazil",
               "--group", "Governments", "--json")  # fmt: skip
    assert one.returncode == 0, one.stderr
    [ana] = json.loads(one.stdout)
    assert ana["presence"] == "remote" and f"/m/{meeting}/plenary/me#key=" in ana["link"]
    csv = tmp_path / "people.csv"
    csv.write_text("name,delegation,group,presence\nBen Okafor,Nigeria,Governments,in room\n")
    many = _cli(data, "participant", "import", meeting, str(csv))
    assert many.returncode == 0 and "Ben Okafor" in many.stdout and "#key=" in many.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("name,group\nCat,Martians\n")
    refused = _cli(data, "participant", "import", meeting, str(bad))
    assert refused.returncode == 2 and "unknown stakeholder group" in refused.stderr
    listed = json.loads(_cli(data, "participant", "list", meeting, "--json").stdout)
    assert [p["name"] for p in listed] == ["Ana Silva", "Ben Okafor"]
    again = _cli(data, "participant", "link", meeting, ana["id"], "--json")
    assert again.returncode == 0 and json.loads(again.stdout)[0]["link"] != ana["link"]


def _chair(live: LiveServer) -> dict[str, str]:
    return {"authorization": f"Bearer {live.keys['chair']}"}


async def test_console_registers_participants_whose_links_work(live: LiveServer) -> None:
    base = f"{live.base}/api/m/{live.meeting.id}"
    async with httpx.AsyncClient() as http:
        one = await http.post(
            f"{base}/participants",
            json={"name": "Ana Silva", "delegation": "Brazil", "group": "Governments"},
            headers=_chair(live),
        )
        assert one.status_code == 200, one.text
        csv = "name,delegation,group,presence\nBen Okafor,Nigeria,Governments,in room\n"
        many = await http.post(
            f"{base}/participants",
            content=csv,
            headers={**_chair(live), "content-type": "text/csv"},
        )
        assert [p["name"] for p in many.json()["participants"]] == ["Ben Okafor"]
        bad = await http.post(
            f"{base}/participants",
            content="name,group\nCat,Martians\n",
            headers={**_chair(live), "content-type": "text/csv"},
        )
        assert bad.status_code == 400 and "Martians" in bad.json()["error"]
        viewer = await http.get(f"{base}/participants")
        assert viewer.status_code == 403
        listed = (await http.get(f"{base}/participants", headers=_chair(live))).json()
        assert [p["name"] for p in listed["participants"]] == ["Ana Silva", "Ben Okafor"]
        assert listed["groups"] == GROUPS

        link = one.json()["participants"][0]["link"]
        key = link.split("#key=")[1]
        me = (await http.get(f"{base}/me", headers={"authorization": f"Bearer {key}"})).json()
        assert me["name"] == "Ana Silva" and me["presence"] == "remote"
        page = await http.get(link.split("#")[0])
        assert page.status_code == 200 and "participant.js" in page.text

        # A new link revokes the old one.
        pid = me["id"]
        fresh = (await http.post(f"{base}/participants/{pid}/link", headers=_chair(live))).json()
        assert fresh["link"] != link
        old = await http.get(f"{base}/me", headers={"authorization": f"Bearer {key}"})
        assert old.status_code == 401


async def test_group_opens_runs_in_parallel_and_closes_on_its_report(live: LiveServer) -> None:
    base = f"{live.base}/api/m/{live.meeting.id}"
    chair = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.keys["chair"], client="c"
    )
    await chair.send(type="cmd", n=1, op="agenda.add", args={"number": "6", "title": "Cat. A"})
    item = (await chair.recv_type("ack"))["seq"]
    async with httpx.AsyncClient() as http:
        refused = await http.post(f"{base}/rooms", json={"name": ""}, headers=_chair(live))
        assert refused.status_code == 400 and "name" in refused.json()["error"]
        opened = await http.post(
            f"{base}/rooms",
            json={"name": "Break-out Peru", "convener": "Peru", "topic": "A", "item": item},
            headers=_chair(live),
        )
        assert opened.status_code == 200, opened.text
        group = opened.json()
        assert group["room"] == "break-out-peru" and "#key=" in group["captioner"]

        # Its captioner link works in its room only; it has its own transcript and list.
        key = group["captioner"].split("#key=")[1]
        cap = await Client.connect(live.base_ws, live.meeting.id, group["room"], key=key)
        await cap.send(type="commit", n=1, text="Peru opens the group.")
        line_seq = (await cap.recv_type("ack"))["seq"]
        viewer = await Client.connect(live.base_ws, live.meeting.id, group["room"])
        assert {r["id"] for r in viewer.welcome["rooms"]} >= {"plenary", "break-out-peru"}
        events = await viewer.events_until(line_seq)
        assert [e["type"] for e in events] == ["room.opened", "agenda.current", "line"]
        assert events[0]["data"]["convener"] == "Peru" and events[1]["data"]["item"] == item
        assert events[2]["data"]["item"] == item

        plenary_ev = await chair.recv_type("group.opened")
        assert plenary_ev["data"]["room"] == "break-out-peru"

        report = {"report": "Recommendations separated from statements under category A."}
        closed = await http.post(f"{base}/break-out-peru/report", json=report, headers=_chair(live))
        assert closed.json() == {"room": "break-out-peru", "status": "closed"}
        again = await http.post(f"{base}/break-out-peru/report", json=report, headers=_chair(live))
        assert again.status_code == 409 and "closed" in again.json()["error"]
        plenary_report = await http.post(
            f"{base}/plenary/report", json=report, headers=_chair(live)
        )
        assert plenary_report.status_code == 400

        ev = await viewer.recv_type("room.closed")
        assert ev["data"]["report"] == report["report"]
        reported = await chair.recv_type("group.reported")
        assert reported["data"]["report"] == report["report"]
        info = (await http.get(base)).json()
        assert {r["id"]: r["status"] for r in info["rooms"]}["break-out-peru"] == "closed"
        await cap.send(type="commit", n=2, text="too late")
        assert (await cap.recv_type("error"))["code"] == "room_closed"
    last = await live.plenary.backend.last_seq(room_key(live.meeting.id, "break-out-peru"))
    assert last == line_seq + 1


async def test_every_room_hears_of_rooms_opening_and_closing(live: LiveServer) -> None:
    base = f"{live.base}/api/m/{live.meeting.id}"
    async with httpx.AsyncClient() as http:
        first = await http.post(f"{base}/rooms", json={"name": "Group A"}, headers=_chair(live))
        a = first.json()["room"]
        in_a = await Client.connect(live.base_ws, live.meeting.id, a)
        in_plenary = await Client.connect(live.base_ws, live.meeting.id, "plenary")

        second = await http.post(f"{base}/rooms", json={"name": "Group B"}, headers=_chair(live))
        b = second.json()["room"]
        for client in (in_a, in_plenary):
            frame = await client.recv_type("rooms")
            assert "seq" not in frame  # a hint, not part of the record
            assert {r["id"]: r["status"] for r in frame["data"]["rooms"]}[b] == "open"

        closed = await http.post(f"{base}/{b}/close", headers=_chair(live))
        assert closed.status_code == 200, closed.text
        for client in (in_a, in_plenary):
            frame = await client.recv_type("rooms")
            statuses = {r["id"]: r["status"] for r in frame["data"]["rooms"]}
            assert statuses[b] == "closed" and statuses[a] == "open"
    # Nothing about B was recorded in A's log.
    events = await live.plenary.backend.read(room_key(live.meeting.id, a), 0, 100)
    assert [e.type for e in events] == ["room.opened"]


async def test_a_group_is_not_opened_twice(live: LiveServer) -> None:
    base = f"{live.base}/api/m/{live.meeting.id}"
    async with httpx.AsyncClient() as http:
        first = await http.post(
            f"{base}/rooms", json={"name": "Friends of the Chair"}, headers=_chair(live)
        )
        assert first.status_code == 200
        again = await http.post(
            f"{base}/rooms", json={"name": "friends of the chair"}, headers=_chair(live)
        )
        assert again.status_code == 409 and "already open" in again.json()["error"]
        info = (await http.get(base)).json()
        assert [r["name"] for r in info["rooms"]].count("Friends of the Chair") == 1
        # Once it has reported back, a group of that name may meet again.
        room = first.json()["room"]
        done = await http.post(
            f"{base}/{room}/report", json={"report": "Done."}, headers=_chair(live)
        )
        assert done.status_code == 200
        reopened = await http.post(
            f"{base}/rooms", json={"name": "Friends of the Chair"}, headers=_chair(live)
        )
        assert reopened.status_code == 200 and reopened.json()["room"] != room


async def test_only_the_chair_opens_groups(live: LiveServer) -> None:
    base = f"{live.base}/api/m/{live.meeting.id}"
    cap = {"authorization": f"Bearer {live.captioner_key()}"}
    async with httpx.AsyncClient() as http:
        r: Any = await http.post(f"{base}/rooms", json={"name": "X"}, headers=cap)
        assert r.status_code == 403
        r = await http.post(f"{base}/rooms", json={"name": "X"})
        assert r.status_code == 403
        r = await http.post(f"{base}/break-out-a/report", json={"report": "x"}, headers=cap)
        assert r.status_code == 403
        r = await http.post(f"{base}/rooms", content=b"[1]", headers=_chair(live))
        assert r.status_code == 400
