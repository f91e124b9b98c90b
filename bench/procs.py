"""Processes the benchmark runs: servers, Redis, the generator; pinned to cores and measured.

CPU seconds and memory come from /proc, so nothing needs to be installed in the processes
measured. The server runs on core 0 and the generator on core 1, so neither takes the other's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
SERVER_CORE = 0
GENERATOR_CORE = 1 if CORES > 1 else 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(pid: int, core: int | None) -> None:
    if core is not None and CORES > 1:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, {core})


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its threads) so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def runqueue_wait_seconds(pid: int) -> float:
    """Time the process's threads have spent runnable but waiting for a core (schedstat): on a
    shared machine, how much of a step the process wanted to run and could not."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tasks:
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1])
    return total / 1e9


def memory(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) in bytes."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, hwm


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port} after {timeout} s")


@dataclass
class Proc:
    """A started process with its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    port: int = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def waited(self) -> float:
        return runqueue_wait_seconds(self.pid)

    def memory(self) -> tuple[int, int]:
        return memory(self.pid)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:]
        except OSError:
            return ""


def start(name: str, cmd: list[str], workdir: Path, *, core: int | None, port: int = 0) -> Proc:
    log = workdir / f"{name}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    pin(proc.pid, core)
    p = Proc(name, proc, log, port)
    if port:
        try:
            wait_port(port, proc)
        except RuntimeError as exc:
            p.stop(signal.SIGKILL)
            raise RuntimeError(f"{name}: {exc}\n{p.tail()}") from None
    return p


@contextlib.contextmanager
def workdir(prefix: str = "plenary-bench-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def redis_server(dir_: Path, core: int | None = GENERATOR_CORE) -> Iterator[str]:
    """Our own redis-server on a free port (see ``redis_process``); its URL."""
    with redis_process(dir_, core) as (url, _):
        yield url


@contextlib.contextmanager
def redis_process(dir_: Path, core: int | None = GENERATOR_CORE) -> Iterator[tuple[str, Proc]]:
    """Our own redis-server on a free port in a temporary directory, with AOF (fsync every
    second) like the deployment in compose.yaml. Never the machine's own instance."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    rdir = dir_ / f"redis-{port}"
    rdir.mkdir()
    cmd = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(rdir),
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--maxclients",
        "20000",
    ]
    p = start("redis", cmd, dir_, core=core, port=port)
    try:
        yield f"redis://127.0.0.1:{port}", p
    finally:
        p.stop()


# -- the generator --------------------------------------------------------------------------------
def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed (Node.js 18+ runs the load generator)")
    return node


def ensure_node_modules() -> None:
    """Install the generator's one dependency (ws) into bench/node_modules on first use."""
    if (BENCH / "node_modules" / "ws" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed; it installs the generator's `ws` package")
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=BENCH, check=True)


@dataclass
class Generator:
    """The running load generator: its JSON-lines events, its CPU, and a way to talk to it."""

    proc: asyncio.subprocess.Process
    events: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    result: dict[str, Any] | None = None

    async def next(self, event: str, timeout: float) -> dict[str, Any]:
        while True:
            msg = await asyncio.wait_for(self.events.get(), timeout)
            if msg.get("event") == "result":
                self.result = msg
                if event != "result":
                    raise RuntimeError(f"generator finished early: {json.dumps(msg)[:2000]}")
            if msg.get("event") == event:
                return msg

    async def say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)


@contextlib.asynccontextmanager
async def generator(config: dict[str, Any], dir_: Path) -> AsyncIterator[Generator]:
    ensure_node_modules()
    cfg = dir_ / f"gen-{time.monotonic_ns()}.json"
    cfg.write_text(json.dumps(config))
    err = open(dir_ / "generator.log", "ab")
    proc = await asyncio.create_subprocess_exec(
        node_binary(),
        "--max-old-space-size=8192",
        str(BENCH / "gen.js"),
        str(cfg),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=err,
        limit=64 * 1024 * 1024,
    )
    pin(proc.pid, GENERATOR_CORE)
    gen = Generator(proc)

    async def pump() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            with contextlib.suppress(ValueError):
                await gen.events.put(json.loads(raw))

    reader = asyncio.create_task(pump())
    try:
        yield gen
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 10)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        err.close()
