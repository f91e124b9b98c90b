"""One measured run: a server, the generator driving it, and the figures from both sides."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from bench.procs import generator, workdir
from bench.servers import Running, ServerSpec, launch

# Connections are spread over several loopback addresses, so that no single client address
# holds more connections than a server allows one address (and ephemeral ports never run out).
LOCAL_ADDRS = [f"127.0.0.{i}" for i in range(1, 9)]
MB = 1024 * 1024


def gen_config(
    srv: Running,
    *,
    viewers: int,
    stalled: int = 0,
    captioners: int = 1,
    deflate: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    rooms = [
        {**r, "viewers": viewers, "stalled": stalled, "captioners": captioners} for r in srv.rooms
    ]
    return {
        "proto": srv.spec.proto,
        "url": srv.urls[0],
        "urls": srv.urls,
        "rooms": rooms,
        "localAddrs": LOCAL_ADDRS,
        "deflate": deflate,
        "connectConcurrency": 100,
        **extra,
    }


class Sampler:
    """Samples the server's memory while a run goes on (peak and the course over time)."""

    def __init__(self, srv: Running, every: float = 0.5) -> None:
        self.srv = srv
        self.every = every
        self.samples: list[tuple[float, int]] = []
        self._task: asyncio.Task[None] | None = None
        self._t0 = time.monotonic()

    async def _run(self) -> None:
        while True:
            self.samples.append((time.monotonic() - self._t0, self.srv.rss()))
            await asyncio.sleep(self.every)

    def __enter__(self) -> Sampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def drive(srv: Running, config: dict[str, Any], dir_: Path, timeout: float) -> dict[str, Any]:
    """Run the generator to its end; attach the server's CPU seconds to every phase."""
    phase_cpu: dict[str, float] = {}
    out: dict[str, Any] = {}
    async with generator(config, dir_) as gen:
        deadline = time.monotonic() + timeout
        started: dict[str, tuple[float, float, float]] = {}
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the generator did not finish in time")
            msg = await asyncio.wait_for(gen.events.get(), left)
            event = msg.get("event")
            if event == "connected":
                out["connected"] = {**msg, "server_rss_mb": round(srv.rss() / MB, 1)}
            elif event == "phase-start":
                started[msg["name"]] = (srv.cpu(), time.monotonic(), srv.waited())
            elif event == "phase-end":
                cpu0, t0, wait0 = started.pop(msg["name"])
                phase_cpu[msg["name"]] = srv.cpu() - cpu0
                phase_cpu[msg["name"] + "/wall"] = time.monotonic() - t0
                phase_cpu[msg["name"] + "/waited"] = srv.waited() - wait0
            elif event == "result":
                out.update(msg)
                break
    for ph in out.get("phases", []):
        cpu = phase_cpu.get(ph["name"], 0.0)
        wall = phase_cpu.get(ph["name"] + "/wall", 0.0) or 1.0
        ph["server_cpu_s"] = round(cpu, 2)
        ph["server_cpu_pct"] = round(100 * cpu / wall, 1)
        # Runnable but not running: the share of the phase the server waited for a core.
        ph["server_wait_pct"] = round(100 * phase_cpu.get(ph["name"] + "/waited", 0.0) / wall, 1)
    if "storm" in phase_cpu:
        out["server_cpu_s"] = round(phase_cpu["storm"], 2)
    out["server_peak_rss_mb"] = round(srv.peak_rss() / MB, 1)
    return out


async def stream_run(
    spec: ServerSpec,
    *,
    viewers: int,
    phases: list[dict[str, Any]],
    rooms: int = 1,
    stalled: int = 0,
    captioners: int = 1,
    deflate_client: bool = False,
    redis: str | None = None,
    timeout: float = 600,
    **extra: Any,
) -> dict[str, Any]:
    # Viewers are read by the generator's own small websocket client (BareWebSocket in
    # bench/gen.js) for every server alike, as the floor's readers are plain sockets: with `ws`,
    # reading 80,000 messages/s took the generator's core above 80 % before any server reached
    # its limit, and a 5,000-viewer burst waited on the generator's reads. It does not speak
    # per-message compression: a client offering it uses `ws`.
    extra.setdefault("bareViewers", not deflate_client)
    with workdir() as dir_, launch(spec, dir_, rooms=rooms, redis=redis) as srv:
        config = gen_config(
            srv,
            viewers=viewers,
            stalled=stalled,
            captioners=captioners,
            deflate=deflate_client,
            phases=phases,
            **extra,
        )
        with Sampler(srv) as sampler:
            result = await drive(srv, config, dir_, timeout)
        rss = [s for _, s in sampler.samples]
        result["server_rss_mb"] = {
            "max": round(max(rss, default=0) / MB, 1),
            "end": round((rss[-1] if rss else 0) / MB, 1),
        }
        result["server"] = spec.label
        result["client_offers_deflate"] = deflate_client
        for p in srv.procs:
            if p.proc.poll() is not None:
                result.setdefault("server_exit", []).append(p.tail())
        return result


async def idle_run(
    spec: ServerSpec, *, viewers: int, deflate_client: bool, redis: str | None = None
) -> dict[str, Any]:
    """Connect idle viewers; the server's memory per viewer is the growth divided by their
    number."""
    with workdir() as dir_, launch(spec, dir_, redis=redis) as srv:
        config = gen_config(srv, viewers=viewers, deflate=deflate_client, mode="idle")
        config["rooms"][0]["captioners"] = 0
        await asyncio.sleep(0.5)
        before = srv.rss()
        async with generator(config, dir_) as gen:
            connected = await gen.next("connected", 300)
            await asyncio.sleep(2)  # let the last handshakes settle
            after = srv.rss()
            await gen.say("stop")
            with contextlib.suppress(TimeoutError):
                result = await gen.next("result", 60)
        n = connected["viewers"]
        return {
            "server": spec.label,
            "client_offers_deflate": deflate_client,
            "viewers": n,
            "failures": connected["failures"],
            "connect_s": round(connected["connect_s"], 2),
            "rss_before_mb": round(before / MB, 1),
            "rss_after_mb": round(after / MB, 1),
            "kb_per_viewer": round((after - before) / max(1, n) / 1024, 1),
            "still_open": result.get("still_open") if result else None,
        }
