"""`plenary serve` runs on uvloop and httptools (installed with plenary), and on asyncio's own
loop and h11 with --pure-python; captions reach viewers either way."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.ops.serving import runtime
from tests.support import ROOT, Client, ServerProcess, free_port


def test_uvloop_and_httptools_are_installed_with_plenary() -> None:
    assert runtime() == ("uvloop", "httptools")
    assert runtime(pure_python=True) == ("asyncio", "h11")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "event loop uvloop, HTTP parser httptools, fan-out loop compiled"),
        (("--pure-python",), "event loop asyncio, HTTP parser h11, fan-out loop python"),
    ],
)
async def test_a_committed_line_reaches_a_viewer_on_either_runtime(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    server = ServerProcess(free_port(), tmp_path / "data", args=args).start(timeout=90)
    try:
        deadline = time.monotonic() + 30
        while said not in server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert said in server.output()
        made = subprocess.run(
            [
                *(sys.executable, "-m", "server", "meeting", "create", "R", "--json"),
                *("--data-dir", str(server.data_dir), "--public-url", server.base),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        doc = json.loads(made.stdout)
        room = doc["rooms"][0]
        key = room["captioner"].split("#key=")[1]
        viewer = await Client.connect(server.base_ws, doc["meeting"], room["room"])
        captioner = await Client.connect(server.base_ws, doc["meeting"], room["room"], key=key)
        try:
            await captioner.send(type="commit", n=1, text="Good morning.", speaker="Chair")
            ack = await captioner.recv_type("ack", timeout=30)
            [line] = [f for f in await viewer.events_until(ack["seq"], 30) if f["type"] == "line"]
            assert line["data"]["text"] == "Good morning."
        finally:
            await viewer.close()
            await captioner.close()
    finally:
        server.stop()
