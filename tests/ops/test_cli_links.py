"""The command line prints links that point at the running server, whatever port or public
address it was started with (it records its address with the data), on both backends; and
``plenary --help`` names every command in plain words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.ops.cli import build_parser
from tests.support import ROOT, ServerProcess, free_port


def plenary(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PLENARY_PUBLIC_URL"}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture
def server(tmp_path: Path, backend_url: str) -> Iterator[ServerProcess]:
    proc = ServerProcess(free_port(), tmp_path / "data", backend=backend_url)
    proc.start()
    yield proc
    proc.stop()


def test_commands_print_links_to_the_running_server(server: ServerProcess) -> None:
    assert server.port != 8000
    flags = ["--backend", str(server.backend)]
    made = plenary("meeting", "create", "WGEC", "--room", "Plenary", "--json", *flags)
    assert made.returncode == 0, made.stderr
    doc = json.loads(made.stdout)
    assert doc["chair"].startswith(f"{server.base}/m/{doc['meeting']}/chair#key=")
    # The link works: it is the running server's.
    with urllib.request.urlopen(f"{server.base}/api/m/{doc['meeting']}", timeout=5) as answer:
        assert json.loads(answer.read())["title"] == "WGEC"
    listed = json.loads(plenary("meeting", "list", "--json", *flags).stdout)
    mine = next(m for m in listed if m["meeting"] == doc["meeting"])
    assert mine["rooms"][0]["viewer"] == f"{server.base}/m/{doc['meeting']}/plenary"
    again = plenary("meeting", "reissue", doc["meeting"], "chair", *flags)
    assert again.returncode == 0 and f"{server.base}/m/{doc['meeting']}/chair#key=" in again.stdout
    person = plenary("participant", "add", doc["meeting"], "Ana Silva", "--json", *flags)
    assert json.loads(person.stdout)[0]["link"].startswith(f"{server.base}/m/{doc['meeting']}/")
    # A public URL given to the command itself still wins.
    given = plenary(
        "meeting", "list", "--json", "--public-url", "https://plenary.example.org", *flags
    )
    assert "https://plenary.example.org/m/" in given.stdout and server.base not in given.stdout


def test_help_lists_every_command_in_plain_words() -> None:
    out = plenary("--help")
    assert out.returncode == 0
    text = out.stdout
    assert "``" not in text  # no markup
    parser = build_parser()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for name, child in action.choices.items():  # type: ignore[union-attr]
            subs = [
                a for a in child._actions if isinstance(a, type(action))
            ]  # its own sub-commands
            if not subs:
                assert f"plenary {name} " in text, name
            for sub in subs:
                for leaf in sub.choices:  # type: ignore[union-attr]
                    line = next(x for x in text.splitlines() if f"plenary {name} {leaf} " in x)
                    assert len(line.split(maxsplit=3)[-1]) > 10, line  # says what it does
