"""Putting the record right against a real server, on both backends: re-attributing a run of
lines and correcting an intervention's times over the websocket and over HTTP, by the roles the
rule allows; a correction that changes nothing refused with nothing recorded; the exports, the
digest and the figures following the corrected record."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from typing import Any

import docx
import httpx

from server.domain.keys import room_key
from tests.conftest import LiveServer
from tests.support import ROOT, Client
from tests.web.test_documents import import_csv, secretariat_key
from tests.web.test_floor_ws import Cmd, connect, register, until


def auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


async def record_length(live: LiveServer, room: str = "plenary") -> int:
    events = await live.plenary.backend.read(room_key(live.meeting.id, room), 0, 10_000)
    return len(events)


async def _session(live: LiveServer) -> dict[str, Any]:
    """Ana has the floor, then Ben; the captioner Ann writes two lines under each, but the
    chair gave Ben the floor late: Ann's second line is Ben's, not Ana's."""
    keys = await register(live)
    chair = await connect(live, live.keys["chair"], "chair-1")
    cap = await Client.connect(
        live.base_ws,
        live.meeting.id,
        "plenary",
        key=live.captioner_key(),
        client="cap",
        name="Ann",
    )
    ana, ben = await connect(live, keys[0], "p0"), await connect(live, keys[1], "p1")
    c = Cmd(chair)
    item = (await c("agenda.add", number="1", title="Opening"))["seq"]
    await c("agenda.current", item=item)
    await Cmd(ana)("floor.request")
    await Cmd(ben)("floor.request")
    first = (await c("floor.grant"))["seq"]
    lines = []
    for n, text in enumerate(["Ana speaks.", "Ben begins, before the grant."], 1):
        await cap.send(type="commit", n=n, text=text)
        lines.append((await cap.recv_type("ack"))["seq"])
    granted = await c("floor.grant")
    second = granted["seq"] + 1  # the ended event of Ana's comes first in the same append
    for n, text in enumerate(["Ben goes on.", "Ben ends."], 3):
        await cap.send(type="commit", n=n, text=text)
        lines.append((await cap.recv_type("ack"))["seq"])
    await c("floor.end")
    Cmd(cap).n = 4  # the captioner's commands are numbered after its lines
    return {"chair": chair, "cap": cap, "item": item, "ana": first, "ben": second, "lines": lines}


async def test_a_run_of_lines_is_reattributed_over_the_websocket_and_seen_by_viewers(
    live: LiveServer,
) -> None:
    s = await _session(live)
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    cap: Client = s["cap"]
    wrong = s["lines"][1]
    state = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    assert state.lines[wrong].intervention == s["ana"]
    assert state.lines[wrong].speaker == "Ana Silva"
    # The captioner who wrote it moves it to Ben's intervention: his name and delegation follow.
    ack = await Cmd(cap)("line.reattribute", line=wrong, intervention=s["ben"])
    assert ack["type"] == "ack", ack
    event = await until(viewer, ack["seq"])
    assert event["type"] == "line.reattributed"
    assert event["data"]["lines"] == [wrong]
    assert event["data"]["set"] == {
        "intervention": s["ben"],
        "speaker": "Ben Okafor",
        "delegation": "Nigeria",
        "participant": state.floor.held[s["ben"]].who.participant,
    }
    assert event["data"]["was"][0]["speaker"] == "Ana Silva"
    assert event["data"]["by"] == "Ann" and event["data"]["role"] == "captioner"
    line = state.lines[wrong]
    assert (line.speaker, line.delegation, line.intervention) == ("Ben Okafor", "Nigeria", s["ben"])
    assert line.reattributed
    # The same again changes nothing: refused, nothing recorded.
    before = await record_length(live)
    again = await Cmd(cap)("line.reattribute", line=wrong, intervention=s["ben"])
    assert again["type"] == "error" and again["code"] == "unchanged"
    assert "changes nothing" in again["message"]
    assert await record_length(live) == before
    # A run: the whole of lines 2..4 to the agenda item they already have changes nothing; to
    # no item changes all three.
    run = {"line": s["lines"][1], "through": s["lines"][3]}
    same = await Cmd(cap)("line.reattribute", **run, item=s["item"])
    assert same["type"] == "error" and same["code"] == "unchanged"
    moved = await Cmd(s["chair"])("line.reattribute", **run, item=None)
    assert moved["type"] == "ack"
    event = await until(viewer, moved["seq"])
    assert event["data"]["lines"] == s["lines"][1:]
    assert all(state.lines[n].item is None for n in s["lines"][1:])


