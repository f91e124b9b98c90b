"""`plenary push` with a speaker and a language, exactly once through a flaky network; and
`plenary station`, the operator's caption stations."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.ops.pusher import captions, push_lines
from tests.ops.test_cli import FlakyProxy, create, plenary
from tests.support import ServerProcess, free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(free_port(), tmp_path / "data")
    proc.start()
    yield proc
    proc.stop()


def exported(server: ServerProcess, meeting: str) -> list[dict]:
    out = plenary("export", meeting, "plenary", "-f", "json", "--data-dir", str(server.data_dir))
    assert out.returncode == 0, out.stderr
    lines: list[dict] = json.loads(out.stdout)["lines"]
    return lines


def test_push_sets_the_speaker_and_the_language(server: ServerProcess) -> None:
    doc = create(server)
    api = doc["rooms"][0]["caption_api"]
    out = plenary("push", api, "--speaker", "Brazil", "--lang", "pt-BR", stdin="Obrigado.\n")
    assert out.returncode == 0, out.stderr
    out = plenary("push", api, "--lang", "en", stdin="Nobody named.\n")
    assert out.returncode == 0, out.stderr
    got = [
        (line["text"], line["speaker"], line["lang"]) for line in exported(server, doc["meeting"])
    ]
    assert got == [("Obrigado.", "Brazil", "pt-BR"), ("Nobody named.", "", "en")]


def test_push_reads_names_when_asked(server: ServerProcess) -> None:
    doc = create(server)
    api = doc["rooms"][0]["caption_api"]
    transcript = (
        "Chair: Good morning.\n"
        "We begin with item 1.\n"
        "\n"
        "Mr. Peter Major (Hungary): Thank you, Chair.\n"
        "At 10:30 we break.\n"
        "The Chair said that the following had been agreed by all delegations: nothing.\n"
    )
    out = plenary(
        "push", api, "--names", "--speaker", "Secretariat", stdin="Before.\n" + transcript
    )
    assert out.returncode == 0, out.stderr
    got = [(line["speaker"], line["text"]) for line in exported(server, doc["meeting"])]
    assert got == [
        ("Secretariat", "Before."),
        ("Chair", "Good morning."),
        ("Chair", "We begin with item 1."),
        ("Mr. Peter Major (Hungary)", "Thank you, Chair."),
        ("Mr. Peter Major (Hungary)", "At 10:30 we break."),  # a time is not a name
        # Too long to be a name: text, said by whoever spoke last.
        (
            "Mr. Peter Major (Hungary)",
            "The Chair said that the following had been agreed by all delegations: nothing.",
        ),
    ]
    # Without --names a colon is text.
    out = plenary("push", api, stdin="Chair: as written.\n")
    assert exported(server, doc["meeting"])[-1]["text"] == "Chair: as written."


def test_a_line_too_long_for_one_post_is_sent_in_several() -> None:
    """The server takes at most 64 KiB per POST and refuses more: a longer line of input is sent
    in several POSTs, broken at spaces, so nothing is refused."""
    for line in (" ".join(["word"] * 20_000), " ".join(["\U0001f600"] * 20_000)):
        parts = list(captions([line + "\n"]))
        assert len(parts) > 1 and all(len(p.text.encode()) < 64 * 1024 for p in parts)
        assert " ".join(p.text for p in parts) == line


def test_push_with_a_speaker_through_a_flaky_network_is_exactly_once(
    server: ServerProcess,
) -> None:
    doc = create(server)
    api = doc["rooms"][0]["caption_api"]
    names = {1: "Chair: ", 3: "Brazil: "}
    lines = [names.get(i % 4, "") + f"Line {i}" for i in range(12)]
    with FlakyProxy(server.port) as proxy:
        flaky = api.replace(f":{server.port}/", f":{proxy.port}/")
        log: list[str] = []
        stdin = io.StringIO("\n".join(lines) + "\n")
        sent = push_lines(flaky, stdin, "en", log.append, speaker="Secretariat", names=True)
        assert sent == 12 and proxy.count > 12 and any("retrying" in m for m in log)
    got = [(line["speaker"], line["text"]) for line in exported(server, doc["meeting"])]
    speakers = ["Secretariat", "Chair", "Chair", "Brazil", "Brazil", "Chair", "Chair", "Brazil"]
    speakers += ["Brazil", "Chair", "Chair", "Brazil"]
    assert got == [(speaker, f"Line {i}") for i, speaker in enumerate(speakers)]


def test_station_commands(server: ServerProcess) -> None:
    doc = create(server)
    flags = ["--data-dir", str(server.data_dir), "--public-url", server.base]
    out = plenary("station", "add", doc["meeting"], "CAT station 2", "--room", "plenary",
                  "--json", *flags)  # fmt: skip
    assert out.returncode == 0, out.stderr
    station = json.loads(out.stdout)
    assert station["name"] == "CAT station 2" and station["room"] == "plenary"
    assert station["caption_api"].startswith(f"{server.base}/api/caption/{doc['meeting']}/")
    assert station["youtube_api"].startswith(f"{server.base}/api/youtube/{doc['meeting']}/")
    # The link `meeting create` printed and the new one both work, each with its own count.
    assert plenary("push", doc["rooms"][0]["caption_api"], stdin="Station one.\n").returncode == 0
    assert plenary("push", station["caption_api"], stdin="Station two.\n").returncode == 0
    got = [(line["captioner"], line["text"]) for line in exported(server, doc["meeting"])]
    assert got == [("Captioner, Plenary", "Station one."), ("CAT station 2", "Station two.")]
    listed = plenary("station", "list", doc["meeting"], "--room", "plenary", *flags)
    assert "CAT station 2" in listed.stdout and "Captioner, Plenary" in listed.stdout
    again = plenary("station", "add", doc["meeting"], "cat station 2", "--room", "plenary", *flags)
    assert again.returncode == 2 and "already" in again.stderr
    out = plenary("station", "revoke", doc["meeting"], station["station"], *flags)
    assert out.returncode == 0 and "revoked" in out.stdout
    refused = plenary("push", station["caption_api"], stdin="After.\n")
    assert refused.returncode == 2 and "403" in refused.stderr
    listed = json.loads(plenary("station", "list", doc["meeting"], "--json", *flags).stdout)
    assert [(s["name"], s["revoked"]) for s in listed] == [
        ("Captioner, Plenary", False),
        ("CAT station 2", True),
        ("Captioner, Break-out A", False),
    ]
    nowhere = plenary("station", "add", doc["meeting"], "X", "--room", "nosuchroom", *flags)
    assert nowhere.returncode == 2 and "plenary" in nowhere.stderr
