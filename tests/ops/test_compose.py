"""compose.yaml, checked by reading it (no container engine runs here): Redis persisted on a
volume with the append-only file fsynced always, three plenary processes on that Redis, and a
reverse proxy that balances websockets and HTTP across them."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from server.backends.redis_keys import RedisURL
from server.ops.cli import build_parser
from tests.support import ROOT


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def plenary_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in compose["services"].items()
        if isinstance(svc.get("command"), list) and svc["command"][:2] == ["plenary", "serve"]
    }


def option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_redis_persists_every_write_on_a_volume(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    assert option(command, "--appendonly") == "yes"
    assert option(command, "--appendfsync") == "always"
    data_dir = option(command, "--dir")
    volume, _, target = redis["volumes"][0].partition(":")
    assert target == data_dir
    assert volume in compose["volumes"]  # a named volume: survives the container
    assert re.match(r"redis:(7|8)", redis["image"])  # 7+: sharded pub/sub
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_three_plenary_processes_share_the_redis(compose: dict[str, Any]) -> None:
    services = plenary_services(compose)
    assert len(services) == 3
    parser = build_parser()
    for name, svc in services.items():
        command = [
            c.replace("${PLENARY_PUBLIC_URL:-http://localhost:8080}", "http://localhost:8080")
            for c in svc["command"]
        ]
        args = parser.parse_args(command[1:])  # the real CLI accepts every flag
        assert args.func.__name__ == "cmd_serve"
        assert args.host == "0.0.0.0"
        assert args.backend_url == "redis://redis:6379/0"
        assert RedisURL.parse(args.backend_url).client_url.startswith("redis://redis:6379")
        assert args.public_url == "http://localhost:8080"
        assert "PLENARY_PUBLIC_URL" in " ".join(svc["command"])  # operators set their own
        assert svc["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "/healthz" in " ".join(svc["healthcheck"]["test"])
        assert svc["build"] == "." and (ROOT / "Dockerfile").exists()
        assert svc["environment"]["FORWARDED_ALLOW_IPS"] == "*"
        assert svc["restart"] == "unless-stopped", name
    # They find each other only through Redis: no links, no shared volume, no ports between them.
    # Each keeps its own data directory (where it remembers the Redis record's marker).
    own: list[str] = []
    for svc in services.values():
        assert "links" not in svc and "ports" not in svc
        (volume,) = svc["volumes"]
        name, _, target = volume.partition(":")
        assert target == "/app/plenary-data" and name in compose["volumes"]
        own.append(name)
    assert len(set(own)) == 3


def test_the_proxy_balances_http_and_websockets_over_all_three(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert proxy["ports"] == ["8080:80"]
    config = next(c for c in proxy["configs"] if c["target"] == "/etc/caddy/Caddyfile")
    caddyfile = compose["configs"][config["source"]]["content"]
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams is not None
    services = plenary_services(compose)
    assert sorted(upstreams.group(1).split()) == sorted(
        f"{name}:{option(s['command'], '--port')}" for name, s in services.items()
    )
    # Caddy upgrades websockets itself (one reverse_proxy for HTTP and /ws/); unhealthy
    # processes leave the rotation; a request for a dead process is retried on another.
    assert "health_uri /healthz" in caddyfile
    assert "lb_try_duration" in caddyfile
    assert "flush_interval -1" in caddyfile  # live frames are not buffered
    assert set(proxy["depends_on"]) == set(services)


def test_the_image_runs_plenary_serve(compose: dict[str, Any]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    # Installed as a package: its pages come with it (tests/test_packaging.py).
    assert re.search(r"^RUN .*\n?.*&& pip install \. ", dockerfile, re.M)
    # With a compiler for the install, so that the compiled fan-out loop is built.
    assert "gcc" in dockerfile
    assert "USER plenary" in dockerfile
    assert '"plenary", "serve"' in dockerfile
    for path in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for name in path.split():
            assert (ROOT / name).exists(), name
