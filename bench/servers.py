"""The servers under test: plenary as shipped (and variants tried), and the peers."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procs import PY, ROOT, SERVER_CORE, Proc, free_port, start


@dataclass(frozen=True)
class ServerSpec:
    """One server configuration, as it appears in the results table."""

    label: str
    kind: str  # plenary | plenary-variant | ws-broadcast | starlette | socketio | broadcaster
    proto: str  # what the generator speaks: plenary | plain | socketio
    deflate: bool = False  # does the server accept per-message compression?
    redis: bool = False  # fan-out (and, for plenary, the record) in Redis
    ws_impl: str = ""  # plenary-variant only: the uvicorn websocket implementation
    processes: int = 1
    args: tuple[str, ...] = ()  # plenary only: more arguments for `plenary serve`


PLENARY = ServerSpec("plenary", "plenary", "plenary", deflate=True)  # once per room
WS_BROADCAST = ServerSpec("websockets broadcast()", "ws-broadcast", "plain", deflate=True)
STARLETTE = ServerSpec("Starlette send_text loop", "starlette", "plain", deflate=True)
SOCKETIO = ServerSpec("python-socketio", "socketio", "socketio", deflate=True)
BROADCASTER = ServerSpec("Starlette + broadcaster (Redis)", "broadcaster", "plain", True, True)
SOCKETIO_REDIS = ServerSpec(
    "python-socketio + AsyncRedisManager", "socketio", "socketio", deflate=True, redis=True
)
PLENARY_PURE = ServerSpec(
    "plenary --pure-python (asyncio loop, h11)",
    "plenary",
    "plenary",
    deflate=True,
    args=("--pure-python",),
)
PLENARY_REDIS = ServerSpec("plenary (Redis)", "plenary", "plenary", deflate=True, redis=True)


def without_deflate(spec: ServerSpec) -> ServerSpec:
    return ServerSpec(**{**spec.__dict__, "deflate": False})


@dataclass
class Running:
    spec: ServerSpec
    procs: list[Proc]
    rooms: list[dict[str, Any]]  # for the generator: meeting, room, key
    urls: list[str]
    data_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def cpu(self) -> float:
        return sum(p.cpu() for p in self.procs)

    def waited(self) -> float:
        return sum(p.waited() for p in self.procs)

    def rss(self) -> int:
        return sum(p.memory()[0] for p in self.procs)

    def peak_rss(self) -> int:
        return sum(p.memory()[1] for p in self.procs)


# A meeting holds a bounded number of rooms (server/limits.py MAX_ROOMS); more rooms than this
# are spread over several meetings, which changes nothing for the fan-out.
ROOMS_PER_MEETING = 40


def create_meeting(data_dir: Path, rooms: int, backend: str | None) -> list[dict[str, Any]]:
    """Create meetings with ``rooms`` rooms in all; the generator's room list."""
    out: list[dict[str, Any]] = []
    for first in range(0, rooms, ROOMS_PER_MEETING):
        count = min(ROOMS_PER_MEETING, rooms - first)
        names = ["Plenary"] if rooms == 1 else [f"Room {first + i + 1}" for i in range(count)]
        cmd = [
            PY,
            "-m",
            "server",
            "meeting",
            "create",
            "Bench",
            "--json",
            "--data-dir",
            str(data_dir),
        ]
        for name in names:
            cmd += ["--room", name]
        if backend:
            cmd += ["--backend", backend]
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"meeting create failed: {run.stderr[-1500:]}")
        doc = json.loads(run.stdout)
        out += [
            {"meeting": doc["meeting"], "room": r["room"], "key": r["captioner"].split("#key=")[1]}
            for r in doc["rooms"]
        ]
    return out


def _plenary_cmd(spec: ServerSpec, port: int, data_dir: Path, redis: str | None) -> list[str]:
    if spec.kind == "plenary-variant":
        cmd = [PY, "-m", "bench.plenary_variant", "--ws", spec.ws_impl]
        if spec.deflate:
            cmd.append("--deflate")
    else:
        cmd = [PY, "-m", "server", "serve", "--log-level", "warning"]
    cmd += [*spec.args, "--port", str(port), "--data-dir", str(data_dir)]
    if redis:
        cmd += ["--backend", redis]
    return cmd


PEER_MODULES = {
    "ws-broadcast": "bench.peers.ws_broadcast",
    "starlette": "bench.peers.starlette_naive",
    "socketio": "bench.peers.socketio_peer",
    "broadcaster": "bench.peers.broadcaster_peer",
}


@contextlib.contextmanager
def launch(
    spec: ServerSpec, dir_: Path, rooms: int = 1, redis: str | None = None
) -> Iterator[Running]:
    """Start the server (one or more processes), pinned to the server core."""
    if spec.redis and not redis:
        raise RuntimeError(f"{spec.label} needs Redis")
    procs: list[Proc] = []
    data_dir: Path | None = None
    try:
        if spec.kind.startswith("plenary"):
            data_dir = dir_ / "data"
            backend = redis if spec.redis else None
            room_cfg = create_meeting(data_dir, rooms, backend)
            for i in range(spec.processes):
                port = free_port()
                cmd = _plenary_cmd(spec, port, data_dir, backend)
                core = SERVER_CORE if spec.processes == 1 else i % 2
                procs.append(start(f"plenary-{i}", cmd, dir_, core=core, port=port))
        else:
            room_cfg = [{"meeting": "", "room": f"r{i + 1}", "key": ""} for i in range(rooms)]
            for i in range(spec.processes):
                port = free_port()
                cmd = [PY, "-m", PEER_MODULES[spec.kind], "--port", str(port)]
                if not spec.deflate:
                    cmd.append("--no-deflate")
                if spec.redis and redis:
                    cmd += ["--redis", redis]
                core = SERVER_CORE if spec.processes == 1 else i % 2
                procs.append(start(f"{spec.kind}-{i}", cmd, dir_, core=core, port=port))
        urls = [f"ws://127.0.0.1:{p.port}" for p in procs]
        yield Running(spec, procs, room_cfg, urls, data_dir)
    finally:
        for p in procs:
            p.stop()
