"""The rolling document over HTTP and the websocket, on both backends: import (and bad files that
import nothing), the proposal under discussion reaching every client and attributing lines,
requests and interventions, two chairs' conflicting edits, the scoped roles (a convener runs one
group's room, the secretariat keeps documents without running the floor), a break-out group's
share, report and endorsement, and attached files served safely."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from typing import Any

import docx
import httpx

from server.domain.keys import room_key
from tests.conftest import LiveServer
from tests.support import Client
from tests.web.test_floor_ws import Cmd, connect, register, until

CSV = """category,id,text,submitted by,kind
"A. Implementation of the Tunis Agenda",A.1,Strengthen the Tunis Agenda.,Brazil,
A,A.2,We note the work so far. Review it every two years.,Ana Silva; APC,
"B. Public policy issues and possible mechanisms",,Map the public policy issues.,,
"C. Role of stakeholders",,Equal footing for all stakeholders.,ISOC,recommendation
"""


def auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


async def import_csv(live: LiveServer, http: httpx.AsyncClient, key: str | None = None) -> int:
    answer = await http.post(
        f"/api/m/{live.meeting.id}/documents?description=draft+recommendations&posted=2014-02-17",
        content=CSV.encode(),
        headers={**auth(key or live.keys["chair"]), "content-type": "text/csv"},
    )
    assert answer.status_code == 201, answer.text
    doc: int = answer.json()["doc"]
    return doc


async def secretariat_key(live: LiveServer, http: httpx.AsyncClient) -> str:
    made = await http.post(
        f"/api/m/{live.meeting.id}/links",
        json={"role": "secretariat", "label": "Ms. Secretary"},
        headers=auth(live.keys["chair"]),
    )
    assert made.status_code == 200, made.text
    assert made.json()["link"].startswith(f"{live.base}/m/{live.meeting.id}/chair#key=")
    return str(made.json()["link"].split("#key=")[1])


async def test_import_checks_every_line_first_and_a_bad_file_records_nothing(
    live: LiveServer,
) -> None:
    await register(live)
    key = room_key(live.meeting.id, "plenary")
    async with httpx.AsyncClient(base_url=live.base) as http:
        before = await live.plenary.backend.last_seq(key)
        bad = "category,id,text\nA,A.1,One.\nA,A.1,Two.\nB,B.9,\n"
        answer = await http.post(
            f"/api/m/{live.meeting.id}/documents",
            content=bad.encode(),
            headers={**auth(live.keys["chair"]), "content-type": "text/csv"},
        )
        assert answer.status_code == 400
        body = answer.json()
        assert body["code"] == "bad_file" and body["error"].startswith("nothing was imported")
        assert body["details"] == [
            {"line": 3, "error": "A.1 is given twice (first on line 2)"},
            {"line": 4, "error": "the proposal has no text"},
        ]
        assert await live.plenary.backend.last_seq(key) == before  # nothing half-imported
        # Not for anyone else, and not as a type it cannot read.
        for headers, status in (({}, 403), (auth(live.captioner_key()), 403)):
            refused = await http.post(f"/api/m/{live.meeting.id}/documents", content=b"x",
                                      headers={**headers, "content-type": "text/csv"})  # fmt: skip
            assert refused.status_code == status
        odd = await http.post(f"/api/m/{live.meeting.id}/documents", content=b"x",
                              headers={**auth(live.keys["chair"]),
                                       "content-type": "application/pdf"})  # fmt: skip
        assert odd.status_code == 415
        huge = await http.post(f"/api/m/{live.meeting.id}/documents", content=b"a" * 2_000_000,
                               headers={**auth(live.keys["chair"]),
                                        "content-type": "text/csv"})  # fmt: skip
        assert huge.status_code == 413

        doc = await import_csv(live, http)
        listed = (await http.get(f"/api/m/{live.meeting.id}/documents")).json()
        assert [(d["doc"], d["proposals"]) for d in listed["documents"]] == [(doc, 4)]
        state = (await http.get(f"/api/m/{live.meeting.id}/plenary/documents")).json()
        (shown,) = state["docs"]
        assert [p["proposal"] for p in shown["proposals"]] == ["A.1", "A.2", "B.1", "C.1"]
        a2 = shown["proposals"][1]
        # "Ana Silva" is a registered participant: the submitter is her, with her delegation.
        assert a2["submitted_by"][0]["participant"] and a2["submitted_by"][0]["delegation"]
        assert a2["submitted_by"][1] == {"name": "APC", "participant": None, "delegation": "",
                                         "group": ""}  # fmt: skip
        assert shown["description"] == "draft recommendations"
        # A Markdown outline imports as a second document.
        md = "# Second\n\n## A. One\n- First proposal.\n- A.7 Second one.\n"
        answer = await http.post(
            f"/api/m/{live.meeting.id}/documents",
            content=md.encode(),
            headers={**auth(live.keys["chair"]), "content-type": "text/markdown"},
        )
        assert answer.status_code == 201 and answer.json()["proposals"] == 2


async def test_under_discussion_reaches_every_page_and_attributes_what_is_said(
    live: LiveServer,
) -> None:
    keys = await register(live)
    async with httpx.AsyncClient(base_url=live.base) as http:
        doc = await import_csv(live, http)
    viewer = await connect(live, None, "v1")
    chair = await connect(live, live.keys["chair"], "chair-1")
    ana = await connect(live, keys[0], "p0")
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="cap"
    )
    c = Cmd(chair)
    set_ = await c("doc.current", proposal="A.2")
    assert set_["type"] == "ack"
    current = await until(viewer, set_["seq"])
    assert current["type"] == "doc.current"
    assert current["data"]["text"] == "We note the work so far. Review it every two years."
    status = await until(viewer, set_["seq"] + 1)
    assert (status["type"], status["data"]["status"]) == ("doc.status", "under_discussion")
    # A request names the proposal it is about; the grant carries it; so does a line.
    asked = await Cmd(ana)("floor.request", proposal="C.1")
    requested = await until(viewer, asked["seq"])
    assert (requested["data"]["doc"], requested["data"]["proposal"]) == (doc, "C.1")
    granted = await c("floor.grant", entry=asked["seq"])
    grant = await until(viewer, granted["seq"])
    assert grant["data"]["proposal"] == "C.1"
    await cap.send(type="commit", n=1, text="On this proposal…", speaker="")
    line = await until(viewer, (await cap.recv_type("ack"))["seq"])
    assert (line["data"]["doc"], line["data"]["proposal"]) == (doc, "A.2")
    # A request naming no proposal is about the one under discussion when it is granted.
    await c("floor.end")
    again = await Cmd(ana)("floor.request")
    second = await c("floor.grant", entry=again["seq"])
    assert (await until(viewer, second["seq"]))["data"]["proposal"] == "A.2"
    # Naming a proposal this room does not have is refused.
    refused = await Cmd(ana)("floor.request", kind="reply", proposal="Z.9")
    assert refused["type"] == "error" and refused["code"] == "no_such_proposal"


async def test_two_chairs_editing_the_same_proposal_the_second_is_told_what_it_says_now(
    live: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live.base) as http:
        await import_csv(live, http)
        state = (await http.get(f"/api/m/{live.meeting.id}/plenary/documents")).json()
    rev = state["docs"][0]["proposals"][0]["rev"]
    one = await connect(live, live.keys["chair"], "chair-1")
    two = await connect(live, live.keys["chair"], "chair-2")
    first = await Cmd(one)("doc.revise", proposal="A.1", text="The first chair's text.", rev=rev)
    assert first["type"] == "ack"
    key = room_key(live.meeting.id, "plenary")
    before = await live.plenary.backend.last_seq(key)
    second = await Cmd(two)("doc.revise", proposal="A.1", text="The second's.", rev=rev)
    assert second["type"] == "error" and second["code"] == "stale"
    assert "The first chair's text." in second["message"]
    assert await live.plenary.backend.last_seq(key) == before
    # Splitting with the fresh rev works; the new part gets the category's next id.
    fresh = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    split = await Cmd(two)(
        "doc.split",
        proposal="A.2",
        parts=["We note the work so far.", "Review it every two years."],
        kinds=["statement", "recommendation"],
        rev=fresh.docs.docs[next(iter(fresh.docs.docs))].proposals["A.2"].rev,
    )
    assert split["type"] == "ack", split  # fmt: skip
    doc = next(iter(fresh.docs.docs.values()))
    assert (
        doc.proposals["A.3"].split_from == "A.2" and doc.proposals["A.3"].kind == "recommendation"
    )


async def test_scoped_roles_a_convener_runs_one_room_the_secretariat_keeps_documents(
    live: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live.base) as http:
        doc = await import_csv(live, http)
        sec = await secretariat_key(live, http)
        info = (await http.get(f"/api/m/{live.meeting.id}", headers=auth(sec))).json()
        assert info["role"] == "secretariat"
        # The secretariat reads the record and the register; it opens no groups.
        assert (await http.get(f"/api/m/{live.meeting.id}/record/digest.json",
                               headers=auth(sec))).status_code == 200  # fmt: skip
        assert (await http.get(f"/api/m/{live.meeting.id}/participants",
                               headers=auth(sec))).status_code == 200  # fmt: skip
        refused = await http.post(f"/api/m/{live.meeting.id}/rooms", json={"name": "G"},
                                  headers=auth(sec))  # fmt: skip
        assert refused.status_code == 403
        opened = await http.post(
            f"/api/m/{live.meeting.id}/rooms",
            json={"name": "Break-out group A", "convener": "Peru",
                  "task": {"categories": ["A"], "task": "to sort category A"}},
            headers=auth(live.keys["chair"]),
        )  # fmt: skip
        assert opened.status_code == 200, opened.text
        group = opened.json()["room"]
        made = await http.post(f"/api/m/{live.meeting.id}/links",
                               json={"role": "convener", "room": group},
                               headers=auth(live.keys["chair"]))  # fmt: skip
        convener = made.json()["link"].split("#key=")[1]
        assert f"/chair?room={group}#key=" in made.json()["link"]
        bad = await http.post(f"/api/m/{live.meeting.id}/links",
                              json={"role": "convener", "room": "plenary"},
                              headers=auth(live.keys["chair"]))  # fmt: skip
        assert bad.status_code == 400
        assert (await http.post(f"/api/m/{live.meeting.id}/links", json={"role": "chair"},
                                headers=auth(sec))).status_code == 403  # fmt: skip

    secretary = await connect(live, sec, "sec-1")
    assert (await Cmd(secretary)("doc.revise", proposal="B.1", text="Map them all."))[
        "type"
    ] == "ack"
    for op, args in (("doc.current", {"proposal": "B.1"}), ("floor.add", {"name": "X"}),
                     ("agenda.add", {"title": "x"}),
                     ("doc.task", {"room": "break-out-a", "categories": ["B"]})):  # fmt: skip
        frame = await Cmd(secretary)(op, **args)
        assert frame["type"] == "error" and frame["code"] == "forbidden", (op, frame)

    peru = await connect(live, convener, "peru", room=group)
    own = Cmd(peru)
    assert (await own("floor.add", name="Representative of Peru"))["type"] == "ack"
    assert (await own("doc.kind", proposal="A.1", kind="recommendation"))["type"] == "ack"
    assert (await own("doc.current", proposal="A.2"))["type"] == "ack"
    elsewhere = await connect(live, convener, "peru-2", room="plenary")
    for op, args in (("floor.add", {"name": "X"}), ("doc.revise", {"proposal": "C.1", "text": "x"}),
                     ("doc.current", {"proposal": "C.1"})):  # fmt: skip
        frame = await Cmd(elsewhere)(op, **args)
        assert frame["type"] == "error" and frame["code"] == "forbidden", (op, frame)
    # While the group holds A, the plenary may not change it.
    chair = await connect(live, live.keys["chair"], "chair-1")
    held = await Cmd(chair)("doc.revise", proposal="A.1", text="x")
    assert held["type"] == "error" and held["code"] == "with_group"

    async with httpx.AsyncClient(base_url=live.base) as http:
        other = await http.post(f"/api/m/{live.meeting.id}/break-out-a/report",
                                json={"report": "x"}, headers=auth(convener))  # fmt: skip
        assert group != "break-out-a" and other.status_code == 403
        done = await http.post(f"/api/m/{live.meeting.id}/{group}/report",
                               json={"report": "Sorted."}, headers=auth(convener))  # fmt: skip
        assert done.status_code == 200, done.text
    plenary = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    task = plenary.docs.docs[doc].tasks[0]
    assert task.version is not None and task.version.proposals["A.1"]["kind"] == "recommendation"
    endorsed = await Cmd(chair)("doc.endorse", room=group)
    assert endorsed["type"] == "ack"
    assert plenary.docs.docs[doc].proposals["A.1"].kind == "recommendation"
    assert (await Cmd(chair)("doc.revise", proposal="A.1", text="Free again."))["type"] == "ack"


class _Text(HTMLParser):
    """The text of an HTML page, and the ids of its proposal articles (html.parser reads it)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs).get("id") or ""
        if found.startswith("p-"):
            self.ids.append(found[2:])

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


