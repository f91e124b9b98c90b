"""The plenary command: meeting create/list/reissue, push through a flaky network, export."""

from __future__ import annotations

import asyncio
import html
import io
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import srt
import websockets
import webvtt

from server.ops.pusher import push_lines
from tests.support import ROOT, Client, ServerProcess, free_port


def plenary(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(free_port(), tmp_path / "data")
    proc.start()
    yield proc
    proc.stop()


def create(server: ServerProcess, *extra: str) -> dict:
    out = plenary(
        "meeting",
        "create",
        "WGEC",
        "--room",
        "Plenary",
        "--room",
        "Break-out A",
        "--json",
        "--data-dir",
        str(server.data_dir),
        "--public-url",
        server.base,
        *extra,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_first_start_creates_the_demo_meeting_and_prints_links(server: ServerProcess) -> None:
    text = server.output()
    assert "Third Meeting of the CSTD Working Group on Enhanced Cooperation" in text
    assert "/caption#key=" in text and "/chair#key=" in text
    listed = plenary("meeting", "list", "--json", "--data-dir", str(server.data_dir))
    meetings = json.loads(listed.stdout)
    assert len(meetings) == 1 and meetings[0]["rooms"][0]["room"] == "plenary"


def test_meeting_create_json(server: ServerProcess) -> None:
    doc = create(server)
    assert set(doc) == {"meeting", "title", "chair", "viewer_passcode", "rooms"}
    assert doc["title"] == "WGEC" and doc["viewer_passcode"] is False
    assert [r["room"] for r in doc["rooms"]] == ["plenary", "break-out-a"]
    room = doc["rooms"][0]
    assert room["viewer"] == f"{server.base}/m/{doc['meeting']}/plenary"
    assert "#key=" in room["captioner"] and "?key=" in room["caption_api"]
    assert doc["chair"].startswith(f"{server.base}/m/{doc['meeting']}/chair#key=")
    text = plenary("meeting", "list", "--data-dir", str(server.data_dir)).stdout
    assert doc["meeting"] in text and "break-out-a" in text


def test_meeting_create_records_venue_and_chair(server: ServerProcess) -> None:
    venue, chair = "the Palais des Nations in Geneva", "Mr. Peter Major (Hungary)"
    doc = create(server, "--venue", venue, "--chaired-by", chair)
    with urllib.request.urlopen(f"{server.base}/api/m/{doc['meeting']}", timeout=5) as response:
        info = json.loads(response.read())
    assert info["venue"] == venue and info["chaired_by"] == chair
    too_long = plenary(
        "meeting", "create", "X", "--venue", "v" * 201, "--data-dir", str(server.data_dir)
    )
    assert too_long.returncode == 2 and "venue" in too_long.stderr


def test_meeting_create_refuses_an_empty_title(tmp_path: Path) -> None:
    out = plenary("meeting", "create", "  ", "--data-dir", str(tmp_path))
    assert out.returncode == 2 and "title" in out.stderr


def test_reissue_revokes_the_old_link(server: ServerProcess) -> None:
    doc = create(server)
    old_api = doc["rooms"][0]["caption_api"]
    out = plenary(
        "meeting",
        "reissue",
        doc["meeting"],
        "captioner",
        "--room",
        "plenary",
        "--data-dir",
        str(server.data_dir),
        "--public-url",
        server.base,
    )
    assert out.returncode == 0, out.stderr
    new_api = next(line.split()[-1] for line in out.stdout.splitlines() if "caption API" in line)
    refused = plenary("push", old_api, stdin="with the old key\n")
    assert refused.returncode == 2 and "403" in refused.stderr
    accepted = plenary("push", new_api, stdin="with the new key\n")
    assert accepted.returncode == 0, accepted.stderr
    bad = plenary(
        "meeting", "reissue", doc["meeting"], "captioner", "--data-dir", str(server.data_dir)
    )
    assert bad.returncode == 2 and "--room" in bad.stderr


def test_reissue_from_the_cli_refuses_the_old_key_to_the_next_websocket_hello(
    server: ServerProcess,
) -> None:
    # The running server keeps the meeting it read for earlier hellos; a save by another
    # process (this CLI) must still take effect for the very next one.
    doc = create(server)
    meeting = doc["meeting"]
    old_key = doc["rooms"][0]["captioner"].split("#key=")[1]

    async def hello(key: str) -> dict[str, object] | int:
        try:
            client = await Client.connect(server.base_ws, meeting, "plenary", key=key)
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd is not None else -1
        await client.close()
        return client.welcome

    async def scenario() -> None:
        for _ in range(3):  # the server now holds its copy of the meeting
            welcome = await hello(old_key)
            assert isinstance(welcome, dict) and welcome["role"] == "captioner"
        out = plenary(
            "meeting", "reissue", meeting, "captioner", "--room", "plenary",
            "--data-dir", str(server.data_dir), "--public-url", server.base,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert await hello(old_key) == 4401
        new_key = next(
            line.split("#key=")[1] for line in out.stdout.splitlines() if "#key=" in line
        )
        welcome = await hello(new_key)
        assert isinstance(welcome, dict) and welcome["role"] == "captioner"

    asyncio.run(scenario())


def test_meeting_link_makes_scoped_links_that_work(server: ServerProcess) -> None:
    doc = create(server)
    flags = ["--data-dir", str(server.data_dir), "--public-url", server.base]
    out = plenary("meeting", "link", doc["meeting"], "secretariat", "--json", *flags)
    assert out.returncode == 0, out.stderr
    link = json.loads(out.stdout)["link"]
    assert link.startswith(f"{server.base}/m/{doc['meeting']}/chair#key=")
    request = urllib.request.Request(
        f"{server.base}/api/m/{doc['meeting']}",
        headers={"authorization": f"Bearer {link.split('#key=')[1]}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["role"] == "secretariat"
    # A convener's link is for a group's room; the command says which rooms there are.
    refused = plenary("meeting", "link", doc["meeting"], "convener", *flags)
    assert refused.returncode == 2 and "--room" in refused.stderr
    again = plenary("meeting", "reissue", doc["meeting"], "secretariat", *flags)
    assert again.returncode == 0 and "secretariat" in again.stdout
    with pytest.raises(urllib.error.HTTPError) as revoked:
        urllib.request.urlopen(request, timeout=5)
    revoked.value.close()
    assert revoked.value.code == 401


def test_document_export_from_the_command_line(server: ServerProcess, tmp_path: Path) -> None:
    import docx

    doc = create(server)
    chair = doc["chair"].split("#key=")[1]
    outline = "# Compilation\n\n## A. One\n- A first proposal.\n- A second one.\n"
    request = urllib.request.Request(
        f"{server.base}/api/m/{doc['meeting']}/documents",
        data=outline.encode(),
        headers={"authorization": f"Bearer {chair}", "content-type": "text/markdown"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        doc_id = json.loads(response.read())["doc"]
    target = tmp_path / "doc.docx"
    out = plenary("document", "export", doc["meeting"], str(doc_id), "-o", str(target),
                  "--data-dir", str(server.data_dir))  # fmt: skip
    assert out.returncode == 0, out.stderr
    texts = [p.text for p in docx.Document(str(target)).paragraphs]
    assert "Compilation" in texts and "A.2 (not yet sorted, not yet discussed)" in texts
    current = plenary("document", "export", doc["meeting"], str(doc_id), "-f", "md",
                      "--current-text", "--data-dir", str(server.data_dir))  # fmt: skip
    assert "**A.1** A first proposal." in current.stdout and "History" not in current.stdout
    missing = plenary("document", "export", doc["meeting"], "999", "-f", "md",
                      "--data-dir", str(server.data_dir))  # fmt: skip
    assert missing.returncode == 2 and "no rolling document 999" in missing.stderr


class FlakyProxy:
    """Forwards HTTP requests, but drops some before forwarding and loses some responses after
    the server has handled them, in a fixed pattern."""

    PATTERN = ("drop", "lose_response", "ok", "ok", "lose_response", "ok")

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.count = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self.ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for header in head.split(b"\r\n"):
            if header.lower().startswith(b"content-length:"):
                length = int(header.split(b":")[1])
        body = await reader.readexactly(length)
        action = self.PATTERN[self.count % len(self.PATTERN)]
        self.count += 1
        if action == "drop":
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        up_writer.write(head + body)
        await up_writer.drain()
        response = await up_reader.read()  # urllib asks the server to close
        up_writer.close()
        if action == "ok":
            writer.write(response)
            await writer.drain()
        writer.close()


def test_push_through_a_flaky_network_loses_and_duplicates_nothing(
    server: ServerProcess,
) -> None:
    doc = create(server)
    api = doc["rooms"][0]["caption_api"]
    lines = [f"Intervention line {i}" for i in range(12)]
    with FlakyProxy(server.port) as proxy:
        flaky_api = api.replace(f":{server.port}/", f":{proxy.port}/")
        log: list[str] = []
        sent = push_lines(flaky_api, io.StringIO("\n".join(lines) + "\n"), log=log.append)
        assert sent == 12
        assert proxy.count > 12 and any("retrying" in m for m in log)
    exported = plenary(
        "export", doc["meeting"], "plenary", "-f", "json", "--data-dir", str(server.data_dir)
    )
    texts = [line["text"] for line in json.loads(exported.stdout)["lines"]]
    assert texts == lines
    # A second pusher continues where the first stopped.
    again = plenary("push", api, stdin="One more\n")
    assert again.returncode == 0
    exported = plenary(
        "export", doc["meeting"], "plenary", "-f", "json", "--data-dir", str(server.data_dir)
    )
    assert [line["text"] for line in json.loads(exported.stdout)["lines"]][-2:] == [
        lines[-1],
        "One more",
    ]


def test_push_refuses_a_url_that_is_not_http() -> None:
    out = plenary("push", "ftp://example.org/x", stdin="a\n")
    assert out.returncode == 2 and "http" in out.stderr


async def _commit(server: ServerProcess, doc: dict, texts: list[str]) -> None:
    key = doc["rooms"][0]["captioner"].split("#key=")[1]
    cap = await Client.connect(
        server.base_ws, doc["meeting"], "plenary", key=key, client="c", name="Ann"
    )
    for i, text in enumerate(texts, 1):
        await cap.send(type="commit", n=i, text=text, speaker="Chair" if i % 2 else "Brazil")
        await cap.recv_type("ack")
    await cap.send(type="correct", n=len(texts) + 1, line=1, text=texts[0] + " (corrected)")
    await cap.recv_type("ack")
    await cap.close()


def test_export_formats_parse_back(server: ServerProcess) -> None:
    doc = create(server)
    texts = [
        "The Chair opened the meeting.",
        "Brazil informed the group <about> NETmundial.",
        "The agenda was adopted & the work continued.",
    ]
    asyncio.run(_commit(server, doc, texts))
    expected = [texts[0] + " (corrected)", *texts[1:]]
    out = {
        fmt: plenary(
            "export", doc["meeting"], "plenary", "-f", fmt, "--data-dir", str(server.data_dir)
        ).stdout
        for fmt in ("txt", "vtt", "srt", "json")
    }
    vtt = webvtt.from_string(out["vtt"])
    assert [html.unescape(c.text) for c in vtt] == expected
    assert [c.voice for c in vtt] == ["Chair", "Brazil", "Chair"]
    assert all(c.start < c.end for c in vtt)  # zero-padded stamps compare as text
    assert [c.start for c in vtt] == sorted(c.start for c in vtt)
    subs = list(srt.parse(out["srt"]))
    assert [s.content for s in subs] == [
        f"{'Chair' if i % 2 == 0 else 'Brazil'}: {t}" for i, t in enumerate(expected)
    ]
    record = json.loads(out["json"])
    assert [line["text"] for line in record["lines"]] == expected
    assert record["lines"][0]["history"][0]["was"] == texts[0]
    assert record["lines"][0]["captioner"] == "Ann"
    assert all(t in out["txt"] for t in expected)
    http = plenary("export", doc["meeting"], "nosuchroom", "--data-dir", str(server.data_dir))
    assert http.returncode == 2 and "plenary" in http.stderr
