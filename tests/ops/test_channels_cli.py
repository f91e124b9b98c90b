"""Caption channels from the command line: `meeting create --channel`, `channel add`, a push to
a channel's caption URL and `export --lang`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.test_cli import create, plenary
from tests.support import ServerProcess, free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(free_port(), tmp_path / "data")
    proc.start()
    yield proc
    proc.stop()


def test_channels_from_the_command_line(server: ServerProcess) -> None:
    data = ["--data-dir", str(server.data_dir)]
    doc = create(server, "--channel", "fr", "--channel", "pt-br")
    room = doc["rooms"][0]
    assert [c["channel"] for c in room["channels"]] == ["fr", "pt-BR"]
    fr = room["channels"][0]
    assert fr["viewer"] == f"{server.base}/m/{doc['meeting']}/plenary?channel=fr"
    assert "/plenary/caption?channel=fr#key=" in fr["captioner"]
    assert fr["caption_api"] != room["caption_api"]  # a station of its own

    pushed = plenary("push", fr["caption_api"], stdin="Bonjour à tous.\nLa séance est ouverte.\n")
    assert pushed.returncode == 0, pushed.stderr
    floor = plenary("push", room["caption_api"], "--lang", "en", stdin="Good morning.\n")
    assert floor.returncode == 0, floor.stderr

    exported = plenary("export", doc["meeting"], "plenary", "-f", "json", "--lang", "fr", *data)
    assert exported.returncode == 0, exported.stderr
    lines = json.loads(exported.stdout)["lines"]
    assert [x["text"] for x in lines] == ["Bonjour à tous.", "La séance est ouverte."]
    assert {x["lang"] for x in lines} == {"fr"}
    whole = plenary("export", doc["meeting"], "-f", "txt", "--lang", "all", *data)
    assert "Plenary — interpretation (fr)" in whole.stdout
    assert "Plenary — interpretation (pt-BR)" in whole.stdout
    assert whole.stdout.index("Good morning.") < whole.stdout.index("Bonjour à tous.")
    missing = plenary("export", doc["meeting"], "plenary", "--lang", "ru", *data)
    assert missing.returncode == 2 and "floor (en), fr, pt-BR" in missing.stderr

    added = plenary(
        "channel", "add", doc["meeting"], "ar", "--room", "break-out-a", "--json",
        "--public-url", server.base, *data,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    ar = json.loads(added.stdout)
    assert ar["channel"] == "ar" and ar["viewer"].endswith("/break-out-a?channel=ar")
    with_ar = plenary("push", ar["caption_api"], stdin="مرحبا بكم\n")
    assert with_ar.returncode == 0, with_ar.stderr
    out = plenary("export", doc["meeting"], "break-out-a", "-f", "txt", "--lang", "ar", *data)
    assert "مرحبا بكم" in out.stdout
    twice = plenary("channel", "add", doc["meeting"], "ar", "--room", "break-out-a", *data)
    assert twice.returncode == 2 and "already" in twice.stderr
    bad = plenary("channel", "add", doc["meeting"], "xx-notatag!", "--room", "plenary", *data)
    assert bad.returncode == 2 and "BCP 47" in bad.stderr
    station = plenary(
        "station", "add", doc["meeting"], "Cabine 2", "--room", "plenary", "--channel", "fr",
        "--json", *data,
    )  # fmt: skip
    assert station.returncode == 0, station.stderr
    assert json.loads(station.stdout)["channel"] == "fr"


def test_reissuing_a_channels_captioner_link_leaves_the_floors(server: ServerProcess) -> None:
    data = ["--data-dir", str(server.data_dir), "--public-url", server.base]
    doc = create(server, "--channel", "fr")
    room = doc["rooms"][0]
    fr = room["channels"][0]
    out = plenary("meeting", "reissue", doc["meeting"], "captioner", "--room", "plenary",
                  "--channel", "fr", *data)  # fmt: skip
    assert out.returncode == 0, out.stderr
    new_url = next(
        line.split()[-1] for line in out.stdout.splitlines() if "caption API (fr)" in line
    )
    old = plenary("push", fr["caption_api"], stdin="Trop tard.\n")
    assert old.returncode == 2 and "403" in old.stderr + old.stdout
    assert plenary("push", new_url, stdin="Bonjour.\n").returncode == 0
    assert plenary("push", room["caption_api"], stdin="Good morning.\n").returncode == 0
    exported = plenary("export", doc["meeting"], "plenary", "--lang", "fr", *data[:2])
    assert "Bonjour." in exported.stdout and "Trop tard." not in exported.stdout
    wrong = plenary("meeting", "reissue", doc["meeting"], "captioner", "--room", "plenary",
                    "--channel", "de", *data)  # fmt: skip
    assert wrong.returncode == 2 and "floor (en), fr" in wrong.stderr