async def test_exports_read_back_with_their_history(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.base) as http:
        doc = await import_csv(live, http)
        chair = await connect(live, live.keys["chair"], "chair-1")
        await Cmd(chair)("doc.revise", proposal="A.1", text="Strengthen <b>and</b> review it.")
        await Cmd(chair)("doc.status", proposals=["A.1"], status="agreed")
        await Cmd(chair)("doc.merge", proposals=["B.1", "C.1"], text="Map issues; equal footing.")
        base = f"/api/m/{live.meeting.id}/documents/{doc}"
        word = await http.get(f"{base}.docx")
        assert word.status_code == 200 and "attachment" in word.headers["content-disposition"]
        texts = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
        assert "A.1 (not yet sorted, agreed)" in texts
        assert "Strengthen <b>and</b> review it." in texts
        history = [t for t in texts if "revised; it read: “Strengthen the Tunis Agenda.”" in t]
        assert history and "by Chair" in history[0]
        assert "C.1 (merged into B.1)" in texts
        page = await http.get(f"{base}.html")
        parsed = _Text()
        parsed.feed(page.text)
        assert "&lt;b&gt;and&lt;/b&gt;" in page.text and "<b>and</b>" not in page.text
        assert "Strengthen <b>and</b> review it." in "".join(parsed.parts)
        assert parsed.ids == ["A.1", "A.2", "B.1", "C.1"]
        md = (await http.get(f"{base}.md")).text
        assert "### A.1 (not yet sorted, agreed)" in md and "\\<b\\>" in md
        # The current text alone: no history, no retired proposal.
        current = docx.Document(io.BytesIO((await http.get(f"{base}.docx?view=text")).content))
        lines = [p.text for p in current.paragraphs]
        assert "A.1 Strengthen <b>and</b> review it." in lines
        assert not any("merged" in t or "History" in t for t in lines)
        text_page = _Text()
        text_page.feed((await http.get(f"{base}.html?view=text")).text)
        assert text_page.ids == ["A.1", "A.2", "B.1"]
        assert (await http.get(f"{base}.pdf")).status_code == 404
        assert (await http.get(f"/api/m/{live.meeting.id}/documents/999.md")).status_code == 409


