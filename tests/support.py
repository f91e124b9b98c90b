"""Helpers the tests share: free ports, a websocket client that speaks the protocol, server
processes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_binary(name: str, install: str) -> str:
    """The path of a binary the test needs; skip with advice, or fail under CI=true."""
    path = shutil.which(name) or (name if os.path.exists(name) else None)
    if path is None:
        message = f"{name} is not installed: {install}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class Client:
    """A websocket client of one room that splits batched frames and keeps what it saw."""

    ws: Any
    welcome: dict[str, Any]
    frames: list[dict[str, Any]] = field(default_factory=list)
    _buffer: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    async def connect(
        cls,
        base_ws: str,
        meeting: str,
        room: str,
        *,
        after: int = 0,
        origin: str | None = None,
        **hello: Any,
    ) -> Client:
        headers = {"Origin": origin} if origin else None
        ws = await websockets.connect(
            f"{base_ws}/ws/{meeting}/{room}", additional_headers=headers, max_size=None
        )
        await ws.send(json.dumps({"type": "hello", "after": after, **hello}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert welcome["type"] == "welcome", welcome
        return cls(ws, welcome)

    async def send(self, **msg: Any) -> None:
        await self.ws.send(json.dumps(msg))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        if not self._buffer:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
            self._buffer = [json.loads(part) for part in raw.split("\n")]
        frame = self._buffer.pop(0)
        self.frames.append(frame)
        return frame

    async def recv_type(self, *types: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if frame["type"] in types:
                return frame

    async def events_until(self, seq: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Recorded events received until one with this seq arrives."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while not got or got[-1]["seq"] < seq:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if "seq" in frame and frame["type"] not in ("hb",):
                got.append(frame)
        return got

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if "seq" in f and f["type"] != "hb"]

    async def close(self) -> None:
        await self.ws.close()


def kill_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL a process that is still running, and reap it."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """Ask a process that is still running to stop; kill it if it has not within 10 s."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            kill_process(proc)


@dataclass
class ServerProcess:
    """A real ``plenary serve`` process."""

    port: int
    data_dir: Path
    backend: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _log: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> ServerProcess:
        cmd = [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            "warning",
        ]
        if self.backend:
            cmd += ["--backend", self.backend]
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._close_log()
        self._log = open(self.log_path, "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        kill_process(self.proc)
        self._close_log()

    def stop(self) -> None:
        stop_process(self.proc)
        self._close_log()

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path else ""