async def test_who_may_reattribute_and_bad_input(live: LiveServer) -> None:
    s = await _session(live)
    keys = await register(live, [("Dan Roe", "Peru", "Governments", "remote")])
    dan = await connect(live, keys[0], "p9")
    other = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="c2", name="Bob"
    )
    line = s["lines"][1]
    before = await record_length(live)
    for client, code in [(dan, "forbidden"), (other, "forbidden")]:
        refused = await Cmd(client)("line.reattribute", line=line, speaker="Someone")
        assert refused["type"] == "error" and refused["code"] == code, refused
    assert "only its captioner, the chair or the secretariat" in refused["message"]
    chair = Cmd(s["chair"])
    for args, code in [
        ({"line": 999, "speaker": "X"}, "no_such_line"),
        ({"line": line}, "bad_field"),
        ({"line": line, "intervention": 999}, "no_such_intervention"),
        ({"line": line, "item": 999}, "no_such_item"),
        ({"line": line, "through": line - 1, "speaker": "X"}, "bad_field"),
        ({"line": line, "speaker": 5}, "bad_field"),
        ({"line": "two", "speaker": "X"}, "bad_field"),
        ({"line": line, "proposal": "A.1"}, "no_such_document"),
    ]:
        refused = await chair("line.reattribute", **args)
        assert refused["type"] == "error" and refused["code"] == code, (args, refused)
    assert await record_length(live) == before


async def test_a_text_correction_that_changes_nothing_is_refused(live: LiveServer) -> None:
    s = await _session(live)
    cap: Client = s["cap"]
    before = await record_length(live)
    await cap.send(type="correct", n=50, line=s["lines"][0], text="Ana speaks.")
    err = await cap.recv_type("error")
    assert err["code"] == "unchanged" and err["n"] == 50
    assert await record_length(live) == before
    async with httpx.AsyncClient(base_url=live.base) as http:
        url = f"/api/m/{live.meeting.id}/plenary/lines/{s['lines'][0]}/text"
        same = await http.post(
            url, json={"text": "Ana speaks."}, headers=auth(live.captioner_key())
        )
        assert same.status_code == 409 and same.json()["code"] == "unchanged"
        done = await http.post(
            url, json={"text": "Ana speaks first."}, headers=auth(live.captioner_key())
        )
        assert done.status_code == 200, done.text
        assert done.json()["event"]["data"]["was"] == "Ana speaks."
        viewer = await http.post(url, json={"text": "x"})
        assert viewer.status_code == 403  # a viewer (public meeting): not a corrector


async def test_http_reattribution_time_correction_and_the_record_following(
    live: LiveServer,
) -> None:
    s = await _session(live)
    m = live.meeting.id
    async with httpx.AsyncClient(base_url=live.base) as http:
        sec = await secretariat_key(live, http)
        interventions = (
            await http.get(f"/api/m/{m}/plenary/interventions", headers=auth(sec))
        ).json()
        ana, ben = interventions["interventions"]
        assert (ana["intervention"], ben["intervention"]) == (s["ana"], s["ben"])
        before = (await http.get(f"/api/m/{m}/record/digest.json", headers=auth(sec))).json()
        lines_of = {
            i["intervention"]: i["lines"] for i in before["items"][0]["rooms"][0]["interventions"]
        }
        assert lines_of == {s["ana"]: 2, s["ben"]: 2}
        # The secretariat re-attributes the line over HTTP.
        url = f"/api/m/{m}/plenary/lines/{s['lines'][1]}/attribution"
        done = await http.post(url, json={"intervention": s["ben"]}, headers=auth(sec))
        assert done.status_code == 200, done.text
        assert done.json()["event"]["data"]["role"] == "secretariat"
        same = await http.post(url, json={"intervention": s["ben"]}, headers=auth(sec))
        assert same.status_code == 409 and same.json()["code"] == "unchanged"
        assert "changes nothing" in same.json()["error"]
        # Ana was given the floor 10 s before the chair pressed the button; Ben was granted
        # late: Ana's intervention ended 2 s earlier, Ben's began 2 s earlier.
        times = f"/api/m/{m}/plenary/interventions/{{}}/times"
        early = await http.post(
            times.format(s["ana"]), json={"began": ana["began"] - 10_000}, headers=auth(sec)
        )
        assert early.status_code == 200, early.text
        overlap = await http.post(
            times.format(s["ben"]), json={"began": ben["began"] - 2000}, headers=auth(sec)
        )
        assert overlap.status_code == 409 and overlap.json()["code"] == "overlap"
        ended = await http.post(
            times.format(s["ana"]), json={"ended": ana["ended"] - 2000}, headers=auth(sec)
        )
        assert ended.status_code == 200, ended.text
        began = await http.post(
            times.format(s["ben"]), json={"began": ben["began"] - 2000}, headers=auth(sec)
        )
        assert began.status_code == 200, began.text
        unchanged = await http.post(
            times.format(s["ben"]), json={"began": ben["began"] - 2000}, headers=auth(sec)
        )
        assert unchanged.status_code == 409 and unchanged.json()["code"] == "unchanged"
        bad = await http.post(times.format(s["ben"]), json={}, headers=auth(sec))
        assert bad.status_code == 400
        participant = await http.post(
            times.format(s["ben"]), json={"began": 1}, headers=auth(live.captioner_key())
        )
        assert participant.status_code == 403
        # The live totals follow: Ana 8 s more, Ben 2 s more.
        floor = (await http.get(f"/api/m/{m}/plenary/floor", headers=auth(sec))).json()
        totals = floor["floor"]["totals"]["delegation"]
        assert totals["Brazil"]["ms"] == ana["spoken_ms"] + 8000
        assert totals["Nigeria"]["ms"] == ben["spoken_ms"] + 2000
        # The digest and the figures are recomputed from the corrected record.
        after = (await http.get(f"/api/m/{m}/record/digest.json", headers=auth(sec))).json()
        part = after["items"][0]["rooms"][0]
        by_id = {i["intervention"]: i for i in part["interventions"]}
        assert by_id[s["ana"]]["lines"] == 1 and by_id[s["ben"]]["lines"] == 3
        assert by_id[s["ana"]]["spoken_ms"] == ana["spoken_ms"] + 8000
        assert by_id[s["ben"]]["spoken_ms"] == ben["spoken_ms"] + 2000
        figures = (await http.get(f"/api/m/{m}/record/figures.json", headers=auth(sec))).json()
        rows = {r["key"]: r for r in figures["scopes"][0]["by_delegation"]}
        assert rows["Nigeria"]["lines"] == 3 and rows["Brazil"]["lines"] == 1
        assert rows["Nigeria"]["speaking_ms"] == ben["spoken_ms"] + 2000
        # The JSON export holds the current attribution and its history.
        export = await http.get(f"/api/m/{m}/plenary/transcript.json", headers=auth(sec))
        line = next(x for x in export.json()["lines"] if x["seq"] == s["lines"][1])
        assert line["speaker"] == "Ben Okafor" and line["intervention"] == s["ben"]
        (change,) = line["attributions"]
        assert change["was"]["speaker"] == "Ana Silva" and change["was"]["intervention"] == s["ana"]
        assert change["set"]["speaker"] == "Ben Okafor"
        assert change["by"] == "Ms. Secretary" and change["role"] == "secretariat"
        assert change["time"].startswith("20")
        # The Word digest reads back with the same figures.
        word = await http.get(f"/api/m/{m}/record/digest.docx", headers=auth(sec))
        assert word.status_code == 200
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
        assert "Floor requests made under this item: 2" in text
        assert "Transcript lines attributed to this item: 4" in text
        lines = await http.get(f"/api/m/{m}/plenary/lines", headers=auth(sec))
        shown = {x["seq"]: x for x in lines.json()["lines"]}
        assert shown[s["lines"][1]]["reattributed"] is True
        assert json.dumps(shown)  # plain JSON