async def test_files_attached_to_an_item_are_served_as_downloads_only(live: LiveServer) -> None:
    chair = await connect(live, live.keys["chair"], "chair-1")
    item = (await Cmd(chair)("agenda.add", number="3", title="Correspondence group"))["seq"]
    files = f"/api/m/{live.meeting.id}/files"
    async with httpx.AsyncClient(base_url=live.base) as http:
        sec = await secretariat_key(live, http)
        up = await http.post(f"{files}?item={item}&title=The+spreadsheet&filename=cg.xlsx",
                             content=b"PK\x03\x04 a spreadsheet", headers=auth(sec))  # fmt: skip
        assert up.status_code == 201, up.text
        meta = up.json()
        got = await http.get(meta["url"])  # a public meeting: any viewer
        assert got.status_code == 200 and got.content == b"PK\x03\x04 a spreadsheet"
        assert got.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert got.headers["content-disposition"].startswith('attachment; filename="cg.xlsx"')
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in got.headers["content-security-policy"]
        agenda = (await http.get(f"/api/m/{live.meeting.id}/agenda")).json()
        assert agenda["items"][0]["attachments"][0]["title"] == "The spreadsheet"
        # A page is never served as a page, whatever it is called or claims to be.
        evil = await http.post(
            f"{files}?item={item}&filename=..%2F..%2Fslides.html",
            content=b"<script>alert(1)</script>",
            headers={**auth(sec), "content-type": "text/html"},
        )
        served = await http.get(evil.json()["url"])
        assert served.headers["content-type"] == "application/octet-stream"
        assert "slides.html" in served.headers["content-disposition"]
        assert "/" not in evil.json()["filename"]
        # Refusals.
        assert (await http.post(f"{files}?item={item}", content=b"x")).status_code == 403
        assert (await http.post(f"{files}?item=999999", content=b"x",
                                headers=auth(sec))).status_code == 404  # fmt: skip
        assert (await http.post(f"{files}?item={item}", content=b"",
                                headers=auth(sec))).status_code == 400  # fmt: skip
        too_big = await http.post(f"{files}?item={item}", content=b"x" * (10 * 2**20 + 1),
                                  headers=auth(sec))  # fmt: skip
        assert too_big.status_code == 413
        # Removed: no longer served, and the bytes are gone from the backend.
        gone = await http.delete(meta["url"], headers=auth(sec))
        assert gone.status_code == 200
        assert (await http.get(meta["url"])).status_code == 404
        assert await live.plenary.backend.get_file(live.meeting.id, meta["file"]) is None


async def test_a_protected_meeting_serves_its_files_with_the_passcode(live: LiveServer) -> None:
    from server.domain import auth as auth_mod
    from server.services import admin

    def protect(m: Any) -> None:
        m.viewer_passcode_hash = auth_mod.hash_passcode("geneva")

    await admin.update_meeting(live.plenary.backend, live.meeting.id, protect)
    chair = await connect(live, live.keys["chair"], "chair-1")
    item = (await Cmd(chair)("agenda.add", title="Item"))["seq"]
    async with httpx.AsyncClient(base_url=live.base) as http:
        up = await http.post(f"/api/m/{live.meeting.id}/files?item={item}&filename=a.pdf",
                             content=b"%PDF-1.4", headers=auth(live.keys["chair"]))  # fmt: skip
        url = up.json()["url"]
        assert (await http.get(url)).status_code == 401
        ok = await http.get(url, headers={"x-plenary-passcode": "geneva"})
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/pdf"
