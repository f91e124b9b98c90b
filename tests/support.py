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
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

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


async def eventually(
    check: Callable[[], Any], timeout: float = 10.0, what: str = "the condition"
) -> Any:
    """Wait until ``check()`` returns something truthy and return it; on a busy machine a fixed
    sleep is a flaky test, so tests wait on what they expect instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


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
        compression: str | None = "deflate",
        **hello: Any,
    ) -> Client:
        headers = {"Origin": origin} if origin else None
        ws = await websockets.connect(
            f"{base_ws}/ws/{meeting}/{room}",
            additional_headers=headers,
            max_size=None,
            compression=compression,
        )
        await ws.send(json.dumps({"type": "hello", "after": after, **hello}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 30))  # generous: busy machines
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


class RawWebSocket:
    """A websocket client over a bare asyncio stream, framed by ``websockets``' own sans-I/O
    protocol: for what a polite client never does (send bytes that are not UTF-8, stop
    reading). ``rcvbuf`` shrinks the socket's receive buffer, so a client that stops reading
    stalls the server's sends quickly."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 protocol: ClientProtocol) -> None:  # fmt: skip
        self.reader, self.writer, self.protocol = reader, writer, protocol
        self.events: deque[object] = deque()

    @classmethod
    async def connect(cls, url: str, rcvbuf: int | None = None) -> RawWebSocket:
        uri = parse_uri(url)
        sock = socket.socket()
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (uri.host, uri.port))
        reader, writer = await asyncio.open_connection(sock=sock)
        protocol = ClientProtocol(uri)
        protocol.send_request(protocol.connect())
        raw = cls(reader, writer, protocol)
        raw.flush()
        response = await raw.next_event()
        assert isinstance(response, Response) and response.status_code == 101, response
        return raw

    def flush(self) -> None:
        for data in self.protocol.data_to_send():
            self.writer.write(data)

    async def next_event(self, timeout: float = 10.0) -> object:
        """The next handshake response or frame from the server."""
        deadline = time.monotonic() + timeout
        while not self.events:
            wait = max(0.01, deadline - time.monotonic())
            data = await asyncio.wait_for(self.reader.read(65536), wait)
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            self.events.extend(self.protocol.events_received())
            self.flush()
            if not data and not self.events:
                raise ConnectionError("the server closed the connection")
        return self.events.popleft()

    def send_text(self, payload: bytes) -> None:
        """A text frame carrying these bytes exactly, valid UTF-8 or not."""
        self.writer.write(Frame(Opcode.TEXT, payload).serialize(mask=True))

    async def close_code(self, timeout: float = 10.0) -> int:
        """Read until the server's close frame; its code."""
        while True:
            event = await self.next_event(timeout)
            if isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                return Close.parse(event.data).code

    def abort(self) -> None:
        self.writer.close()


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
    args: tuple[str, ...] = ()  # more arguments for `plenary serve`
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _log: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0, *, healthy: bool = True) -> ServerProcess:
        """Start and wait until it answers /healthz: with 200, or with anything when not
        ``healthy`` (a process expected to report its record unusable)."""
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
        cmd += self.args
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
            except urllib.error.HTTPError:
                if not healthy:
                    return self
                time.sleep(0.1)
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