async def test_the_command_line_exports_the_corrected_record(live: LiveServer) -> None:
    s = await _session(live)
    m = live.meeting.id
    async with httpx.AsyncClient(base_url=live.base) as http:
        url = f"/api/m/{m}/plenary/lines/{s['lines'][1]}/attribution"
        done = await http.post(
            url, json={"intervention": s["ben"]}, headers=auth(live.keys["chair"])
        )
        assert done.status_code == 200, done.text
    flags = ["--backend", live.settings.backend_url]

    def plenary(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "server", *args, *flags],
            cwd=ROOT, capture_output=True, timeout=60,
        )  # fmt: skip

    exported = await asyncio.to_thread(plenary, "export", m, "plenary", "-f", "json")
    assert exported.returncode == 0, exported.stderr
    line = next(x for x in json.loads(exported.stdout)["lines"] if x["seq"] == s["lines"][1])
    assert line["speaker"] == "Ben Okafor" and line["attributions"][0]["by"] == "Chair"
    report = await asyncio.to_thread(plenary, "report", m, "figures", "-f", "json")
    rows = {r["key"]: r for r in json.loads(report.stdout)["scopes"][0]["by_delegation"]}
    assert rows["Nigeria"]["lines"] == 3 and rows["Brazil"]["lines"] == 1
    word = await asyncio.to_thread(
        plenary, "report", m, "digest", "-f", "docx", "-o", "/dev/stdout"
    )
    assert word.returncode == 0, word.stderr
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.stdout)).paragraphs)
    assert "Requests given the floor under this item: 2" in text


async def test_a_line_is_reattributed_to_a_proposal_of_the_rolling_document(
    live: LiveServer,
) -> None:
    s = await _session(live)
    async with httpx.AsyncClient(base_url=live.base) as http:
        doc = await import_csv(live, http)
    chair = Cmd(s["chair"])
    line = s["lines"][2]
    ack = await chair("line.reattribute", line=line, proposal="a.1")
    assert ack["type"] == "ack", ack
    state = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    assert (state.lines[line].doc, state.lines[line].proposal) == (doc, "A.1")
    unknown = await chair("line.reattribute", line=line, proposal="Z.9")
    assert unknown["type"] == "error" and unknown["code"] == "no_such_proposal"
    cleared = await chair("line.reattribute", line=line, proposal=None)
    assert cleared["type"] == "ack"
    assert (state.lines[line].doc, state.lines[line].proposal) == (None, None)
    async with httpx.AsyncClient(base_url=live.base) as http:
        export = await http.get(
            f"/api/m/{live.meeting.id}/plenary/transcript.json", headers=auth(live.keys["chair"])
        )
    exported = next(x for x in export.json()["lines"] if x["seq"] == line)
    assert "proposal" not in exported
    assert [a["set"] for a in exported["attributions"]] == [
        {"doc": doc, "proposal": "A.1"},
        {"doc": None, "proposal": None},
    ]
