"""The layers of server/ are a rule a machine checks (import-linter, with the contracts in
pyproject.toml), and the record's command-line documents run without the web stack."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_layer_contract_is_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_an_import_that_runs_the_wrong_way_breaks_a_contract(tmp_path: Path) -> None:
    """The check itself: the same contracts on a copy with three wrong imports added."""
    shutil.copytree(ROOT / "server", tmp_path / "server")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    wrong = {
        "domain/state.py": "from server.web import app  # noqa",
        "domain/events.py": "import asyncio  # noqa",
        "record/digest.py": "from server.fanout import hub  # noqa",
    }
    for module, line in wrong.items():
        path = tmp_path / "server" / module
        path.write_text(path.read_text() + "\n" + line + "\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "server.domain.state -> server.web" in result.stdout
    assert "server.domain.events -> asyncio" in result.stdout
    assert "server.record.digest -> server.fanout" in result.stdout


def test_export_and_report_need_no_web_stack(tmp_path: Path) -> None:
    """`plenary export` and `plenary report` read the record without Starlette, uvicorn or the
    fan-out hub: they run where only the record is (a backup, another machine)."""
    data = tmp_path / "data"
    run = [sys.executable, "-m", "server"]
    made = subprocess.run(
        [*run, "meeting", "create", "Layers", "--json", "--data-dir", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    meeting = made.stdout.split('"meeting": "')[1].split('"')[0]
    probe = (
        "import sys\n"
        "from server.ops.cli import main\n"
        f"assert main(['export', {meeting!r}, '-f', 'md', '--data-dir', {str(data)!r}]) == 0\n"
        f"assert main(['report', {meeting!r}, 'digest', '--data-dir', {str(data)!r}]) == 0\n"
        "loaded = [m for m in ('starlette', 'uvicorn', 'server.fanout.hub', 'server.web')"
        " if m in sys.modules]\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stderr, result.stderr
    assert "# Digest: Layers" in result.stdout
