"""First start is once, and an empty Redis is not taken for a new record: three `plenary serve`
processes starting together on an empty Redis create one demo meeting; read-only commands write
nothing; a process that starts while Redis has lost the record it used reports it and creates
nothing; `plenary record new` is the operator's way to accept a fresh record."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from server.backends import backend_from_url
from tests.redis_support import RedisServer
from tests.support import ROOT, ServerProcess, free_port


def plenary(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def health(proc: ServerProcess) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"{proc.base}/healthz", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def meetings_in(url: str) -> list[str]:
    backend = backend_from_url(url)
    await backend.start()
    try:
        return [m.title for m in await backend.list_meetings()]
    finally:
        await backend.close()


async def test_three_processes_starting_together_create_one_demo_meeting(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    url = redis_server.url()
    procs = [ServerProcess(free_port(), tmp_path / f"data-{i}", backend=url) for i in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda p: p.start(timeout=60), procs))
        assert len(await meetings_in(url)) == 1
        assert sum("Created a demo meeting" in p.output() for p in procs) == 1
    finally:
        for p in procs:
            p.kill()


async def test_read_only_commands_write_no_marker(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    url = redis_server.url("readonly")
    listed = plenary("meeting", "list", "--backend", url, data_dir=tmp_path / "data")
    assert listed.returncode == 0, listed.stderr
    assert redis_server.client().keys("readonly:*") == []


async def test_a_process_starting_on_an_emptied_redis_reports_it_and_creates_nothing(
    tmp_path: Path,
) -> None:
    redis = RedisServer(tmp_path / "redis", appendonly=True).start()
    url = redis.url("deploy")
    data = tmp_path / "data"
    try:
        first = ServerProcess(free_port(), data, backend=url).start(timeout=60)
        assert "Created a demo meeting" in first.output()
        first.kill()
        redis.stop()
        redis.start(wipe=True)  # Redis comes back empty (its volume lost)
        again = ServerProcess(free_port(), data, backend=url).start(timeout=60, healthy=False)
        try:
            status, report = health(again)
            assert status == 503 and report["record"] == "lost"
            assert "restarted empty" in str(report["error"])
            assert "plenary record new" in str(report["error"])
            assert "Created a demo meeting" not in again.output()
            assert "cannot be used" in again.output()
            assert redis.client().get("{deploy}:epoch") is None
            # A read-only command says so too, and writes nothing.
            listed = plenary("meeting", "list", "--backend", url, data_dir=data)
            assert listed.returncode != 0 and "restarted empty" in listed.stderr + listed.stdout
            assert redis.client().get("{deploy}:epoch") is None
            # The operator accepts a fresh record; restarted processes use it.
            accepted = plenary("record", "new", "--backend", url, data_dir=data)
            assert accepted.returncode == 0, accepted.stderr
            assert "Restart every" in accepted.stdout
        finally:
            again.kill()
        restarted = ServerProcess(free_port(), data, backend=url).start(timeout=60)
        try:
            assert health(restarted)[0] == 200
        finally:
            restarted.kill()
    finally:
        redis.kill()
