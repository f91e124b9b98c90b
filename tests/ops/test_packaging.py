"""An installed plenary (a built wheel, not this checkout) serves its browser pages."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from tests.support import ROOT, free_port, stop_process


def build_wheel(out: Path) -> Path:
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    (wheel,) = out.glob("plenary-*.whl")
    return wheel


def test_an_installed_package_serves_the_pages(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.removeprefix("server/static/") for n in names if n.startswith("server/static/")}
    pages = {p.name for p in (ROOT / "static").iterdir() if p.is_file()}
    # The compiled catalogues the pages load; the .po sources are for translators, not shipped.
    catalogues = {f"locales/{p.name}" for p in (ROOT / "static" / "locales").glob("*.json")}
    assert catalogues
    assert shipped == pages | catalogues

    # "Install" it where this checkout is not on the path: the server must find its pages
    # inside the package.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(site)}
    cmd = [sys.executable, "-m", "server", "serve", "--port", str(port)]
    cmd += ["--data-dir", str(tmp_path / "data"), "--log-level", "warning"]
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.1)
        page = urllib.request.urlopen(f"{base}/m/somemeeting/plenary", timeout=5).read()
        assert page == (ROOT / "static" / "viewer.html").read_bytes()
        script = urllib.request.urlopen(f"{base}/static/client.js", timeout=5).read()
        assert script == (ROOT / "static" / "client.js").read_bytes()
        french = urllib.request.urlopen(f"{base}/static/locales/fr.json", timeout=5).read()
        assert french == (ROOT / "static" / "locales" / "fr.json").read_bytes()
        started = (site / "server" / "web" / "app.py").as_posix()
        check = [sys.executable, "-c", "import server.web.app as a; print(a.__file__, a.STATIC)"]
        where = subprocess.run(check, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert where.stdout.split() == [started, (site / "server" / "static").as_posix()]
    finally:
        stop_process(proc)
