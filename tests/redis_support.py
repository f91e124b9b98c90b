"""Real redis-server processes for the tests: one server on a free port in a temporary directory,
optionally with the append-only file fsynced on every write, and a three-node Redis Cluster."""

from __future__ import annotations

import random
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.support import kill_process, require_binary, stop_process

INSTALL = "install it with `apt-get install redis-server` (or your system's redis package)"


def redis_server_binary() -> str:
    return require_binary("redis-server", INSTALL)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        if _port_free(port) and _port_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


def free_redis_port() -> int:
    # Redis binds IPv4 and IPv6; a port from the ephemeral range may be reused by a client
    # socket between our check and Redis binding it, so pick outside it.
    return free_cluster_port()


@dataclass
class RedisServer:
    """One redis-server. ``kill`` is SIGKILL; ``start`` again reuses the same directory (and so its
    append-only file) unless ``wipe`` is given."""

    dir: Path
    port: int = field(default_factory=free_redis_port)
    appendonly: bool = False
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None

    def args(self) -> list[str]:
        args = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.dir / "redis.log"),
            "--protected-mode",
            "no",
        ]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        return args + self.extra

    def start(self, wipe: bool = False, timeout: float = 10.0) -> RedisServer:
        if wipe:
            for path in self.dir.glob("*"):
                if path.is_dir():
                    for inner in path.glob("*"):
                        inner.unlink()
                    path.rmdir()
                elif path.name != "redis.log":
                    path.unlink()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.args(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()[-2000:]}")
            try:
                with redis.Redis(port=self.port, socket_timeout=1) as client:
                    if client.ping():
                        # Wait until an append-only file has been loaded.
                        if client.info("persistence").get("loading", 0) == 0:
                            return self
            except redis.RedisError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start: {self.log()[-2000:]}")

    def kill(self) -> None:
        kill_process(self.proc)

    def stop(self) -> None:
        stop_process(self.proc)

    def log(self) -> str:
        path = self.dir / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, prefix: str | None = None) -> str:
        prefix = prefix or f"t{secrets.token_hex(4)}"
        return f"redis://127.0.0.1:{self.port}/0?prefix={prefix}"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


@dataclass
class RedisCluster:
    """Three redis-server processes in cluster mode, every slot assigned, no replicas."""

    dir: Path
    nodes: list[RedisServer] = field(default_factory=list)

    def start(self, size: int = 3, timeout: float = 20.0) -> RedisCluster:
        cli = require_binary("redis-cli", INSTALL)
        for i in range(size):
            node_dir = self.dir / f"node{i}"
            node_dir.mkdir(parents=True, exist_ok=True)
            port = free_cluster_port()
            node = RedisServer(
                node_dir,
                port,
                extra=[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    str(node_dir / "nodes.conf"),
                    "--cluster-node-timeout",
                    "2000",
                    "--appendonly",
                    "no",
                ],
            )
            self.nodes.append(node.start())
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{n.port}" for n in self.nodes),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = []
            for n in self.nodes:
                with n.client() as c:
                    states.append(c.execute_command("CLUSTER", "INFO").decode())
            if all("cluster_state:ok" in s for s in states):
                return self
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")

    def url(self, prefix: str | None = None) -> str:
        prefix = prefix or f"t{secrets.token_hex(4)}"
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}?prefix={prefix}"

    def stop(self) -> None:
        for n in self.nodes:
            n.kill()
